"""What the creates of one command hold: the client ids being created, one create at a time
each, and the existing apps they adopted or took over.

Two resources of one command with the same Zoom client id (a program of one's own may declare
them) must not both find "no app" and both post: a create holds its client id from the lookup
to the end of its self-check, so the second finds the first's app and stops. And a resource
renamed or moved without an alias is, to the engine, a new resource created and an old one
deleted in the same command: when the new one adopted or took over the old one's app, that
delete must not destroy it. The claims are the provider instance's: the engine starts a
provider process per command, whose resources share one instance when their pickled providers
are alike, as every state this version writes has them. (An old resource whose state holds
another pickle, written before the provider pickled as a reference or by another Python, gets an
instance of its own, which does not see the claim.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Claims"]


class Claims:
    """The client ids being created, and the existing apps adopted, by one provider instance's
    creates."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._creating: dict[str, threading.Lock] = {}
        self._apps: set[str] = set()

    @contextmanager
    def creating(self, client_id: str) -> Iterator[None]:
        """Hold ``client_id`` for one create: others for it wait until this one is done."""
        with self._guard:
            lock = self._creating.setdefault(client_id, threading.Lock())
        with lock:
            yield

    def hold(self, app_id: str) -> None:
        """A create adopted or took over ``app_id``: the engine now records it as its own."""
        with self._guard:
            self._apps.add(app_id)

    def holds(self, app_id: str) -> bool:
        """Whether a create adopted or took over ``app_id``."""
        with self._guard:
            return app_id in self._apps
