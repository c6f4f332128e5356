"""Making the app of a create, and never two for one Zoom app.

Before a create POSTs, it asks Recall (``lookup``) whether an app for the Zoom client id exists,
of either kind. An app is taken without being adopted only when a create of this machine made
it: provably, when its id came in the answer to that create's POST; or, the answer lost (or the
create interrupted before it came), when it is the only app of the client id and Recall shows
it holding the create's kind and both its secrets (most likely that create's, and holding our
credentials either way). Any other app stops the create, naming it and what to do. A POST is
not idempotent, so what a failed one may have done is read from its outcome alone
(``recall_provider.errors.Outcome``): when it may have made the app, the app is looked for
before anything else; only a request known to be over, whose listings show nothing, is posted
again. Only an app whose id our own POST's answer named is ever deleted again.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from recall_provider.client import RecallClient
from recall_provider.core.journal import CreateJournal, Entry
from recall_provider.core.lookup import AppIndex
from recall_provider.core.naming import argument
from recall_provider.core.spec import IMMUTABLE, MUTABLE, SECRETS
from recall_provider.errors import (
    ErrorCode,
    RecallAppExistsError,
    RecallConfigError,
    RecallError,
    RecallNotFoundError,
    RecallWebhookCheckError,
)
from recall_provider.limits import RATE_LIMIT_DEADLINE
from recall_provider.models import (
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    iso,
    same_secret,
)

__all__ = ["Made", "Origin", "adopt", "make", "undo_create"]

# How far before our own clock Recall's may stamp the app an interrupted create's POST made.
_CLOCK_SKEW = timedelta(minutes=5)
# Longest wait for a POST that may still be running on Recall's side after its answer was lost.
_MAX_SETTLE = 15.0
# How long after an interrupted create began the app its POST made may be stamped: its turn in
# the pacing window (a minute or two), then the POST's 429s (waited out for the rate-limit
# budget at most) and its retries' waits: twice that budget leaves room to spare.
_INTERRUPTED_WINDOW = timedelta(seconds=2 * RATE_LIMIT_DEADLINE)


def _look_first(client_id: str) -> str:
    return (
        f"Before running `pulumi up` again, list Recall's apps for client id {client_id!r}: "
        f"adopt one that appeared ({argument('adopt_app_id')}), or run `pulumi up` if there is "
        "none."
    )


def adopt(client: RecallClient, app_id: str, want: ZoomOAuthAppCreate) -> ZoomOAuthApp:
    """Take over an existing app: its kind and client id must match, its secrets are set."""
    try:
        app = client.get_app(app_id)
    except RecallNotFoundError as exc:
        raise RecallConfigError(
            f"cannot adopt Recall app {app_id}: {exc.method} {exc.path} returned 404 "
            f"(request id {exc.request_id})",
            hint=f"Check {argument('adopt_app_id')} and that recall:region / recall:apiUrl "
            "point at the region where the app was created.",
            code=ErrorCode.ADOPT_NOT_FOUND,
        ) from None
    return _take(client, app, want)


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
            made = _post(client, request)
        except RecallError as failure:
            if not _may_have_made_it(failure):
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
    if _other_owner(entry, owner) is not None:
        # Another stack's (or resource's) interrupted create: its app is not this one's to take.
        raise _exists(request, existing, entry, owner)
    app = _interrupted(entry, existing, request)
    if entry is None or app is None:
        raise _exists(request, existing, entry, owner)
    app = _take(client, app, request, taking="take over")
    journal.made(entry, app.id, answered=entry.answered)
    return Made(app, Origin.RECORDED if entry.answered else Origin.FOUND)


def _interrupted(
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
    return app if _stamped_while(entry, app) and _holds_ours(app, request) else None


def _stamped_while(entry: Entry, app: ZoomOAuthApp) -> bool:
    """Whether Recall stamped ``app`` while the create ``entry`` records could have made it."""
    if app.created_at is None:
        return False
    # By the difference of the two times, never by adding a window to one: either may be at the
    # calendar's edge (a record's year 9999), where the sum would overflow.
    after_start = app.created_at - entry.started_at
    return -_CLOCK_SKEW <= after_start <= _INTERRUPTED_WINDOW + _CLOCK_SKEW


def _holds_ours(app: ZoomOAuthApp, request: ZoomOAuthAppCreate) -> bool:
    """Whether Recall shows ``app`` as the request's: its kind, and both of its secrets."""
    return app.kind == request.kind and all(
        same_secret(getattr(app, k), getattr(request, k).get_secret_value()) is True
        for k in SECRETS
    )


