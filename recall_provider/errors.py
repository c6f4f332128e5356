"""Typed errors of the Recall client, and the one rule of what a failed request may have done.

An error composes its message when it is shown: a summary (the operation, the HTTP method and
path, the status and the request id when there is one), then a hint saying what to do next,
which a caller may replace. None may carry a secret: the client removes every secret it knows of
(API key, client secret, webhook secret) from server text before it builds one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import ClassVar, Self

from recall_provider.codes import ErrorCode
from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE

__all__ = [
    "ErrorCode",
    "Outcome",
    "RecallAPIError",
    "RecallAppExistsError",
    "RecallAuthenticationError",
    "RecallConfigError",
    "RecallConnectionError",
    "RecallError",
    "RecallNotFoundError",
    "RecallPacingError",
    "RecallRateLimitError",
    "RecallResponseError",
    "RecallServerError",
    "RecallTimeoutError",
    "RecallValidationError",
    "RecallWebhookCheckError",
    "error_class_for_status",
    "outcome_of_status",
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


class Outcome(enum.Enum):
    """What a failed request may have done at Recall: the one answer to "did this POST make an
    app?", which the client attaches to every failed request and its callers read."""

    NOT_SENT = "not sent"
    """It never reached Recall (no connection was made, or it could not be built)."""
    REFUSED = "refused"
    """Recall answered 4xx: it checks a request before it acts, so nothing was done."""
    FAILED = "failed"
    """Recall itself answered 500 or 503: the request is over, and it may have done its work."""
    UNKNOWN = "unknown"
    """No answer of Recall's (lost, timed out, a gateway's 502/504, a body that is not Recall's):
    it may have done its work, and may still be running."""

    @property
    def may_have_acted(self) -> bool:
        """Whether Recall may have done what was asked (made the app, for a create)."""
        return self in (Outcome.FAILED, Outcome.UNKNOWN)

    @property
    def is_over(self) -> bool:
        """Whether the request has certainly ended, so a listing now shows all it did."""
        return self is not Outcome.UNKNOWN


# Statuses of Recall's own server (Django answers 500 for an error, 503 when it sheds load); a
# 502 or 504 is a gateway's word that it lost the request, and any other 5xx has no known source.
_RECALLS_OWN_5XX = frozenset({500, 503})


def outcome_of_status(status: int) -> Outcome:
    """The outcome of a request whose answer cannot be used: an error status, or a 2xx/3xx
    whose body is not Recall's API (which anything on the way may have sent)."""
    if 400 <= status < 500:
        return Outcome.REFUSED
    if status in _RECALLS_OWN_5XX:
        return Outcome.FAILED
    return Outcome.UNKNOWN


