"""How errors of ours leave the dynamic provider host: as their message, not a traceback.

The host sends the engine ``traceback.format_exc()`` of whatever a provider method raised
(pulumi/pulumi ``sdk/python/lib/pulumi/dynamic/__main__.py``, ``_abort_with_traceback``), and
``pulumi up`` prints it whole. An error of ours already says what failed and what to do, so
it goes out as ``RecallAppExistsError: <message>``; anything else keeps its traceback.
"""

from __future__ import annotations

import sys
import traceback

from recall_provider.errors import RecallError

_MARK = "__recall_zoom_one_line__"


def one_line(error: RecallError) -> str:
    """What the engine shows for ``error``: its class and its message."""
    return f"{type(error).__name__}: {error}"


def install() -> None:
    """Make the host render our errors with ``one_line`` (once per process)."""
    original = traceback.format_exc
    if getattr(original, _MARK, False):
        return

    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        caught = sys.exc_info()[1]
        if isinstance(caught, RecallError):
            return one_line(caught)
        return original(limit, chain)

    setattr(format_exc, _MARK, True)
    traceback.format_exc = format_exc
