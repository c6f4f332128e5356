"""django-filter style query filters of the two list endpoints, with its error messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .clock import parse_time
from .errors import ValidationError
from .validation import KINDS, normalise_uuid

Predicate = Callable[[Mapping[str, Any]], bool]


def _parse_filter_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    # Django reads naive datetimes in the default time zone, UTC on Recall's side presumably.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def app_filter(query: Mapping[str, str]) -> Predicate:
    """Which apps ``client_id``, ``kind`` and ``created_at_after``/``_before`` keep."""
    errors: dict[str, list[str]] = {}
    kind = query.get("kind", "")
    if kind and kind not in KINDS:
        errors["kind"] = [f"Select a valid choice. {kind} is not one of the available choices."]
    bounds: dict[str, datetime] = {}
    for name in ("created_at_after", "created_at_before"):
        if query.get(name):
            try:
                bounds[name] = _parse_filter_time(query[name])
            except ValueError:
                errors[name] = ["Enter a valid date/time."]
    if errors:
        raise ValidationError(errors)

    def wanted(app: Mapping[str, Any]) -> bool:
        created = parse_time(app["created_at"])
        return (
            (not query.get("client_id") or app["client_id"] == query["client_id"])
            and (not kind or app["kind"] == kind)
            and created >= bounds.get("created_at_after", created)
            and created <= bounds.get("created_at_before", created)
        )

    return wanted


def log_filter(query: Mapping[str, str]) -> Predicate:
    """Which logs ``oauth_app`` keeps (all of them without it)."""
    app_id = None
    if query.get("oauth_app"):
        app_id = normalise_uuid(query["oauth_app"])
        if app_id is None:
            raise ValidationError({"oauth_app": ["Enter a valid UUID."]})
    return lambda log: app_id is None or log["oauth_app"] == app_id
