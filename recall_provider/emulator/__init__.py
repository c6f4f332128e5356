"""A faithful local emulator of Recall.ai's zoom-oauth-apps API, for tests and local stacks.

Laid out like moto: ``backend`` (with ``validation``, ``filters``, ``pagination``, ``webhook``
and ``state_file``) holds state and API behaviour; ``routes`` maps the API's URLs onto it and
``control`` the ``/_emulator/`` test controls; ``app.EmulatorApp`` composes them with
``faults``, ``throttle`` and ``request_log`` into one WSGI app, which ``EmulatorServer`` serves
on loopback. ``python -m recall_provider.emulator --help`` runs it standalone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .backend import Backend
    from .faults import Fault
    from .request_log import RequestRecord
    from .server import EmulatorServer
    from .throttle import RateLimits

__all__ = ["Backend", "EmulatorApp", "EmulatorServer", "Fault", "RateLimits", "RequestRecord"]

# Deferred: the command's --help must run where werkzeug (the emulator extra) is missing.
_HOMES = {
    "Backend": "backend",
    "EmulatorApp": "app",
    "EmulatorServer": "server",
    "Fault": "faults",
    "RateLimits": "throttle",
    "RequestRecord": "request_log",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
