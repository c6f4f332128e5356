"""What proves that an app is the one a create of this machine made.

Recall's apps carry no label. An app is a create's provably when its id came in the answer to
that create's POST; or, the answer lost (or the create interrupted before it came), when it is
the only app of the client id, stamped while that create ran, and Recall shows it holding the
create's kind and both its secrets (most likely that create's, and holding our credentials
either way). Only the owner a record names may take its app over.
"""

from __future__ import annotations

from datetime import timedelta

from recall_provider.core.journal import Entry
from recall_provider.core.spec import SECRETS
from recall_provider.limits import RATE_LIMIT_DEADLINE
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate, same_secret

__all__ = ["holds_ours", "interrupted", "other_owner", "stamped_while"]

# How far before our own clock Recall's may stamp the app an interrupted create's POST made.
_CLOCK_SKEW = timedelta(minutes=5)
# How long after an interrupted create began the app its POST made may be stamped: its turn in
# the pacing window (a minute or two), then the POST's 429s (waited out for the rate-limit
# budget at most) and its retries' waits: twice that budget leaves room to spare.
_INTERRUPTED_WINDOW = timedelta(seconds=2 * RATE_LIMIT_DEADLINE)


def interrupted(
    entry: Entry | None, existing: list[ZoomOAuthApp], request: ZoomOAuthAppCreate
) -> ZoomOAuthApp | None:
    """The one app that the interrupted create ``entry`` provably made, if that is all there is:
    the app its POST's answer named, or, when no answer came, the one stamped while it ran that
    Recall shows holding our secrets."""
    if entry is None or len(existing) != 1:
        return None
    (app,) = existing
    if entry.answered:
        return app if app.id == entry.app_id else None
    if entry.app_id is not None and app.id != entry.app_id:
        return None
    return app if stamped_while(entry, app) and holds_ours(app, request) else None


def stamped_while(entry: Entry, app: ZoomOAuthApp) -> bool:
    """Whether Recall stamped ``app`` while the create ``entry`` records could have made it."""
    if app.created_at is None:
        return False
    # By the difference of the two times, never by adding a window to one: either may be at the
    # calendar's edge (a record's year 9999), where the sum would overflow.
    after_start = app.created_at - entry.started_at
    return -_CLOCK_SKEW <= after_start <= _INTERRUPTED_WINDOW + _CLOCK_SKEW


def holds_ours(app: ZoomOAuthApp, request: ZoomOAuthAppCreate) -> bool:
    """Whether Recall shows ``app`` as the request's: its kind, and both of its secrets."""
    return app.kind == request.kind and all(
        same_secret(getattr(app, k), getattr(request, k).get_secret_value()) is True
        for k in SECRETS
    )


def other_owner(entry: Entry | None, owner: str | None) -> str | None:
    """The owner ``entry`` names when it is not ``owner``. A record of an earlier version names
    none: it is taken over by the first round's rules alone, as it was written for. Owners
    (``organization/project/stack/name``) are compared without their organization: the engine
    tells a native plugin none (it writes the DIY backends' ``organization``), and a stack moved
    from one door to the other is still the same owner. A resource's name may hold slashes;
    an organization's and a project's may not."""
    named = entry.owner if entry is not None else None
    return named if _resource(named) != _resource(owner) else None


def _resource(owner: str | None) -> str | None:
    return None if owner is None else owner.split("/", 1)[-1]
