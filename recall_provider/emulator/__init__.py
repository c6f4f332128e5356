"""A faithful local emulator of Recall.ai's zoom-oauth-apps API, for tests and local stacks.

``Backend`` holds state and behaviour, ``EmulatorApp`` is the WSGI app around it (faults, rate
limits, request log), ``EmulatorServer`` serves it on loopback. ``python -m
recall_provider.emulator --help`` runs it standalone.
"""

from .app import EmulatorApp, Fault, RateLimits, RequestRecord
from .backend import Backend
from .server import EmulatorServer

__all__ = ["Backend", "EmulatorApp", "EmulatorServer", "Fault", "RateLimits", "RequestRecord"]
