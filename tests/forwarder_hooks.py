"""Hooks for the forwarder's command under test: ``--hook tests.forwarder_hooks:NAME``."""

from __future__ import annotations

import threading

from recall_provider.forwarder import ZoomEvent

# Set by nothing: what waits on it waits for as long as the process lives.
_NEVER = threading.Event()


def block(_: ZoomEvent) -> None:
    """A hook that never returns (a database that stopped answering, a deadlock)."""
    _NEVER.wait()


def leave_a_thread(_: ZoomEvent) -> None:
    """A hook that returns at once, leaving behind a thread of its own that never ends."""
    # Not a daemon, as a library's own worker may not be (the flag would be inherited otherwise).
    threading.Thread(target=_NEVER.wait, name="the hook's own", daemon=False).start()
