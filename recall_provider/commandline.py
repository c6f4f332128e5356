"""What the commands share of their command lines: usage errors on one line, the types of their
numeric options, and (from ``terminal``) text made safe for a terminal."""

from __future__ import annotations

import argparse
from typing import NoReturn

from recall_provider.terminal import for_terminal

__all__ = ["OneLineParser", "at_least_one", "for_terminal"]


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
