"""Rate limiting: ``RateLimits``, and the throttle that answers 429 when a limit is reached.

Recall is a Django REST Framework API, and its documented limits (``recall_provider.limits``:
so many requests a minute per workspace, fewer for lists) are what DRF's ``SimpleRateThrottle``
enforces, which is the default here (``sliding``): per API key and scope, the times of the
accepted requests of the trailing window; a request is refused when the window already holds the
limit, a refused request is not counted, and ``Retry-After`` is the time until the oldest
accepted one leaves the window. So as many requests as the limit may go at once into an empty
window. The token bucket of earlier versions (``bucket``: ``burst`` at once, then a steady
refill) stays as an option.

Fidelity gap: whether Recall keys one counter per endpoint or one per workspace for all CRUD
endpoints is not documented; here all CRUD requests of a key share one window, lists another.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass

from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, MINUTE, REQUESTS_PER_MINUTE

from .control_checks import is_int, is_number, require
from .errors import EmulatorError

ALGORITHMS = ("sliding", "bucket")


@dataclass
class RateLimits:
    """Recall's documented per-minute limits, per API key, CRUD and lists counted apart."""

    per_minute: int = REQUESTS_PER_MINUTE  # create, retrieve, update and delete share this limit
    list_per_minute: int = LIST_REQUESTS_PER_MINUTE  # both list endpoints share this limit
    burst: int = 10  # the token bucket's capacity (the bucket algorithm only)
    time_scale: float = 1.0  # Recall's minute lasts MINUTE / time_scale real seconds
    algorithm: str = "sliding"  # DRF's sliding log, or the old token bucket

    def __post_init__(self) -> None:
        for name in ("per_minute", "list_per_minute", "burst"):
            value = getattr(self, name)
            require(is_int(value) and value >= 1, f"{name} must be an integer >= 1")
        require(is_number(self.time_scale) and self.time_scale > 0, "time_scale must be > 0")
        require(self.algorithm in ALGORITHMS, f"algorithm must be one of {', '.join(ALGORITHMS)}")

    @property
    def window(self) -> float:
        """The real seconds of one emulated minute."""
        return MINUTE / self.time_scale


class Throttle:
    """The limits of ``RateLimits`` for every (API key, scope), each empty at first use."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._logs: dict[tuple[str, str], collections.deque[float]] = {}
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, key: str, scope: str) -> None:
        """Count a request of ``key`` in ``scope`` ("list" or "default"), or raise DRF's 429."""
        limit = self.limits.list_per_minute if scope == "list" else self.limits.per_minute
        with self._lock:
            if self.limits.algorithm == "sliding":
                wait = self._sliding(key, scope, limit, time.monotonic())
            else:
                wait = self._bucket(key, scope, limit, time.monotonic())
        if wait is None:
            return
        seconds = max(1, math.ceil(wait))
        # DRF's wording, singular included; Retry-After carries the same integer.
        unit = "second" if seconds == 1 else "seconds"
        raise EmulatorError(
            429,
            {"detail": f"Request was throttled. Expected available in {seconds} {unit}."},
            {"Retry-After": str(seconds)},
        )

    def _sliding(self, key: str, scope: str, limit: int, now: float) -> float | None:
        window = self.limits.window
        log = self._logs.setdefault((key, scope), collections.deque())
        while log and log[0] <= now - window:
            log.popleft()
        if len(log) >= limit:
            return window - (now - log[0])
        log.append(now)
        return None

    def _bucket(self, key: str, scope: str, limit: int, now: float) -> float | None:
        burst = float(self.limits.burst)
        rate = limit / self.limits.window  # tokens per real second
        tokens, last = self._buckets.get((key, scope), (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key, scope] = (tokens - 1.0, now)
            return None
        self._buckets[key, scope] = (tokens, now)
        return (1.0 - tokens) / rate
