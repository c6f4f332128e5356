"""The one escaping of text for a terminal, over every character there is."""

from __future__ import annotations

import sys
import unicodedata

from recall_provider.commandline import for_terminal

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
