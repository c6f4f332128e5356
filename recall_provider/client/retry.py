"""What the client retries, and how patiently: Recall's rules on top of urllib3's ``Retry``.

Requests that Recall may repeat without harm (GET, PATCH, DELETE) are retried on connection
errors, read errors and transient statuses. A create is retried only when its outcome (see
``recall_provider.errors.Outcome``) proves it did nothing and the same request can succeed later:
a connection that was never made, or a 429. A failed create that may have made the app comes back
to the caller, who must look before creating again. A 429 is not urllib3's to retry: the
transport gives its turn back to the pacing window, holds the workspace for its ``Retry-After``
and tries again, until ``rate_limit_deadline``.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

from urllib3.exceptions import InvalidHeader
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from recall_provider.limits import RATE_LIMIT_DEADLINE

__all__ = [
    "RETRY_AFTER_LONGEST",
    "RecallRetry",
    "RetryPolicy",
    "backoff_delay",
    "retry_after_seconds",
]

IDEMPOTENT = frozenset({"GET", "PATCH", "DELETE"})
# Recall's errors page asks for a retry on 409 (with backoff), 429 and 502/503/504; 500 is
# usually transient too. (429s are the transport's, see above.)
TRANSIENT_STATUSES = frozenset({409, 500, 502, 503, 504})


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
    """Longest ``Retry-After`` of a 5xx honoured; a longer one is cut to this."""
    rate_limit_deadline: float = RATE_LIMIT_DEADLINE
    """Seconds a request keeps waiting out 429s before it fails with ``RecallRateLimitError``."""


RETRY_AFTER_LONGEST = float(Retry.DEFAULT_RETRY_AFTER_MAX)
"""The longest wait a ``Retry-After`` is read as (six hours, urllib3's bound); a longer one is
read as this."""
# Seconds of more digits than this are far beyond any bound, and int() of thousands of digits
# is slow (Python refuses more than 4300): such a value is simply "longer than the bound".
_MAX_DIGITS = 12
_HEADER_SPACE = " \t"


def retry_after_seconds(value: str | None, *, cap: float = RETRY_AFTER_LONGEST) -> float | None:
    """The seconds a ``Retry-After`` value asks for (at most ``cap``), or None when there is none
    or it is neither form HTTP allows: ASCII digits, or an HTTP date.

    ``str.isdigit`` and ``int`` also take other scripts' digits (Arabic-Indic, superscripts,
    full-width) and ``email.utils`` reads them in dates: none of that is HTTP, and some of it
    made ``float`` or ``datetime`` raise ValueError, so the header's text must be ASCII first.
    """
    text = (value or "").strip(_HEADER_SPACE)
    if not text or not text.isascii():
        return None
    if text.isdigit():
        seconds = float(int(text)) if len(text) <= _MAX_DIGITS else math.inf
        return min(seconds, cap)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # not a date, or one off the calendar (year 99999)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)  # "-0000": an HTTP date is in GMT by definition
    # A difference of two times, never a sum: it cannot overflow.
    return min(max(0.0, (moment - datetime.now(UTC)).total_seconds()), cap)


def backoff_delay(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Delay before retry number ``attempt`` (1-based): exponential, capped, with equal jitter.

    ``rand`` in [0, 1) is passed in so the randomness stays out of the arithmetic.
    """
    if attempt < 1:
        return 0.0
    ceiling: float = min(cap, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * rand


class RecallRetry(Retry):
    """urllib3 ``Retry`` with Recall's rules (the module's docstring); each retry is paced."""

    IDEMPOTENT = IDEMPOTENT
    RETRY_STATUSES = TRANSIENT_STATUSES

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
            # urllib3 retries read errors only for these methods; connect errors for all.
            allowed_methods=IDEMPOTENT,
            status_forcelist=TRANSIENT_STATUSES,
            backoff_factor=policy.backoff_base,
            backoff_max=policy.backoff_max,
            retry_after_max=policy.retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
        )

    def parse_retry_after(self, retry_after: str) -> float:
        """urllib3's parser, under ``retry_after_seconds``'s rule and this retry's cap."""
        seconds = retry_after_seconds(retry_after, cap=self.retry_after_max)
        if seconds is None:
            raise InvalidHeader(f"Invalid Retry-After header: {retry_after[:40]!r}")
        return seconds

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """The wait a transient answer asks for; None (so the usual backoff) when it asks for
        none in a form HTTP allows. urllib3's own raises on such a value, and the exchange
        would fail as if the request were never sent."""
        return retry_after_seconds(response.headers.get("Retry-After"), cap=self.retry_after_max)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" or status_code == 429:
            # A create's failed answers may have made the app, but for a 429, which proves
            # nothing was done: the transport retries those, as every 429.
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; Recall asks for backoff from the start.
        return backoff_delay(
            len(self.history),
            base=self.backoff_factor,
            cap=self.backoff_max,
            rand=random.random(),  # noqa: S311 - jitter, not cryptography
        )
