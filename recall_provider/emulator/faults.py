"""Fault injection: what a ``Fault`` is, which faults are armed, and how one misbehaves."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, NoReturn

from werkzeug.wrappers import Response

from .control_checks import is_int, is_number, require
from .http_io import json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


@dataclass
class Fault:
    """A misbehaviour injected into the next ``times`` requests matching method and path."""

    method: str | None = None
    path: str | None = None  # regex, re.search on the path; None matches every API path
    times: int = 1
    status: int | None = None  # answer this error status instead of processing
    retry_after: int | None = None  # Retry-After seconds on the injected status
    delay: float = 0.0  # seconds to sleep before answering
    drop: bool = False  # reset the connection instead of answering
    after_processing: bool = False  # delay/drop/status only after the backend did the work
    skip: int = 0  # matching requests to let through untouched before the fault fires

    def __post_init__(self) -> None:
        require(self.method is None or isinstance(self.method, str), "method must be a string")
        require(self.path is None or isinstance(self.path, str), "path must be a string")
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as exc:
                raise ValueError(f"path is not a valid regex: {exc}") from None
        require(is_int(self.times) and self.times >= 1, "times must be an integer >= 1")
        require(
            self.status is None or (is_int(self.status) and 400 <= self.status <= 599),
            "status must be an integer from 400 to 599",
        )
        require(
            self.retry_after is None or (is_int(self.retry_after) and self.retry_after >= 0),
            "retry_after must be an integer >= 0",
        )
        require(self.retry_after is None or self.status is not None, "retry_after needs status")
        require(is_number(self.delay) and self.delay >= 0, "delay must be a number >= 0")
        require(isinstance(self.drop, bool), "drop must be a boolean")
        require(isinstance(self.after_processing, bool), "after_processing must be a boolean")
        require(not (self.drop and self.status is not None), "drop and status exclude each other")
        require(is_int(self.skip) and self.skip >= 0, "skip must be an integer >= 0")

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path gets this fault."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or re.search(self.path, path) is not None
        )


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the app after it aborted the connection for a ``drop`` fault."""


class ArmedFaults:
    """The faults waiting for matching requests, each used up after ``times`` of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Arm a copy of ``fault``, so that its ``times`` counts down here only."""
        with self._lock:
            self._faults.append(replace(fault))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[Fault]:
        """Copies of the armed faults, with the uses they have left."""
        with self._lock:
            return [replace(fault) for fault in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """Use up one turn of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None


def apply_fault(fault: Fault, environ: WSGIEnvironment) -> Response | None:
    """Sleep, drop the connection or answer the injected status; None when nothing answers."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.drop:
        _drop_connection(environ)
    if fault.status is None:
        return None
    try:
        phrase = HTTPStatus(fault.status).phrase
    except ValueError:
        phrase = "Error"
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return json_response(fault.status, {"detail": f"{phrase} (injected)"}, headers)


def _drop_connection(environ: WSGIEnvironment) -> NoReturn:
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        # Linger 0 turns the close into a TCP reset: the client sees ECONNRESET, no answer.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The server's file objects still reference the socket; the real close happens when
        # the request handler releases them (see server.py).
        sock.close()
    raise ConnectionDropped("connection dropped by an injected fault")
