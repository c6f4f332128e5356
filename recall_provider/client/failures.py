"""Failed answers and failed exchanges, as typed errors that carry their outcome.

``recall_provider.errors`` states the rule (``Outcome``, ``outcome_of_status`` for a status);
this module applies it to what the network gives: a transport failure proves the request unsent
only when no connection was ever made or the request could not even be built, and is otherwise
of unknown outcome.
"""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ValidationError
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from recall_provider.client.retry import IDEMPOTENT, retry_after_seconds
from recall_provider.errors import (
    ErrorCode,
    Outcome,
    RecallAPIError,
    RecallAuthenticationError,
    RecallConnectionError,
    RecallError,
    RecallResponseError,
    RecallTimeoutError,
    error_class_for_status,
    redact,
)
from recall_provider.models import describe_validation_errors

__all__ = [
    "bad_response",
    "parse_answer",
    "request_id",
    "shown_value",
    "status_error",
    "transport_error",
]

_REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId", "CF-Ray")
_UNSENDABLE = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
# DRF puts a message that belongs to no field under one of these keys.
_GENERAL_KEYS = frozenset({"detail", "non_field_errors", "message", "error"})


def request_id(resp: requests.Response) -> str | None:
    """The id Recall (or its CDN) gave the request, to quote to support."""
    for header in _REQUEST_ID_HEADERS:
        value = resp.headers.get(header)
        if value:
            return value
    return None


def bad_response(operation: str, resp: requests.Response, why: str) -> RecallAPIError:
    """An answer whose body is not what the API documents."""
    request = resp.request
    return RecallResponseError(
        operation=operation,
        method=request.method or "?",
        path=urlsplit(request.url or "").path,
        status=resp.status_code,
        request_id=request_id(resp),
        detail=f"unexpected answer: {why}",
    )


def status_error(
    operation: str,
    method: str,
    path: str,
    resp: requests.Response,
    *,
    base_url: str,
    secrets: tuple[str, ...],
) -> RecallError:
    """The error for an answer with a status of 300 or more."""
    status = resp.status_code
    detail, field_errors = _error_detail(resp, secrets)
    cls = error_class_for_status(status) if status >= 400 else RecallResponseError
    hint = None
    code = None
    if status == 401 and path.endswith("/webhook"):
        hint = (
            "Recall rejected the x-zm-signature: the secret that signed it is not the "
            "app's webhook_secret in Recall."
        )
        code = ErrorCode.SIGNATURE_REFUSED
    elif status in (401, 403):
        hint = f"{RecallAuthenticationError.hint} (base URL {base_url})"
    elif status == 404 and operation.startswith("list"):
        hint = "The list or its cursor was not found at this base URL."
    elif status == 400 and not field_errors:
        hint = "Recall named no field; check the values against its limits and try again."
    return cls(
        operation=operation,
        method=method,
        path=path,
        status=status,
        request_id=request_id(resp),
        detail=detail,
        hint=hint,
        code=code,
        field_errors=field_errors,
        retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
    )


def transport_error(
    operation: str,
    method: str,
    path: str,
    exc: requests.RequestException,
    *,
    base_url: str,
    connect_timeout: float,
    read_timeout: float,
    deadline_passed: bool,
    secrets: tuple[str, ...],
) -> RecallError:
    """The error for an exchange that got no (whole) answer, after every retry; it timed out
    if an attempt ``deadline_passed``."""
    root = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(root, MaxRetryError) and root.reason is not None:
        root = root.reason
    # Only a connection that was never established proves the request was not sent; a TLS
    # error can also come while reading the answer. A request that could not even be built
    # (bad header or URL) was not sent either.
    never_sent = isinstance(root, NewConnectionError) or isinstance(
        exc, (requests.ConnectTimeout, *_UNSENDABLE)
    )
    timed_out = deadline_passed or (
        not isinstance(root, NewConnectionError)
        and (
            isinstance(exc, requests.Timeout)
            or isinstance(root, ReadTimeoutError | ConnectTimeoutError)
        )
    )
    if timed_out:
        limit, what = (connect_timeout, "connect") if never_sent else (read_timeout, "read")
        whole = "" if never_sent else "complete "
        reason = f"no {whole}answer within the {what} timeout of {limit:g} s"
    elif isinstance(exc, _UNSENDABLE):
        reason = f"the request could not be built ({type(exc).__name__})"
    else:
        reason = redact(str(root), secrets)[:300]
    cls = RecallTimeoutError if timed_out else RecallConnectionError
    if never_sent:
        hint = "Check the region or API URL and the network, then retry."
    elif method in IDEMPOTENT:
        hint = "Retried as often as allowed; retry later."
    else:
        hint = "The request may have reached Recall and done its work even though this call failed."
    return cls(
        f"{operation} failed: {method} {path} to {base_url}: {reason}",
        hint=hint,
        operation=operation,
        method=method,
        path=path,
        outcome=Outcome.NOT_SENT if never_sent else Outcome.UNKNOWN,
    )


def _error_detail(
    resp: requests.Response, secrets: tuple[str, ...]
) -> tuple[str, dict[str, list[str]]]:
    """The human text and the per-field errors of a DRF-style error body, secrets removed
    before anything is cut short (a cut could otherwise keep the start of a secret)."""
    try:
        body = resp.json()
    except ValueError:
        text = redact(resp.text.strip(), secrets)
        return (text[:200] if text and "<" not in text[:1] else resp.reason or ""), {}
    if not isinstance(body, dict):
        return redact(str(body), secrets)[:200], {}
    field_errors: dict[str, list[str]] = {}
    details: list[str] = []
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        messages = [redact(str(v), secrets)[:500] for v in values]
        if key in _GENERAL_KEYS:
            details.extend(messages)
        else:
            field_errors[key] = messages
    details.extend(f"{field}: {' '.join(msgs)}" for field, msgs in field_errors.items())
    return "; ".join(details), field_errors


M = TypeVar("M", bound=BaseModel)


def parse_answer(operation: str, resp: requests.Response, model: type[M]) -> M:
    """``resp``'s body as ``model``, or the error for an answer that is not Recall's API."""
    try:
        return model.model_validate_json(resp.content)
    except ValidationError as exc:
        fields = "; ".join(f"{f}: {m}" for f, m in describe_validation_errors(exc.errors()))
        raise bad_response(operation, resp, f"its body did not parse ({fields})") from None


def shown_value(value: str) -> str:
    """A value of an answer as an error may show it: quoted (control characters escaped) and
    short, whatever the answer held."""
    return repr(value[:60])
