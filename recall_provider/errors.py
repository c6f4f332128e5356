"""Typed errors of the Recall client.

Every message names the operation, the HTTP method and path, the status and the request id when
there is one, and says what to do next. None may carry a secret: the client removes every secret
it knows of (API key, client secret, webhook secret) from server text before it builds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "RecallAPIError",
    "RecallAuthenticationError",
    "RecallConfigError",
    "RecallConnectionError",
    "RecallError",
    "RecallNotFoundError",
    "RecallRateLimitError",
    "RecallResponseError",
    "RecallServerError",
    "RecallTimeoutError",
    "RecallValidationError",
    "RecallWebhookCheckError",
    "error_class_for_status",
    "redact",
]

REDACTED = "[redacted]"
# Shorter values cannot be told apart from ordinary words (customer-managed OAuth apps use a dummy
# client secret such as "a"), and redacting them would mangle messages without protecting anything.
_MIN_REDACTABLE = 6


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return ``text`` with every occurrence of each known secret replaced by a marker."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_REDACTABLE}, key=len)[::-1]:
        text = text.replace(secret, REDACTED)
    return text


class RecallError(Exception):
    """Base class of every error raised by the Recall client."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message


class RecallConfigError(RecallError):
    """The client was given settings it cannot work with (region, URL, API key)."""


class RecallAPIError(RecallError):
    """Recall answered with an error status."""

    hint = "Recall answered with an unexpected error; retry later or contact Recall support."

    def _hint(self) -> str:
        return self.hint

    def __init__(
        self,
        *,
        operation: str,
        method: str,
        path: str,
        status: int,
        request_id: str | None,
        detail: str,
        hint: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.detail = detail
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.retry_after = retry_after
        rid = f", request id {request_id}" if request_id else ""
        message = f"{operation} failed: {method} {path} returned HTTP {status}{rid}"
        if detail:
            message += f": {detail}"
        message = f"{message.rstrip('.')}. {hint or self._hint()}"
        super().__init__(
            message,
            operation=operation,
            method=method,
            path=path,
            status=status,
            request_id=request_id,
        )


class RecallAuthenticationError(RecallAPIError):
    """401 or 403: the API key was refused."""

    hint = (
        "Check the Recall API key. Keys are region-specific: a key from another region "
        "also gets 401, so check that the key belongs to the region of this base URL."
    )


class RecallNotFoundError(RecallAPIError):
    """404: the object does not exist (deleted, or it lives in another region)."""

    hint = "It was deleted, or it lives in another Recall region than this base URL."


class RecallValidationError(RecallAPIError):
    """400: Recall rejected the request's fields; ``field_errors`` maps each field to its errors."""

    hint = "Fix the fields named above and try again."

    def _hint(self) -> str:
        if self.field_errors:
            return self.hint
        return "Recall named no field; check the values against its limits and try again."


class RecallRateLimitError(RecallAPIError):
    """429 after every retry: the workspace's rate limit was exceeded."""

    hint = (
        "Recall's rate limit (300 requests/min per workspace, 60/min for lists) was still "
        "exceeded after retries; lower recall:requestsPerMinute (the client's pacing) if "
        "other tools share the workspace's limit, or retry later."
    )


class RecallServerError(RecallAPIError):
    """5xx after every retry: Recall could not serve the request."""

    hint = (
        "Recall could not serve the request (requests that are safe to repeat were retried "
        "first); retry later."
    )


class RecallResponseError(RecallAPIError):
    """Recall answered with something the client cannot understand."""

    hint = "The response did not match the documented Recall API; report it with the request id."


class RecallWebhookCheckError(RecallError):
    """The app's webhook URL did not answer Zoom's URL validation with the expected token."""


class RecallConnectionError(RecallError):
    """The HTTP exchange did not complete (connection refused, reset, TLS failure)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        method: str,
        path: str,
        may_have_reached_server: bool,
    ) -> None:
        super().__init__(message, operation=operation, method=method, path=path)
        self.may_have_reached_server = may_have_reached_server


class RecallTimeoutError(RecallConnectionError):
    """No answer within the connect or read timeout."""


_STATUS_CLASSES: dict[int, type[RecallAPIError]] = {
    400: RecallValidationError,
    401: RecallAuthenticationError,
    403: RecallAuthenticationError,
    404: RecallNotFoundError,
    429: RecallRateLimitError,
}


def error_class_for_status(status: int) -> type[RecallAPIError]:
    """Map an HTTP error status to the error class the client raises for it."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return RecallServerError
    return RecallAPIError
