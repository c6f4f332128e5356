"""The app's lifecycle over Recall's API, as one service that every door serves.

A door (the dynamic provider, the native plugin) converts its engine's values into the records of
``spec`` and back, and calls ``check`` and ``plan`` at preview (neither calls Recall), then
``create``, ``read``, ``update`` and ``delete``. One service serves every call of a provider
process, from several threads at once: it builds its client, the workspace's app index, this
machine's create records and the command's claims once, from its settings.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from recall_provider.client import RecallClient
from recall_provider.client.urls import APP_ID_HINT
from recall_provider.core import creation
from recall_provider.core.check import Checked, judge
from recall_provider.core.claims import Claims
from recall_provider.core.journal import CreateJournal, state_dir
from recall_provider.core.lookup import AppIndex
from recall_provider.core.made import Origin
from recall_provider.core.naming import argument
from recall_provider.core.outputs import Known, app_state
from recall_provider.core.plan import Plan, plan
from recall_provider.core.refusals import no_such_app
from recall_provider.core.spec import MUTABLE, NAMES, SECRETS, AppInputs, AppState
from recall_provider.core.undo import undo_create
from recall_provider.core.webhook_check import self_check
from recall_provider.errors import (
    ErrorCode,
    Outcome,
    RecallConfigError,
    RecallNotFoundError,
    RecallWebhookCheckError,
)
from recall_provider.models import ZoomOAuthAppUpdate, canonical_app_id, echoed, same_secret
from recall_provider.settings import Lookup, Settings

__all__ = ["AppService", "inputs_of"]

log = logging.getLogger(__name__)


def _always() -> bool:
    return True


class AppService:
    """Check, plan, create, read, update and delete Recall Zoom OAuth Apps: never a second app
    for one Zoom app, never a delete of an app the stack does not own."""

    def __init__(
        self, *, caller_alive: Callable[[], bool] = _always, command: str | None = None
    ) -> None:
        # caller_alive: whether whoever asked for a create still listens for its answer; when
        # it does not, the create keeps this machine's record, so the next run takes the app
        # over instead of stopping at it. command: the name of the command served (the
        # engine's address), under which an adopted app is written down, so that a delete of
        # the same command in another provider process keeps it.
        self._caller_alive = caller_alive
        self._command = command
        self._lock = threading.Lock()
        # Settings that cannot be used are kept as their error's parts (an exception would keep
        # the frames of Settings.read, the API key among their locals) and raised anew when a
        # call needs Recall, so that check and plan (which need none) still run.
        self._settings: Settings | _Unusable | None = None
        self._runtime_instance: _Runtime | None = None

    def configure(self, config: Lookup) -> None:
        """Read the ``recall:*`` settings from ``config``; the environment fills what it leaves
        unset. Without a call, the environment alone is read at the first call to Recall."""
        settings: Settings | _Unusable
        try:
            settings = Settings.read(config)
        except RecallConfigError as exc:
            settings = _Unusable(exc.summary, exc.hint, exc.code)
        with self._lock:
            self._settings = settings
            self._runtime_instance = None

    # -- preview: check and plan never call Recall -------------------------------------------

    def check(self, news: Mapping[str, object]) -> Checked:
        """The inputs trimmed, and one failure per wrong property."""
        return judge(news)

    def plan(self, app_id: str, olds: Mapping[str, object], news: Mapping[str, object]) -> Plan:
        """What moving app ``app_id`` from its recorded ``olds`` to ``news`` takes."""
        return plan(app_id, olds, news)

    # -- apply -------------------------------------------------------------------------------

    def create(self, inputs: AppInputs, *, owner: str | None = None) -> AppState:
        """Adopt the app named by ``adopt_app_id``, or make one (never a second for one Zoom
        app); then run the self-check. ``owner`` names the stack and resource the app is for:
        only it may take over the app of its own interrupted create."""
        run = self._runtime(inputs)
        client = run.client
        request = inputs.create_body()
        # One create per Zoom client id at a time, from the lookup to the self-check's end:
        # another resource for the same Zoom app then finds this one's app, in this process
        # or (when it had to wait for this machine's lock) by asking Recall again.
        with (
            run.claims.creating(request.client_id),
            run.journal.creating(request.client_id) as waited,
        ):
            made = creation.make(
                client,
                request,
                inputs.adopt_app_id,
                run.index,
                run.journal,
                fresh=waited,
                owner=owner,
            )
            app = made.app
            if made.origin is not Origin.POSTED:
                # An app that was there before: the old resource of a rename may name it.
                run.claims.hold(app.id)
            checked_at = None
            if inputs.validate_webhook:
                try:
                    checked_at = self_check(
                        client, app.id, inputs.webhook_secret.get_secret_value()
                    )
                except RecallWebhookCheckError as exc:
                    raise undo_create(client, made, exc, run.journal, run.index) from None
            # The app is recorded by the caller now: this machine's record of the create is
            # done. Unless the caller is gone (a CLI killed with its process group leaves the
            # provider to finish): the record then tells the next run that the app is ours.
            if self._caller_alive():
                run.journal.done(request.client_id)
        return app_state(app, client.webhook_url(app.id), Known.of(inputs), checked_at)

    def read(self, app_id: str, last: AppState | None) -> AppState | None:
        """One GET: the app as it is now, or None when it is gone (``last``: what was recorded,
        which fills what Recall does not show)."""
        _recorded(app_id)
        client = self._runtime(last).client
        try:
            app = client.get_app(app_id)
        except RecallNotFoundError:
            return None
        checked_at = last.webhook_self_check_at if last is not None else None
        return app_state(app, client.webhook_url(app.id), Known.of(last), checked_at)

    def import_app(self, app_id: str) -> AppState:
        """The app ``app_id`` names, from its id alone (``pulumi import``); an id Recall does
        not have is an error naming it."""
        canonical = canonical_app_id(app_id)
        if canonical is None:
            raise RecallConfigError(
                f"cannot import {echoed(app_id)}: it is not a Recall app id (a UUID)",
                hint=APP_ID_HINT,
                code=ErrorCode.BAD_ID,
            )
        client = self._runtime().client
        try:
            app = client.get_app(canonical)
        except RecallNotFoundError as exc:
            code = ErrorCode.IMPORT_NOT_FOUND
            raise no_such_app(
                "import", canonical, client.base_url, exc, check="the id", code=code
            ) from None
        return app_state(app, client.webhook_url(app.id), Known())

    def update(self, app_id: str, last: AppState, news: AppInputs) -> AppState:
        """One PATCH with only the secrets that changed, then the self-check when the webhook
        secret may have changed."""
        _recorded(app_id)
        client = self._runtime(last, news).client
        changed = {
            k: getattr(news, k)
            for k in MUTABLE
            if getattr(news, k).get_secret_value() != last.secret(k)
        }
        try:
            if changed:
                app = client.update_app(app_id, ZoomOAuthAppUpdate.model_validate(changed))
            else:
                app = client.get_app(app_id)
        except RecallNotFoundError as exc:
            raise exc.with_hint(
                f"Recall app {app_id} no longer exists (deleted outside Pulumi, or in another "
                "region). Run `pulumi refresh` to drop it from the stack's state, then "
                "`pulumi up` to create it again.",
                code=ErrorCode.GONE,
            ) from None
        # The check proves the webhook secret and URL. When only the client secret changed and
        # Recall shows it still holds our webhook secret, the last pass stands: one PATCH. A
        # masked or omitted secret could have been changed outside Pulumi, so check again.
        secret = news.webhook_secret.get_secret_value()
        last_pass = last.webhook_self_check_at
        checked_at = None
        if (
            last_pass
            and "webhook_secret" not in changed
            and same_secret(app.webhook_secret, secret)
        ):
            checked_at = last_pass if news.validate_webhook else None
        elif news.validate_webhook:
            checked_at = self_check(client, app.id, secret)
        return app_state(app, client.webhook_url(app.id), Known.of(news), checked_at)

    def delete(self, app_id: str, last: AppState | None = None) -> None:
        """One DELETE; an app that is already gone counts as deleted, and one that a create of
        this service adopted (a resource renamed without an alias) is kept."""
        _recorded(app_id)
        run = self._runtime(last)
        if run.claims.holds(app_id):
            # The old resource of a rename: its app is the new resource's now.
            log.info("kept Recall app %s: a create of this command adopted it", app_id)
            return
        with contextlib.suppress(RecallNotFoundError):
            run.client.delete_app(app_id)
        run.index.forget(app_id)

    def _runtime(self, *records: AppInputs | AppState | None) -> _Runtime:
        """What the settings make (built once), its client told the secrets of ``records`` so
        that no error text can show them."""
        with self._lock:
            if self._runtime_instance is None:
                settings = self._settings or Settings.read(lambda key: None)
                if isinstance(settings, _Unusable):
                    raise RecallConfigError(
                        settings.summary, hint=settings.hint, code=settings.code
                    )
                client = settings.client()
                claims = Claims(state_dir() / "claims" / client.workspace, self._command)
                self._runtime_instance = _Runtime(
                    client, AppIndex(client), CreateJournal(client.workspace), claims
                )
            runtime = self._runtime_instance
        values: list[SecretStr | None] = [getattr(r, k) for r in records if r for k in SECRETS]
        runtime.client.remember_secrets(*(v.get_secret_value() for v in values if v is not None))
        return runtime


def _recorded(app_id: str) -> None:
    """Refuse ``app_id``, the id a stack's state records, when it is no Recall app id: said as
    the state's fault (an id given on a command line or to import is the client's or
    ``import_app``'s to judge, in words that blame no state)."""
    if canonical_app_id(app_id) is None:
        raise RecallConfigError(
            f"the stack's state records the app id {echoed(str(app_id))}, which is not a "
            "Recall app id (a UUID)",
            hint="The state keeps the id Recall returned, so this one was edited there or the "
            "state is corrupt: put the app's id back (`pulumi stack export`, fix it, `pulumi "
            "stack import`), or drop the resource with `pulumi state delete` and adopt the app "
            f"again ({argument('adopt_app_id')}).",
            code=ErrorCode.BAD_ID,
            outcome=Outcome.NOT_SENT,
        )


def inputs_of(state: AppState) -> dict[str, object]:
    """The inputs that would make ``state`` (what a refresh or an import records), secrets in
    plain text: every input the state holds a value for."""
    values = {name: getattr(state, name) for name in NAMES}
    return {
        name: state.secret(name) if name in SECRETS else value
        for name, value in values.items()
        if value is not None
    }


@dataclass(frozen=True)
class _Runtime:
    """What a service builds once from its settings."""

    client: RecallClient
    index: AppIndex
    journal: CreateJournal
    claims: Claims


@dataclass(frozen=True)
class _Unusable:
    """Why the configured settings cannot be used."""

    summary: str
    hint: str
    code: ErrorCode
