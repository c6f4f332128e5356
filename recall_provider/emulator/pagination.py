"""DRF-style cursor pagination of the list endpoints, newest first by (created_at, id)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .errors import NotFound

Item = dict[str, Any]


def _position(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["created_at"], item["id"]


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
) -> dict[str, Any]:
    """The page of ``items`` the query's cursor asks for, as DRF's ``next``/``previous``/results.

    A position cursor keeps pages stable while items come and go between fetches: a page
    starts right after (or, going back, right before) the last item the client saw.
    """
    ordered = sorted(items, key=_position, reverse=True)
    keys = [_position(item) for item in ordered]
    cursor = _decode_cursor(query.get("cursor", ""))
    # Without a cursor a page is empty only when there are no items at all, so this
    # placeholder never ends up in a link.
    position = ("", "")
    if cursor is None:
        start, end = 0, page_size
    else:
        position, reverse = cursor
        if reverse:
            end = sum(1 for key in keys if key > position)
            start = max(0, end - page_size)
        else:
            start = sum(1 for key in keys if key >= position)
            end = start + page_size
    page = ordered[start:end]
    next_url = previous_url = None
    if end < len(ordered):
        after = keys[end - 1] if page else position
        next_url = _replace_query(url, "cursor", _encode_cursor(after, reverse=False))
    if start > 0:
        before = keys[start] if page else position
        previous_url = _replace_query(url, "cursor", _encode_cursor(before, reverse=True))
    return {"next": next_url, "previous": previous_url, "results": [render(i) for i in page]}
