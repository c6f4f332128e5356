"""The emulator's WSGI application: HTTP around a Backend, plus the controls tests steer it with.

A request under ``/_emulator/`` is a control call: never authenticated, faulted, throttled or
logged. Any other request may first meet an injected fault, then is routed, authenticated,
throttled and answered by exactly one backend call, and lands in the request log.

Fidelity gaps: a missing trailing slash is answered 404 (Django would redirect a GET); OPTIONS
(DRF's metadata answer) gets 405; the Accept header is ignored (DRF could answer 406); a wrong
method is answered 405 after authentication but before throttling, while DRF throttles first.
"""

from __future__ import annotations

import base64
import json
import math
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qs

from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from .backend import Backend, EmulatorError, NotFound, WebhookDelivery

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_PREFIX = "/_emulator/"

_API_MAP = Map(
    [
        Rule("/api/v2/zoom-oauth-apps/", endpoint="apps"),
        Rule("/api/v2/zoom-oauth-apps/<app_id>/", endpoint="app"),
        Rule("/api/v2/zoom-oauth-apps/<app_id>/webhook", endpoint="webhook"),
        Rule("/api/v2/zoom-oauth-app-logs/", endpoint="logs"),
    ],
    merge_slashes=False,
)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or isinstance(value, float)


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

    def __post_init__(self) -> None:
        _require(self.method is None or isinstance(self.method, str), "method must be a string")
        _require(self.path is None or isinstance(self.path, str), "path must be a string")
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as exc:
                raise ValueError(f"path is not a valid regex: {exc}") from None
        _require(_is_int(self.times) and self.times >= 1, "times must be an integer >= 1")
        _require(
            self.status is None or (_is_int(self.status) and 400 <= self.status <= 599),
            "status must be an integer from 400 to 599",
        )
        _require(
            self.retry_after is None or (_is_int(self.retry_after) and self.retry_after >= 0),
            "retry_after must be an integer >= 0",
        )
        _require(self.retry_after is None or self.status is not None, "retry_after needs status")
        _require(_is_number(self.delay) and self.delay >= 0, "delay must be a number >= 0")
        _require(isinstance(self.drop, bool), "drop must be a boolean")
        _require(isinstance(self.after_processing, bool), "after_processing must be a boolean")
        _require(not (self.drop and self.status is not None), "drop and status exclude each other")

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path gets this fault."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass
class RateLimits:
    """Token-bucket throttling per API key, like Recall's documented per-minute limits."""

    per_minute: int = 300  # create, retrieve, update and delete share this bucket
    list_per_minute: int = 60  # both list endpoints share this bucket
    burst: int = 10  # bucket capacity
    time_scale: float = 1.0  # a "minute" lasts 60 / time_scale real seconds

    def __post_init__(self) -> None:
        for name in ("per_minute", "list_per_minute", "burst"):
            value = getattr(self, name)
            _require(_is_int(value) and value >= 1, f"{name} must be an integer >= 1")
        _require(_is_number(self.time_scale) and self.time_scale > 0, "time_scale must be > 0")


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the emulator saw it; never the Authorization header or a body."""

    method: str
    path: str
    query: dict[str, str]
    status: int | None  # None when the connection was dropped
    faulted: bool
    started: float  # time.time() at arrival
    duration: float  # seconds
    request_id: str | None = None  # the X-Request-Id answered; None when nothing was answered


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the app after it aborted the connection for a ``drop`` fault."""


