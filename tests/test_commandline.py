"""What the commands share of their command lines: the one escaping of text for a terminal, over
every character there is; usage errors; the help's environment section."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from recall_provider.commandline import OneLineParser, at_least_one, environment_help, for_terminal
from recall_provider.exit_status import ExitStatus

EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
_BIDI_FORMATTING = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_BIDI_MARKS = {"\u200e", "\u200f", "\u061c"}


def acted_on(c: str) -> bool:
    """Whether a terminal acts on ``c`` rather than shows it, or it reorders what follows."""
    return (
        unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"}
        or unicodedata.bidirectional(c) in _BIDI_FORMATTING
        or c in _BIDI_MARKS
    )


def test_no_character_a_terminal_acts_on_is_left() -> None:
    shown = for_terminal(EVERY_CHARACTER)
    assert [c for c in shown if acted_on(c)] == []
    shown.encode()  # no lone surrogate either: it could not even be written


def test_each_is_written_as_its_escape_and_the_rest_is_left_as_it_is() -> None:
    for c in EVERY_CHARACTER:
        if acted_on(c):
            escaped = for_terminal(c)
            assert escaped.startswith("\\")
            assert escaped.isascii()
            assert escaped.isprintable()
        elif c.isprintable():
            assert for_terminal(c) == c


def test_the_usual_escapes() -> None:
    assert for_terminal("a\tb\nc\rd\x1b[2J\x9b\u202e") == "a\\tb\\nc\\rd\\x1b[2J\\x9b\\u202e"


def test_a_usage_error_is_one_line_and_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    parser = OneLineParser(prog="recall-zoom logs")
    parser.add_argument("--limit", type=at_least_one)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--limit", "0"])
    assert info.value.code == ExitStatus.CANNOT_RUN
    assert capsys.readouterr().err == (
        "recall-zoom logs: error: argument --limit: must be at least 1, got 0 (see --help)\n"
    )


def test_the_environment_section_names_each_variable_within_the_helps_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    meaning = "what it is, long enough to be wrapped over more than one line of the help"
    shown = environment_help({"RECALL_API_KEY": meaning, "NO_COLOR": "no colour"}, note="a note")
    lines = shown.splitlines()
    assert lines[0] == "environment:"
    assert lines[1].startswith("  RECALL_API_KEY: what it is")
    assert lines[2].startswith("    "), "a variable's further lines are indented under it"
    assert "  NO_COLOR: no colour" in lines
    assert lines[-1] == "  a note"
    assert max(map(len, lines)) <= 58
    assert " ".join(shown.split()).count(meaning) == 1
    assert environment_help({}) == "environment:"
