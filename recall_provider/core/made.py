"""How a create came by its app, which decides what a failed self-check may undo."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from recall_provider.models import ZoomOAuthApp

__all__ = ["Made", "Origin"]


class Origin(Enum):
    """How a create came by its app, which decides what a failed self-check may undo."""

    POSTED = "posted"
    """This create's own POST's answer named it: a failed self-check deletes it."""
    RECORDED = "recorded"
    """An interrupted create of this machine made it (its POST's answer was recorded)."""
    FOUND = "found"
    """The only app of the client id, holding our kind and secrets, after a POST lost its
    answer (this one's or an interrupted one's)."""
    ADOPTED = "adopted"
    """``adopt_app_id`` named it."""


@dataclass(frozen=True)
class Made:
    """The app of a create, and how the create came by it."""

    app: ZoomOAuthApp
    origin: Origin
