"""What many test modules share: the API's paths (as literals and as log patterns), the type of
the emulator factory fixture, an app made by hand, and a clock that moves when told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from recall_provider.emulator import EmulatorServer

APPS_PATH = "/api/v2/zoom-oauth-apps/"
"""The apps collection: create (POST) and list (GET)."""
LOGS_PATH = "/api/v2/zoom-oauth-app-logs/"
"""The app logs collection."""
APPS = r"^/api/v2/zoom-oauth-apps/$"
"""Pattern of the collection's path in the emulator's request log."""
ONE_APP = r"^/api/v2/zoom-oauth-apps/[^/]+/$"
"""Pattern of one app's path: retrieve, update, delete."""
WEBHOOK = r"^/api/v2/zoom-oauth-apps/[^/]+/webhook$"
"""Pattern of one app's Zoom webhook path."""

EmulatorFactory = Callable[..., EmulatorServer]
"""Starts an emulator: ``factory(backend)`` or ``factory(**backend_kwargs)``."""


def make_app(emulator: EmulatorServer, **fields: str) -> dict[str, Any]:
    """An app made outside Pulumi (by curl or the dashboard), as Recall stores it."""
    body = {
        "kind": "user_level",
        "client_id": "zoomClientByHand",
        "client_secret": "client-secret-by-hand",
        "webhook_secret": "webhook-secret-by-hand",
        **fields,
    }
    return emulator.backend.create_app(body)


class Clock:
    """A monotonic clock that moves only when a test moves it or somebody sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Sleep without waiting: the clock jumps ``seconds`` ahead."""
        with self._lock:
            self.now += max(0.0, seconds)
