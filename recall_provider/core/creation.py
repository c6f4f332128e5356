"""Making the app of a create, and never two for one Zoom app.

Before a create POSTs, it asks Recall (``lookup``) whether an app for the Zoom client id exists,
of either kind. An app is taken without being adopted only when ``evidence`` proves a create of
this machine made it; any other app stops the create (``refusals``), naming it and what to do.
``posting`` sends the POST and finds out what a failed one did; ``undo`` is what a failed
self-check takes back. Only an app whose id our own POST's answer named is ever deleted again.
"""

from __future__ import annotations

from recall_provider.client import RecallClient
from recall_provider.core.evidence import interrupted, other_owner
from recall_provider.core.journal import CreateJournal
from recall_provider.core.lookup import AppIndex
from recall_provider.core.made import Made, Origin
from recall_provider.core.naming import argument
from recall_provider.core.posting import may_have_made_it, post
from recall_provider.core.refusals import exists, no_such_app
from recall_provider.core.spec import IMMUTABLE, MUTABLE
from recall_provider.errors import ErrorCode, RecallConfigError, RecallError, RecallNotFoundError
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate, ZoomOAuthAppUpdate, same_secret

__all__ = ["adopt", "make"]


def adopt(client: RecallClient, app_id: str, want: ZoomOAuthAppCreate) -> ZoomOAuthApp:
    """Take over an existing app: its kind and client id must match, its secrets are set."""
    try:
        app = client.get_app(app_id)
    except RecallNotFoundError as exc:
        check = argument("adopt_app_id")
        code = ErrorCode.ADOPT_NOT_FOUND
        raise no_such_app("adopt", app_id, client.base_url, exc, check=check, code=code) from None
    return _take(client, app, want)


def make(
    client: RecallClient,
    request: ZoomOAuthAppCreate,
    adopt_id: str | None,
    index: AppIndex,
    journal: CreateJournal,
    *,
    fresh: bool = False,
    owner: str | None = None,
) -> Made:
    """The app of a create: the adopted one, or one that is provably this stack's, or a new
    one; never a second for one Zoom app. ``fresh``: ask Recall even when the command's
    listing shows no app (another process's create may have made one meanwhile). ``owner``:
    the stack and resource the create is for; only it may take over its interrupted create's
    app."""
    if adopt_id:
        return Made(adopt(client, adopt_id, request), Origin.ADOPTED)
    existing = index.apps_for(request.client_id, fresh=fresh)
    if existing:
        made = _take_over(client, request, existing, journal, owner)
    else:
        entry = journal.begin(request.client_id, request.kind, owner)
        try:
            made = post(client, request)
        except RecallError as failure:
            if not may_have_made_it(failure):
                journal.done(request.client_id)
            raise
        journal.made(entry, made.app.id, answered=made.origin is Origin.POSTED)
    index.record(made.app)
    return made


def _take_over(
    client: RecallClient,
    request: ZoomOAuthAppCreate,
    existing: list[ZoomOAuthApp],
    journal: CreateJournal,
    owner: str | None,
) -> Made:
    entry = journal.find(request.client_id)
    if other_owner(entry, owner) is not None:
        # Another stack's (or resource's) interrupted create: its app is not this one's to take.
        raise exists(request, existing, entry, owner)
    app = interrupted(entry, existing, request)
    if entry is None or app is None:
        raise exists(request, existing, entry, owner)
    app = _take(client, app, request, taking="take over")
    journal.made(entry, app.id, answered=entry.answered)
    return Made(app, Origin.RECORDED if entry.answered else Origin.FOUND)


def _take(
    client: RecallClient, app: ZoomOAuthApp, want: ZoomOAuthAppCreate, taking: str = "adopt"
) -> ZoomOAuthApp:
    """``app`` with ``want``'s secrets; its kind and client id must already match."""
    mismatched = [k for k in IMMUTABLE if getattr(app, k) != getattr(want, k)]
    if mismatched:
        found = ", ".join(f"{k}={getattr(app, k)!r}" for k in mismatched)
        instead = (
            f"drop {argument('adopt_app_id')} to create a new app"
            if taking == "adopt"
            else "delete it in Recall to have a new one created (it is the app an interrupted "
            "`pulumi up` of this machine made)"
        )
        raise RecallConfigError(
            f"cannot {taking} Recall app {app.id}: it has {found}, which Recall cannot change; "
            f"set the resource's inputs to the app's values, or {instead}",
            code=ErrorCode.ADOPT_MISMATCH,
        )
    # A secret Recall masks or omits may not be ours: set it, so the app holds our inputs.
    stale = {
        k: getattr(want, k)
        for k in MUTABLE
        if not same_secret(getattr(app, k), getattr(want, k).get_secret_value())
    }
    if stale:
        app = client.update_app(app.id, ZoomOAuthAppUpdate.model_validate(stale))
    return app
