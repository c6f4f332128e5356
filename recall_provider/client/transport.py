"""HTTP to one Recall base URL with one API key: auth headers, timeouts, retries and pacing.

One ``requests.Session`` per thread and pacing bucket, so that the adapter's retries take their
turn in the same bucket as first attempts. urllib3 retries what fails before an answer arrives;
an answer lost while its body is read (cut short, or past its deadline) is retried here, for the
requests Recall may repeat. Pickling keeps the settings and drops the sessions.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from recall_provider.client.deadline import DeadlineAdapter, Watch, watching
from recall_provider.client.failures import status_error, transport_error
from recall_provider.client.pacing import (
    Pacing,
    Trust,
    Window,
    WindowTooLong,
    shared_bucket,
    workspace_key,
)
from recall_provider.client.retry import (
    IDEMPOTENT,
    RETRY_AFTER_LONGEST,
    RecallRetry,
    RetryPolicy,
    backoff_delay,
    retry_after_seconds,
)
from recall_provider.errors import Outcome, RecallPacingError, redact

__all__ = ["Timeout", "Transport"]

log = logging.getLogger("recall_provider.client")

USER_AGENT = "recall-zoom/0.1 (+python-requests)"


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait for a connection, and for each attempt's whole answer."""

    connect: float = 5.0
    read: float = 30.0
    """The longest an attempt may take from sending its request to the end of its answer."""