class RecallError(Exception):
    """Base class of every error raised by the Recall client."""

    hint: str = ""
    """What to do next: the class's default, unless given at construction or by ``with_hint``."""
    default_code: ClassVar[ErrorCode] = ErrorCode.ERROR
    """The code of this class's errors, unless one is given at construction."""

    def __init__(
        self,
        summary: str,
        *,
        hint: str | None = None,
        code: ErrorCode | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        if hint is not None:
            self.hint = hint
        self.code = code or self.default_code
        """What went wrong, by its stable name."""
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id
        self.outcome = outcome
        """What the request may have done; None when the error is not about one request."""

    def with_hint(self, hint: str, *, code: ErrorCode | None = None) -> Self:
        """Replace the hint (and the code, when given: the caller knows better what went wrong)
        for ``raise error.with_hint(...)``, and return this error."""
        self.hint = hint
        if code is not None:
            self.code = code
        return self

    def __str__(self) -> str:
        if not self.hint:
            return self.summary
        return f"{self.summary.rstrip('.')}. {self.hint}"

    def __repr__(self) -> str:
        # The parts that identify the request, never its text: server text is redacted but
        # not guaranteed to be short or tidy.
        parts = {
            "code": str(self.code),
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "request_id": self.request_id,
            "outcome": self.outcome.name if self.outcome else None,
        }
        shown = ", ".join(f"{k}={v!r}" for k, v in parts.items() if v is not None)
        return f"{type(self).__name__}({shown})"


class RecallConfigError(RecallError):
    """Settings or inputs that cannot be used (region, URL, API key, an app id)."""

    default_code = ErrorCode.CONFIG

    def __init__(
        self,
        summary: str,
        *,
        hint: str | None = None,
        code: ErrorCode | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        super().__init__(summary, hint=hint, code=code, outcome=outcome)


class RecallAPIError(RecallError):
    """Recall answered with an error status."""

    default_code = ErrorCode.API_ERROR

    hint = "Recall answered with an unexpected error; retry later or contact Recall support."

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
        code: ErrorCode | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.detail = detail
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.retry_after = retry_after
        rid = f", request id {request_id}" if request_id else ""
        summary = f"{operation} failed: {method} {path} returned HTTP {status}{rid}"
        if detail:
            summary += f": {detail}"
        super().__init__(
            summary,
            hint=hint,
            code=code,
            operation=operation,
            method=method,
            path=path,
            status=status,
            request_id=request_id,
            outcome=outcome_of_status(status),
        )


class RecallAuthenticationError(RecallAPIError):
    """401 or 403: the API key was refused."""

    default_code = ErrorCode.UNAUTHORIZED

    hint = (
        "Check the Recall API key. Keys are region-specific: a key from another region "
        "also gets 401, so check that the key belongs to the region of this base URL."
    )


class RecallNotFoundError(RecallAPIError):
    """404: the object does not exist (deleted, or it lives in another region)."""

    default_code = ErrorCode.NOT_FOUND

    hint = "It was deleted, or it lives in another Recall region than this base URL."


class RecallValidationError(RecallAPIError):
    """400: Recall rejected the request's fields; ``field_errors`` maps each field to its errors."""

    default_code = ErrorCode.INVALID_REQUEST

    hint = "Fix the fields named above and try again."


class RecallRateLimitError(RecallAPIError):
    """429 after every retry: the workspace's rate limit was exceeded."""

    default_code = ErrorCode.RATE_LIMITED

    hint = (
        f"Recall's rate limit ({REQUESTS_PER_MINUTE} requests/min per workspace, "
        f"{LIST_REQUESTS_PER_MINUTE}/min for lists) was still exceeded after retries; lower "
        "recall:requestsPerMinute (the client's pacing) if other tools share the workspace's "
        "limit, or retry later."
    )


class RecallPacingError(RecallError):
    """A request not sent: this machine's window of the workspace holds it too long."""

    default_code = ErrorCode.PACED_OUT

    hint = (
        "A 429's Retry-After (or this machine's own requests) holds the workspace: run again "
        "after that time. If nothing explains it (a clock that ran ahead), delete this "
        "machine's window files: recall-zoom/pacing in the user's cache directory, or in "
        "$RECALL_ZOOM_CACHE_DIR."
    )

    def __init__(
        self,
        operation: str,
        method: str,
        path: str,
        wait: float,
        until: float,
        *,
        outcome: Outcome = Outcome.NOT_SENT,
    ) -> None:
        when = datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds")
        super().__init__(
            f"{operation} not sent: {method} {path} would wait {wait:.0f} s for Recall's rate "
            f"limit (until {when}), longer than a request waits out 429s",
            operation=operation,
            method=method,
            path=path,
            outcome=outcome,
        )
        self.wait = wait


class RecallServerError(RecallAPIError):
    """5xx after every retry: Recall could not serve the request."""

    default_code = ErrorCode.SERVER_ERROR

    hint = (
        "Recall could not serve the request (requests that are safe to repeat were retried "
        "first); retry later."
    )


class RecallResponseError(RecallAPIError):
    """Recall answered with something the client cannot understand."""

    default_code = ErrorCode.BAD_RESPONSE

    hint = "The response did not match the documented Recall API; report it with the request id."


class RecallAppExistsError(RecallError):
    """Recall has an app for a create's Zoom client id that the create cannot prove it made:
    the create stops, naming it."""

    default_code = ErrorCode.APP_EXISTS


class RecallWebhookCheckError(RecallError):
    """The app's webhook URL did not answer Zoom's URL validation with the expected token."""

    default_code = ErrorCode.WEBHOOK_CHECK_FAILED


class RecallConnectionError(RecallError):
    """The HTTP exchange did not complete (connection refused, reset, TLS failure)."""

    default_code = ErrorCode.CONNECTION_FAILED

    def __init__(
        self,
        summary: str,
        *,
        hint: str,
        operation: str,
        method: str,
        path: str,
        outcome: Outcome,
    ) -> None:
        super().__init__(
            summary, hint=hint, operation=operation, method=method, path=path, outcome=outcome
        )

    @property
    def may_have_reached_server(self) -> bool:
        """Whether the request may have reached Recall: ``outcome`` under its 0.1 name."""
        return self.outcome is not Outcome.NOT_SENT


class RecallTimeoutError(RecallConnectionError):
    """No answer within the connect or read timeout."""

    default_code = ErrorCode.TIMEOUT


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
