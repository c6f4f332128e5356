"""Making the app of a create: adopt one made by hand, or POST one, and never leave two.

A POST is not idempotent, so what a failed one may have done is read from its outcome alone
(``recall_provider.errors.Outcome``): when it may have made the app, the app is looked for before
anything else; only a request known to be over, whose listings show nothing, is posted again.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

from recall_provider.client import RecallClient
from recall_provider.errors import (
    RecallConfigError,
    RecallError,
    RecallNotFoundError,
    RecallWebhookCheckError,
)
from recall_provider.inputs import IMMUTABLE, MUTABLE, SECRETS
from recall_provider.models import (
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    same_secret,
)

__all__ = ["adopt", "post", "undo_create"]

# How far before our own clock an app created by an ambiguous POST may be stamped by Recall's.
_CLOCK_SKEW = timedelta(minutes=5)
# Longest wait for a POST that may still be running on Recall's side after its answer was lost.
_MAX_SETTLE = 15.0
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
    mismatched = [k for k in IMMUTABLE if getattr(app, k) != getattr(want, k)]
    if mismatched:
        found = ", ".join(f"{k}={getattr(app, k)!r}" for k in mismatched)
        raise RecallConfigError(
            f"cannot adopt Recall app {app_id}: it has {found}, which Recall cannot change; "
            "set the resource's inputs to the app's values, or drop adopt_app_id to create "
            "a new app"
        )
    stale = {
        k: getattr(want, k)
        for k in MUTABLE
        if not same_secret(getattr(app, k), getattr(want, k).get_secret_value())
    }
    if stale:
        app = client.update_app(app_id, ZoomOAuthAppUpdate.model_validate(stale))
    return app


def post(client: RecallClient, request: ZoomOAuthAppCreate) -> tuple[ZoomOAuthApp, bool]:
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
        return found, False
    # Look again once the request must have ended: one whose outcome is unknown may still be
    # running, and nothing documents that a listing shows a new app at once, so even a request
    # known to be over gets this second look before anything is posted again.
    settle = min(2 * client.timeout.read, _MAX_SETTLE)
    time.sleep(settle)
    found = _created_by(client, request, started, failure)
    if found is not None:
        return found, False
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
) -> RecallWebhookCheckError:
    """Delete an app whose self-check failed right after our POST made it; say what is left."""
    # A failed create leaves nothing behind (the engine would not record the id). An adopted
    # app, or one found by listing after a lost answer (it may have been made by hand), stays:
    # deleting it could destroy someone else's app.
    if adopted:
        return failure.with_hint(
            f"{failure.hint} The adopted app {app_id} was left in place with the secrets of "
            "this step's inputs; fix webhook_secret and run `pulumi up` again."
        )
    if not ours:
        return failure.with_hint(
            f"{failure.hint} App {app_id} was not created by this step, so it was left in "
            "place: adopt it with adopt_app_id once its webhook secret is right, or delete it."
        )
    try:
        with contextlib.suppress(RecallNotFoundError):
            client.delete_app(app_id)
    except RecallError as cleanup:
        return failure.with_hint(
            f"{failure.hint} Deleting app {app_id} failed too ({cleanup}); it is still in "
            "Recall: delete it, or adopt it with adopt_app_id once its webhook secret is right."
        )
    return failure
