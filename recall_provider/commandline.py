"""What the commands share of their command lines: usage errors on one line, the types of their
numeric options, and text made safe for a terminal."""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["OneLineParser", "at_least_one", "for_terminal"]

# What a terminal acts on rather than shows: C0 controls, DEL and C1 controls (ESC and CSI start
# the sequences that clear the screen, recolour, set the title or write the clipboard; CR and BS
# overwrite what a line said), line and paragraph separators, lone surrogates (which cannot even
# be encoded), and the bidi controls that make a line read other than it is stored. Each becomes
# the escape Python writes for it, so the text is still there to be read.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ACTED_ON = (
    *range(0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0xD800, 0xE000),
    *map(ord, _BIDI_CONTROLS),
)
_ESCAPES = {
    **{code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _ACTED_ON},
    **{ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"},
}


def for_terminal(text: str) -> str:
    """``text`` as one line a person may be shown: every character a terminal would act on
    (controls, escape sequences, line breaks, bidi overrides) written as its escape, such as
    ``\\x1b``. Every line the commands print for a person goes through here; JSON, which
    escapes them itself, does not."""
    return text.translate(_ESCAPES)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Exit 2 with ``message`` on one line (the usage is one --help away)."""
        self.exit(2, f"{self.prog}: error: {for_terminal(message)} (see --help)\n")


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
