"""What the commands share of their command lines: usage errors on one line, the types of their
numeric options, the help's list of the environment variables a command reads, and (from
``terminal``) text made safe for a terminal."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Mapping
from typing import NoReturn

from recall_provider.exit_status import ExitStatus
from recall_provider.terminal import for_terminal

__all__ = [
    "OneLineParser",
    "at_least_one",
    "environment_help",
    "for_terminal",
    "help_width",
    "paragraph",
]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Exit 2 with ``message`` on one line (the usage is one --help away)."""
        self.exit(
            ExitStatus.CANNOT_RUN, f"{self.prog}: error: {for_terminal(message)} (see --help)\n"
        )


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def help_width() -> int:
    """argparse's own width for help text, so that a section lines up with the options."""
    return max(shutil.get_terminal_size().columns - 2, 40)


def paragraph(text: str) -> str:
    """``text`` filled to the help's width (for a raw-description formatter's epilog)."""
    return textwrap.fill(text, help_width())


def environment_help(variables: Mapping[str, str], note: str | None = None) -> str:
    """The ``environment:`` section of a command's help (an epilog, for a raw-description
    formatter): each variable with what it is, then ``note``."""
    width = help_width()
    lines = ["environment:"]
    for name, meaning in variables.items():
        lines.extend(
            textwrap.wrap(meaning, width, initial_indent=f"  {name}: ", subsequent_indent="    ")
        )
    if note:
        lines.extend(textwrap.wrap(note, width, initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)
