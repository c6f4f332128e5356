"""This machine's record of the creates it started: what lets a later run prove that an app is
the one an interrupted run made.

Recall's apps carry no label, and an interrupted ``pulumi up`` (a CI timeout, Ctrl-C twice)
drops its pending create from Pulumi's view, so the next ``up`` would create again. Before a
create POSTs, it writes one small file per Zoom client id of the workspace, then adds the id
Recall answers, and removes the file once the create is done or undone. A file left behind is
an interrupted create. Nothing secret is written: the client id, the kind, times and app ids.
The directory is ``RECALL_ZOOM_STATE_DIR``, else the user's state directory; a machine where it
cannot be written keeps no record, so an interrupted create is reported instead of taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import platformdirs

from recall_provider.files import exclusive_lock, read_own, replace_file
from recall_provider.limits import RATE_LIMIT_DEADLINE

__all__ = ["STATE_DIR_ENV", "CreateJournal", "Entry", "state_dir"]

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE_DIR_ENV = "RECALL_ZOOM_STATE_DIR"
# An interrupted create is taken over only by a run that comes soon after; an older record
# proves nothing about who owns the app now.
_KEPT = timedelta(days=7)
# Longest a create waits for another process's create of the same client id: a POST through its
# 429s (the rate-limit budget at most), the self-check's request through its own, and the
# lookups and waits between.
_LONGEST_CREATE = 3 * RATE_LIMIT_DEADLINE


def state_dir() -> Path:
    """This machine's state of the provider: ``RECALL_ZOOM_STATE_DIR``, else the user's state
    directory."""
    return Path(os.environ.get(STATE_DIR_ENV) or platformdirs.user_state_dir("recall-zoom"))


@dataclass(frozen=True)
class Entry:
    """A create this machine started for one Zoom client id, and what it learned."""

    client_id: str
    kind: str
    started: str
    """When the POST was about to be sent (ISO 8601, UTC)."""
    app_id: str | None = None
    """The app the create made or found; None while its POST has no answer."""
    answered: bool = False
    """Whether ``app_id`` came in the answer to this create's own POST (so it is provably the
    create's app), rather than from a listing after the answer was lost."""
    owner: str | None = None
    """The stack and resource the create was for (``organization/project/stack/name``): only
    that owner may take over its app; None in records of earlier versions."""

    @property
    def started_at(self) -> datetime:
        """``started`` as a time."""
        return datetime.fromisoformat(self.started)


class CreateJournal:
    """The records of one workspace's creates on this machine; safe for concurrent creates of
    different client ids (each has its own file, replaced whole)."""

    def __init__(self, workspace: str, directory: Path | None = None) -> None:
        self.directory = (directory or state_dir()) / "creates" / workspace
        # Made once per journal, not per create (a mkdir a create is measurable at 64 in
        # flight); a folder removed meanwhile is made again when a write finds it gone.
        self._made = False

    def begin(self, client_id: str, kind: str, owner: str | None = None) -> Entry:
        """Record that ``owner``'s create for ``client_id`` is about to POST."""
        entry = Entry(client_id, kind, datetime.now(UTC).isoformat(), owner=owner)
        self._write(entry)
        return entry

    def made(self, entry: Entry, app_id: str, *, answered: bool) -> Entry:
        """Record the app the create made (``answered``: its POST's answer named it) or found."""
        entry = Entry(entry.client_id, entry.kind, entry.started, app_id, answered, entry.owner)
        self._write(entry)
        return entry

    def find(self, client_id: str) -> Entry | None:
        """The record an interrupted create left for ``client_id``, if a recent one is here."""
        try:
            data = json.loads(read_own(self._path(client_id)).decode("utf-8"))
            entry = Entry(**data)
            if entry.client_id != client_id:
                return None
            if datetime.now(UTC) - entry.started_at > _KEPT:
                self.done(client_id)
                return None
            return entry
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.debug("ignoring an unreadable create record: %s", type(exc).__name__)
            return None

    @contextmanager
    def creating(self, client_id: str) -> Iterator[bool]:
        """Hold ``client_id`` on this machine for one create (another process's create for it
        waits); yields whether this one had to wait, so that it asks Recall afresh."""
        held = contextlib.ExitStack()
        try:
            lock = self._path(client_id).with_suffix(".lock")
            waited = self._in_directory(
                lambda: held.enter_context(exclusive_lock(lock, timeout=_LONGEST_CREATE))
            )
        except OSError as exc:  # TimeoutError and UnsafeFileError (a planted link) included
            # Unheld, the create still looks before it posts; it asks Recall itself.
            log.debug("creating without this machine's lock: %s", type(exc).__name__)
            yield True
            return
        with held:
            yield waited

    def done(self, client_id: str) -> None:
        """Forget ``client_id``'s record: its create ended, with its app kept or deleted."""
        try:
            self._path(client_id).unlink(missing_ok=True)
        except OSError as exc:
            log.debug("could not remove a create record: %s", type(exc).__name__)

    def _path(self, client_id: str) -> Path:
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def _write(self, entry: Entry) -> None:
        # Whole or not at all (a run killed mid-write leaves the old record or none), and
        # never through a link planted at its path.
        # Not forced to disk: a record must outlive a killed process, which the rename ensures;
        # one a machine crash loses makes the next create report the app instead of taking it
        # over (the safe way), and the fsync cost about 1 ms a create.
        data = json.dumps(asdict(entry)).encode()
        try:
            self._in_directory(
                lambda: replace_file(self._path(entry.client_id), data, durable=False)
            )
        except OSError as exc:
            log.debug("could not record a create: %s", type(exc).__name__)

    def _in_directory(self, action: Callable[[], T]) -> T:
        """``action`` on a file of the directory, made first when this journal has not made
        it, and made again when ``action`` finds it gone."""
        if not self._made:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._made = True
        try:
            return action()
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            return action()
