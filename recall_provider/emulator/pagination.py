"""DRF-style cursor pagination of the list endpoints: by default newest first by (created_at,
id), or by another time field in either direction (``ordering``).

Fidelity gap: a null time sorts as the earliest (first ascending, last descending), where
PostgreSQL puts nulls last ascending and first descending."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .errors import NotFound

Item = dict[str, Any]


def _position(item: Mapping[str, Any], field: str) -> tuple[str, str]:
    return item.get(field) or "", item["id"]


def _encode_cursor(position: tuple[str, str], *, reverse: bool) -> str:
    tokens = {"p": "|".join(position), **({"r": "1"} if reverse else {})}
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def _decode_cursor(encoded: str) -> tuple[tuple[str, str], bool] | None:
    """DRF-style opaque cursor: base64 of a querystring with the position and direction."""
    if not encoded:
        return None  # DRF reads an empty cursor as the first page
    try:
        tokens = parse_qs(base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
        created_at, item_id = tokens["p"][0].split("|")
        reverse = bool(int(tokens.get("r", ["0"])[0]))
    except (ValueError, KeyError, binascii.Error):
        raise NotFound("Invalid cursor") from None
    return (created_at, item_id), reverse


def _replace_query(url: str, key: str, value: str) -> str:
    # Same as DRF's replace_query_param, including its sorting of the parameters.
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params[key] = [value]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def paginate(
    items: Iterable[Item],
    query: Mapping[str, str],
    url: str,
    page_size: int,
    render: Callable[[Item], Item],
    *,
    order: tuple[str, bool] = ("created_at", True),
) -> dict[str, Any]:
    """The page of ``items`` the query's cursor asks for, as DRF's ``next``/``previous``/results.

    A position cursor keeps pages stable while items come and go between fetches: a page
    starts right after (or, going back, right before) the last item the client saw. ``order``
    is the time field and whether it runs newest first.
    """
    field, descending = order
    ordered = sorted(items, key=lambda item: _position(item, field), reverse=descending)
    keys = [_position(item, field) for item in ordered]

    def up_to(key: tuple[str, str], position: tuple[str, str]) -> bool:
        return key >= position if descending else key <= position

    def before(key: tuple[str, str], position: tuple[str, str]) -> bool:
        return key > position if descending else key < position

    cursor = _decode_cursor(query.get("cursor", ""))
    # Without a cursor a page is empty only when there are no items at all, so this
    # placeholder never ends up in a link.
    position = ("", "")
    if cursor is None:
        start, end = 0, page_size
    else:
        position, reverse = cursor
        if reverse:
            end = sum(1 for key in keys if before(key, position))
            start = max(0, end - page_size)
        else:
            start = sum(1 for key in keys if up_to(key, position))
            end = start + page_size
    page = ordered[start:end]
    next_url = previous_url = None
    if end < len(ordered):
        after = keys[end - 1] if page else position
        next_url = _replace_query(url, "cursor", _encode_cursor(after, reverse=False))
    if start > 0:
        first = keys[start] if page else position
        previous_url = _replace_query(url, "cursor", _encode_cursor(first, reverse=True))
    return {"next": next_url, "previous": previous_url, "results": [render(i) for i in page]}
