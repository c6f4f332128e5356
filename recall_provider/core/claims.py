"""What the creates of one command hold: the client ids being created, one create at a time
each, and the existing apps they adopted or took over.

Two resources of one command with the same Zoom client id (a program of one's own may declare
them) must not both find "no app" and both post: a create holds its client id from the lookup
to the end of its self-check, so the second finds the first's app and stops. And a resource
renamed or moved without an alias is, to the engine, a new resource created and an old one
deleted in the same command: when the new one adopted or took over the old one's app, that
delete must not destroy it. The claims are the service's (one per provider process); an app
adopted is also written down on this machine under the command's name (the engine's address,
which every provider process of one command is given), so that a delete in another provider
process of the same command keeps it too: the dynamic resource's delete, when a program swapped
it for the native one that adopted its app. (An old resource whose state holds another pickle,
written before the provider pickled as a reference or by another Python, gets an instance of
its own: the written claim is what it sees.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recall_provider.files import read_own, replace_file
from recall_provider.models import canonical_app_id

__all__ = ["Claims"]

log = logging.getLogger(__name__)

# A command's written claims are believed this long: longer than any command runs, and short
# enough that a port the engine listened on is not another command's by then.
_KEPT = 6 * 3600.0


class Claims:
    """The client ids being created, and the existing apps adopted, by one command's creates."""

    def __init__(self, directory: Path | None = None, command: str | None = None) -> None:
        """``directory``: where this machine writes claims down (none: memory only);
        ``command``: the name of the command this process serves (none: memory only)."""
        self._guard = threading.Lock()
        self._creating: dict[str, threading.Lock] = {}
        self._apps: set[str] = set()
        self._directory = directory if command else None
        self._command = command

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
        if self._directory is not None:
            record = {"command": self._command, "at": time.time()}
            try:
                self._directory.mkdir(parents=True, exist_ok=True)
                # A claim lives for one command: no crash of the machine outlives that.
                replace_file(self._path(app_id), json.dumps(record).encode(), durable=False)
            except OSError as exc:
                log.debug("could not write a claim down: %s", type(exc).__name__)

    def holds(self, app_id: str) -> bool:
        """Whether a create of this command adopted or took over ``app_id`` (a claim another
        process wrote down is used up by the answer)."""
        with self._guard:
            if app_id in self._apps:
                return True
        if self._directory is None:
            return False
        try:
            record = json.loads(read_own(self._path(app_id)).decode("utf-8"))
        except (OSError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.debug("ignoring an unreadable claim: %s", type(exc).__name__)
            return False
        if not isinstance(record, dict) or not isinstance(record.get("at"), int | float):
            return False
        held = record.get("command") == self._command and time.time() - record["at"] < _KEPT
        if held:
            # Once: the delete it stops is the one it was written for. A later command whose
            # engine happens to listen on the same port finds it gone.
            with contextlib.suppress(OSError):
                self._path(app_id).unlink()
            log.warning("kept Recall app %s: another provider of this command adopted it", app_id)
        return bool(held)

    def _path(self, app_id: str) -> Path:
        assert self._directory is not None
        # A file name of the id in Recall's spelling; an id that is none (a state edited by
        # hand) names a file no claim is written to.
        return self._directory / f"{canonical_app_id(app_id) or 'not-an-app-id'}.json"
