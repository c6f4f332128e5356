"""What a provider's engine shows of one of our errors: one line, with its class and code."""

from __future__ import annotations

from recall_provider.errors import RecallError
from recall_provider.terminal import for_terminal

__all__ = ["one_line"]


def one_line(error: RecallError) -> str:
    """``error``'s class, code and message on one line, with nothing a terminal would act on
    (Recall's words may carry escape sequences)."""
    return for_terminal(" ".join(f"{type(error).__name__}[{error.code}]: {error}".split()))
