"""A faithful local emulator of Recall.ai's zoom-oauth-apps API, for tests and local stacks.

Laid out like moto: ``backend`` (with ``validation``, ``filters``, ``pagination``, ``webhook``
and ``state_file``) holds state and API behaviour; ``routes`` maps the API's URLs onto it and
``control`` the ``/_emulator/`` test controls; ``app.EmulatorApp`` composes them with
``faults``, ``throttle`` and ``request_log`` into one WSGI app, which ``EmulatorServer`` serves
on loopback. ``python -m recall_provider.emulator --help`` runs it standalone.
"""

from .app import EmulatorApp
from .backend import Backend
from .faults import Fault
from .request_log import RequestRecord
from .server import EmulatorServer
from .throttle import RateLimits

__all__ = ["Backend", "EmulatorApp", "EmulatorServer", "Fault", "RateLimits", "RequestRecord"]
