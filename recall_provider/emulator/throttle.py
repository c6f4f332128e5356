"""Rate limiting: ``RateLimits`` and the token buckets that answer 429 when one runs dry."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from .control_checks import is_int, is_number, require
from .errors import EmulatorError


@dataclass
class RateLimits:
    """Token-bucket throttling per API key, like Recall's documented per-minute limits."""

    per_minute: int = 300  # create, retrieve, update and delete share this bucket
    list_per_minute: int = 60  # both list endpoints share this bucket
    burst: int = 10  # bucket capacity
    time_scale: float = 1.0  # a "minute" lasts 60 / time_scale real seconds

    def __post_init__(self) -> None:
        for name in ("per_minute", "list_per_minute", "burst"):
            value = getattr(self, name)
            require(is_int(value) and value >= 1, f"{name} must be an integer >= 1")
        require(is_number(self.time_scale) and self.time_scale > 0, "time_scale must be > 0")


class Throttle:
    """One token bucket per (API key, bucket name) under ``limits``, each full at first use."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, key: str, bucket: str) -> None:
        """Spend a token of ``key``'s ``bucket`` ("list" or "default"), or raise DRF's 429."""
        limits = self.limits
        per_minute = limits.list_per_minute if bucket == "list" else limits.per_minute
        rate = per_minute * limits.time_scale / 60.0  # tokens per real second
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get((key, bucket), (float(limits.burst), now))
            tokens = min(float(limits.burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key, bucket] = (tokens - 1.0, now)
                return
            self._buckets[key, bucket] = (tokens, now)
        wait = max(1, math.ceil((1.0 - tokens) / rate))
        # DRF's wording, singular included; Retry-After carries the same integer.
        unit = "second" if wait == 1 else "seconds"
        raise EmulatorError(
            429,
            {"detail": f"Request was throttled. Expected available in {wait} {unit}."},
            {"Retry-After": str(wait)},
        )
