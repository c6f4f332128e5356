"""What Recall already has for a Zoom client id, asked before every create.

One listing of the workspace serves every create of a provider process (one Pulumi command).
It is walked a page at a time: each create that asks before the walk is complete advances it by
one page and asks Recall for its own client id alone. So K creates in a workspace of N apps, p to
a page, cost at most about 2 x min(K, N/p) list calls, and a single one in a workspace of one
page, however many creates follow. A "no app" answer of the complete listing is trusted for five
minutes from the walk's start (the apps that this process creates or deletes are kept up to date
in it), then the workspace is walked again; an app it names is always looked up again, since it
may be gone, and an app this process made is counted even when Recall's listing lags.
An app made outside this process after the walk read its page is not seen until then: the look
narrows the race with a colleague's hand-made app, it cannot close it (Recall has no
conditional create).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from recall_provider.client import RecallClient
from recall_provider.models import ZoomOAuthApp

__all__ = ["MAX_AGE", "AppIndex"]

MAX_AGE = 300.0
"""Seconds a complete listing's "no app" is trusted for."""


class AppIndex:
    """Recall's apps by Zoom client id, from one listing shared by a process's creates."""

    def __init__(
        self, client: RecallClient, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        # When the walk began: a complete listing is as old as its first page.
        self._walk_started = 0.0
        self._lock = threading.Lock()
        self._walk_lock = threading.Lock()
        self._pages: Iterator[tuple[list[ZoomOAuthApp], bool]] | None = None
        self._complete = False
        self._apps: dict[str, dict[str, ZoomOAuthApp]] = {}
        # The apps this process made or took over, whatever a listing says: nothing documents
        # that a listing shows a new app at once.
        self._made: dict[str, dict[str, ZoomOAuthApp]] = {}

    @property
    def complete(self) -> bool:
        """Whether the listing has been walked to its end."""
        return self._complete

    def apps_for(self, client_id: str, *, fresh: bool = False) -> list[ZoomOAuthApp]:
        """Every app Recall has for ``client_id``, of either kind; ``fresh``: ask Recall, even
        when the listing says there is none (another process may have made one meanwhile)."""
        self._advance()
        with self._lock:
            known = (
                not fresh
                and self._complete
                and not self._apps.get(client_id)
                and not self._made.get(client_id)
            )
        if known:
            return []
        apps = {app.id: app for app in self._client.list_apps(client_id=client_id)}
        with self._lock:
            self._apps[client_id] = dict(apps)
            return list({**self._made.get(client_id, {}), **apps}.values())

    def record(self, app: ZoomOAuthApp) -> None:
        """An app this process made or took over."""
        with self._lock:
            self._apps.setdefault(app.client_id, {})[app.id] = app
            self._made.setdefault(app.client_id, {})[app.id] = app

    def forget(self, app_id: str) -> None:
        """An app this process deleted."""
        with self._lock:
            for apps in (*self._apps.values(), *self._made.values()):
                apps.pop(app_id, None)

    def _advance(self) -> None:
        # One page per asking create, one walker at a time: creates that ask at once take
        # their turns, so each still costs at most a page and its own lookup.
        if self._complete and self._clock() - self._walk_started < MAX_AGE:
            return
        with self._walk_lock:
            if self._complete and self._clock() - self._walk_started >= MAX_AGE:
                with self._lock:  # too old to trust: walk the workspace again
                    self._complete = False
                    self._apps = {}
            if self._complete:  # another create walked it to its end meanwhile
                return
            if self._pages is None:
                self._pages = self._client.app_pages()
                self._walk_started = self._clock()
            try:
                page, last = next(self._pages, ([], True))
            except BaseException:
                self._pages = None  # a failed generator is over: start again next time
                raise
            with self._lock:
                for app in page:
                    self._apps.setdefault(app.client_id, {})[app.id] = app
                self._complete = last
            if last:
                self._pages = None
