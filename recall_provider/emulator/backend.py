"""State and behaviour of the emulated Recall.ai zoom-oauth-apps API, with no HTTP in it.

The real API is Django REST Framework (its error bodies say so), so validation, filters,
pagination and error bodies copy DRF's documented defaults, each in its own module
(``validation``, ``filters``, ``pagination``, ``errors``). Fidelity gaps, where Recall's
behaviour is unknown:

- duplicate ``client_id`` values are accepted (uniqueness is undocumented; clients must cope);
- whether responses carry the secrets is unknown, hence ``secrets_in_responses``;
- logs of a deleted app are kept and still listed; the only log message is the webhook's
  refused signature, while the real API surely logs more (credential checks, token refreshes).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from . import auth, webhook
from .clock import Clock, format_time
from .errors import AuthenticationFailed, NotFound
from .filters import APP_TIMES, LOG_TIMES, app_filter, log_filter, ordering
from .pagination import paginate
from .state_file import load_state, save_state
from .validation import CREATE_FIELDS, SECRET_FIELDS, normalise_uuid, validate
from .webhook import WebhookDelivery

__all__ = ["DEFAULT_PAGE_SIZE", "DEFAULT_SECRETS_MODE", "MASK", "Backend", "SecretsMode"]

SecretsMode = Literal["plain", "masked", "omit"]
MASK = "********"
DEFAULT_PAGE_SIZE = 10
"""Items per list page unless told otherwise (Recall's own page size is not documented)."""
DEFAULT_SECRETS_MODE: SecretsMode = "plain"
"""How responses show the secrets unless told otherwise: as they were given."""


class Backend:
    """All emulator state and API behaviour; thread-safe, optionally persisted to a JSON file."""

    def __init__(
        self,
        state_file: Path | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        secrets_in_responses: SecretsMode = DEFAULT_SECRETS_MODE,
        api_keys: Iterable[str] | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._apps: dict[str, dict[str, Any]] = {}
        self._logs: list[dict[str, Any]] = []
        self._deliveries: list[WebhookDelivery] = []
        self._clock = Clock()
        self.state_file = Path(state_file) if state_file is not None else None
        self.page_size = page_size
        self.secrets_in_responses = secrets_in_responses
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        if self.state_file is not None:
            # No exists() first: load_state answers a missing file with an empty state, and a
            # path it cannot look at (too long, not searchable) with its one-line error.
            apps, self._logs = load_state(self.state_file)
            self._apps = {app["id"]: app for app in apps}
            self._clock.catch_up(record["created_at"] for record in (*apps, *self._logs))

    # -- settings --------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """Items per page of every list endpoint."""
        return self._page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"page_size must be a positive integer, not {value!r}")
        self._page_size = value

    @property
    def secrets_in_responses(self) -> SecretsMode:
        """How responses show ``client_secret`` and ``webhook_secret``."""
        return self._secrets_mode

    @secrets_in_responses.setter
    def secrets_in_responses(self, value: SecretsMode) -> None:
        if value not in get_args(SecretsMode):
            raise ValueError(f"secrets_in_responses must be plain, masked or omit, not {value!r}")
        self._secrets_mode = value

    # -- API behaviour ---------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """Return the API key of an ``Authorization`` header, or raise AuthenticationFailed."""
        return auth.authenticate(authorization, self.api_keys)

    def create_app(self, data: object) -> dict[str, Any]:
        """POST /zoom-oauth-apps/: validate like DRF, store, return the rendered app."""
        clean = validate(data, CREATE_FIELDS, partial=False)
        with self._lock:
            app: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                **{name: clean[name] for name in CREATE_FIELDS},
                "webhook_last_validation": None,
                "created_at": self._clock.now(),
            }
            self._apps[app["id"]] = app
            self._save()
            return self._render(app)

    def retrieve_app(self, app_id: str) -> dict[str, Any]:
        """GET /zoom-oauth-apps/<id>/."""
        with self._lock:
            return self._render(self._find(app_id))

    def update_app(self, app_id: str, data: object) -> dict[str, Any]:
        """PATCH /zoom-oauth-apps/<id>/: only the secrets are writable, other fields ignored."""
        with self._lock:
            app = self._find(app_id)
            app.update(validate(data, SECRET_FIELDS, partial=True))
            self._save()
            return self._render(app)

    def delete_app(self, app_id: str) -> None:
        """DELETE /zoom-oauth-apps/<id>/."""
        with self._lock:
            del self._apps[self._find(app_id)["id"]]
            self._save()

    def list_apps(self, query: Mapping[str, str], url: str) -> dict[str, Any]:
        """GET /zoom-oauth-apps/ with django-filter filters, ``ordering`` and cursor
        pagination."""
        wanted = app_filter(query)
        order = ordering(query, APP_TIMES)
        with self._lock:
            apps = filter(wanted, self._apps.values())
            return paginate(apps, query, url, self.page_size, self._render, order=order)

    def list_logs(self, query: Mapping[str, str], url: str) -> dict[str, Any]:
        """GET /zoom-oauth-app-logs/, filtered by ``oauth_app`` and ``created_at``, ordered."""
        wanted = log_filter(query)
        order = ordering(query, LOG_TIMES)
        with self._lock:
            logs = filter(wanted, self._logs)
            return paginate(logs, query, url, self.page_size, _render_log, order=order)

    def receive_webhook(
        self, app_id: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """POST /zoom-oauth-apps/<id>/webhook: a signed Zoom event, recorded as received."""
        headers = {key.lower(): value for key, value in headers.items()}
        accepted = False
        with self._lock:
            try:
                app = self._find(app_id)
                if not webhook.signature_valid(app["webhook_secret"], headers, body):
                    self._append_log(app["id"], "Zoom webhook rejected: invalid x-zm-signature")
                    raise AuthenticationFailed("Invalid signature.")
                answer: dict[str, Any] = {}
                plain = webhook.plain_token(body)
                if plain is not None:
                    # Recall's app logs hold warnings and errors: a validation answered is
                    # neither, it is the app's webhook_last_validation.
                    app["webhook_last_validation"] = self._clock.now()
                    self._save()
                    answer = webhook.url_validation_answer(app["webhook_secret"], plain)
                accepted = True
                return answer
            finally:
                recorded_id = normalise_uuid(app_id) or app_id
                self._deliveries.append(WebhookDelivery(recorded_id, headers, body, accepted))

    # -- helpers for tests -----------------------------------------------------------------

    def apps(self) -> list[dict[str, Any]]:
        """Copies of the stored apps (secrets included), oldest first."""
        with self._lock:
            return [dict(app) for app in self._apps.values()]

    def get(self, app_id: str) -> dict[str, Any] | None:
        """A copy of one stored app, or None."""
        with self._lock:
            app = self._apps.get(normalise_uuid(app_id) or "")
            return dict(app) if app is not None else None

    def logs(self, app_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the stored logs, oldest first."""
        with self._lock:
            return [dict(log) for log in self._logs if app_id in (None, log["oauth_app"])]

    def add_log(self, app_id: str, message: str, created_at: datetime | None = None) -> None:
        """Append an app log, as the real API does when something happens to an app; dated
        ``created_at`` (a test's chosen time) or now."""
        with self._lock:
            self._append_log(app_id, message, created_at)

    def set_times(
        self,
        app_id: str,
        *,
        created_at: datetime | None = None,
        webhook_last_validation: datetime | Literal["unset"] | None = "unset",
    ) -> None:
        """Date an app as a test chooses: when it was made, and when Zoom's URL validation was
        last answered (None: never). NotFound for an app the emulator does not have."""
        with self._lock:
            app = self._find(app_id)
            if created_at is not None:
                app["created_at"] = format_time(created_at)
            if webhook_last_validation != "unset":
                app["webhook_last_validation"] = (
                    None
                    if webhook_last_validation is None
                    else format_time(webhook_last_validation)
                )
            self._save()

    def webhook_deliveries(self, app_id: str | None = None) -> list[WebhookDelivery]:
        """Every request the webhook endpoint received (for ``app_id``), oldest first."""
        with self._lock:
            return [d for d in self._deliveries if app_id in (None, d.app_id)]

    def reset(self) -> None:
        """Forget every app, log and webhook delivery (settings stay)."""
        with self._lock:
            self._apps.clear()
            self._logs.clear()
            self._deliveries.clear()
            self._save()

    # -- internals -------------------------------------------------------------------------

    def _find(self, app_id: str) -> dict[str, Any]:
        app = self._apps.get(normalise_uuid(app_id) or "")
        if app is None:
            raise NotFound()
        return app

    def _render(self, app: dict[str, Any]) -> dict[str, Any]:
        out = dict(app)
        for name in SECRET_FIELDS:
            if self._secrets_mode == "masked":
                out[name] = MASK
            elif self._secrets_mode == "omit":
                del out[name]
        return out

    def _append_log(self, app_id: str, message: str, created_at: datetime | None = None) -> None:
        self._logs.append(
            {
                "id": str(uuid.uuid4()),
                "oauth_app": app_id,
                "message": message,
                "created_at": self._clock.now() if created_at is None else format_time(created_at),
            }
        )
        self._save()

    def _save(self) -> None:
        if self.state_file is not None:
            save_state(self.state_file, self._apps.values(), self._logs)


def _render_log(log: dict[str, Any]) -> dict[str, Any]:
    return {k: log[k] for k in ("oauth_app", "message", "created_at")}
