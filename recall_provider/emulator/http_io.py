"""Requests read and answers written the way DRF does: routes, methods, bodies, JSON answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import parse_qs

from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.routing import Map, RequestRedirect
from werkzeug.wrappers import Request, Response

from .errors import EmulatorError, NotFound, json_parse_error


def match_route(url_map: Map, request: Request) -> tuple[str, Mapping[str, Any]]:
    """The endpoint and URL arguments of ``request``, or DRF's 404 for an unknown path."""
    try:
        return url_map.bind_to_environ(request.environ).match()
    except (RequestRedirect, NoRoute):
        raise NotFound() from None


def check_method(request: Request, endpoint: str, handlers: Mapping[tuple[str, str], Any]) -> str:
    """The method to dispatch on (HEAD as GET), or a 405 naming the allowed ones."""
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


def query_params(request: Request) -> dict[str, str]:
    """The query string as a flat dict."""
    # Django's QueryDict answers the last of repeated parameters.
    return {key: values[-1] for key, values in request.args.lists()}


def _reject_constant(name: str) -> NoReturn:
    # DRF parses JSON strictly: NaN and Infinity are not JSON.
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def parse_body(request: Request) -> object:
    """The request body as DRF's JSON and form parsers would read it."""
    raw = request.get_data()
    if not raw:
        return {}
    if request.mimetype == "application/json":
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except ValueError as exc:
            raise json_parse_error(exc) from None
    if request.mimetype == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}
    media_type = request.content_type or ""
    raise EmulatorError(415, {"detail": f'Unsupported media type "{media_type}" in request.'})


def as_object(body: object) -> dict[str, Any]:
    """``body`` if it is a JSON object, else a 400."""
    if not isinstance(body, dict):
        raise EmulatorError(400, {"detail": "Expected a JSON object."})
    return body


def error_response(exc: EmulatorError) -> Response:
    """The answer an EmulatorError stands for."""
    return json_response(exc.status, exc.body, exc.headers)


def no_content() -> Response:
    """204 with no body."""
    response = Response(status=204)
    # DRF sends no Content-Type with an empty body.
    del response.headers["Content-Type"]
    return response


def json_response(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """``body`` as compact JSON, the way DRF's JSONRenderer writes it."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, headers=headers, content_type="application/json")
