"""Client-side pacing under Recall's per-workspace rate limits: token buckets shared by every
client of the process that speaks to the same workspace."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Pacing", "TokenBucket", "shared_bucket", "workspace_key"]


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


def workspace_key(base_url: str, api_key: str) -> str:
    """A name for the workspace a key opens at a base URL, that does not reveal the key."""
    return hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()[:16]


def shared_bucket(base_url: str, api_key: str, name: str, pacing: Pacing) -> TokenBucket:
    """The process's bucket ``name`` (``crud`` or ``list``) for one workspace."""
    # Recall limits per workspace, so clients with the same key and base URL share a bucket.
    key = (base_url, workspace_key(base_url, api_key), name)
    with _BUCKETS_LOCK:
        if key not in _BUCKETS:
            _BUCKETS[key] = TokenBucket(*pacing.bucket(name))
        return _BUCKETS[key]
