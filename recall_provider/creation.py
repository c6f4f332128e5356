"""Making the app of a create, and never two for one Zoom app.

Before a create POSTs, it asks Recall (``lookup``) whether an app for the Zoom client id exists,
of either kind. One that this machine's record of an interrupted create (``journal``) names is
taken over; any other stops the create, naming the app and what to do. A POST is not idempotent,
so what a failed one may have done is read from its outcome alone
(``recall_provider.errors.Outcome``): when it may have made the app, the app is looked for before
anything else; only a request known to be over, whose listings show nothing, is posted again.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

from recall_provider.client import RecallClient
from recall_provider.errors import (
    RecallAppExistsError,
    RecallConfigError,
    RecallError,
    RecallNotFoundError,
    RecallWebhookCheckError,
)
from recall_provider.inputs import IMMUTABLE, MUTABLE, SECRETS
from recall_provider.journal import CreateJournal, Entry
from recall_provider.lookup import AppIndex
from recall_provider.models import (
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    iso,
    same_secret,
)

__all__ = ["adopt", "make", "undo_create"]

# How far before our own clock an app created by an ambiguous POST may be stamped by Recall's.
_CLOCK_SKEW = timedelta(minutes=5)
# Longest wait for a POST that may still be running on Recall's side after its answer was lost.
_MAX_SETTLE = 15.0
# How long after an interrupted create began the app its POST made may be stamped: the POST,
# its 429 retries and their waits.
_INTERRUPTED_WINDOW = timedelta(minutes=10)
_LOOK_FIRST = (
    "Before running `pulumi up` again, list Recall's apps for {}: adopt one that appeared "
    "(adopt_app_id), or run `pulumi up` if there is none."
)


def adopt(client: RecallClient, app_id: str, want: ZoomOAuthAppCreate) -> ZoomOAuthApp:
    """Take over an existing app: its kind and client id must match, its secrets are set."""
    try:
        app = client.get_app(app_id)
    except RecallNotFoundError as exc:
        raise RecallConfigError(
            f"cannot adopt Recall app {app_id}: {exc.method} {exc.path} returned 404 "
            f"(request id {exc.request_id})",
            hint="Check adopt_app_id and that recall:region / recall:apiUrl point at the region "
            "where the app was created.",
        ) from None
    return _take(client, app, want)


def make(
    client: RecallClient, request: ZoomOAuthAppCreate, index: AppIndex, journal: CreateJournal
) -> tuple[ZoomOAuthApp, bool]:
    """The app of a create without ``adopt_app_id``, and whether this machine's POST provably
    made it (only such an app is ever deleted again)."""
    existing = index.apps_for(request.client_id)
    if existing:
        app, ours = _take_over(client, request, existing, journal)
    else:
        entry = journal.begin(request.client_id, request.kind)
        try:
            app, ours = _post(client, request)
        except RecallError as failure:
            if not _may_have_made_it(failure):
                journal.done(request.client_id)
            raise
        journal.made(entry, app.id, answered=ours)
    index.record(app)
    return app, ours


def _take_over(
    client: RecallClient,
    request: ZoomOAuthAppCreate,
    existing: list[ZoomOAuthApp],
    journal: CreateJournal,
) -> tuple[ZoomOAuthApp, bool]:
    entry = journal.find(request.client_id)
    app = _interrupted(entry, existing)
    if entry is None or app is None:
        raise _exists(request, existing)
    ours = entry.answered and entry.app_id == app.id
    app = _take(client, app, request)
    journal.made(entry, app.id, answered=ours)
    return app, ours


def _interrupted(entry: Entry | None, existing: list[ZoomOAuthApp]) -> ZoomOAuthApp | None:
    """The one app that the interrupted create ``entry`` records made, if that is all there is."""
    if entry is None or len(existing) != 1:
        return None
    (app,) = existing
    if entry.app_id is not None:
        return app if app.id == entry.app_id else None
    # Its POST got no answer: the app it may have made is the one stamped while it ran.
    started = entry.started_at
    if app.created_at is None or app.kind != entry.kind:
        return None
    if started - _CLOCK_SKEW <= app.created_at <= started + _INTERRUPTED_WINDOW:
        return app
    return None


def _exists(request: ZoomOAuthAppCreate, existing: list[ZoomOAuthApp]) -> RecallAppExistsError:
    apps = "; ".join(f"{a.id} ({a.kind}, created {iso(a.created_at) or 'at an unknown time'})"
                     for a in existing)  # fmt: skip
    first = existing[0].id
    return RecallAppExistsError(
        f"create Zoom OAuth app stopped before posting: Recall already has "
        f"{len(existing)} app{'s' if len(existing) > 1 else ''} for Zoom client id "
        f"{request.client_id!r}: {apps}; a second one would claim the same Zoom app",
        hint=f"If it is this stack's (made by hand, or by a `pulumi up` interrupted on another "
        f"machine), adopt it: set adopt_app_id (recall-zoom:adoptAppId, or adoptAppId in its "
        f"recall-zoom:apps entry) to {first} and run `pulumi up`. If it is not, delete it in "
        "Recall first. After an interrupted `pulumi up`, `pulumi refresh "
        "--clear-pending-creates` drops the create Pulumi left pending.",
    )


def _take(client: RecallClient, app: ZoomOAuthApp, want: ZoomOAuthAppCreate) -> ZoomOAuthApp:
    """``app`` with ``want``'s secrets; its kind and client id must already match."""
    mismatched = [k for k in IMMUTABLE if getattr(app, k) != getattr(want, k)]
    if mismatched:
        found = ", ".join(f"{k}={getattr(app, k)!r}" for k in mismatched)
        raise RecallConfigError(
            f"cannot adopt Recall app {app.id}: it has {found}, which Recall cannot change; "
            "set the resource's inputs to the app's values, or drop adopt_app_id to create "
            "a new app"
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


def _post(client: RecallClient, request: ZoomOAuthAppCreate) -> tuple[ZoomOAuthApp, bool]:
    """The app one POST made (or, after a failure, the one it made or a single new one), and
    whether our own POST's answer named it (only then is it provably ours to delete)."""
    started = datetime.now(UTC)
    try:
        return client.create_app(request), True
    except RecallError as failure:
        if not _may_have_made_it(failure):
            raise
        return _reconcile(client, request, started, failure)


def _reconcile(
    client: RecallClient, request: ZoomOAuthAppCreate, started: datetime, failure: RecallError
) -> tuple[ZoomOAuthApp, bool]:
    found = _created_by(client, request, started, failure)
    if found is not None:
        return _take(client, found, request), False
    # Look again once the request must have ended: one whose outcome is unknown may still be
    # running, and nothing documents that a listing shows a new app at once, so even a request
    # known to be over gets this second look before anything is posted again.
    settle = min(2 * client.timeout.read, _MAX_SETTLE)
    time.sleep(settle)
    found = _created_by(client, request, started, failure)
    if found is not None:
        return _take(client, found, request), False
    if failure.outcome is None or not failure.outcome.is_over:
        raise RecallError(
            f"{failure} Recall still shows no app with client id {request.client_id!r} after "
            f"{settle:g} s, but a gateway error or a lost answer does not prove the request "
            "ended",
            hint=_LOOK_FIRST.format("that client id"),
            outcome=failure.outcome,
        ) from None
    # The request is over, and two listings show it made nothing: one more POST cannot leave a
    # second app.
    try:
        return client.create_app(request), True
    except RecallError as again:
        if not _may_have_made_it(again):
            raise
        look = _LOOK_FIRST.format(f"client id {request.client_id!r}")
        raise again.with_hint(
            f"Creating it again failed as well (the first attempt: {failure}), and this "
            f"attempt may have made the app. {look}"
        ) from None


def _may_have_made_it(failure: RecallError) -> bool:
    return failure.outcome is not None and failure.outcome.may_have_acted


def _created_by(
    client: RecallClient, request: ZoomOAuthAppCreate, started: datetime, failure: RecallError
) -> ZoomOAuthApp | None:
    """The one app the failed POST may have made: recent, and with no secret that differs."""
    try:
        candidates = [
            app
            for app in client.list_apps(client_id=request.client_id, kind=request.kind)
            if (app.created_at is None or app.created_at >= started - _CLOCK_SKEW)
            and all(
                same_secret(getattr(app, k), getattr(request, k).get_secret_value()) is not False
                for k in SECRETS
            )
        ]
    except RecallError as exc:
        raise RecallError(
            f"{failure} Looking for the app afterwards failed too ({exc})",
            hint=f"Before running `pulumi up` again, check Recall for an app with client id "
            f"{request.client_id!r} and adopt it with adopt_app_id if it exists.",
            outcome=failure.outcome,
        ) from None
    if len(candidates) > 1:
        ids = ", ".join(app.id for app in candidates)
        raise RecallError(
            f"{failure} Recall now has {len(candidates)} recent apps with client id "
            f"{request.client_id!r} ({ids})",
            hint="Delete the extra ones, then adopt the remaining one with adopt_app_id.",
            outcome=failure.outcome,
        ) from None
    return candidates[0] if candidates else None


def undo_create(
    client: RecallClient,
    app_id: str,
    failure: RecallWebhookCheckError,
    *,
    ours: bool,
    adopted: bool,
) -> tuple[RecallWebhookCheckError, bool]:
    """Delete an app whose self-check failed, when this machine's POST provably made it; the
    error saying what is left, and whether the app was deleted."""
    # A failed create leaves nothing behind (the engine would not record the id). An adopted
    # app, or one found by listing after a lost answer (it may have been made by hand), stays:
    # deleting it could destroy someone else's app.
    if adopted:
        return failure.with_hint(
            f"{failure.hint} The adopted app {app_id} was left in place with the secrets of "
            "this step's inputs; fix webhook_secret and run `pulumi up` again."
        ), False
    if not ours:
        return failure.with_hint(
            f"{failure.hint} App {app_id} was not provably made by this stack's create, so it "
            "was left in place: adopt it with adopt_app_id once its webhook secret is right, or "
            "delete it."
        ), False
    try:
        with contextlib.suppress(RecallNotFoundError):
            client.delete_app(app_id)
    except RecallError as cleanup:
        return failure.with_hint(
            f"{failure.hint} Deleting app {app_id} failed too ({cleanup}); it is still in "
            "Recall: run `pulumi up` again once the webhook secret is right (this machine takes "
            "the app over), or delete it."
        ), False
    return failure, True
