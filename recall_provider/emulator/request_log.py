"""The request log: one ``RequestRecord`` per API request, for tests to count and inspect."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the emulator saw it; never the Authorization header or a body."""

    method: str
    path: str
    query: dict[str, str]
    status: int | None  # None when the connection was dropped
    faulted: bool
    started: float  # time.time() at arrival
    duration: float  # seconds
    request_id: str | None = None  # the X-Request-Id answered; None when nothing was answered


class RequestLog:
    """The API requests seen so far, oldest first; safe to append to from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Log one request."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of the log."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Empty the log."""
        with self._lock:
            self._records.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Logged requests with this method and a path matching this regex (re.search)."""
        return sum(
            1
            for record in self.records()
            if (method is None or record.method.upper() == method.upper())
            and (path is None or re.search(path, record.path))
        )
