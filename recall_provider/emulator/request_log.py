"""The request log: one ``RequestRecord`` per API request, for tests to count and inspect."""

from __future__ import annotations

import re
import threading
import time
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
        self._since = float("-inf")

    def append(self, record: RequestRecord) -> None:
        """Log one request (unless it arrived before the log was last cleared)."""
        with self._lock:
            # A request is logged when it ends: one that came before a clear and ends after it
            # (a slow answer whose client is long gone) belongs to the log that was cleared.
            if record.started >= self._since:
                self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of the log."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Empty the log, and forget the requests still in flight."""
        with self._lock:
            self._records.clear()
            self._since = time.time()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Logged requests with this method and a path matching this regex (re.search)."""
        return sum(
            1
            for record in self.records()
            if (method is None or record.method.upper() == method.upper())
            and (path is None or re.search(path, record.path))
        )
