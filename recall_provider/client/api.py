"""``RecallClient``: one method per operation of Recall's zoom-oauth-apps API.

HTTP only: it knows nothing of Pulumi. Requests go through a ``Transport`` (auth, timeouts,
retries, pacing, typed errors); answers are parsed into the wire models.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import requests

from recall_provider.client.failures import bad_response, parse_answer, shown_value
from recall_provider.client.pacing import Pacing
from recall_provider.client.pages import each_app_once, newest_first, walk
from recall_provider.client.retry import RetryPolicy
from recall_provider.client.transport import Timeout, Transport
from recall_provider.client.urls import (
    APP_LOGS_PATH,
    APPS_PATH,
    app_path,
    resolve_base_url,
    webhook_url,
)
from recall_provider.errors import (
    ErrorCode,
    Outcome,
    RecallAPIError,
    RecallConfigError,
    RecallConnectionError,
)
from recall_provider.models import (
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppLog,
    ZoomOAuthAppUpdate,
    canonical_app_id,
    shown_secret,
)

__all__ = ["RecallClient"]

_TIMEOUT = Timeout()
_RETRY = RetryPolicy()

_OTHER_APP_HINT = (
    "Nothing was taken from the answer. Something between here and Recall (a proxy, a "
    "gateway, recall:apiUrl) answers for another app than the one asked for; report it with "
    "the request id."
)


class RecallClient:
    """Client of Recall's zoom-oauth-apps API; thread-safe and safe to pickle."""

    def __init__(
        self,
        api_key: str,
        *,
        region: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = _TIMEOUT,
        retry: RetryPolicy = _RETRY,
        pacing: Pacing | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise RecallConfigError("the Recall API key is empty", code=ErrorCode.API_KEY_MISSING)
        key = api_key.strip()
        if not key.isascii() or not key.isprintable() or " " in key:
            # Never echo it: a pasted key with a line break would otherwise land in errors.
            raise RecallConfigError(
                "the Recall API key has spaces, line breaks or non-ASCII characters; "
                "copy it again from Recall's dashboard",
                code=ErrorCode.API_KEY_MALFORMED,
            )
        self.transport = Transport(
            key, resolve_base_url(region, base_url), timeout=timeout, retry=retry, pacing=pacing
        )

    @property
    def base_url(self) -> str:
        """The API base URL of the client's region, or the one given."""
        return self.transport.base_url

    @property
    def timeout(self) -> Timeout:
        """The connect and read timeouts of every request."""
        return self.transport.timeout

    @property
    def workspace(self) -> str:
        """A name for the workspace this client's key opens, that does not reveal the key."""
        return self.transport.workspace

    @property
    def pacing(self) -> Pacing | None:
        """The client-side rate limits, or None when requests are not paced."""
        return self.transport.pacing

    def __repr__(self) -> str:
        return f"RecallClient(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close every session this client opened, in any thread."""
        self.transport.close()

    def remember_secrets(self, *secrets: str | None) -> None:
        """Secrets to redact from every error text (the client adds each it sends or is shown)."""
        self.transport.remember_secrets(secrets)

    def __enter__(self) -> RecallClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def webhook_url(self, app_id: str) -> str:
        """The Zoom webhook URL of an app of this client's region or base URL."""
        return webhook_url(self.base_url, app_id)

    def create_app(self, app: ZoomOAuthAppCreate) -> ZoomOAuthApp:
        """Create a Zoom OAuth app (``POST``; never retried once it may have reached Recall)."""
        op = "create Zoom OAuth app"
        body = app.to_wire()
        secrets = (body["client_secret"], body["webhook_secret"])
        try:
            resp = self.transport.request(op, "POST", APPS_PATH, json=body, secrets=secrets)
        except RecallConnectionError as exc:
            if exc.outcome is Outcome.UNKNOWN:
                raise exc.with_hint(
                    "The request may have reached Recall, so the app may exist even though "
                    "this call failed; look for it (list by client id) before creating it again."
                ) from None
            raise
        made = self._app(op, resp)
        if (made.client_id, made.kind) != (app.client_id, app.kind):
            # No id is known before the answer: the app must at least be the one posted.
            raise bad_response(
                op,
                resp,
                f"it is about an app of Zoom client id {shown_value(made.client_id)} "
                f"({shown_value(made.kind)}), not the {app.client_id!r} ({app.kind}) posted",
            ).with_hint(
                f"{_OTHER_APP_HINT} Recall may have made the app all the same: look for it "
                "(list by client id) before creating it again."
            )
        return made

    def get_app(self, app_id: str) -> ZoomOAuthApp:
        """Retrieve one app; raises ``RecallNotFoundError`` when it does not exist, and
        ``RecallResponseError`` naming both ids when the answer is about another app."""
        op = f"retrieve Zoom OAuth app {app_id}"
        return self._app(op, self.transport.request(op, "GET", app_path(app_id)), app_id)

    def update_app(self, app_id: str, update: ZoomOAuthAppUpdate) -> ZoomOAuthApp:
        """Change an app's client secret and/or webhook secret (``PATCH``); the answer must be
        about that app, as for ``get_app``."""
        op = f"update Zoom OAuth app {app_id}"
        body = update.to_wire()
        resp = self.transport.request(
            op, "PATCH", app_path(app_id), json=body, secrets=body.values()
        )
        return self._app(op, resp, app_id)

    def delete_app(self, app_id: str) -> None:
        """Delete an app; raises ``RecallNotFoundError`` when it does not exist."""
        op = f"delete Zoom OAuth app {app_id}"
        self.transport.request(op, "DELETE", app_path(app_id))

    def list_apps(
        self, *, client_id: str | None = None, kind: str | None = None
    ) -> Iterator[ZoomOAuthApp]:
        """Every app of the workspace, following pages; filters match exactly."""
        for page, _ in self.app_pages(client_id=client_id, kind=kind):
            yield from page

    def app_pages(
        self, *, client_id: str | None = None, kind: str | None = None
    ) -> Iterator[tuple[list[ZoomOAuthApp], bool]]:
        """The workspace's apps a page (one request) at a time, newest first, each with
        whether it is the last."""
        params = {k: v for k, v in (("client_id", client_id), ("kind", kind)) if v is not None}
        pages = walk(
            self.transport,
            "list Zoom OAuth apps",
            path=APPS_PATH,
            params=params,
            model=ZoomOAuthApp,
            repeated=each_app_once(),
        )
        for page, last in pages:
            for app in page:
                self._remember_shown(app)
            # The API's filter semantics are undocumented; exact matching is guaranteed here.
            wanted = [
                app
                for app in page
                if (client_id is None or app.client_id == client_id)
                and (kind is None or app.kind == kind)
            ]
            yield wanted, last

    def list_app_logs(
        self, app_id: str | None = None, *, since: datetime | None = None
    ) -> Iterator[ZoomOAuthAppLog]:
        """Recall's log entries (warnings, errors) about one app, or about every app of the
        workspace, newest first; ``since``: only those logged then or later."""
        params: dict[str, str] = {}
        wanted: str | None = None
        if app_id is not None:
            app_path(app_id)
            wanted = canonical_app_id(app_id)
            params["oauth_app"] = app_id
        if since is not None:
            params["created_at_after"] = since.isoformat()
        op = f"list logs of Zoom OAuth app {app_id}" if app_id else "list Zoom OAuth app logs"
        pages = walk(
            self.transport,
            op,
            path=APP_LOGS_PATH,
            params=params,
            model=ZoomOAuthAppLog,
            repeated=newest_first(),
        )
        for page, _ in pages:
            # As for the apps' filters: entries about another app are never one app's logs.
            yield from (e for e in page if wanted is None or _same_id(e.oauth_app, wanted))

    def redact(self, text: str) -> str:
        """``text`` without any secret this client knows (sent, or shown by Recall)."""
        return self.transport.redact(text)

    def send_zoom_webhook(
        self, app_id: str, body: bytes, headers: Mapping[str, str], *, secret: str | None = None
    ) -> dict[str, Any]:
        """POST a Zoom webhook, byte for byte, to the app's Recall webhook URL; Recall's JSON
        answer comes back. No API key is sent: Zoom sends none, the signature is the proof."""
        op = f"send a Zoom webhook to Recall app {app_id}"
        resp = self.transport.request(
            op,
            "POST",
            f"{app_path(app_id)}webhook",
            content=body,
            headers={**headers, "Content-Type": "application/json", "Authorization": None},
            bucket=None,  # Recall does not rate-limit Zoom's deliveries per workspace
            secrets=(secret,),
        )
        try:
            answer = resp.json() if resp.content else {}
        except ValueError:
            raise bad_response(op, resp, "its body is not JSON") from None
        if not isinstance(answer, dict):
            raise bad_response(op, resp, "its body is not a JSON object")
        return answer

    def _app(
        self, operation: str, resp: requests.Response, asked: str | None = None
    ) -> ZoomOAuthApp:
        """The app of an answer; when ``asked`` names the app, the answer must be about it: a
        refresh would otherwise record another app (which a destroy deletes), an adoption take
        it over."""
        app = parse_answer(operation, resp, ZoomOAuthApp)
        self._remember_shown(app)  # secrets are redacted whoever's they are
        if asked is not None and not _same_id(app.id, asked):
            raise _other_app(operation, resp, asked, app.id)
        return app

    def _remember_shown(self, app: ZoomOAuthApp) -> None:
        self.remember_secrets(shown_secret(app.client_secret), shown_secret(app.webhook_secret))


def _same_id(answered: str, asked: str) -> bool:
    """Whether two app ids are one, compared in Recall's spelling."""
    canonical = canonical_app_id(answered)
    return canonical is not None and canonical == canonical_app_id(asked)


def _other_app(
    operation: str, resp: requests.Response, asked: str, answered: str
) -> RecallAPIError:
    shown = canonical_app_id(answered) or shown_value(answered)
    return bad_response(
        operation, resp, f"it is about app {shown}, not {canonical_app_id(asked) or asked}"
    ).with_hint(_OTHER_APP_HINT)
