"""django-filter style query filters of the two list endpoints, with its error messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .clock import parse_time
from .errors import ValidationError
from .validation import KINDS, normalise_uuid

Predicate = Callable[[Mapping[str, Any]], bool]
APP_TIMES = ("created_at", "webhook_last_validation")
"""The apps' time fields: each filters by ``<field>_after``/``_before`` and orders a list."""
LOG_TIMES = ("created_at",)


def _parse_filter_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    # Django reads naive datetimes in the default time zone, UTC on Recall's side presumably.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time_bounds(
    query: Mapping[str, str], fields: tuple[str, ...], errors: dict[str, list[str]]
) -> dict[str, datetime]:
    """The ``<field>_after``/``_before`` bounds a query gives; each bad one named in
    ``errors``."""
    bounds: dict[str, datetime] = {}
    for field in fields:
        for name in (f"{field}_after", f"{field}_before"):
            if query.get(name):
                try:
                    bounds[name] = _parse_filter_time(query[name])
                except ValueError:
                    errors[name] = ["Enter a valid date/time."]
    return bounds


def _within(item: Mapping[str, Any], field: str, bounds: Mapping[str, datetime]) -> bool:
    # django-filter's IsoDateTimeFromToRangeFilter: inclusive bounds; a null never matches one.
    after, before = bounds.get(f"{field}_after"), bounds.get(f"{field}_before")
    if after is None and before is None:
        return True
    if item.get(field) is None:
        return False
    moment = parse_time(item[field])
    return (after is None or moment >= after) and (before is None or moment <= before)


def app_filter(query: Mapping[str, str]) -> Predicate:
    """Which apps ``client_id``, ``kind`` and the ``created_at``/``webhook_last_validation``
    ``_after``/``_before`` bounds keep."""
    kind = query.get("kind", "")
    errors: dict[str, list[str]] = {}
    if kind and kind not in KINDS:
        errors["kind"] = [f"Select a valid choice. {kind} is not one of the available choices."]
    bounds = _time_bounds(query, APP_TIMES, errors)
    if errors:
        raise ValidationError(errors)

    def wanted(app: Mapping[str, Any]) -> bool:
        return (
            (not query.get("client_id") or app["client_id"] == query["client_id"])
            and (not kind or app["kind"] == kind)
            and all(_within(app, field, bounds) for field in APP_TIMES)
        )

    return wanted


def log_filter(query: Mapping[str, str]) -> Predicate:
    """Which logs ``oauth_app`` and ``created_at_after``/``_before`` keep (all without them)."""
    app_id = None
    errors: dict[str, list[str]] = {}
    if query.get("oauth_app"):
        app_id = normalise_uuid(query["oauth_app"])
        if app_id is None:
            errors["oauth_app"] = ["Enter a valid UUID."]
    bounds = _time_bounds(query, LOG_TIMES, errors)
    if errors:
        raise ValidationError(errors)
    return lambda log: (
        (app_id is None or log["oauth_app"] == app_id) and _within(log, "created_at", bounds)
    )


def ordering(query: Mapping[str, str], fields: tuple[str, ...]) -> tuple[str, bool]:
    """The field and direction (descending?) that ``ordering`` asks for among ``fields``;
    newest ``created_at`` first otherwise. An unknown field is ignored, as DRF's
    OrderingFilter ignores it."""
    asked = query.get("ordering", "").split(",")[0].strip()
    field = asked.removeprefix("-")
    if asked and field in fields:
        return field, asked.startswith("-")
    return "created_at", True
