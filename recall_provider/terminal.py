"""Text made safe for a terminal: what a person is shown never acts on their terminal.

A leaf, so that everything that prints (the commands, the provider's one-line errors that
``pulumi`` prints) escapes with the same rule.
"""

from __future__ import annotations

__all__ = ["for_terminal"]

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
