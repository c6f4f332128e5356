"""What many test modules share: the API's paths (as literals and as log patterns), the type of
the emulator factory fixture, and an app made by hand."""

from __future__ import annotations

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
