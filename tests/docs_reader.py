"""Reading the docs as the tests walk them: a doc's code blocks, and the command lines of a
``sh`` block, found by the heading or line the block follows.

One reading for every test: tests/test_docs.py walks every block of every doc, and the real-CLI
tests (``WALKED`` in tests/test_cli_e2e.py, tests/test_native_cli.py, tests/test_native_sdk_cli.py)
run the ``pulumi`` blocks they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.real_cli import ROOT

__all__ = [
    "FENCE",
    "Anchor",
    "Block",
    "blocks",
    "commands",
    "doc_block",
    "doc_commands",
    "doc_text",
]

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
"""A fenced code block: its info string (the language first) and its text."""

Anchor = tuple[str, str]
"""Where a block is: a doc's path from the project root, and the heading or line before it."""


@cache
def doc_text(doc: str) -> str:
    """The text of ``doc``, a path from the project root (``docs/guides/first-stack.md``)."""
    return (ROOT / doc).read_text(encoding="utf-8")


def doc_block(doc: str, after: str, language: str) -> str:
    """The first ``language`` code block of ``doc`` after the text ``after`` (a heading or a
    line that occurs once in the doc)."""
    text = doc_text(doc)
    assert text.count(after) == 1, f"{doc}: {after!r} must occur exactly once"
    for found in FENCE.finditer(text, text.index(after)):
        if found["info"].split(" ", 1)[0] == language:
            return found["body"]
    raise AssertionError(f"{doc}: no {language} block after {after!r}")


def commands(block: str) -> list[str]:
    """The command lines of a ``sh`` block: continuations joined, comments and comment lines
    (the ``# needs the Pulumi CLI`` mark among them) dropped."""
    lines = []
    for line in block.replace("\\\n", " ").splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command and not command.startswith("#"):
            lines.append(command)
    return lines


def doc_commands(doc: str, after: str) -> list[str]:
    """The command lines of ``doc``'s first ``sh`` block after ``after``."""
    return commands(doc_block(doc, after, "sh"))


@dataclass(frozen=True)
class Block:
    """One fenced block of a doc."""

    doc: str
    language: str
    body: str

    @property
    def first_line(self) -> str:
        return self.body.split("\n", 1)[0]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the doc at ``path``, in order."""
    doc = path.relative_to(ROOT).as_posix()
    return [
        Block(doc, found["info"].split(" ", 1)[0], found["body"])
        for found in FENCE.finditer(doc_text(doc))
    ]
