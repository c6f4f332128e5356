"""The dynamic provider behind ``RecallZoomOAuthApp``: Pulumi's CRUD mapped onto the Recall client.

The engine pickles this object into state by reference and the provider host shares one
instance among four threads, so the instance keeps nothing but what ``configure()`` or the
environment gives it at run time, and builds its (thread-safe) client lazily. Each step is a
recipe over the modules that do the work: ``inputs`` (check), ``creation`` (make the app),
``webhook_check`` (the self-check) and ``outputs`` (what is recorded).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

from recall_provider import creation, dynamic_host
from recall_provider.claims import Claims
from recall_provider.client import RecallClient
from recall_provider.creation import Origin
from recall_provider.errors import RecallConfigError, RecallNotFoundError, RecallWebhookCheckError
from recall_provider.inputs import DEFAULTS, IMMUTABLE, MUTABLE, NAMES, OWNER, SECRETS, judge
from recall_provider.journal import CreateJournal
from recall_provider.lookup import AppIndex
from recall_provider.models import (
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    canonical_app_id,
    same_secret,
)
from recall_provider.outputs import SELF_CHECK_AT, app_outputs
from recall_provider.settings import Settings
from recall_provider.webhook_check import self_check

__all__ = ["RecallZoomOAuthAppProvider"]

log = logging.getLogger(__name__)


class RecallZoomOAuthAppProvider(ResourceProvider):
    """CRUD of one Recall Zoom OAuth App per resource, over Recall's REST API."""

    # Nothing secret is ever captured, so the pickle need not be encrypted twice per resource.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._runtime_init()

    def _runtime_init(self) -> None:
        # A setting that cannot be used is kept as its text (an exception would keep the frames
        # of Settings.read, the API key among their locals) and raised anew when a call needs
        # Recall, so a preview (which needs none) still runs.
        self._settings: Settings | _Unusable | None = None
        self._runtime_instance: _Runtime | None = None
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Callable[[], RecallZoomOAuthAppProvider], tuple[()]]:
        # Settings and clients come from configure() or the environment of the process that
        # runs the provider; none of it belongs in state. A reference to a module function is
        # the smallest pickle (the engine stores it twice per resource).
        return _fresh, ()

    def __setstate__(self, state: dict[str, Any]) -> None:
        # States written before __reduce__ hold the class and an empty dict.
        self._runtime_init()

    def configure(self, req: ConfigureRequest) -> None:
        """Read the ``recall:*`` settings; the environment fills what the stack leaves unset."""
        # In the host, our errors from now on reach `pulumi` as one line, not a traceback.
        dynamic_host.install_one_line_errors()
        settings: Settings | _Unusable
        try:
            settings = Settings.read(req.config.get)
        except RecallConfigError as exc:
            settings = _Unusable(exc.summary, exc.hint)
        with self._lock:
            self._settings = settings
            self._runtime_instance = None

    def _runtime(self, *props: Mapping[str, Any]) -> _Runtime:
        """The client (told the secrets of ``props``, so that no error text can show them),
        the workspace's app index and this machine's create records."""
        with self._lock:
            if self._runtime_instance is None:
                settings = self._settings or Settings.read(lambda key: None)
                if isinstance(settings, _Unusable):
                    raise RecallConfigError(settings.summary, hint=settings.hint)
                client = settings.client()
                self._runtime_instance = _Runtime(
                    client,
                    AppIndex(client),
                    CreateJournal(client.workspace),
                    Claims(),
                )
            runtime = self._runtime_instance
        runtime.client.remember_secrets(*(str(p[k]) for p in props for k in SECRETS if p.get(k)))
        return runtime

    def _client(self, *props: Mapping[str, Any]) -> RecallClient:
        return self._runtime(*props).client

    # -- preview: check and diff never call Recall ------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and normalise the inputs; every problem becomes a CheckFailure."""
        inputs, failures = judge(news)
        return CheckResult(inputs, [CheckFailure(name, reason) for name, reason in failures])

    def diff(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new kind or client id, update on new secrets, otherwise nothing; a
        replace that would delete the app its replacement adopts is refused."""
        replaces = [k for k in IMMUTABLE if _changed(olds.get(k), news.get(k))]
        adopt = news.get("adopt_app_id")
        adopts_this_app = isinstance(adopt, str) and canonical_app_id(adopt) == id
        # A value unknown at preview may turn out the same: `up` diffs again with it known,
        # and refuses there if it does change.
        certain = [k for k in replaces if not isinstance(news.get(k), Unknown)]
        if certain and adopts_this_app:
            raise _replace_of_adopted(id, certain)
        adopts_another = isinstance(adopt, Unknown) or (adopt is not None and not adopts_this_app)
        if adopts_another:
            replaces.append("adopt_app_id")
        updates = [k for k in MUTABLE if _changed(olds.get(k), news.get(k))]
        # Turning the self-check on runs it at the next update; turning it off clears its time.
        on = DEFAULTS["validate_webhook"]
        if _changed(olds.get("validate_webhook", on), news.get("validate_webhook", on)):
            updates.append("validate_webhook")
        # A new app of another kind with the old client id would sit beside the old one until
        # it is deleted, both claiming the same Zoom app; delete first in that case. Adopting
        # another existing app deletes nothing first: that app is already there, and if the
        # adoption fails the managed app must still be.
        same_client = not _changed(olds.get("client_id"), news.get("client_id"))
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            # Never with adopt_app_id: another app deletes nothing first, and the replace of
            # the app it names is refused once certain.
            delete_before_replace="kind" in replaces and same_client and adopt is None,
        )

    # -- apply ------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the app named by ``adopt_app_id``, or make one (never a second for one Zoom
        app); then run the self-check."""
        run = self._runtime(props)
        client = run.client
        request = ZoomOAuthAppCreate.model_validate(
            {k: props[k] for k in ZoomOAuthAppCreate.model_fields}
        )
        # One create per Zoom client id at a time, from the lookup to the self-check's end:
        # another resource for the same Zoom app then finds this one's app, in this process
        # or (when it had to wait for this machine's lock) by asking Recall again.
        with (
            run.claims.creating(request.client_id),
            run.journal.creating(request.client_id) as waited,
        ):
            owner = props.get(OWNER)
            made = creation.make(
                client,
                request,
                props.get("adopt_app_id"),
                run.index,
                run.journal,
                fresh=waited,
                owner=owner if isinstance(owner, str) else None,
            )
            app = made.app
            if made.origin is not Origin.POSTED:
                # An app that was there before: the old resource of a rename may name it.
                run.claims.hold(app.id)
            outs = app_outputs(app, client.webhook_url(app.id), props)
            try:
                outs.update(self_check(client, app.id, props))
            except RecallWebhookCheckError as exc:
                raise creation.undo_create(client, made, exc, run.journal, run.index) from None
            # The engine records the app now: this machine's record of the create is done.
            # Unless the engine is gone: the CLI runs the host in a process group of its own
            # (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go, RegisterProcessGroup),
            # so a CLI killed with its group leaves the host to finish the create, and the
            # record then tells the next `pulumi up` that the app is this resource's.
            if dynamic_host.engine_alive():
                run.journal.done(request.client_id)
        return CreateResult(app.id, outs)

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        """One GET: the live values, or an empty id when the app is gone."""
        client = self._client(props)
        try:
            app = client.get_app(id)
        except RecallNotFoundError:
            return ReadResult(None, {})
        outs = app_outputs(app, client.webhook_url(app.id), props)
        inputs = {k: outs[k] for k in NAMES if outs.get(k) is not None}
        return ReadResult(app.id, outs, inputs)

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only the secrets that changed; the complete outputs come back."""
        client = self._client(olds, news)
        changed = {k: news[k] for k in MUTABLE if news.get(k) != olds.get(k)}
        try:
            if changed:
                app = client.update_app(id, ZoomOAuthAppUpdate.model_validate(changed))
            else:
                app = client.get_app(id)
        except RecallNotFoundError as exc:
            raise exc.with_hint(
                f"Recall app {id} no longer exists (deleted outside Pulumi, or in another "
                "region). Run `pulumi refresh` to drop it from the stack's state, then "
                "`pulumi up` to create it again."
            ) from None
        outs = app_outputs(app, client.webhook_url(app.id), news)
        # The check proves the webhook secret and URL. When only the client secret changed and
        # Recall shows it still holds our webhook secret, the last pass stands: one PATCH. A
        # masked or omitted secret could have been changed outside Pulumi, so check again.
        last_pass = olds.get(SELF_CHECK_AT)
        same_webhook = same_secret(app.webhook_secret, str(news.get("webhook_secret")))
        if last_pass and "webhook_secret" not in changed and same_webhook:
            if news.get("validate_webhook") is not False:
                outs[SELF_CHECK_AT] = last_pass
        else:
            outs.update(self_check(client, app.id, news))
        return UpdateResult(outs)

    def delete(self, id: str, props: dict[str, Any]) -> None:
        """One DELETE; an app that is already gone counts as deleted, and one that a create of
        this command adopted (a resource renamed without an alias) is kept."""
        run = self._runtime(props)
        if run.claims.holds(id):
            # The old resource of a rename: its app is the new resource's now.
            log.info("kept Recall app %s: a create of this command adopted it", id)
            return
        with contextlib.suppress(RecallNotFoundError):
            run.client.delete_app(id)
        run.index.forget(id)


@dataclass(frozen=True)
class _Runtime:
    """What a provider process builds once from its settings."""

    client: RecallClient
    index: AppIndex
    journal: CreateJournal
    claims: Claims


@dataclass(frozen=True)
class _Unusable:
    """Why the configured settings cannot be used."""

    summary: str
    hint: str


def _fresh() -> RecallZoomOAuthAppProvider:
    """What every pickled provider stands for: a new, unconfigured one."""
    return RecallZoomOAuthAppProvider()


def _replace_of_adopted(app_id: str, replaces: list[str]) -> RecallConfigError:
    changed = " and ".join(replaces)
    return RecallConfigError(
        f"refusing to replace Recall app {app_id}: it is the app adopt_app_id names, and a new "
        f"{changed} would replace it, so the replace would delete the very app its replacement "
        "adopts",
        hint=f"Recall cannot change an app's {changed}. Undo that change; or set adopt_app_id "
        f"to the id of an app that has the new {changed} (made by hand); or remove adopt_app_id "
        f"to have the stack make a new app (the replace then deletes app {app_id}).",
    )


def _changed(old: Any, new: Any) -> bool:
    return isinstance(new, Unknown) or old != new
