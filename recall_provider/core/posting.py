"""One POST of a create, and what a failed one may have done.

A POST is not idempotent, so what a failed one may have done is read from its outcome alone
(``recall_provider.errors.Outcome``): when it may have made the app, the app is looked for before
anything else; only a request known to be over, whose listings show nothing, is posted again.
"""

from __future__ import annotations

import time

from recall_provider.client import RecallClient
from recall_provider.core.evidence import holds_ours
from recall_provider.core.made import Made, Origin
from recall_provider.core.refusals import look_first, unproven
from recall_provider.errors import ErrorCode, RecallError
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate

__all__ = ["may_have_made_it", "post"]

# Longest wait for a POST that may still be running on Recall's side after its answer was lost.
_MAX_SETTLE = 15.0


def post(client: RecallClient, request: ZoomOAuthAppCreate) -> Made:
    """The app one POST made (or, after a failure, the one it made or a single new one)."""
    try:
        return Made(client.create_app(request), Origin.POSTED)
    except RecallError as failure:
        if not may_have_made_it(failure):
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
            hint=look_first(request.client_id),
            code=ErrorCode.CREATE_UNCONFIRMED,
            outcome=failure.outcome,
        ) from None
    # The request is over, and two listings show it made nothing: one more POST cannot leave a
    # second app.
    try:
        return Made(client.create_app(request), Origin.POSTED)
    except RecallError as again:
        if not may_have_made_it(again):
            raise
        look = look_first(request.client_id)
        raise again.with_hint(
            f"Creating it again failed as well (the first attempt: {failure}), and this "
            f"attempt may have made the app. {look}"
        ) from None


def may_have_made_it(failure: RecallError) -> bool:
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
            hint=look_first(request.client_id),
            code=ErrorCode.CREATE_UNCONFIRMED,
            outcome=failure.outcome,
        ) from None
    if not apps:
        return None
    if len(apps) == 1 and holds_ours(apps[0], request):
        return apps[0]
    raise unproven(request, apps, failure)
