"""The user's hook, called off the request path from a bounded queue (no werkzeug, so that the
command's --help can show the limits)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["HOOK_QUEUE", "STOP_GRACE", "Hook", "HookQueue", "HookReport", "ZoomEvent"]

log = logging.getLogger("recall_provider.forwarder")

# Each waiting event holds its body (at most --max-body-bytes); Zoom's events are a few KB, so
# a thousand is a few MB, and a hook that falls that far behind is stuck, not slow.
HOOK_QUEUE = 1000
# docker stop and most supervisors kill after 10 s; the stop must be over well before.
STOP_GRACE = 5
# Two calls at once, so that one slow call does not hold up every event behind it.
HOOK_THREADS = 2


@dataclass(frozen=True)
class ZoomEvent:
    """A verified Zoom webhook, as handed to the user's hook."""

    event: str
    """The event type, e.g. ``meeting.created``."""
    payload: dict[str, Any]
    """The event's ``payload`` object."""
    body: bytes
    """The raw body exactly as Zoom sent it."""
    headers: dict[str, str]
    """Zoom's ``x-zm-*`` headers."""


Hook = Callable[[ZoomEvent], None]


@dataclass(frozen=True)
class HookReport:
    """What the hook did not get, or did not finish, by the time it was stopped."""

    dropped: int
    """Events that arrived when the queue was full, or after the stop began."""
    left: int
    """Events still queued when the stop's deadline came."""
    abandoned: int
    """Calls still running when the stop's deadline came."""

    @property
    def complete(self) -> bool:
        """Whether every event acknowledged to Zoom went through the hook."""
        return not (self.dropped or self.left or self.abandoned)

    def summary(self) -> str:
        """What was lost, in one line for the log."""
        parts = []
        if self.dropped:
            parts.append(f"{self.dropped} dropped, the queue full or the stop begun")
        if self.left:
            parts.append(f"{self.left} left queued at the stop")
        if self.abandoned:
            parts.append(f"{self.abandoned} in calls abandoned while still running")
        lost = self.dropped + self.left + self.abandoned
        return f"verified events that did not go through the hook: {lost} ({'; '.join(parts)})"


class HookQueue:
    """At most ``capacity`` events waiting for ``hook``; what does not fit is dropped and logged.

    The calls run on daemon threads, so that a hook that never returns cannot keep the process
    alive.
    """

    def __init__(self, hook: Hook, capacity: int = HOOK_QUEUE) -> None:
        if capacity < 1:
            raise ValueError("the hook queue must hold at least 1 event")
        self.hook = hook
        self.capacity = capacity
        self._queue: deque[ZoomEvent] = deque()
        self._running = 0
        self._dropped = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, name=f"zoom-hook-{n}", daemon=True)
            for n in range(HOOK_THREADS)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, event: ZoomEvent) -> bool:
        """Queue ``event`` for the hook; False (and a log line) if it was dropped."""
        with self._changed:
            if not self._stopping and len(self._queue) < self.capacity:
                self._queue.append(event)
                self._changed.notify_all()
                return True
            self._dropped += 1
            dropped, stopping = self._dropped, self._stopping
        # repr: the event type is text from the body, kept to one line.
        if stopping:
            log.warning(
                "stopping: dropped a %r event instead of queueing it for the hook "
                "(%d dropped so far)",
                event.event,
                dropped,
            )
        else:
            log.warning(
                "hook queue full (--hook-queue %d): dropped a %r event (%d dropped so far)",
                self.capacity,
                event.event,
                dropped,
            )
        return False

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running; False if ``timeout`` seconds passed first."""
        return self._wait_idle(time.monotonic() + timeout)

    def stop(self, deadline: float) -> HookReport:
        """Take no more events, let the hook work until ``deadline`` (``time.monotonic()``), then
        give up what is left: the threads of calls still running are left behind."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._wait_idle(deadline)
        with self._changed:
            left = len(self._queue)
            self._queue.clear()
            return HookReport(dropped=self._dropped, left=left, abandoned=self._running)

    def _wait_idle(self, deadline: float) -> bool:
        with self._changed:
            while self._queue or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._stopping:
                    self._changed.wait()
                if not self._queue:
                    return
                event = self._queue.popleft()
                self._running += 1
            try:
                self.hook(event)
            except Exception:  # the user's code must not take the forwarder down
                log.exception("the hook failed on a %r event", event.event)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()