class EmulatorApp:
    """WSGI app serving a Backend, with fault injection, rate limits and a request log."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rate_limits: RateLimits | None = None
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._requests: list[RequestRecord] = []
        self._throttled = 0

    # -- controls --------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Arm a fault (a copy: its ``times`` counts down here, not in the caller's object)."""
        with self._lock:
            self._faults.append(replace(fault))

    def clear_faults(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The armed faults, with the uses they have left."""
        with self._lock:
            return [replace(fault) for fault in self._faults]

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Turn throttling on with these limits (all buckets full again), or off with None."""
        with self._lock:
            self._rate_limits = limits
            self._buckets.clear()

    @property
    def rate_limits(self) -> RateLimits | None:
        """The active limits, None when throttling is off."""
        return self._rate_limits

    @property
    def throttled_count(self) -> int:
        """How many requests were answered 429."""
        return self._throttled

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._requests.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Logged requests with this method and a path matching this regex (re.search)."""
        return sum(
            1
            for record in self.requests
            if (method is None or record.method.upper() == method.upper())
            and (path is None or re.search(path, record.path))
        )

    def set_page_size(self, page_size: int) -> None:
        """Items per page of the list endpoints."""
        self.backend.page_size = page_size

    def reset(self) -> None:
        """Empty the backend and forget faults, rate limits, throttle counts and the log."""
        self.backend.reset()
        with self._lock:
            self._faults.clear()
            self._rate_limits = None
            self._buckets.clear()
            self._requests.clear()
            self._throttled = 0

    # -- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self._control(request)
            response.headers["X-Request-Id"] = uuid.uuid4().hex
        else:
            response = self._serve(request)
        return response(environ, start_response)

    def _serve(self, request: Request) -> Response:
        started, clock = time.time(), time.perf_counter()
        request_id = uuid.uuid4().hex
        fault = self._take_fault(request.method, request.path)
        status: int | None = None
        try:
            response = None
            if fault is not None and not fault.after_processing:
                response = _apply_fault(fault, request.environ)
            if response is None:
                response = self._api(request)
                if fault is not None and fault.after_processing:
                    response = _apply_fault(fault, request.environ) or response
            status = response.status_code
            response.headers["X-Request-Id"] = request_id
            return response
        finally:
            record = RequestRecord(
                method=request.method,
                path=request.path,
                query=_query(request),
                status=status,
                faulted=fault is not None,
                started=started,
                duration=time.perf_counter() - clock,
                request_id=request_id if status is not None else None,
            )
            with self._lock:
                self._requests.append(record)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _api(self, request: Request) -> Response:
        try:
            endpoint, args = _API_MAP.bind_to_environ(request.environ).match()
        except (RequestRedirect, NoRoute):
            return _error(NotFound())
        try:
            # Zoom calls the webhook without any Recall credentials.
            key = None
            if endpoint != "webhook":
                key = self.backend.authenticate(request.headers.get("Authorization"))
            method = _check_method(request, endpoint, _API_HANDLERS)
            if key is not None:
                listing = endpoint in ("apps", "logs") and method == "GET"
                self._throttle(key, "list" if listing else "default")
            handler = _API_HANDLERS[endpoint, method]
            return handler(self.backend, request, str(args.get("app_id", "")))
        except EmulatorError as exc:
            return _error(exc)

    def _throttle(self, key: str, bucket: str) -> None:
        with self._lock:
            limits = self._rate_limits
            if limits is None:
                return
            per_minute = limits.list_per_minute if bucket == "list" else limits.per_minute
            rate = per_minute * limits.time_scale / 60.0  # tokens per real second
            now = time.monotonic()
            tokens, last = self._buckets.get((key, bucket), (float(limits.burst), now))
            tokens = min(float(limits.burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key, bucket] = (tokens - 1.0, now)
                return
            self._buckets[key, bucket] = (tokens, now)
            self._throttled += 1
        wait = max(1, math.ceil((1.0 - tokens) / rate))
        # DRF's wording, singular included; Retry-After carries the same integer.
        unit = "second" if wait == 1 else "seconds"
        raise EmulatorError(
            429,
            {"detail": f"Request was throttled. Expected available in {wait} {unit}."},
            {"Retry-After": str(wait)},
        )

    def _control(self, request: Request) -> Response:
        try:
            endpoint, _ = _CONTROL_MAP.bind_to_environ(request.environ).match()
        except (RequestRedirect, NoRoute):
            return _error(NotFound())
        try:
            method = _check_method(request, endpoint, _CONTROL_HANDLERS)
            return _CONTROL_HANDLERS[endpoint, method](self, request)
        except EmulatorError as exc:
            return _error(exc)
        except (TypeError, ValueError) as exc:
            return _json(400, {"detail": str(exc)})


# -- API endpoints: one backend call each ------------------------------------------------------


def _list_apps(backend: Backend, request: Request, app_id: str) -> Response:
    return _json(200, backend.list_apps(_query(request), request.url))


def _create_app(backend: Backend, request: Request, app_id: str) -> Response:
    return _json(201, backend.create_app(_parse_body(request)))


def _retrieve_app(backend: Backend, request: Request, app_id: str) -> Response:
    return _json(200, backend.retrieve_app(app_id))


def _update_app(backend: Backend, request: Request, app_id: str) -> Response:
    backend.retrieve_app(app_id)  # DRF finds the object (or 404s) before it reads the body
    return _json(200, backend.update_app(app_id, _parse_body(request)))


def _delete_app(backend: Backend, request: Request, app_id: str) -> Response:
    backend.delete_app(app_id)
    return _no_content()


def _webhook(backend: Backend, request: Request, app_id: str) -> Response:
    headers = dict(request.headers.items())
    return _json(200, backend.receive_webhook(app_id, headers, request.get_data()))


def _list_logs(backend: Backend, request: Request, app_id: str) -> Response:
    return _json(200, backend.list_logs(_query(request), request.url))


_API_HANDLERS: dict[tuple[str, str], Callable[[Backend, Request, str], Response]] = {
    ("apps", "GET"): _list_apps,
    ("apps", "POST"): _create_app,
    ("app", "GET"): _retrieve_app,
    ("app", "PATCH"): _update_app,
    ("app", "DELETE"): _delete_app,
    ("webhook", "POST"): _webhook,
    ("logs", "GET"): _list_logs,
}


# -- control endpoints ------------------------------------------------------------------------


def _health(app: EmulatorApp, request: Request) -> Response:
    return _json(200, {"ok": True})


def _reset(app: EmulatorApp, request: Request) -> Response:
    app.reset()
    return _no_content()


def _list_faults(app: EmulatorApp, request: Request) -> Response:
    return _json(200, [asdict(fault) for fault in app.faults])


def _add_fault(app: EmulatorApp, request: Request) -> Response:
    fault = Fault(**_as_object(_parse_body(request)))
    app.add_fault(fault)
    return _json(201, asdict(fault))


def _clear_faults(app: EmulatorApp, request: Request) -> Response:
    app.clear_faults()
    return _no_content()


def _get_rate_limits(app: EmulatorApp, request: Request) -> Response:
    limits = app.rate_limits
    return _json(200, None if limits is None else asdict(limits))


def _put_rate_limits(app: EmulatorApp, request: Request) -> Response:
    body = _parse_body(request)  # JSON null turns throttling off
    app.set_rate_limits(None if body is None else RateLimits(**_as_object(body)))
    return _get_rate_limits(app, request)


def _list_requests(app: EmulatorApp, request: Request) -> Response:
    return _json(200, [asdict(record) for record in app.requests])


def _clear_requests(app: EmulatorApp, request: Request) -> Response:
    app.clear_requests()
    return _no_content()


def _get_settings(app: EmulatorApp, request: Request) -> Response:
    backend = app.backend
    settings = {
        "page_size": backend.page_size,
        "secrets_in_responses": backend.secrets_in_responses,
    }
    return _json(200, settings)


def _put_settings(app: EmulatorApp, request: Request) -> Response:
    settings = _as_object(_parse_body(request))
    unknown = set(settings) - {"page_size", "secrets_in_responses"}
    _require(not unknown, f"unknown settings: {sorted(unknown)}")
    if "page_size" in settings:
        app.backend.page_size = settings["page_size"]
    if "secrets_in_responses" in settings:
        app.backend.secrets_in_responses = settings["secrets_in_responses"]
    return _get_settings(app, request)


def _list_deliveries(app: EmulatorApp, request: Request) -> Response:
    deliveries = app.backend.webhook_deliveries(request.args.get("app_id"))
    return _json(200, [_delivery_json(delivery) for delivery in deliveries])


_CONTROL_HANDLERS: dict[tuple[str, str], Callable[[EmulatorApp, Request], Response]] = {
    ("health", "GET"): _health,
    ("reset", "POST"): _reset,
    ("faults", "GET"): _list_faults,
    ("faults", "POST"): _add_fault,
    ("faults", "DELETE"): _clear_faults,
    ("rate-limits", "GET"): _get_rate_limits,
    ("rate-limits", "PUT"): _put_rate_limits,
    ("requests", "GET"): _list_requests,
    ("requests", "DELETE"): _clear_requests,
    ("settings", "GET"): _get_settings,
    ("settings", "PUT"): _put_settings,
    ("webhook-deliveries", "GET"): _list_deliveries,
}
_CONTROL_MAP = Map(
    [Rule(f"{CONTROL_PREFIX}{name}", endpoint=name) for name, _ in _CONTROL_HANDLERS],
    merge_slashes=False,
)


# -- HTTP helpers -----------------------------------------------------------------------------


def _check_method(request: Request, endpoint: str, handlers: Mapping[tuple[str, str], Any]) -> str:
    allowed = tuple(method for name, method in handlers if name == endpoint)
    # werkzeug's own HEAD handling drops the body of the GET answer.
    method = "GET" if request.method == "HEAD" else request.method
    if method not in allowed:
        raise EmulatorError(
            405,
            {"detail": f'Method "{request.method}" not allowed.'},
            {"Allow": ", ".join((*allowed, "HEAD") if "GET" in allowed else allowed)},
        )
    return method


def _apply_fault(fault: Fault, environ: WSGIEnvironment) -> Response | None:
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
    return _json(fault.status, {"detail": f"{phrase} (injected)"}, headers)


def _drop_connection(environ: WSGIEnvironment) -> NoReturn:
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        # Linger 0 turns the close into a TCP reset: the client sees ECONNRESET, no answer.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The server's file objects still reference the socket; the real close happens when
        # the request handler releases them (see server.py).
        sock.close()
    raise ConnectionDropped("connection dropped by an injected fault")


def _query(request: Request) -> dict[str, str]:
    # Django's QueryDict answers the last of repeated parameters.
    return {key: values[-1] for key, values in request.args.lists()}


def _reject_constant(name: str) -> NoReturn:
    # DRF parses JSON strictly: NaN and Infinity are not JSON.
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _parse_body(request: Request) -> object:
    """The request body as DRF's JSON and form parsers would read it."""
    raw = request.get_data()
    if not raw:
        return {}
    if request.mimetype == "application/json":
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except ValueError as exc:
            raise EmulatorError(400, {"detail": f"JSON parse error - {exc}"}) from None
    if request.mimetype == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}
    media_type = request.content_type or ""
    raise EmulatorError(415, {"detail": f'Unsupported media type "{media_type}" in request.'})


def _as_object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EmulatorError(400, {"detail": "Expected a JSON object."})
    return body


def _delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "app_id": delivery.app_id,
        "headers": delivery.headers,
        "body_base64": base64.b64encode(delivery.body).decode("ascii"),
        "accepted": delivery.accepted,
    }


def _error(exc: EmulatorError) -> Response:
    return _json(exc.status, exc.body, exc.headers)


def _no_content() -> Response:
    response = Response(status=204)
    # DRF sends no Content-Type with an empty body.
    del response.headers["Content-Type"]
    return response


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, headers=headers, content_type="application/json")