class Transport:
    """Sends requests and turns every failure into a typed error; thread-safe, picklable."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        pacing: Pacing | None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.retry = retry
        self.pacing = pacing
        self._init_sessions()

    def _init_sessions(self) -> None:
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        # Every secret this client has sent or been shown: an error text that echoes any of
        # them (not only the current request's) is redacted.
        self._secrets: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("_local", "_sessions", "_sessions_lock", "_secrets")
        }

    def remember_secrets(self, secrets: Iterable[str | None]) -> None:
        """Redact these from every error text from now on."""
        values = {s for s in secrets if isinstance(s, str) and s}
        if values - self._secrets:
            with self._sessions_lock:
                self._secrets = self._secrets | values

    def redact(self, text: str) -> str:
        """``text`` without the API key or any secret remembered so far."""
        return redact(text, (self._api_key, *self._secrets))

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_sessions()

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close every session opened, in any thread."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    @property
    def workspace(self) -> str:
        """A name for the workspace this transport's key opens, that does not reveal the key."""
        return workspace_key(self.base_url, self._api_key)

    def bucket(self, name: str) -> Window | None:
        """The pacing window ``name`` (``crud``, ``list``) of this workspace; None when pacing
        is off."""
        if self.pacing is None:
            return None
        # What the window trusts of its shared file is bounded by what our requests can write:
        # a turn at most a request's longest wait ahead, a hold at most the longest Retry-After.
        trust = Trust(ahead=self.retry.rate_limit_deadline, hold=RETRY_AFTER_LONGEST)
        return shared_bucket(self.base_url, self._api_key, name, self.pacing, trust)

    def session(self, bucket: str | None) -> requests.Session:
        """This thread's session for a pacing bucket (None: not paced)."""
        return self._session(bucket)[0]

    def _session(self, bucket: str | None) -> tuple[requests.Session, Window | None]:
        sessions: dict[str | None, tuple[requests.Session, Window | None]]
        sessions = self._local.__dict__.setdefault("sessions", {})
        if bucket not in sessions:
            paced = self.bucket(bucket) if bucket is not None else None
            session = requests.Session()
            _read_environment(session, self.base_url)
            # A retry's turn is bounded by what is left of its request's time: see _take_turn.
            pace = partial(self._retry_turn, paced) if paced else None
            retry = RecallRetry.from_policy(self.retry, pace)
            adapter = DeadlineAdapter(max_retries=retry)
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

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        bucket: str | None = "crud",
        secrets: Iterable[str | None] = (),
        content: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> requests.Response:
        """Send one request (with its retries); any status of 300 or more raises."""
        self.remember_secrets(secrets)
        secret_values = (self._api_key, *self._secrets)
        session, paced = self._session(bucket)
        started = time.monotonic()
        # A 429 means Recall did nothing: it is retried until this deadline, apart from the
        # few retries other failures get.
        throttled_until = started + self.retry.rate_limit_deadline
        self._local.throttled_until = throttled_until  # its turns, urllib3's retries included
        attempt = 0
        while True:
            if paced is not None:
                self._take_turn(paced, operation, method, path)
            watch = Watch(self.timeout.read)
            try:
                with watching(watch):
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
            except WindowTooLong as exc:
                # A retry of urllib3's (after a 5xx) found the window closed for too long: an
                # earlier attempt was sent, and its 5xx may have done the work.
                raise RecallPacingError(
                    operation, method, path, exc.wait, exc.until, outcome=Outcome.UNKNOWN
                ) from None
            except requests.RequestException as exc:
                if _body_lost(exc) and method in IDEMPOTENT and attempt < self.retry.max_retries:
                    attempt += 1
                    time.sleep(self._backoff(attempt))
                    continue
                # Not chained: texts down the chain (a bad header's repr) may hold the API key.
                raise transport_error(
                    operation,
                    method,
                    path,
                    exc,
                    base_url=self.base_url,
                    connect_timeout=self.timeout.connect,
                    read_timeout=self.timeout.read,
                    deadline_passed=watch.expired,
                    secrets=secret_values,
                ) from None
            if resp.status_code != 429:
                break
            wait = _retry_after(resp)
            if paced is not None:
                paced.release()  # Recall did not count it
                # The scope's whole window waits, whether this request waits or gives up.
                paced.hold(wait)
            if time.monotonic() + wait > throttled_until:
                break
            log.debug("%s %s -> 429: the workspace waits %.1f s", method, path, wait)
            if paced is None:
                time.sleep(wait)  # without pacing, this request alone waits
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
            raise status_error(
                operation, method, path, resp, base_url=self.base_url, secrets=secret_values
            )
        return resp

    def _retry_turn(self, paced: Window) -> None:
        """Wait for the window, as long as a 429 may make this thread's request wait (from its
        start, which ``request`` notes) and no longer; urllib3's retries come here too."""
        until = getattr(self._local, "throttled_until", None)
        paced.acquire(max_wait=None if until is None else max(0.0, until - time.monotonic()))

    def _take_turn(self, paced: Window, operation: str, method: str, path: str) -> None:
        """The request's own turn: a window closed too long means it is not sent."""
        try:
            self._retry_turn(paced)
        except WindowTooLong as exc:
            raise RecallPacingError(operation, method, path, exc.wait, exc.until) from None

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt,
            base=self.retry.backoff_base,
            cap=self.retry.backoff_max,
            rand=random.random(),  # noqa: S311 - jitter, not cryptography
        )


def _read_environment(session: requests.Session, base_url: str) -> None:
    """Honour the proxy and CA-bundle variables, read once when the session is made, and
    ignore ``~/.netrc``: requests would send an entry for the host (or a ``default`` one) as
    Basic auth in place of the API key's header."""
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle


def _retry_after(resp: requests.Response) -> float:
    """The wait a 429 asks for: its ``Retry-After`` (seconds or a date, see
    ``retry_after_seconds``), else one second."""
    seconds = retry_after_seconds(resp.headers.get("Retry-After"))
    return 1.0 if seconds is None else seconds


def _body_lost(exc: requests.RequestException) -> bool:
    """Whether an answer arrived and was lost while its body was read: urllib3 had handed it
    over by then, so its retries do not cover it."""
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return True
    # requests turns a read timeout inside the body into a bare ConnectionError; after
    # urllib3's own retries it holds a MaxRetryError instead.
    root = exc.args[0] if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(root, ReadTimeoutError)
