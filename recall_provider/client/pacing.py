"""Client-side pacing under Recall's per-workspace rate limits, by Recall's own rule.

Recall throttles as Django REST Framework does: at most N accepted requests of a workspace in
any trailing minute (a sliding log; a refused request is not counted; ``Retry-After`` is the
time until the oldest leaves the window). So N requests may go at once into an empty window.
``SlidingWindow`` paces the same way: a request goes as soon as the trailing window (with a
small margin for clocks and the network) has room, never more than N in any window; a 429
gives its slot back and holds the workspace until its ``Retry-After`` has passed.

Limits are per workspace, so the window is shared by every process of this machine that speaks
to the workspace: a small file per workspace and scope, under a lock, in the user's cache
directory (``RECALL_ZOOM_CACHE_DIR`` to put it elsewhere). A process that cannot use the file
keeps its own window. The token bucket of earlier versions stays, for comparison
(``Pacing(model="bucket")``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import struct
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import platformdirs

from recall_provider.files import KeptLock, open_for_update
from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, MINUTE, REQUESTS_PER_MINUTE

__all__ = [
    "CACHE_DIR_ENV",
    "MODELS",
    "Pacing",
    "SlidingWindow",
    "TokenBucket",
    "Trust",
    "Window",
    "shared_bucket",
    "workspace_key",
]

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "RECALL_ZOOM_CACHE_DIR"
SAY_WAITS_FROM = 10.0
"""A wait for the window this long or longer is said on stderr (the terminal of `pulumi`)."""


@dataclass(frozen=True)
class Trust:
    """What a window believes of the times in its shared file: what requests of ours can have
    written. Fixed per window, never a caller's own budget (that would drop others' turns)."""

    ahead: float = math.inf
    """The furthest ahead a request of ours takes a turn: the longest it may wait."""
    hold: float = math.inf
    """The longest hold a 429 of ours sets: the longest Retry-After that is read."""


MODELS = ("sliding", "bucket")


@dataclass(frozen=True)
class Pacing:
    """Client-side rate limits of one workspace."""

    per_minute: int = REQUESTS_PER_MINUTE
    """The limit for create, retrieve, update and delete (default Recall's)."""
    list_per_minute: int = LIST_REQUESTS_PER_MINUTE
    """The limit for list endpoints (default Recall's)."""
    period: float = MINUTE
    """Length of Recall's "minute" in seconds (shorter only against a time-scaled emulator)."""
    model: str = "sliding"
    """``sliding``: Recall's own rule; ``bucket``: the token bucket of earlier versions."""
    burst: int = 5
    """The token bucket's requests at once (the bucket model only)."""
    shared: bool = True
    """Share the window with this machine's other processes (the sliding model only)."""

    def limit(self, name: str) -> int:
        """The limit of scope ``name`` (``crud`` or ``list``)."""
        return self.list_per_minute if name == "list" else self.per_minute

    @property
    def margin(self) -> float:
        """Seconds added to the window for clocks and the network: a request counted late by
        Recall, or sent early, must not find the previous window still full."""
        return 0.05 + self.period / 100

    def bucket(self, name: str) -> tuple[float, float]:
        """Refill rate (tokens/s) and capacity of a bucket, such that no window of ``period``
        seconds ever holds more requests than the limit (capacity + rate * period <= limit)."""
        limit = self.limit(name)
        capacity = max(1, min(self.burst, limit // 10))
        return (limit - capacity) / self.period, float(capacity)


class WindowTooLong(Exception):
    """The window would make a request wait longer than it may: the request is not sent."""

    def __init__(self, wait: float, until: float) -> None:
        super().__init__(f"the window holds the request {wait:.0f} s")
        self.wait = wait
        self.until = until
        """When the request could have gone (a wall-clock time)."""


class Window(Protocol):
    """Admission of a workspace's requests of one scope."""

    def acquire(self, max_wait: float | None = None) -> float:
        """Wait for this thread's next request's turn; return the seconds waited. A turn
        further off than ``max_wait`` seconds is not taken: ``WindowTooLong``."""

    def release(self) -> None:
        """Give back this thread's last turn: Recall refused the request (429)."""

    def hold(self, seconds: float) -> None:
        """Let nothing of the workspace go for ``seconds`` (a 429's ``Retry-After``)."""


@dataclass
class _State:
    times: list[float]
    """When each request of the trailing window went (or will go), oldest first."""
    hold: float = 0.0
    """Nothing goes before this time."""


class _Memory:
    """A window's state in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State([])

    def transact(self, change: Callable[[_State], Any]) -> Any:
        with self._lock:
            return change(self._state)


def _pace_alone(exc: OSError) -> None:
    # Another process's window cannot be seen: keep this one's, not none.
    log.debug("pacing on this process's own window: %s", type(exc).__name__)


class _File(_Memory):
    """A window's state in a locked file that this machine's processes share.

    The file stays open, and holds the times as doubles: every request reads and writes it,
    so it must cost little (JSON and an open per request were half a read's time in the host).
    """

    _HEADER = struct.Struct("<4sdI")  # magic, hold, count; then count doubles
    _MAGIC = b"RZW1"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._file_lock = KeptLock(path.with_name(path.name + ".lock"))
        self._file: BinaryIO | None = None
        self._broken = False

    def transact(self, change: Callable[[_State], Any]) -> Any:
        if self._broken:
            return super().transact(change)
        with self._lock:
            try:
                # A lock held longer than this is a stuck process's: pace alone, not wait.
                with self._file_lock.held(timeout=10):
                    file = self._open()
                    file.seek(0)
                    state = self._decode(file.read())
                    result = change(state)
                    file.seek(0)
                    file.write(self._encode(state))
                    file.truncate()
                    # Should the file fail later, this process paces on from what it last
                    # saw, not from an empty window.
                    self._state = _State(list(state.times), state.hold)
                    return result
            except OSError as exc:  # TimeoutError and UnsafeFileError included
                _pace_alone(exc)
                self._broken = True
        return super().transact(change)

    def _open(self) -> BinaryIO:
        if self._file is not None and os.fstat(self._file.fileno()).st_nlink == 0:
            # The file was deleted (a cache cleared): the other processes use a new one.
            self._file.close()
            self._file = None
        if self._file is None:
            # Never through a link planted at the path, never into a file not ours.
            self._file = os.fdopen(open_for_update(self._path), "r+b", buffering=0)
        return self._file

    @classmethod
    def _encode(cls, state: _State) -> bytes:
        times = array("d", state.times)
        return cls._HEADER.pack(cls._MAGIC, state.hold, len(times)) + times.tobytes()

    @classmethod
    def _decode(cls, data: bytes) -> _State:
        size = cls._HEADER.size
        if len(data) < size:
            return _State([])  # a new file
        magic, hold, count = cls._HEADER.unpack_from(data)
        if magic != cls._MAGIC or len(data) < size + 8 * count:
            return _State([])  # a damaged file is a window with nothing in it
        times = array("d")
        times.frombytes(data[size : size + 8 * count])
        values = times.tolist()
        if not all(map(math.isfinite, [hold, *values])) or values != sorted(values):
            return _State([])  # so is one that no request of ours could have written
        return _State(values, hold)


class SlidingWindow:
    """At most ``limit`` requests in any trailing ``period`` (plus ``margin``) seconds."""

    def __init__(
        self,
        limit: int,
        period: float,
        margin: float,
        store: _Memory | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        trust: Trust = Trust(),
    ) -> None:
        self.limit = limit
        self.span = period + margin
        self._margin = margin
        self._trust = trust
        self._store = store or _Memory()
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()

    def acquire(self, max_wait: float | None = None) -> float:
        """Reserve the first slot the window allows, and sleep until it comes; a slot further
        off than ``max_wait`` is given back and ``WindowTooLong`` raised (nothing sleeps)."""
        waited = 0.0
        while True:
            slot = self._store.transact(self._reserve)
            wait = slot - self._clock()
            if wait <= 0:
                break
            if max_wait is not None and waited + wait > max_wait:
                self._store.transact(partial(_remove, slot=slot))
                raise WindowTooLong(waited + wait, slot)
            if wait >= SAY_WAITS_FROM:
                # A plugin's stderr reaches the `pulumi` terminal: nobody waits in silence.
                log.warning(
                    "waiting %.0f s for Recall's rate limit (this machine's window of the "
                    "workspace, or a 429's Retry-After)",
                    wait,
                )
            self._sleep(wait)
            waited += wait
            # A 429 meanwhile holds the workspace past this slot: queue again behind it.
            if self._store.transact(partial(self._still_good, slot=slot)):
                break
        self._local.slot = slot
        return waited

    def release(self) -> None:
        """Give back this thread's last slot: Recall did not count a refused request."""
        slot = getattr(self._local, "slot", None)
        if slot is not None:
            self._local.slot = None
            self._store.transact(lambda state: _remove(state, slot))

    def hold(self, seconds: float) -> None:
        """Nothing goes before ``seconds`` from now (plus the margin)."""
        until = self._clock() + seconds + self._margin

        def change(state: _State) -> None:
            state.hold = max(state.hold, until)

        self._store.transact(change)

    def _reserve(self, state: _State) -> float:
        now = self._clock()
        # Times no request of ours could have written (a clock that ran ahead, a damaged
        # file) are dropped, not waited for: no slot is taken further ahead than a request
        # may wait, and no Retry-After holds longer than the longest one read.
        ahead = now + self.span + self._trust.ahead
        state.times = [t for t in state.times if now - self.span < t <= ahead]
        if state.hold > now + self._trust.hold + self._margin:
            state.hold = 0.0
        slot = max(now, state.hold, state.times[-1] if state.times else now)
        if len(state.times) >= self.limit:
            # The request `limit` back must have left the window before this one goes.
            slot = max(slot, state.times[-self.limit] + self.span)
        state.times.append(slot)
        return slot

    def _still_good(self, state: _State, *, slot: float) -> bool:
        if state.hold <= slot:
            return True
        _remove(state, slot)
        return False


def _remove(state: _State, slot: float) -> None:
    if slot in state.times:
        state.times.remove(slot)


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
        self._hold = 0.0
        self._lock = threading.Lock()

    def acquire(self, max_wait: float | None = None) -> float:
        """Take one token, sleeping as long as needed; return the seconds slept. A token
        further off than ``max_wait`` is given back and ``WindowTooLong`` raised."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            # Going negative reserves a future slot, so concurrent callers queue up fairly
            # without holding the lock while they sleep.
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            wait = max(wait, self._hold - now)
            if max_wait is not None and wait > max_wait:
                self._tokens += 1
                raise WindowTooLong(wait, time.time() + wait)
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def release(self) -> None:
        """Give the token back."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + 1)

    def hold(self, seconds: float) -> None:
        """Let nothing go for ``seconds``."""
        with self._lock:
            self._hold = max(self._hold, self._clock() + seconds)


_WINDOWS: dict[tuple[str, str, Pacing, Trust], Window] = {}
_WINDOWS_LOCK = threading.Lock()


def workspace_key(base_url: str, api_key: str) -> str:
    """A name for the workspace a key opens at a base URL, that does not reveal the key."""
    return hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()[:16]


def shared_bucket(
    base_url: str, api_key: str, name: str, pacing: Pacing, trust: Trust = Trust()
) -> Window:
    """The window of scope ``name`` (``crud`` or ``list``) of one workspace: one per process,
    and, for the sliding model, one per machine."""
    workspace = workspace_key(base_url, api_key)
    key = (workspace, name, pacing, trust)
    with _WINDOWS_LOCK:
        if key not in _WINDOWS:
            _WINDOWS[key] = _window(workspace, name, pacing, trust)
        return _WINDOWS[key]


def _window(workspace: str, name: str, pacing: Pacing, trust: Trust) -> Window:
    if pacing.model == "bucket":
        return TokenBucket(*pacing.bucket(name))
    store: _Memory = _Memory()
    if pacing.shared:
        directory = Path(
            os.environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("recall-zoom")
        )
        try:
            directory = directory / "pacing"
            directory.mkdir(parents=True, exist_ok=True)
            # One log of the workspace's requests, whatever limit each process is told: each
            # applies its own to the requests of all. (The period is Recall's: a time-scaled
            # emulator's minute is another window.)
            store = _File(directory / f"{workspace}-{name}-{pacing.period:g}.window")
        except OSError as exc:
            _pace_alone(exc)
    return SlidingWindow(pacing.limit(name), pacing.period, pacing.margin, store, trust=trust)
