"""``RecallClient``: one method per operation of Recall's zoom-oauth-apps API.

HTTP only: it knows nothing of Pulumi. Requests go through a ``Transport`` (auth, timeouts,
retries, pacing, typed errors); answers are parsed into the wire models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from recall_provider.client.failures import bad_response
from recall_provider.client.pacing import Pacing
from recall_provider.client.retry import RetryPolicy
from recall_provider.client.transport import Timeout, Transport
from recall_provider.client.urls import (
    APP_LOGS_PATH,
    APPS_PATH,
    app_path,
    page_path,
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
    Page,
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppLog,
    ZoomOAuthAppUpdate,
    canonical_app_id,
    describe_validation_errors,
    iso,
    shown_secret,
)

__all__ = ["MAX_PAGES", "RecallClient"]

M = TypeVar("M", bound=BaseModel)
_TIMEOUT = Timeout()
_RETRY = RetryPolicy()

MAX_PAGES = 1000
"""The most pages one walk of a listing reads; a listing longer than that fails (at Recall's
limit for lists, ``limits.LIST_REQUESTS_PER_MINUTE``, it would take a quarter of an hour, so it
is a listing that never ends)."""
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
                f"it is about an app of Zoom client id {_shown(made.client_id)} "
                f"({_shown(made.kind)}), not the {app.client_id!r} ({app.kind}) posted",
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
        pages = self._paginate(
            "list Zoom OAuth apps", APPS_PATH, params, ZoomOAuthApp, _each_app_once()
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
        pages = self._paginate(op, APP_LOGS_PATH, params, ZoomOAuthAppLog, _newest_first())
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
        app = _parse(operation, resp, ZoomOAuthApp)
        self._remember_shown(app)  # secrets are redacted whoever's they are
        if asked is not None and not _same_id(app.id, asked):
            raise _other_app(operation, resp, asked, app.id)
        return app

    def _remember_shown(self, app: ZoomOAuthApp) -> None:
        self.remember_secrets(shown_secret(app.client_secret), shown_secret(app.webhook_secret))

    def _paginate(
        self,
        operation: str,
        path: str,
        params: dict[str, str],
        model: type[M],
        repeated: Callable[[list[M]], str | None],
    ) -> Iterator[tuple[list[M], bool]]:
        """Every page of a listing, each with whether it is the last. A listing that loops
        would never end, so the walk fails, before the page is handed out, at a page that
        repeats what it has seen (a cursor; items, as ``repeated`` says: why, or None), that
        is empty yet links to a next page, or that would be page ``MAX_PAGES`` + 1."""
        target: str | None = path
        query: dict[str, str] | None = params
        cursors: set[str] = set()
        number = 0
        while target is not None:
            resp = self.transport.request(operation, "GET", target, params=query, bucket="list")
            page = _parse(operation, resp, Page[model])  # type: ignore[valid-type]
            number += 1
            why = repeated(page.results)
            if why is not None:
                raise bad_response(operation, resp, f"page {number} {why}")
            target, query = None, None
            if page.next is not None:
                target = page_path(page.next, path)
                if target is None:
                    raise bad_response(operation, resp, "its pagination link is unusable")
                if target in cursors:
                    raise bad_response(
                        operation, resp, f"page {number} links to a page it already gave"
                    )
                if not page.results:
                    raise bad_response(
                        operation, resp, f"page {number} is empty yet links to a next page"
                    )
                if number >= MAX_PAGES:
                    raise bad_response(
                        operation,
                        resp,
                        f"the listing goes on past {MAX_PAGES} pages, the most one walk reads",
                    )
                cursors.add(target)
            yield page.results, target is None


def _each_app_once() -> Callable[[list[ZoomOAuthApp]], str | None]:
    """A walk's check of the apps' pages: a listing gives each app once."""
    seen: set[str] = set()

    def repeated(page: list[ZoomOAuthApp]) -> str | None:
        for app in page:
            key = canonical_app_id(app.id) or app.id
            if key in seen:
                return f"lists app {_shown(key)} again: it repeats what it gave"
            seen.add(key)
        return None

    return repeated


def _newest_first() -> Callable[[list[ZoomOAuthAppLog]], str | None]:
    """A walk's check of the logs' pages, whose entries have no id (two alike are two
    entries): they come newest first, so one newer than an entry before it is a page again."""
    oldest: datetime | None = None

    def repeated(page: list[ZoomOAuthAppLog]) -> str | None:
        nonlocal oldest
        for entry in page:
            if entry.created_at is None:
                continue
            if oldest is not None and entry.created_at > oldest:
                return (
                    f"gives an entry of {iso(entry.created_at)} after one of {iso(oldest)}: it "
                    "goes back to entries it gave"
                )
            oldest = entry.created_at
        return None

    return repeated


def _same_id(answered: str, asked: str) -> bool:
    """Whether two app ids are one, compared in Recall's spelling."""
    canonical = canonical_app_id(answered)
    return canonical is not None and canonical == canonical_app_id(asked)


def _shown(value: str) -> str:
    """A value of an answer as an error may show it: quoted (control characters escaped) and
    short, whatever the answer held."""
    return repr(value[:60])


def _other_app(
    operation: str, resp: requests.Response, asked: str, answered: str
) -> RecallAPIError:
    shown = canonical_app_id(answered) or _shown(answered)
    return bad_response(
        operation, resp, f"it is about app {shown}, not {canonical_app_id(asked) or asked}"
    ).with_hint(_OTHER_APP_HINT)


def _parse(operation: str, resp: requests.Response, model: type[M]) -> M:
    try:
        return model.model_validate_json(resp.content)
    except ValidationError as exc:
        fields = "; ".join(f"{f}: {m}" for f, m in describe_validation_errors(exc.errors()))
        raise bad_response(operation, resp, f"its body did not parse ({fields})") from None
