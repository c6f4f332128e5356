"""A deadline for each attempt at a request, its whole answer included.

A socket timeout bounds each read, not the answer: a server (or a proxy) that trickles a byte a
second would hold a request for as long as it trickles. Each attempt is therefore watched: when
its connection sends a request, a deadline is set, and when it passes before the answer is read
to its end, the connection's socket is shut down, which ends the attempt with an error whatever
it was waiting for. One watchdog thread serves every connection of the process.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

__all__ = ["DeadlineAdapter", "Watch", "watching"]


class Watch:
    """The deadline of the attempts of one request, and whether one of them overran it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False


class _Watchdog:
    """Calls each callback at its time unless it was cancelled; one thread for all."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, seconds: float, callback: Callable[[], None]) -> int:
        with self._cond:
            handle = next(self._ids)
            heapq.heappush(self._heap, (time.monotonic() + seconds, handle, callback))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="recall-request-deadlines", daemon=True
                )
                self._thread.start()
            # The thread sleeps until the earliest deadline: wake it only for an earlier one
            # (a request's deadline is mostly later than those in flight).
            if self._heap[0][1] == handle:
                self._cond.notify()
            return handle

    def cancel(self, handle: int) -> None:
        with self._cond:
            self._cancelled.add(handle)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                at, handle, callback = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                if handle in self._cancelled:
                    self._cancelled.discard(handle)
                    continue
            callback()


_WATCHDOG = _Watchdog()
_CURRENT = threading.local()


@contextlib.contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Watch the attempts this thread makes inside the block."""
    _CURRENT.watch = watch
    try:
        yield watch
    finally:
        _CURRENT.watch = None


class _Watched:
    """A connection that arms its thread's deadline when it sends a request."""

    sock: socket.socket | None
    _deadline: int | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        self.disarm()
        watch: Watch | None = getattr(_CURRENT, "watch", None)
        if watch is not None:
            self._deadline = _WATCHDOG.schedule(watch.seconds, lambda: self._expire(watch))
        super().request(*args, **kwargs)  # type: ignore[misc]

    def disarm(self) -> None:
        """The answer was read (or the connection is done with): no deadline runs."""
        if self._deadline is not None:
            _WATCHDOG.cancel(self._deadline)
            self._deadline = None

    def close(self) -> None:
        self.disarm()
        super().close()  # type: ignore[misc]

    def _expire(self, watch: Watch) -> None:
        watch.expired = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Released:
    """A pool that disarms a connection's deadline when the answer has been read."""

    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _Watched):
            conn.disarm()
        super()._put_conn(conn)  # type: ignore[misc]


class _HTTPPool(_Released, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_Released, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter over connections that keep the watched deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
