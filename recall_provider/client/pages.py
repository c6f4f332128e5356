"""The walk of a cursor-paginated listing, and the checks that stop one that never ends.

A listing that loops (a cursor or items again, an empty page linking to a next one) would never
end: the walk fails, before handing the page out, at the page that shows it, or past
``MAX_PAGES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from recall_provider.client.failures import bad_response, parse_answer, shown_value
from recall_provider.client.transport import Transport
from recall_provider.client.urls import page_path
from recall_provider.models import Page, ZoomOAuthApp, ZoomOAuthAppLog, canonical_app_id, iso

__all__ = ["MAX_PAGES", "each_app_once", "newest_first", "walk"]

M = TypeVar("M", bound=BaseModel)

MAX_PAGES = 1000
"""The most pages one walk of a listing reads; a listing longer than that fails (at Recall's
limit for lists, ``limits.LIST_REQUESTS_PER_MINUTE``, it would take a quarter of an hour, so it
is a listing that never ends)."""


def walk(
    transport: Transport,
    operation: str,
    *,
    path: str,
    params: dict[str, str],
    model: type[M],
    repeated: Callable[[list[M]], str | None],
) -> Iterator[tuple[list[M], bool]]:
    """Every page of a listing, each with whether it is the last. A listing that loops
    would never end, so the walk fails, before the page is handed out, at a page that
    repeats what it has seen (a cursor; items, as ``repeated`` says: why, or None), that
    is empty yet links to a next page, or that would be page ``MAX_PAGES`` + 1."""
    target: str | None = path
    query: dict[str, str] | None = params
    cursors: set[str] = set()
    number = 0
    while target is not None:
        resp = transport.request(operation, "GET", target, params=query, bucket="list")
        page = parse_answer(operation, resp, Page[model])  # type: ignore[valid-type]
        number += 1
        why = repeated(page.results)
        if why is not None:
            raise bad_response(operation, resp, f"page {number} {why}")
        target, query = None, None
        if page.next is not None:
            target = page_path(page.next, path)
            if target is None:
                raise bad_response(operation, resp, "its pagination link is unusable")
            if target in cursors:
                raise bad_response(
                    operation, resp, f"page {number} links to a page it already gave"
                )
            if not page.results:
                raise bad_response(
                    operation, resp, f"page {number} is empty yet links to a next page"
                )
            if number >= MAX_PAGES:
                raise bad_response(
                    operation,
                    resp,
                    f"the listing goes on past {MAX_PAGES} pages, the most one walk reads",
                )
            cursors.add(target)
        yield page.results, target is None


def each_app_once() -> Callable[[list[ZoomOAuthApp]], str | None]:
    """A walk's check of the apps' pages: a listing gives each app once."""
    seen: set[str] = set()

    def repeated(page: list[ZoomOAuthApp]) -> str | None:
        for app in page:
            key = canonical_app_id(app.id) or app.id
            if key in seen:
                return f"lists app {shown_value(key)} again: it repeats what it gave"
            seen.add(key)
        return None

    return repeated


def newest_first() -> Callable[[list[ZoomOAuthAppLog]], str | None]:
    """A walk's check of the logs' pages, whose entries have no id (two alike are two
    entries): they come newest first, so one newer than an entry before it is a page again."""
    oldest: datetime | None = None

    def repeated(page: list[ZoomOAuthAppLog]) -> str | None:
        nonlocal oldest
        for entry in page:
            if entry.created_at is None:
                continue
            if oldest is not None and entry.created_at > oldest:
                return (
                    f"gives an entry of {iso(entry.created_at)} after one of {iso(oldest)}: it "
                    "goes back to entries it gave"
                )
            oldest = entry.created_at
        return None

    return repeated
