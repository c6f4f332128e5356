"""Retry and pacing decisions as tables: pure functions and urllib3's Retry with Recall's rules."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from urllib3 import HTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from recall_provider.client import (
    Pacing,
    RecallRetry,
    RetryPolicy,
    TokenBucket,
    backoff_delay,
)
from recall_provider.client.retry import RETRY_AFTER_LONGEST, retry_after_seconds

POLICY = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=8.0, retry_after_max=60)

RETRYABLE = {409, 500, 502, 503, 504}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "POST"])
@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 409, 429, 500, 502, 503, 504])
def test_status_decision_table(method: str, status: int) -> None:
    retry = RecallRetry.from_policy(POLICY)
    # A create's failed answers are never urllib3's to retry; nor is any 429: the transport
    # waits those out for every method (tests/test_client_errors.py).
    expected = method != "POST" and status in RETRYABLE
    assert retry.is_retry(method, status, has_retry_after=True) is expected
    assert retry.is_retry(method, status, has_retry_after=False) is expected


def _conn_refused() -> Exception:
    return NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]


ERRORS = {
    "connect refused": (_conn_refused, False),
    "connect timeout": (lambda: ConnectTimeoutError("connect timed out"), False),
    "read timeout": (lambda: ReadTimeoutError(None, "/x", "read timed out"), True),  # type: ignore[arg-type]
    "connection dropped": (lambda: ProtocolError("Connection aborted."), True),
}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "POST"])
@pytest.mark.parametrize("error_name", list(ERRORS))
def test_transport_error_decision_table(method: str, error_name: str) -> None:
    make_error, after_sending = ERRORS[error_name]
    retry = RecallRetry.from_policy(POLICY)
    error = make_error()
    if method == "POST" and after_sending:
        # The request may have reached Recall: never retried, the error comes straight back.
        with pytest.raises(type(error)):
            retry.increment(method, "/api/v2/zoom-oauth-apps/", error=error)
    else:
        new = retry.increment(method, "/api/v2/zoom-oauth-apps/", error=error)
        assert len(new.history) == 1


def test_tls_errors_are_never_retried() -> None:
    retry = RecallRetry.from_policy(POLICY)
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/x", error=SSLError("bad certificate"))


def test_retries_run_out_after_max_retries() -> None:
    retry = RecallRetry.from_policy(POLICY)
    for _ in range(POLICY.max_retries):
        retry = retry.increment("GET", "/x", error=ProtocolError("dropped"))
    with pytest.raises(MaxRetryError):
        retry.increment("GET", "/x", error=ProtocolError("dropped"))


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.0),
        (1, 0.0, 0.25),
        (1, 0.999, 0.49975),
        (2, 0.0, 0.5),
        (3, 0.5, 1.5),
        (4, 0.0, 2.0),
        (5, 0.0, 4.0),
        (6, 0.0, 4.0),  # capped at backoff_max / 2 .. backoff_max
        (30, 0.999, 7.996),
    ],
)
def test_backoff_table(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, base=0.5, cap=8.0, rand=rand) == pytest.approx(expected)


def test_backoff_starts_with_the_first_retry_and_stays_in_its_jitter_range() -> None:
    retry = RecallRetry.from_policy(POLICY)
    assert retry.get_backoff_time() == 0.0
    retry = retry.increment("GET", "/x", error=ProtocolError("dropped"))
    samples = [retry.get_backoff_time() for _ in range(200)]
    assert all(0.25 <= s < 0.5 for s in samples)
    assert len(set(samples)) > 1, "jitter spreads the delays"


@pytest.mark.parametrize(("header", "seconds"), [("0", 0), ("7", 7), ("60", 60), ("3600", 60)])
def test_retry_after_is_honoured_up_to_the_cap(header: str, seconds: int) -> None:
    assert RecallRetry.from_policy(POLICY).parse_retry_after(header) == seconds


def _http_date(offset: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + offset, usegmt=True)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 7\t", 7.0),
        ("007", 7.0),
        ("9" * 12, RETRY_AFTER_LONGEST),
        ("9" * 5000, RETRY_AFTER_LONGEST),  # int() refuses more than 4300 digits
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date gone by
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),
    ],
    # Ids of their own: pytest-xdist's workers must collect the very same ones.
    ids=["digits", "spaced", "zeros", "twelve-digits", "5000-digits", "gone-gmt", "gone-0000"],
)
def test_retry_after_in_the_forms_http_allows(header: str, seconds: float) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_as_a_date_to_come() -> None:
    assert retry_after_seconds(_http_date(timedelta(seconds=90))) == pytest.approx(90, abs=2)
    assert retry_after_seconds(_http_date(timedelta(days=3))) == RETRY_AFTER_LONGEST


NOT_HTTP = [
    "\u0663",  # Arabic-Indic three: str.isdigit() and int() take it
    "\u00b3",  # superscript three: isdigit() takes it, int() and float() raise ValueError
    "\uff11\uff12",  # full-width 12
    "\u0663 ",
    "Wed, \u0662\u0661 Oct 2015 07:28:00 GMT",  # email.utils reads other scripts' digits
    "Wed, 21 Oct 99999 07:28:00 GMT",  # off the calendar: ValueError in urllib3's parser
    "1e3",
    "-1",
    "3.5",
    "soon",
    "",
    " ",
    None,
]


@pytest.mark.parametrize("header", NOT_HTTP)
def test_retry_after_in_any_other_form_is_none(header: str | None) -> None:
    assert retry_after_seconds(header) is None


@pytest.mark.parametrize("header", [h for h in NOT_HTTP if h])
def test_urllib3s_retries_back_off_when_retry_after_is_not_http(header: str) -> None:
    retry = RecallRetry.from_policy(POLICY)
    response = HTTPResponse(status=503, headers={"Retry-After": header})
    assert retry.get_retry_after(response) is None, "the usual backoff, not an exception"
    with pytest.raises(InvalidHeader):
        retry.parse_retry_after(header)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_token_bucket_reserves_slots_in_order() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.5])
    clock.now += 60
    assert bucket.acquire() == 0.0, "the bucket refills, but never above its capacity"
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.5)


@pytest.mark.parametrize("pacing", [Pacing(), Pacing(per_minute=30, list_per_minute=6, burst=50)])
@pytest.mark.parametrize("name", ["crud", "list"])
def test_pacing_never_exceeds_the_limit_in_any_window(pacing: Pacing, name: str) -> None:
    rate, capacity = pacing.bucket(name)
    limit = pacing.list_per_minute if name == "list" else pacing.per_minute
    assert capacity >= 1
    assert capacity + rate * pacing.period <= limit + 1e-9
    assert rate * pacing.period >= limit * 0.8, "pacing does not waste most of the budget"


def test_token_bucket_is_shared_safely_by_threads() -> None:
    bucket = TokenBucket(rate=400.0, capacity=1)
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda: [bucket.acquire() for _ in range(10)]) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 80 tokens at 400/s with one in the bucket cannot be handed out in less than 79/400 s.
    assert time.monotonic() - started >= 79 / 400 - 0.01
