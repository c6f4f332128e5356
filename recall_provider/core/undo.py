"""What a create that failed its self-check undoes: only an app its own POST made is deleted."""

from __future__ import annotations

import contextlib

from recall_provider.client import RecallClient
from recall_provider.core.journal import CreateJournal
from recall_provider.core.lookup import AppIndex
from recall_provider.core.made import Made, Origin
from recall_provider.core.naming import argument
from recall_provider.errors import RecallError, RecallNotFoundError, RecallWebhookCheckError

__all__ = ["undo_create"]


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
