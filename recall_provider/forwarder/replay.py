"""The memory of accepted signatures that refuses a replayed Zoom webhook."""

from __future__ import annotations

import heapq
import logging
import threading

__all__ = ["SEEN_CAPACITY", "SeenSignatures"]

log = logging.getLogger("recall_provider.forwarder")

# Only verified signatures are remembered, so only Zoom's own volume fills this: 50,000
# deliveries within one replay window, about 12 MB.
SEEN_CAPACITY = 50_000


class SeenSignatures:
    """The signatures accepted recently, each kept until its timestamp leaves the window."""

    def __init__(self, capacity: int = SEEN_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._expires: dict[str, float] = {}
        # Soonest expiry first; entries whose signature was released since stay until popped.
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._warned_full = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._expires)

    def claim(self, signature: str, expires: float, now: float) -> bool:
        """Remember ``signature`` until ``expires``; False if it is remembered already."""
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                self._drop_soonest()
            if signature in self._expires:
                return False
            if len(self._expires) >= self.capacity:
                # Refusing would lose genuine deliveries; forgetting the soonest to expire only
                # opens a replay of one genuine delivery for the rest of its window.
                if not self._warned_full:
                    self._warned_full = True
                    log.warning(
                        "replay memory full (%d signatures): forgetting early", self.capacity
                    )
                while len(self._expires) >= self.capacity:
                    self._drop_soonest()
            if len(self._heap) >= 2 * self.capacity:
                # Released signatures leave stale heap entries; rebuild to keep memory bounded.
                self._heap = [(at, sig) for sig, at in self._expires.items()]
                heapq.heapify(self._heap)
            self._expires[signature] = expires
            heapq.heappush(self._heap, (expires, signature))
            return True

    def release(self, signature: str) -> None:
        """Forget ``signature``, so that Zoom's retry of a failed delivery is taken."""
        with self._lock:
            self._expires.pop(signature, None)

    def _drop_soonest(self) -> None:
        expires, signature = heapq.heappop(self._heap)
        if self._expires.get(signature) == expires:
            del self._expires[signature]
