"""What a change of inputs does to the app: nothing, an update in place, or a replace.

Recall can change an app's secrets, never its kind or client id: a new secret updates the app, a
new kind or client id replaces it. Switching ``adopt_app_id`` to another app replaces this one by
that one. A replace that would delete the very app its replacement adopts is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from recall_provider.core.naming import argument
from recall_provider.core.spec import DEFAULTS, IMMUTABLE, MUTABLE, Unknown
from recall_provider.errors import ErrorCode, RecallConfigError
from recall_provider.models import canonical_app_id

__all__ = ["Plan", "plan"]


@dataclass(frozen=True)
class Plan:
    """The inputs a change replaces the app for, those it updates in place, and whether the
    old app goes before the new one comes."""

    replaces: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    delete_before_replace: bool = False

    @property
    def changes(self) -> bool:
        """Whether anything changes."""
        return bool(self.replaces or self.updates)


def plan(app_id: str, olds: Mapping[str, object], news: Mapping[str, object]) -> Plan:
    """The plan of moving app ``app_id`` from ``olds`` (its recorded state) to the checked
    ``news``; a value unknown until apply counts as changed."""
    replaces = [k for k in IMMUTABLE if _changed(olds.get(k), _given(news, k))]
    adopt = news.get("adopt_app_id")
    adopts_this_app = isinstance(adopt, str) and canonical_app_id(adopt) == app_id
    # A value unknown at preview may turn out the same: `up` plans again with it known, and
    # refuses there if it does change.
    certain = [k for k in replaces if not isinstance(news.get(k), Unknown)]
    if certain and adopts_this_app:
        raise _replace_of_adopted(app_id, certain)
    if isinstance(adopt, Unknown) or (adopt is not None and not adopts_this_app):
        replaces.append("adopt_app_id")
    updates = [k for k in MUTABLE if _changed(olds.get(k), news.get(k))]
    # Turning the self-check on runs it at the next update; turning it off clears its time.
    if _changed(_given(olds, "validate_webhook"), _given(news, "validate_webhook")):
        updates.append("validate_webhook")
    # A new app of another kind with the old client id would sit beside the old one until it is
    # deleted, both claiming the same Zoom app: delete first then. Adopting another existing app
    # deletes nothing first: that app is already there, and if the adoption fails the managed
    # app must still be (nor is the app adopt_app_id names ever replaced once certain).
    same_client = not _changed(olds.get("client_id"), news.get("client_id"))
    return Plan(
        replaces=tuple(replaces),
        updates=tuple(updates),
        delete_before_replace="kind" in replaces and same_client and adopt is None,
    )


def _replace_of_adopted(app_id: str, replaces: list[str]) -> RecallConfigError:
    changed = " and ".join(argument(name) for name in replaces)
    adopt = argument("adopt_app_id")
    return RecallConfigError(
        f"refusing to replace Recall app {app_id}: it is the app {adopt} names, and a new "
        f"{changed} would replace it, so the replace would delete the very app its replacement "
        "adopts",
        hint=f"Recall cannot change an app's {changed}. Undo that change; or set {adopt} to the "
        f"id of an app that has the new {changed} (made by hand); or remove {adopt} to have "
        f"the stack make a new app (the replace then deletes app {app_id}).",
        code=ErrorCode.REPLACE_OF_ADOPTED,
    )


def _given(values: Mapping[str, object], name: str) -> object:
    """The value of input ``name``: its default where it is not given."""
    value = values.get(name)
    return DEFAULTS.get(name) if value is None else value


def _changed(old: object, new: object) -> bool:
    return isinstance(new, Unknown) or old != new
