"""The ``/_emulator/`` control endpoints tests steer a running emulator with, like moto_api.

A control call is never authenticated, faulted, throttled or logged; each handler makes one
call on the ``EmulatorApp`` or its backend. Bad control input (a TypeError or ValueError from a
settings check) is answered 400.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .control_checks import require
from .errors import EmulatorError
from .faults import Fault
from .http_io import (
    as_object,
    check_method,
    error_response,
    json_response,
    match_route,
    no_content,
    parse_body,
)
from .throttle import RateLimits
from .webhook import WebhookDelivery

if TYPE_CHECKING:
    from .app import EmulatorApp

CONTROL_PREFIX = "/_emulator/"


def serve_control(app: EmulatorApp, request: Request) -> Response:
    """Answer a request under CONTROL_PREFIX."""
    try:
        endpoint, _ = match_route(_CONTROL_MAP, request)
        method = check_method(request, endpoint, _CONTROL_HANDLERS)
        return _CONTROL_HANDLERS[endpoint, method](app, request)
    except EmulatorError as exc:
        return error_response(exc)
    except (TypeError, ValueError) as exc:
        return json_response(400, {"detail": str(exc)})


def _health(app: EmulatorApp, request: Request) -> Response:
    return json_response(200, {"ok": True})


def _reset(app: EmulatorApp, request: Request) -> Response:
    app.reset()
    return no_content()


def _list_faults(app: EmulatorApp, request: Request) -> Response:
    return json_response(200, [asdict(fault) for fault in app.faults])


def _add_fault(app: EmulatorApp, request: Request) -> Response:
    fault = Fault(**as_object(parse_body(request)))
    app.add_fault(fault)
    return json_response(201, asdict(fault))


def _clear_faults(app: EmulatorApp, request: Request) -> Response:
    app.clear_faults()
    return no_content()


def _get_rate_limits(app: EmulatorApp, request: Request) -> Response:
    limits = app.rate_limits
    return json_response(200, None if limits is None else asdict(limits))


def _put_rate_limits(app: EmulatorApp, request: Request) -> Response:
    body = parse_body(request)  # JSON null turns throttling off
    app.set_rate_limits(None if body is None else RateLimits(**as_object(body)))
    return _get_rate_limits(app, request)


def _list_requests(app: EmulatorApp, request: Request) -> Response:
    return json_response(200, [asdict(record) for record in app.requests])


def _clear_requests(app: EmulatorApp, request: Request) -> Response:
    app.clear_requests()
    return no_content()


def _get_settings(app: EmulatorApp, request: Request) -> Response:
    backend = app.backend
    settings = {
        "page_size": backend.page_size,
        "secrets_in_responses": backend.secrets_in_responses,
        "latency": app.latency,
    }
    return json_response(200, settings)


def _put_settings(app: EmulatorApp, request: Request) -> Response:
    settings = as_object(parse_body(request))
    unknown = set(settings) - {"page_size", "secrets_in_responses", "latency"}
    require(not unknown, f"unknown settings: {sorted(unknown)}")
    if "page_size" in settings:
        app.backend.page_size = settings["page_size"]
    if "secrets_in_responses" in settings:
        app.backend.secrets_in_responses = settings["secrets_in_responses"]
    if "latency" in settings:
        app.latency = settings["latency"]
    return _get_settings(app, request)


def _list_deliveries(app: EmulatorApp, request: Request) -> Response:
    deliveries = app.backend.webhook_deliveries(request.args.get("app_id"))
    return json_response(200, [_delivery_json(delivery) for delivery in deliveries])


def _delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "app_id": delivery.app_id,
        "headers": delivery.headers,
        "body_base64": base64.b64encode(delivery.body).decode("ascii"),
        "accepted": delivery.accepted,
    }


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
