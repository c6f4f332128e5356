"""The emulator's WSGI application: the API and the control endpoints around one Backend.

A request under ``/_emulator/`` goes to ``control`` and is never authenticated, faulted,
throttled or logged. Any other request may first meet an injected fault (``faults``), is then
answered by ``routes`` (throttled by ``throttle``), and lands in the request log
(``request_log``). This module only composes those parts and keeps their state per app.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from .backend import Backend
from .control import CONTROL_PREFIX, serve_control
from .errors import EmulatorError
from .faults import ArmedFaults, Fault, apply_fault
from .http_io import query_params
from .request_log import RequestLog, RequestRecord
from .routes import serve_api
from .throttle import RateLimits, Throttle

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["EmulatorApp"]


class EmulatorApp:
    """WSGI app serving a Backend, with fault injection, rate limits and a request log."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._faults = ArmedFaults()
        self._throttle: Throttle | None = None
        self._log = RequestLog()
        self._throttled = 0
        self._latency = 0.0

    # -- controls --------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every API answer takes, as a distant server's would (0: none)."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError(f"latency must be a number of seconds >= 0, not {seconds!r}")
        self._latency = float(seconds)

    def add_fault(self, fault: Fault) -> None:
        """Arm a fault (a copy: its ``times`` counts down here, not in the caller's object)."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The armed faults, with the uses they have left."""
        return self._faults.armed()

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Turn throttling on with these limits (all buckets full again), or off with None."""
        with self._lock:
            self._throttle = None if limits is None else Throttle(limits)

    @property
    def rate_limits(self) -> RateLimits | None:
        """The active limits, None when throttling is off."""
        throttle = self._throttle
        return None if throttle is None else throttle.limits

    @property
    def throttled_count(self) -> int:
        """How many requests were answered 429."""
        return self._throttled

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first."""
        return self._log.records()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._log.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Logged requests with this method and a path matching this regex (re.search)."""
        return self._log.count(method, path)

    def set_page_size(self, page_size: int) -> None:
        """Items per page of the list endpoints."""
        self.backend.page_size = page_size

    def reset(self) -> None:
        """Empty the backend and forget faults, rate limits, throttle counts and the log."""
        self.backend.reset()
        with self._lock:
            self._faults.clear()
            self._throttle = None
            self._log.clear()
            self._throttled = 0

    # -- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = serve_control(self, request)
            response.headers["X-Request-Id"] = uuid.uuid4().hex
        else:
            response = self._serve(request)
        return response(environ, start_response)

    def _serve(self, request: Request) -> Response:
        started, clock = time.time(), time.perf_counter()
        request_id = uuid.uuid4().hex
        fault = self._faults.take(request.method, request.path)
        status: int | None = None
        try:
            response = None
            if self._latency:
                time.sleep(self._latency)
            if fault is not None and not fault.after_processing:
                response = apply_fault(fault, request.environ)
            if response is None:
                response = serve_api(self.backend, request, self._take_token)
                if fault is not None and fault.after_processing:
                    response = apply_fault(fault, request.environ) or response
            status = response.status_code
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            self._log.append(
                RequestRecord(
                    method=request.method,
                    path=request.path,
                    query=query_params(request),
                    status=status,
                    faulted=fault is not None,
                    started=started,
                    duration=time.perf_counter() - clock,
                    request_id=request_id if status is not None else None,
                )
            )

    def _take_token(self, key: str, bucket: str) -> None:
        throttle = self._throttle
        if throttle is None:
            return
        try:
            throttle.take(key, bucket)
        except EmulatorError:
            with self._lock:
                self._throttled += 1
            raise
