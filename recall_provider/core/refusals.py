"""The errors a create stops with rather than risk a second app or take one not provably its
own: each names the apps Recall has and what to do next."""

from __future__ import annotations

from recall_provider.core.evidence import other_owner, stamped_while
from recall_provider.core.journal import Entry
from recall_provider.core.naming import argument
from recall_provider.core.spec import SECRETS
from recall_provider.errors import (
    ErrorCode,
    RecallAppExistsError,
    RecallConfigError,
    RecallError,
    RecallNotFoundError,
)
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate, iso, same_secret

__all__ = ["adopt_or_delete", "exists", "look_first", "no_such_app", "unproven"]


def look_first(client_id: str) -> str:
    return (
        f"Before running `pulumi up` again, list Recall's apps for client id {client_id!r}: "
        f"adopt one that appeared ({argument('adopt_app_id')}), or run `pulumi up` if there is "
        "none."
    )


def listed(apps: list[ZoomOAuthApp]) -> str:
    return "; ".join(f"{a.id} ({a.kind}, created {iso(a.created_at) or 'at an unknown time'})"
                     for a in apps)  # fmt: skip


def apps_for(request: ZoomOAuthAppCreate, existing: list[ZoomOAuthApp]) -> str:
    plural = "s" if len(existing) > 1 else ""
    return (
        f"{len(existing)} app{plural} for Zoom client id {request.client_id!r}: {listed(existing)}"
    )


def adopt_or_delete(app_id: str) -> str:
    return (
        f"If it is this stack's, adopt it: set {argument('adopt_app_id')} to {app_id} and run "
        "`pulumi up`. If it is not, delete it in Recall first."
    )


def exists(
    request: ZoomOAuthAppCreate,
    existing: list[ZoomOAuthApp],
    entry: Entry | None,
    owner: str | None = None,
) -> RecallAppExistsError:
    first = existing[0].id
    made_for = other_owner(entry, owner)
    if made_for is not None:
        return RecallAppExistsError(
            f"create Zoom OAuth app stopped before posting: Recall already has "
            f"{apps_for(request, existing)}, and this machine's record says an interrupted "
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
        and stamped_while(entry, existing[0])
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
        f"{apps_for(request, existing)}; a second one would claim the same Zoom app",
        hint=f"{why}{adopt_or_delete(first)} After an interrupted `pulumi up`, `pulumi "
        "refresh --clear-pending-creates` drops the create Pulumi left pending.",
    )


def unproven(
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
        f"client id {request.client_id!r}: {listed(apps)}",
        hint=f"{why}{adopt_or_delete(app.id)}",
        outcome=failure.outcome,
    )


def no_such_app(
    doing: str, app_id: str, base_url: str, missing: RecallNotFoundError, *, check: str,
    code: ErrorCode,
) -> RecallConfigError:  # fmt: skip
    """The error for an app named by its id (to adopt, to import) that Recall does not have
    where the settings point: ``check`` names where the id came from."""
    rid = f", request id {missing.request_id}" if missing.request_id else ""
    return RecallConfigError(
        f"cannot {doing} Recall app {app_id}: Recall at {base_url} has no such app "
        f"({missing.method} {missing.path} returned 404{rid})",
        hint=f"Check {check}, and that recall:region / recall:apiUrl point at the region where "
        "the app was created.",
        code=code,
    )
