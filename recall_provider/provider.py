"""The dynamic provider behind ``RecallZoomOAuthApp``: Pulumi's CRUD mapped onto the Recall client.

The engine pickles this object into state by reference and the provider host shares one
instance among four threads, so the instance keeps nothing but what ``configure()`` or the
environment gives it at run time, and builds its (thread-safe) client lazily.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from pydantic import SecretStr, ValidationError

from recall_provider import zoom
from recall_provider.client import Pacing, RecallClient, Timeout, resolve_base_url
from recall_provider.errors import (
    RecallAPIError,
    RecallConfigError,
    RecallConnectionError,
    RecallError,
    RecallNotFoundError,
    RecallResponseError,
    RecallServerError,
    RecallWebhookCheckError,
)
from recall_provider.models import (
    KINDS,
    MAX_FIELD_LENGTH,
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
)

__all__ = ["RecallZoomOAuthAppProvider"]

PROVIDER_KEY = "__provider"
REQUIRED = ("kind", "client_id", "client_secret", "webhook_secret")
OPTIONAL = ("adopt_app_id", "validate_webhook")
INPUTS = REQUIRED + OPTIONAL
SECRETS = ("client_secret", "webhook_secret")
IMMUTABLE = ("kind", "client_id")
# How far before our own clock an app created by an ambiguous POST may be stamped by Recall's.
_CLOCK_SKEW = timedelta(minutes=5)
# Longest wait for a POST that may still be running on Recall's side after its answer was lost.
_MAX_SETTLE = 15.0


@dataclass(frozen=True)
class _Settings:
    api_key: str | None
    region: str | None
    api_url: str | None
    request_timeout: str | None = None
    requests_per_minute: str | None = None


def _env_settings() -> _Settings:
    return _Settings(
        api_key=os.environ.get("RECALL_API_KEY") or None,
        region=os.environ.get("RECALL_REGION") or None,
        api_url=os.environ.get("RECALL_API_URL") or None,
        request_timeout=os.environ.get("RECALL_REQUEST_TIMEOUT") or None,
        requests_per_minute=os.environ.get("RECALL_REQUESTS_PER_MINUTE") or None,
    )


def _pacing(settings: _Settings) -> Pacing:
    if settings.requests_per_minute is None:
        return Pacing()
    try:
        limit = int(settings.requests_per_minute)
    except ValueError:
        limit = 0
    if limit < 5:
        raise RecallConfigError(
            "recall:requestsPerMinute must be a whole number of at least 5, "
            f"not {settings.requests_per_minute!r}"
        )
    # Recall's list endpoints allow a fifth of the others (60 against 300 per minute).
    return Pacing(per_minute=limit, list_per_minute=max(1, limit // 5))


def _timeout(settings: _Settings) -> Timeout:
    if settings.request_timeout is None:
        return Timeout()
    try:
        seconds = float(settings.request_timeout)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise RecallConfigError(
            f"recall:requestTimeout must be a number of seconds from 0 to 600, "
            f"not {settings.request_timeout!r}"
        )
    return Timeout(connect=min(5.0, seconds), read=seconds)


class RecallZoomOAuthAppProvider(ResourceProvider):
    """CRUD of one Recall Zoom OAuth App per resource, over Recall's REST API."""

    # Nothing secret is ever captured, so the pickle need not be encrypted twice per resource.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._runtime_init()

    def _runtime_init(self) -> None:
        self._settings: _Settings | None = None
        self._client_instance: RecallClient | None = None
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
        """Read ``recall:apiKey``/``region``/``apiUrl``/``requestTimeout``; the environment
        fills what the stack config leaves unset."""
        env = _env_settings()

        def get(key: str) -> str | None:
            value = req.config.get(key)
            return str(value).strip() if value not in (None, "") else None

        region, api_url = get("recall:region"), get("recall:apiUrl")
        if region is None and api_url is None:
            # Where Recall lives is one setting: a stack that names its region must not be
            # redirected by a RECALL_API_URL left in the shell (say, pointing at the emulator).
            region, api_url = env.region, env.api_url
        with self._lock:
            self._settings = _Settings(
                api_key=get("recall:apiKey") or env.api_key,
                region=region,
                api_url=api_url,
                request_timeout=get("recall:requestTimeout") or env.request_timeout,
                requests_per_minute=get("recall:requestsPerMinute") or env.requests_per_minute,
            )
            self._client_instance = None

    def _client(self) -> RecallClient:
        with self._lock:
            if self._client_instance is None:
                settings = self._settings or _env_settings()
                if not settings.api_key:
                    raise RecallConfigError(
                        "the Recall API key is not set: run `pulumi config set --secret "
                        "recall:apiKey <key>` or set RECALL_API_KEY"
                    )
                self._client_instance = RecallClient(
                    settings.api_key,
                    base_url=resolve_base_url(settings.region, settings.api_url),
                    timeout=_timeout(settings),
                    pacing=_pacing(settings),
                )
            return self._client_instance

    # -- preview: check and diff never call Recall ------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and normalise the inputs; every problem becomes a CheckFailure."""
        inputs = dict(news)
        failures: list[CheckFailure] = []
        for key in news:
            if key not in INPUTS and key != PROVIDER_KEY:
                failures.append(
                    CheckFailure(
                        key, f"is not an input of RecallZoomOAuthApp ({', '.join(INPUTS)})"
                    )
                )
        known: dict[str, str] = {}
        for key in INPUTS:
            value = news.get(key)
            if isinstance(value, Unknown):
                continue  # known only after apply; checked then by Recall itself
            if value is None:
                if key in REQUIRED:
                    failures.append(CheckFailure(key, "is required"))
                continue
            if key == "validate_webhook":
                if not isinstance(value, bool):
                    failures.append(
                        CheckFailure(key, f"must be true or false, not {_type_name(value)}")
                    )
                continue
            if not isinstance(value, str):
                failures.append(CheckFailure(key, f"must be a string, not {_type_name(value)}"))
                continue
            # Values pasted from the Zoom Marketplace or read from files often carry stray
            # whitespace or a byte-order mark; Zoom ids and secrets never contain either.
            inputs[key] = known[key] = _trim(value)
        failures.extend(_model_failures(known))
        adopt = known.get("adopt_app_id")
        if adopt is not None and not _is_uuid(adopt):
            failures.append(CheckFailure("adopt_app_id", "must be a Recall app id (a UUID)"))
        return CheckResult(inputs, failures)

    def diff(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new kind or client id, update on new secrets, otherwise nothing."""
        replaces = [k for k in IMMUTABLE if _changed(olds.get(k), news.get(k))]
        adopt = news.get("adopt_app_id")
        if isinstance(adopt, Unknown) or (adopt is not None and adopt != id):
            replaces.append("adopt_app_id")
        updates = [k for k in SECRETS if _changed(olds.get(k), news.get(k))]
        # Turning the self-check on runs it at the next update; turning it off clears its time.
        if _changed(olds.get("validate_webhook", True), news.get("validate_webhook", True)):
            updates.append("validate_webhook")
        # A new app of another kind with the old client id would sit beside the old one until
        # it is deleted, both claiming the same Zoom app; delete first in that case. Adopting
        # another existing app deletes nothing first: that app is already there.
        same_client = not _changed(olds.get("client_id"), news.get("client_id"))
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            delete_before_replace="kind" in replaces and same_client,
        )

    # -- apply ------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """One POST; after an ambiguous failure, reconcile by listing before anything else."""
        client = self._client()
        request = ZoomOAuthAppCreate.model_validate({k: props[k] for k in REQUIRED})
        # Only an app whose id came back from our own POST is provably ours to delete again.
        ours = False
        if props.get("adopt_app_id"):
            app = self._adopt(client, props["adopt_app_id"], request)
        else:
            started = datetime.now(UTC)
            try:
                app = client.create_app(request)
                ours = True
            except (RecallConnectionError, RecallServerError, RecallResponseError) as exc:
                if isinstance(exc, RecallConnectionError) and not exc.may_have_reached_server:
                    raise
                app, ours = self._reconcile(client, request, started, exc)
        outs = self._outputs(client, app, props)
        try:
            outs.update(self._self_check(client, app.id, props))
        except RecallWebhookCheckError as exc:
            adopted = bool(props.get("adopt_app_id"))
            raise _undo_create(client, app.id, exc, ours=ours, adopted=adopted) from None
        return CreateResult(app.id, outs)

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        """One GET: the live values, or an empty id when the app is gone."""
        client = self._client()
        try:
            app = client.get_app(id)
        except RecallNotFoundError:
            return ReadResult(None, {})
        outs = self._outputs(client, app, props)
        inputs = {k: outs[k] for k in INPUTS if outs.get(k) is not None}
        return ReadResult(app.id, outs, inputs)

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only the secrets that changed; the complete outputs come back."""
        client = self._client()
        changed = {k: news[k] for k in SECRETS if news.get(k) != olds.get(k)}
        try:
            if changed:
                app = client.update_app(id, ZoomOAuthAppUpdate.model_validate(changed))
            else:
                app = client.get_app(id)
        except RecallNotFoundError as exc:
            raise _gone(exc, id) from None
        outs = self._outputs(client, app, news)
        # The check proves the webhook secret and URL. When only the client secret changed and
        # Recall shows it still holds our webhook secret, the last pass stands: one PATCH. A
        # masked or omitted secret could have been changed outside Pulumi, so check again.
        last_pass = olds.get("webhook_self_check_at")
        same_webhook = _same_secret(app.webhook_secret, str(news.get("webhook_secret")))
        if last_pass and "webhook_secret" not in changed and same_webhook:
            if news.get("validate_webhook") is not False:
                outs["webhook_self_check_at"] = last_pass
        else:
            outs.update(self._self_check(client, app.id, news))
        return UpdateResult(outs)

    def delete(self, id: str, props: dict[str, Any]) -> None:
        """One DELETE; an app that is already gone counts as deleted."""
        with contextlib.suppress(RecallNotFoundError):
            self._client().delete_app(id)

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _self_check(client: RecallClient, app_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the webhook URL as Zoom's Validate button does; return the time it passed."""
        if props.get("validate_webhook") is False:
            return {}
        secret = str(props["webhook_secret"])
        now = time.time()
        body, plain_token, headers = zoom.signed_url_validation(secret, now)
        url = client.webhook_url(app_id)
        advice = (
            "Zoom's Validate button would fail the same way. Recall's guide names two causes: "
            "the app's webhook_secret in Recall is not the Zoom app's Secret Token, or Zoom "
            f"calls another URL than {url} (check the region). Set validate_webhook to false "
            "to skip this check."
        )
        try:
            answer = client.send_zoom_webhook(app_id, body, headers, secret=secret)
        except RecallAPIError as exc:
            raise RecallWebhookCheckError(
                f"webhook self-check of Recall app {app_id} failed: {exc} {advice}"
            ) from None
        expected = zoom.encrypted_token(secret, plain_token)
        got = answer.get("encryptedToken")
        if answer.get("plainToken") != plain_token or not (
            isinstance(got, str) and hmac.compare_digest(got, expected)
        ):
            raise RecallWebhookCheckError(
                f"webhook self-check of Recall app {app_id} failed: {url} answered Zoom's URL "
                f"validation with a token that does not match the webhook_secret. {advice}"
            )
        return {"webhook_self_check_at": _iso(datetime.fromtimestamp(now, UTC))}

    def _adopt(self, client: RecallClient, app_id: str, want: ZoomOAuthAppCreate) -> ZoomOAuthApp:
        try:
            app = client.get_app(app_id)
        except RecallNotFoundError as exc:
            raise RecallConfigError(
                f"cannot adopt Recall app {app_id}: {exc.method} {exc.path} returned 404 "
                f"(request id {exc.request_id}). Check adopt_app_id and that recall:region / "
                "recall:apiUrl point at the region where the app was created."
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
            for k in SECRETS
            if not _same_secret(getattr(app, k), getattr(want, k).get_secret_value())
        }
        if stale:
            app = client.update_app(app_id, ZoomOAuthAppUpdate.model_validate(stale))
        return app

    def _reconcile(
        self,
        client: RecallClient,
        request: ZoomOAuthAppCreate,
        started: datetime,
        failure: RecallError,
    ) -> tuple[ZoomOAuthApp, bool]:
        """The app an ambiguous POST made (or a new one when safe), and whether our POST made it."""
        found = self._created_by(client, request, started, failure)
        if found is not None:
            return found, False
        # The POST may still be running on Recall's side; look again once it must have ended.
        settle = min(2 * client.timeout.read, _MAX_SETTLE)
        time.sleep(settle)
        found = self._created_by(client, request, started, failure)
        if found is not None:
            return found, False
        if _made_nothing(failure):
            # Recall itself answered, so the request is over, and it made nothing: no duplicate.
            try:
                return client.create_app(request), True
            except (RecallConnectionError, RecallServerError, RecallResponseError) as again:
                if _made_nothing(again):
                    raise
                # Looking and trying again would only repeat the gamble: say what to check.
                raise RecallError(
                    f"{failure} Creating it again failed as well ({again}), and that request "
                    "may have made the app. Before running `pulumi up` again, list Recall's "
                    f"apps for client id {request.client_id!r}: adopt one that appeared "
                    "(adopt_app_id), or run `pulumi up` if there is none."
                ) from None
        raise RecallError(
            f"{failure} Recall still shows no app with client id {request.client_id!r} after "
            f"{settle:g} s, but a gateway error or a lost answer does not prove the request "
            "ended. Before running `pulumi up` again, list Recall's apps for that client id: "
            "adopt one that appeared (adopt_app_id), or run `pulumi up` if there is none."
        ) from None

    def _created_by(
        self,
        client: RecallClient,
        request: ZoomOAuthAppCreate,
        started: datetime,
        failure: RecallError,
    ) -> ZoomOAuthApp | None:
        try:
            candidates = [
                app
                for app in client.list_apps(client_id=request.client_id, kind=request.kind)
                if (app.created_at is None or app.created_at >= started - _CLOCK_SKEW)
                and _same_secret(app.client_secret, request.client_secret.get_secret_value())
                is not False
                and _same_secret(app.webhook_secret, request.webhook_secret.get_secret_value())
                is not False
            ]
        except RecallError as exc:
            raise RecallError(
                f"{failure} Looking for the app afterwards failed too ({exc}); before running "
                f"`pulumi up` again, check Recall for an app with client id "
                f"{request.client_id!r} and adopt it with adopt_app_id if it exists."
            ) from None
        if len(candidates) > 1:
            ids = ", ".join(app.id for app in candidates)
            raise RecallError(
                f"{failure} Recall now has {len(candidates)} recent apps with client id "
                f"{request.client_id!r} ({ids}); delete the extra ones, then adopt the "
                "remaining one with adopt_app_id."
            ) from None
        return candidates[0] if candidates else None

    @staticmethod
    def _outputs(
        client: RecallClient, app: ZoomOAuthApp, props: Mapping[str, Any]
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {
            "kind": app.kind,
            "client_id": app.client_id,
            "client_secret": _live_secret(app.client_secret, props.get("client_secret")),
            "webhook_secret": _live_secret(app.webhook_secret, props.get("webhook_secret")),
            "created_at": _iso(app.created_at),
            "webhook_last_validation": _iso(app.webhook_last_validation),
            "webhook_url": client.webhook_url(app.id),
        }
        for key in ("adopt_app_id", "validate_webhook", "webhook_self_check_at"):
            if props.get(key) is not None:
                outs[key] = props[key]
        return outs


def _undo_create(
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
        return RecallWebhookCheckError(
            f"{failure} The adopted app {app_id} was left in place with the secrets of this "
            "step's inputs; fix webhook_secret and run `pulumi up` again."
        )
    if not ours:
        return RecallWebhookCheckError(
            f"{failure} App {app_id} was not created by this step, so it was left in place: "
            "adopt it with adopt_app_id once its webhook secret is right, or delete it."
        )
    try:
        with contextlib.suppress(RecallNotFoundError):
            client.delete_app(app_id)
    except RecallError as cleanup:
        return RecallWebhookCheckError(
            f"{failure} Deleting app {app_id} failed too ({cleanup}); it is still in Recall: "
            "delete it, or adopt it with adopt_app_id once its webhook secret is right."
        )
    return failure


def _made_nothing(failure: RecallError) -> bool:
    """Whether a failed create provably made no app: Recall answered 500/503 or never heard it."""
    if isinstance(failure, RecallServerError):
        return failure.status in (500, 503)
    return isinstance(failure, RecallConnectionError) and not failure.may_have_reached_server


def _fresh() -> RecallZoomOAuthAppProvider:
    """What every pickled provider stands for: a new, unconfigured one."""
    return RecallZoomOAuthAppProvider()


def _model_failures(known: dict[str, str]) -> list[CheckFailure]:
    try:
        ZoomOAuthAppCreate.model_validate(
            {k: v for k, v in known.items() if k in REQUIRED}
            | {"kind": known.get("kind", KINDS[0])}
        )
    except ValidationError as exc:
        failures = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "inputs"
            if field not in known:
                continue  # missing or unknown: reported above, or checked after apply
            failures.append(CheckFailure(field, _reason(field, error, known[field])))
        return failures
    return []


def _reason(field: str, error: Any, value: str) -> str:
    kind = error["type"]
    if field == "kind":
        # Echo a typo so it is recognised; a long value may be a secret pasted into the wrong
        # field (Zoom's are 22 and 32 characters), and is described instead.
        shown = repr(value) if len(value) <= 16 else f"a {len(value)}-character value"
        return f"must be one of {', '.join(KINDS)}, not {shown}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is {len(value)} characters long; Recall allows at most {MAX_FIELD_LENGTH}"
    return str(error["msg"])


# Byte-order marks and zero-width characters, which str.strip() keeps: files and web pages
# carry them, and no Zoom id or secret contains one.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def _trim(value: str) -> str:
    trimmed = value.strip()
    while trimmed and (trimmed[0] in _INVISIBLE or trimmed[-1] in _INVISIBLE):
        trimmed = trimmed.strip(_INVISIBLE).strip()
    return trimmed


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _changed(old: Any, new: Any) -> bool:
    return isinstance(new, Unknown) or old != new


def _is_masked(value: str) -> bool:
    return bool(value) and set(value) <= {"*", "•"}


def _same_secret(returned: SecretStr | None, expected: str) -> bool | None:
    """Whether Recall's copy of a secret equals ours; None when the API does not show it."""
    if returned is None or _is_masked(returned.get_secret_value()):
        return None
    return returned.get_secret_value() == expected


def _live_secret(returned: SecretStr | None, stored: Any) -> Any:
    # Recall may omit or mask secrets; then the value we set is the best knowledge there is.
    if returned is None or _is_masked(returned.get_secret_value()):
        return stored
    return returned.get_secret_value()


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _gone(exc: RecallNotFoundError, app_id: str) -> RecallAPIError:
    return RecallNotFoundError(
        operation=exc.operation or f"update Zoom OAuth app {app_id}",
        method=exc.method or "PATCH",
        path=exc.path or "",
        status=404,
        request_id=exc.request_id,
        detail=exc.detail,
        hint=(
            f"Recall app {app_id} no longer exists (deleted outside Pulumi, or in another "
            "region). Run `pulumi refresh` to drop it from the stack's state, then `pulumi up` "
            "to create it again."
        ),
    )