def _listed(apps: list[ZoomOAuthApp]) -> str:
    return "; ".join(f"{a.id} ({a.kind}, created {iso(a.created_at) or 'at an unknown time'})"
                     for a in apps)  # fmt: skip


def _other_owner(entry: Entry | None, owner: str | None) -> str | None:
    """The owner ``entry`` names when it is not ``owner``. A record of an earlier version names
    none: it is taken over by the first round's rules alone, as it was written for."""
    named = entry.owner if entry is not None else None
    return named if named != owner else None


def _apps_for(request: ZoomOAuthAppCreate, existing: list[ZoomOAuthApp]) -> str:
    plural = "s" if len(existing) > 1 else ""
    return (
        f"{len(existing)} app{plural} for Zoom client id {request.client_id!r}: {_listed(existing)}"
    )


def _adopt_or_delete(app_id: str) -> str:
    return (
        f"If it is this stack's, adopt it: set {argument('adopt_app_id')} to {app_id} and run "
        "`pulumi up`. If it is not, delete it in Recall first."
    )


def _exists(
    request: ZoomOAuthAppCreate,
    existing: list[ZoomOAuthApp],
    entry: Entry | None,
    owner: str | None = None,
) -> RecallAppExistsError:
    first = existing[0].id
    made_for = _other_owner(entry, owner)
    if made_for is not None:
        return RecallAppExistsError(
            f"create Zoom OAuth app stopped before posting: Recall already has "
            f"{_apps_for(request, existing)}, and this machine's record says an interrupted "
            f"`pulumi up` of {made_for} made it",
            hint=f"Only that stack's resource takes it over (its next `pulumi up` does). Two "
            "stacks cannot each have an app for one Zoom app: give this one its own Zoom app, or "
            f"adopt {first} here ({argument('adopt_app_id')}) only once {made_for} no longer "
            "needs it.",
            code=ErrorCode.APP_OF_ANOTHER_OWNER,
        )
    probably = (
        entry is not None
        and not entry.answered
        and len(existing) == 1
        and existing[0].kind == request.kind
        and _stamped_while(entry, existing[0])
    )
    if entry is not None and probably:
        why = (
            f"This machine's create for that client id was interrupted at {entry.started} "
            "before Recall answered, so the app is probably the one it made; but Recall does "
            "not show it holding this create's kind and secrets, so nothing proves it. "
        )
    else:
        why = (
            "If you renamed or moved the resource, Pulumi sees a new resource: run `pulumi "
            "state rename` (or give it the old name as an alias) to keep the app instead. "
        )
    return RecallAppExistsError(
        f"create Zoom OAuth app stopped before posting: Recall already has "
        f"{_apps_for(request, existing)}; a second one would claim the same Zoom app",
        hint=f"{why}{_adopt_or_delete(first)} After an interrupted `pulumi up`, `pulumi "
        "refresh --clear-pending-creates` drops the create Pulumi left pending.",
    )


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


def _post(client: RecallClient, request: ZoomOAuthAppCreate) -> Made:
    """The app one POST made (or, after a failure, the one it made or a single new one)."""
    try:
        return Made(client.create_app(request), Origin.POSTED)
    except RecallError as failure:
        if not _may_have_made_it(failure):
            raise
        return _reconcile(client, request, failure)


def _reconcile(client: RecallClient, request: ZoomOAuthAppCreate, failure: RecallError) -> Made:
    found = _made_by(client, request, failure)
    if found is not None:
        return Made(found, Origin.FOUND)
    # Look again once the request must have ended: one whose outcome is unknown may still be
    # running, and nothing documents that a listing shows a new app at once, so even a request
    # known to be over gets this second look before anything is posted again.
    settle = min(2 * client.timeout.read, _MAX_SETTLE)
    time.sleep(settle)
    found = _made_by(client, request, failure)
    if found is not None:
        return Made(found, Origin.FOUND)
    if failure.outcome is None or not failure.outcome.is_over:
        raise RecallError(
            f"{failure} Recall still shows no app with client id {request.client_id!r} after "
            f"{settle:g} s, but a gateway error or a lost answer does not prove the request "
            "ended",
            hint=_look_first(request.client_id),
            code=ErrorCode.CREATE_UNCONFIRMED,
            outcome=failure.outcome,
        ) from None
    # The request is over, and two listings show it made nothing: one more POST cannot leave a
    # second app.
    try:
        return Made(client.create_app(request), Origin.POSTED)
    except RecallError as again:
        if not _may_have_made_it(again):
            raise
        look = _look_first(request.client_id)
        raise again.with_hint(
            f"Creating it again failed as well (the first attempt: {failure}), and this "
            f"attempt may have made the app. {look}"
        ) from None


