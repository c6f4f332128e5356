"""The emulated API's URL map and handlers: each request answered by exactly one backend call.

A request is routed, authenticated, throttled and handed to its handler, in that order; the
webhook endpoint, which Zoom calls, skips authentication and throttling.

Fidelity gaps: a missing trailing slash is answered 404 (Django would redirect a GET); OPTIONS
(DRF's metadata answer) gets 405; the Accept header is ignored (DRF could answer 406); a wrong
method is answered 405 after authentication but before throttling, while DRF throttles first.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .backend import Backend
from .errors import EmulatorError
from .http_io import (
    check_method,
    error_response,
    json_response,
    match_route,
    no_content,
    parse_body,
    query_params,
)

_API_MAP = Map(
    [
        Rule("/api/v2/zoom-oauth-apps/", endpoint="apps"),
        Rule("/api/v2/zoom-oauth-apps/<app_id>/", endpoint="app"),
        Rule("/api/v2/zoom-oauth-apps/<app_id>/webhook", endpoint="webhook"),
        Rule("/api/v2/zoom-oauth-app-logs/", endpoint="logs"),
    ],
    merge_slashes=False,
)


def serve_api(backend: Backend, request: Request, throttle: Callable[[str, str], None]) -> Response:
    """Answer an API request; ``throttle(key, bucket)`` raises the 429 when a bucket is dry."""
    try:
        endpoint, args = match_route(_API_MAP, request)
        # Zoom calls the webhook without any Recall credentials.
        key = None
        if endpoint != "webhook":
            key = backend.authenticate(request.headers.get("Authorization"))
        method = check_method(request, endpoint, _API_HANDLERS)
        if key is not None:
            listing = endpoint in ("apps", "logs") and method == "GET"
            throttle(key, "list" if listing else "default")
        handler = _API_HANDLERS[endpoint, method]
        return handler(backend, request, str(args.get("app_id", "")))
    except EmulatorError as exc:
        return error_response(exc)


def _list_apps(backend: Backend, request: Request, app_id: str) -> Response:
    return json_response(200, backend.list_apps(query_params(request), request.url))


def _create_app(backend: Backend, request: Request, app_id: str) -> Response:
    return json_response(201, backend.create_app(parse_body(request)))


def _retrieve_app(backend: Backend, request: Request, app_id: str) -> Response:
    return json_response(200, backend.retrieve_app(app_id))


def _update_app(backend: Backend, request: Request, app_id: str) -> Response:
    backend.retrieve_app(app_id)  # DRF finds the object (or 404s) before it reads the body
    return json_response(200, backend.update_app(app_id, parse_body(request)))


def _delete_app(backend: Backend, request: Request, app_id: str) -> Response:
    backend.delete_app(app_id)
    return no_content()


def _webhook(backend: Backend, request: Request, app_id: str) -> Response:
    headers = dict(request.headers.items())
    return json_response(200, backend.receive_webhook(app_id, headers, request.get_data()))


def _list_logs(backend: Backend, request: Request, app_id: str) -> Response:
    return json_response(200, backend.list_logs(query_params(request), request.url))


_API_HANDLERS: dict[tuple[str, str], Callable[[Backend, Request, str], Response]] = {
    ("apps", "GET"): _list_apps,
    ("apps", "POST"): _create_app,
    ("app", "GET"): _retrieve_app,
    ("app", "PATCH"): _update_app,
    ("app", "DELETE"): _delete_app,
    ("webhook", "POST"): _webhook,
    ("logs", "GET"): _list_logs,
}
