"""Typed HTTP client of Recall's zoom-oauth-apps API.

HTTP only: URLs, auth, timeouts, retries, pacing and typed errors. It knows nothing of Pulumi.
Retries are urllib3's ``Retry`` with Recall's rules (see ``RecallRetry``), each paced like a
request; one ``requests.Session`` per thread and pacing bucket; pickling keeps the settings and
drops the sessions.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from recall_provider.errors import (
    RecallAPIError,
    RecallConfigError,
    RecallConnectionError,
    RecallError,
    RecallResponseError,
    RecallTimeoutError,
    error_class_for_status,
    redact,
)
from recall_provider.models import (
    Page,
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppLog,
    ZoomOAuthAppUpdate,
    describe_validation_errors,
)

__all__ = [
    "DEFAULT_REGION",
    "REGION_URLS",
    "Pacing",
    "RecallClient",
    "RecallRetry",
    "RetryPolicy",
    "Timeout",
    "TokenBucket",
    "backoff_delay",
    "resolve_base_url",
    "webhook_url",
]

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
REGION_URLS: dict[str, str] = {
    region: f"https://{region}.recall.ai"
    for region in ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1")
}
APPS_PATH = "/api/v2/zoom-oauth-apps/"
APP_LOGS_PATH = "/api/v2/zoom-oauth-app-logs/"
USER_AGENT = "recall-zoom/0.1 (+python-requests)"
_REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId", "CF-Ray")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait for a connection and then for each read of the answer."""

    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry what is safe to retry."""

    max_retries: int = 4
    """Retries after the first attempt (so at most ``max_retries + 1`` requests)."""
    backoff_base: float = 0.5
    """Delay before the first retry; it doubles for each further one."""
    backoff_max: float = 8.0
    """Upper bound of one backoff delay."""
    retry_after_max: int = 60
    """Longest ``Retry-After`` honoured; a longer one is cut to this."""


@dataclass(frozen=True)
class Pacing:
    """Client-side rate limits, shared by all clients of one process for one workspace."""

    per_minute: int = 300
    """Recall's limit for create, retrieve, update and delete."""
    list_per_minute: int = 60
    """Recall's limit for list endpoints."""
    burst: int = 5
    """Requests that may go at once before pacing sets in."""
    period: float = 60.0
    """Length of Recall's "minute" in seconds (shorter only against a time-scaled emulator)."""

    def bucket(self, name: str) -> tuple[float, float]:
        """Refill rate (tokens/s) and capacity of a bucket, such that no window of ``period``
        seconds ever holds more requests than the limit (capacity + rate * period <= limit)."""
        limit = self.list_per_minute if name == "list" else self.per_minute
        capacity = max(1, min(self.burst, limit // 10))
        return (limit - capacity) / self.period, float(capacity)


class TokenBucket:
    """A thread-safe token bucket that reserves a slot and sleeps until it comes."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; return the seconds slept."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            # Going negative reserves a future slot, so concurrent callers queue up fairly
            # without holding the lock while they sleep.
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


_BUCKETS: dict[tuple[str, str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def _shared_bucket(base_url: str, api_key: str, name: str, pacing: Pacing) -> TokenBucket:
    # Recall limits per workspace, so clients with the same key and base URL share a bucket.
    key = (base_url, hashlib.sha256(api_key.encode()).hexdigest()[:16], name)
    with _BUCKETS_LOCK:
        if key not in _BUCKETS:
            _BUCKETS[key] = TokenBucket(*pacing.bucket(name))
        return _BUCKETS[key]


def backoff_delay(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Delay before retry number ``attempt`` (1-based): exponential, capped, with equal jitter.

    ``rand`` in [0, 1) is passed in so the randomness stays out of the arithmetic.
    """
    if attempt < 1:
        return 0.0
    ceiling: float = min(cap, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * rand


class RecallRetry(Retry):
    """urllib3 ``Retry`` with Recall's rules.

    GET, PATCH and DELETE are idempotent here, so they are retried on connection errors, read
    errors and 409/429/500/502/503/504. A POST (create) is retried only when it provably did
    not create anything: a connection that was never established, or a 429, which Recall sends
    before doing any work. Its read errors and 5xx are ambiguous and never retried.
    """

    IDEMPOTENT = frozenset({"GET", "PATCH", "DELETE"})
    RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})

    def __init__(self, *args: Any, pace: Callable[[], object] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pace = pace

    def new(self, **kw: Any) -> Self:
        # urllib3 copies the retry object at every attempt; the pacing must travel with it.
        kw.setdefault("pace", self.pace)
        return super().new(**kw)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as urllib3 does (backoff or Retry-After), then for the pacing bucket too."""
        super().sleep(response)
        # A retry is a request like any other for Recall's per-minute limit.
        if self.pace is not None:
            self.pace()

    @classmethod
    def from_policy(
        cls, policy: RetryPolicy, pace: Callable[[], object] | None = None
    ) -> RecallRetry:
        """Build the retry object of a session's adapter; ``pace`` runs before every retry."""
        return cls(
            pace=pace,
            total=policy.max_retries,
            connect=policy.max_retries,
            read=policy.max_retries,
            status=policy.max_retries,
            other=0,
            redirect=0,
            allowed_methods=cls.IDEMPOTENT,
            status_forcelist=cls.RETRY_STATUSES,
            backoff_factor=policy.backoff_base,
            backoff_max=policy.backoff_max,
            retry_after_max=policy.retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
        )

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; Recall asks for backoff from the start.
        return backoff_delay(
            len(self.history),
            base=self.backoff_factor,
            cap=self.backoff_max,
            rand=random.random(),  # noqa: S311 - jitter, not cryptography
        )


def resolve_base_url(region: str | None = None, api_url: str | None = None) -> str:
    """The API base URL: ``api_url`` when given, else the region's (default us-east-1)."""
    if api_url:
        parts = urlsplit(api_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RecallConfigError(
                f"Recall API URL {api_url!r} is not an http(s) URL; "
                "give one like https://us-east-1.recall.ai"
            )
        if parts.query or parts.fragment:
            raise RecallConfigError(f"Recall API URL {api_url!r} must not have a query string")
        if parts.username or parts.password:
            raise RecallConfigError(
                "the Recall API URL must not carry a user name or password; "
                "the API key authenticates (recall:apiKey)"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise RecallConfigError(
                f"Recall API URL {api_url!r} uses plain http to a remote host, which would send "
                "the API key in clear text; use https (plain http is allowed only on loopback)"
            )
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    name = (region or DEFAULT_REGION).strip()
    if name not in REGION_URLS:
        raise RecallConfigError(
            f"unknown Recall region {name!r}; use one of {', '.join(REGION_URLS)}"
        )
    return REGION_URLS[name]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _app_path(app_id: str) -> str:
    # An empty id would turn "DELETE /apps/<id>/" into a request against the whole collection.
    if not isinstance(app_id, str) or not app_id.strip():
        raise RecallConfigError(f"expected a non-empty Recall app id, got {app_id!r}")
    return f"{APPS_PATH}{quote(app_id.strip(), safe='')}/"


def webhook_url(base_url: str, app_id: str) -> str:
    """The app's Zoom webhook URL: ``<base>/api/v2/zoom-oauth-apps/<id>/webhook`` (no slash)."""
    return f"{base_url.rstrip('/')}{_app_path(app_id)}webhook"


class RecallClient:
    """Client of Recall's zoom-oauth-apps API; thread-safe and safe to pickle."""

    def __init__(
        self,
        api_key: str,
        *,
        region: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = Timeout(),
        retry: RetryPolicy = RetryPolicy(),
        pacing: Pacing | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise RecallConfigError("the Recall API key is empty")
        if (
            not api_key.strip().isascii()
            or not api_key.strip().isprintable()
            or " " in api_key.strip()
        ):
            # Never echo it: a pasted key with a line break would otherwise land in errors.
            raise RecallConfigError(
                "the Recall API key has spaces, line breaks or non-ASCII characters; "
                "copy it again from Recall's dashboard"
            )
        self._api_key = api_key.strip()
        self.base_url = resolve_base_url(region, base_url)
        self.timeout = timeout
        self.retry = retry
        self.pacing = pacing
        self._init_sessions()

    def _init_sessions(self) -> None:
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_local", "_sessions", "_sessions_lock")
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_sessions()

    def __repr__(self) -> str:
        return f"RecallClient(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close every session this client opened, in any thread."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def __enter__(self) -> RecallClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- operations ----------------------------------------------------------------------------

    def webhook_url(self, app_id: str) -> str:
        """The Zoom webhook URL of an app of this client's region or base URL."""
        return webhook_url(self.base_url, app_id)

    def create_app(self, app: ZoomOAuthAppCreate) -> ZoomOAuthApp:
        """Create a Zoom OAuth app (``POST``; never retried once it may have reached Recall)."""
        body = app.to_wire()
        resp = self._request(
            "create Zoom OAuth app",
            "POST",
            APPS_PATH,
            json=body,
            secrets=(body["client_secret"], body["webhook_secret"]),
        )
        return self._parse("create Zoom OAuth app", resp, ZoomOAuthApp)

    def get_app(self, app_id: str) -> ZoomOAuthApp:
        """Retrieve one app; raises ``RecallNotFoundError`` when it does not exist."""
        op = f"retrieve Zoom OAuth app {app_id}"
        return self._parse(op, self._request(op, "GET", _app_path(app_id)), ZoomOAuthApp)

    def update_app(self, app_id: str, update: ZoomOAuthAppUpdate) -> ZoomOAuthApp:
        """Change an app's client secret and/or webhook secret (``PATCH``)."""
        op = f"update Zoom OAuth app {app_id}"
        body = update.to_wire()
        resp = self._request(op, "PATCH", _app_path(app_id), json=body, secrets=body.values())
        return self._parse(op, resp, ZoomOAuthApp)

    def delete_app(self, app_id: str) -> None:
        """Delete an app; raises ``RecallNotFoundError`` when it does not exist."""
        op = f"delete Zoom OAuth app {app_id}"
        self._request(op, "DELETE", _app_path(app_id))

    def list_apps(
        self, *, client_id: str | None = None, kind: str | None = None
    ) -> Iterator[ZoomOAuthApp]:
        """Every app of the workspace, following pages; filters match exactly."""
        params = {k: v for k, v in (("client_id", client_id), ("kind", kind)) if v is not None}
        for app in self._paginate("list Zoom OAuth apps", APPS_PATH, params, ZoomOAuthApp):
            # The API's filter semantics are undocumented; exact matching is guaranteed here.
            if (client_id is None or app.client_id == client_id) and (
                kind is None or app.kind == kind
            ):
                yield app

    def send_zoom_webhook(
        self, app_id: str, body: bytes, headers: Mapping[str, str], *, secret: str | None = None
    ) -> dict[str, Any]:
        """POST a Zoom webhook, byte for byte, to the app's Recall webhook URL; Recall's JSON
        answer comes back. No API key is sent: Zoom sends none, the signature is the proof."""
        op = f"send a Zoom webhook to Recall app {app_id}"
        resp = self._request(
            op,
            "POST",
            f"{_app_path(app_id)}webhook",
            content=body,
            headers={**headers, "Content-Type": "application/json", "Authorization": None},
            bucket=None,  # Recall does not rate-limit Zoom's deliveries per workspace
            secrets=(secret,) if secret else (),
        )
        try:
            answer = resp.json() if resp.content else {}
        except ValueError:
            raise self._bad_response(op, resp, "its body is not JSON") from None
        if not isinstance(answer, dict):
            raise self._bad_response(op, resp, "its body is not a JSON object")
        return answer

    def list_app_logs(self, app_id: str) -> Iterator[ZoomOAuthAppLog]:
        """Recall's log entries (warnings, errors) about one app, newest first."""
        _app_path(app_id)
        op = f"list logs of Zoom OAuth app {app_id}"
        yield from self._paginate(op, APP_LOGS_PATH, {"oauth_app": app_id}, ZoomOAuthAppLog)

    # -- plumbing ------------------------------------------------------------------------------

    def _session(self, bucket: str | None) -> tuple[requests.Session, TokenBucket | None]:
        """This thread's session for a pacing bucket, and the bucket (None: not paced)."""
        # One session per thread and bucket: the adapter's retries take from the bucket too.
        sessions: dict[str | None, tuple[requests.Session, TokenBucket | None]]
        sessions = self._local.__dict__.setdefault("sessions", {})
        if bucket not in sessions:
            paced = None
            if self.pacing is not None and bucket is not None:
                paced = _shared_bucket(self.base_url, self._api_key, bucket, self.pacing)
            session = requests.Session()
            retry = RecallRetry.from_policy(self.retry, paced.acquire if paced else None)
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers.update(
                {
                    "Authorization": f"Token {self._api_key}",
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                }
            )
            sessions[bucket] = session, paced
            with self._sessions_lock:
                self._sessions.append(session)
        return sessions[bucket]

    def _paginate(
        self, operation: str, path: str, params: dict[str, str], model: type[M]
    ) -> Iterator[M]:
        target: str | None = path
        query: dict[str, str] | None = params
        seen: set[str] = set()
        while target is not None:
            resp = self._request(operation, "GET", target, params=query, bucket="list")
            page = self._parse(operation, resp, Page[model])  # type: ignore[valid-type]
            yield from page.results
            target, query = self._next_page(operation, resp, path, page.next, seen), None

    def _next_page(
        self,
        operation: str,
        resp: requests.Response,
        endpoint: str,
        link: str | None,
        seen: set[str],
    ) -> str | None:
        if link is None:
            return None
        # Follow only the endpoint path and cursor of ``next``, never its host: the API key
        # must not go anywhere but this client's base URL.
        parts = urlsplit(link)
        start = parts.path.rfind(endpoint)
        if start < 0 or link in seen:
            raise self._bad_response(operation, resp, "its pagination link is unusable")
        seen.add(link)
        return parts.path[start:] + (f"?{parts.query}" if parts.query else "")

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        bucket: str | None = "crud",
        secrets: Any = (),
        content: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> requests.Response:
        secret_values = (self._api_key, *secrets)
        session, paced = self._session(bucket)
        if paced is not None:
            paced.acquire()
        started = time.monotonic()
        try:
            resp = session.request(
                method,
                self.base_url + path,
                json=json,
                data=content,
                params=params,
                headers=headers,
                timeout=(self.timeout.connect, self.timeout.read),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # Not chained: texts down the chain (a bad header's repr) may hold the API key.
            raise self._transport_error(operation, method, path, exc, secret_values) from None
        retries = resp.raw.retries.history if resp.raw is not None and resp.raw.retries else ()
        log.debug(
            "%s %s -> %s in %.0f ms after %d retries",
            method,
            path,
            resp.status_code,
            (time.monotonic() - started) * 1000,
            len(retries),
        )
        if resp.status_code >= 300:
            raise self._status_error(operation, method, path, resp, secret_values)
        return resp

    def _parse(self, operation: str, resp: requests.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(resp.content)
        except ValidationError as exc:
            fields = "; ".join(f"{f}: {m}" for f, m in describe_validation_errors(exc.errors()))
            raise self._bad_response(
                operation, resp, f"its body did not parse ({fields})"
            ) from None

    def _bad_response(self, operation: str, resp: requests.Response, why: str) -> RecallAPIError:
        request = resp.request
        return RecallResponseError(
            operation=operation,
            method=request.method or "?",
            path=urlsplit(request.url or "").path,
            status=resp.status_code,
            request_id=_request_id(resp),
            detail=f"unexpected answer: {why}",
        )

    def _status_error(
        self,
        operation: str,
        method: str,
        path: str,
        resp: requests.Response,
        secrets: tuple[str, ...],
    ) -> RecallError:
        status = resp.status_code
        detail, field_errors = _error_detail(resp, secrets)
        cls = error_class_for_status(status) if status >= 400 else RecallResponseError
        hint = None
        if status == 401 and path.endswith("/webhook"):
            hint = (
                "Recall rejected the x-zm-signature: the secret that signed it is not the "
                "app's webhook_secret in Recall."
            )
        elif status in (401, 403):
            hint = f"{cls.hint} (base URL {self.base_url})"
        if status == 404 and operation.startswith("list"):
            hint = "The list or its cursor was not found at this base URL."
        retry_after = resp.headers.get("Retry-After")
        return cls(
            operation=operation,
            method=method,
            path=path,
            status=status,
            request_id=_request_id(resp),
            detail=detail,
            hint=hint,
            field_errors=field_errors,
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )

    def _transport_error(
        self,
        operation: str,
        method: str,
        path: str,
        exc: requests.RequestException,
        secrets: tuple[str, ...],
    ) -> RecallError:
        root = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
        if isinstance(root, MaxRetryError) and root.reason is not None:
            root = root.reason
        # Only a connection that was never established proves the request was not sent; a TLS
        # error can also come while reading the answer. A request that could not even be built
        # (bad header or URL) was not sent either.
        never_sent = isinstance(root, NewConnectionError) or isinstance(
            exc, (requests.ConnectTimeout, *_UNSENDABLE)
        )
        timed_out = isinstance(exc, requests.Timeout) or isinstance(
            root, ReadTimeoutError | ConnectTimeoutError
        )
        if isinstance(root, NewConnectionError):
            timed_out = False
        reached = not never_sent
        if timed_out:
            limit = self.timeout.read if reached else self.timeout.connect
            what = "read" if reached else "connect"
            reason = f"no answer within the {what} timeout of {limit:g} s"
        elif isinstance(exc, _UNSENDABLE):
            reason = f"the request could not be built ({type(exc).__name__})"
        else:
            reason = redact(str(root), secrets)[:300]
        message = f"{operation} failed: {method} {path} to {self.base_url}: {reason}."
        if method == "POST" and reached:
            message += (
                " The request may have reached Recall, so the app may exist even though this "
                "call failed; look for it (list by client id) before creating it again."
            )
        elif not reached:
            message += " Check the region or API URL and the network, then retry."
        else:
            message += " Retried as often as allowed; retry later."
        cls = RecallTimeoutError if timed_out else RecallConnectionError
        return cls(
            message, operation=operation, method=method, path=path, may_have_reached_server=reached
        )


_UNSENDABLE = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def _request_id(resp: requests.Response) -> str | None:
    for header in _REQUEST_ID_HEADERS:
        value = resp.headers.get(header)
        if value:
            return value
    return None


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
        if key in ("detail", "non_field_errors", "message", "error"):
            details.extend(messages)
        else:
            field_errors[key] = messages
    details.extend(f"{field}: {' '.join(msgs)}" for field, msgs in field_errors.items())
    return "; ".join(details), field_errors