def _may_have_made_it(failure: RecallError) -> bool:
    return failure.outcome is not None and failure.outcome.may_have_acted


def _made_by(
    client: RecallClient, request: ZoomOAuthAppCreate, failure: RecallError
) -> ZoomOAuthApp | None:
    """After a failed POST that may have made the app: the app Recall now has for the client
    id when it is provably the request's (the only one, of our kind, showing both our
    secrets), None when there is none; any other stops the create, naming what is there."""
    try:
        # Every app of the client id, of either kind and of any age: the look before the POST
        # found none, so whatever is there now is this POST's or appeared beside it.
        apps = list(client.list_apps(client_id=request.client_id))
    except RecallError as exc:
        raise RecallError(
            f"{failure} Looking for the app afterwards failed too ({exc})",
            hint=_look_first(request.client_id),
            code=ErrorCode.CREATE_UNCONFIRMED,
            outcome=failure.outcome,
        ) from None
    if not apps:
        return None
    if len(apps) == 1 and _holds_ours(apps[0], request):
        return apps[0]
    raise _unproven(request, apps, failure)


def _unproven(
    request: ZoomOAuthAppCreate, apps: list[ZoomOAuthApp], failure: RecallError
) -> RecallAppExistsError:
    (app, *others) = apps
    shown = [same_secret(getattr(app, k), getattr(request, k).get_secret_value()) for k in SECRETS]
    if others:
        why = (
            "At most one of them can be this create's, and none shows this create's kind and "
            "secrets. Delete the ones that are not this stack's in Recall. "
        )
    elif app.kind != request.kind:
        why = (
            f"It is {app.kind}, not this create's {request.kind}, so it is not this create's: "
            "someone made it for the same Zoom app meanwhile. "
        )
    elif False in shown:
        why = (
            "Recall shows it holding other secrets than this create's, so it is not this "
            "create's: someone made it for the same Zoom app meanwhile. "
        )
    else:
        why = (
            "It is most likely the one this create made, but Recall does not show it holding "
            "this create's secrets, so nothing proves it (someone may have made it meanwhile). "
        )
    # The failure's own advice (look before creating again) is what this error does.
    plural = "s" if others else ""
    return RecallAppExistsError(
        f"{failure.summary.rstrip('.')}. Recall now has {len(apps)} app{plural} for Zoom "
        f"client id {request.client_id!r}: {_listed(apps)}",
        hint=f"{why}{_adopt_or_delete(app.id)}",
        outcome=failure.outcome,
    )


def undo_create(
    client: RecallClient,
    made: Made,
    failure: RecallWebhookCheckError,
    journal: CreateJournal,
    index: AppIndex,
) -> RecallWebhookCheckError:
    """After a failed self-check: delete the app when this create's own POST made it, else
    leave it; keep this machine's record only for an app an interrupted create provably made
    that is still there. The error says what is left."""
    app_id, client_id = made.app.id, made.app.client_id
    # A failed create leaves nothing in the stack (the engine records no id). Any app this
    # create did not post may be someone else's by now: deleting it could destroy theirs.
    if made.origin is Origin.POSTED:
        try:
            with contextlib.suppress(RecallNotFoundError):
                client.delete_app(app_id)
        except RecallError as cleanup:
            return failure.with_hint(
                f"{failure.hint} Deleting app {app_id} failed too ({cleanup}); it is still in "
                "Recall: run `pulumi up` again once the webhook secret is right (this machine "
                "takes the app over), or delete it."
            )
        journal.done(client_id)
        index.forget(app_id)
        return failure
    if made.origin is Origin.RECORDED:
        return failure.with_hint(
            f"{failure.hint} App {app_id}, made by an interrupted `pulumi up` of this machine, "
            "was left in place: run `pulumi up` again once the webhook secret is right (this "
            "machine takes the app over), or delete it."
        )
    journal.done(client_id)
    if made.origin is Origin.ADOPTED:
        return failure.with_hint(
            f"{failure.hint} The adopted app {app_id} was left in place with the secrets of "
            f"this step's inputs; fix {argument('webhook_secret')} and run `pulumi up` again."
        )
    return failure.with_hint(
        f"{failure.hint} App {app_id} was not provably made by this stack's create, so it was "
        f"left in place: adopt it with {argument('adopt_app_id')} once its webhook secret is "
        "right, or delete it."
    )
