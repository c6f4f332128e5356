"""The emulator's exceptions: API error answers (status, DRF body, headers) and a bad state file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class EmulatorError(Exception):
    """An API error answer: the HTTP status, the JSON body and extra headers to send."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {json.dumps(body)}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})


class ValidationError(EmulatorError):
    """400 with DRF's field -> messages body."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(400, errors)


class AuthenticationFailed(EmulatorError):
    """401 as DRF's TokenAuthentication words it."""

    def __init__(self, detail: str) -> None:
        # DRF answers 401 (not 403) only because the authenticator names a scheme here.
        super().__init__(401, {"detail": detail}, {"WWW-Authenticate": "Token"})


class NotFound(EmulatorError):
    """404 ``{"detail": ...}``."""

    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__(404, {"detail": detail})


def json_parse_error(exc: ValueError) -> EmulatorError:
    """400 as DRF's JSON parser words a body it cannot read."""
    return EmulatorError(400, {"detail": f"JSON parse error - {exc}"})


class StateFileError(Exception):
    """The state file exists but cannot be loaded: one line, whatever the file holds."""

    def __init__(self, message: str) -> None:
        # The message quotes a hand-edited file (and its path): none of it may break the line
        # or reach a terminal as a control sequence.
        super().__init__("".join(c if c.isprintable() else ascii(c)[1:-1] for c in message))
