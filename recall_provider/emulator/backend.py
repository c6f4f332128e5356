"""State and behaviour of the emulated Recall.ai zoom-oauth-apps API, with no HTTP in it.

The real API is Django REST Framework (its error bodies say so), so validation, pagination and
error bodies copy DRF's documented defaults. Fidelity gaps, where Recall's behaviour is unknown:

- an ``Authorization`` header with another scheme ("Bearer x") is refused as "Invalid token.";
- duplicate ``client_id`` values are accepted (uniqueness is undocumented; clients must cope);
- whether responses carry the secrets is unknown, hence ``secrets_in_responses``;
- the Zoom webhook endpoint checks no timestamp freshness and answers a signed non-JSON body,
  or a url_validation event without ``payload.plainToken``, with an invented 400;
- logs of a deleted app are kept and still listed; the only log messages are the two webhook
  ones, while the real API surely logs more (credential checks, token refreshes, ...);
- timestamps always carry microseconds, and are made strictly increasing so that ordering is
  total; DRF would print ``...:58Z`` when the microseconds happen to be zero.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

SecretsMode = Literal["plain", "masked", "omit"]
KINDS = ("user_level", "account_level")
MAX_LENGTH = 200
MASK = "********"
SECRET_FIELDS = ("client_secret", "webhook_secret")
_CREATE_FIELDS = ("kind", "client_id", *SECRET_FIELDS)
_APP_KEYS = frozenset({*_CREATE_FIELDS, "id", "webhook_last_validation", "created_at"})
_LOG_KEYS = frozenset({"id", "oauth_app", "message", "created_at"})
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_STATE_VERSION = 1


class EmulatorError(Exception):
    """An API error answer: the HTTP status, the JSON body and extra headers to send."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {json.dumps(body)}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})


class ValidationError(EmulatorError):
    """400 with DRF's field -> messages body."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(400, errors)


class AuthenticationFailed(EmulatorError):
    """401 as DRF's TokenAuthentication words it."""

    def __init__(self, detail: str) -> None:
        # DRF answers 401 (not 403) only because the authenticator names a scheme here.
        super().__init__(401, {"detail": detail}, {"WWW-Authenticate": "Token"})


class NotFound(EmulatorError):
    """404 ``{"detail": ...}``."""

    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__(404, {"detail": detail})


class StateFileError(Exception):
    """The state file exists but cannot be loaded."""


@dataclass(frozen=True)
class WebhookDelivery:
    """One request that reached an app's Zoom webhook endpoint, exactly as received."""

    app_id: str
    headers: dict[str, str] = field(repr=False)  # keys lower-cased
    body: bytes
    accepted: bool


class _FieldError(Exception):
    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


def _clean_char(value: object) -> str:
    """DRF ``CharField(max_length=200)`` with its default trimming and validators."""
    if value is None:
        raise _FieldError("This field may not be null.")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError("Not a valid string.")
    text = str(value).strip()
    if not text:
        raise _FieldError("This field may not be blank.")
    # DRF runs every validator and reports all of their messages together.
    messages = []
    if len(text) > MAX_LENGTH:
        messages.append(f"Ensure this field has no more than {MAX_LENGTH} characters.")
    if "\x00" in text:
        messages.append("Null characters are not allowed.")
    surrogates = [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]
    if surrogates:
        messages.append(f"Surrogate characters are not allowed: U+{ord(surrogates[0]):X}.")
    if messages:
        raise _FieldError(*messages)
    return text


def _clean_kind(value: object) -> str:
    if value is None:
        raise _FieldError("This field may not be null.")
    if str(value) not in KINDS:
        raise _FieldError(f'"{value}" is not a valid choice.')
    return str(value)


def _validate(data: object, fields: tuple[str, ...], *, partial: bool) -> dict[str, str]:
    if data is None:
        raise ValidationError({"non_field_errors": ["No data provided"]})
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ValidationError(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in fields:
        if name not in data:
            if not partial:
                errors[name] = ["This field is required."]
            continue
        try:
            clean[name] = (_clean_kind if name == "kind" else _clean_char)(data[name])
        except _FieldError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _parse_filter_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    # Django reads naive datetimes in the default time zone, UTC on Recall's side presumably.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _normalise_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _encode_cursor(position: tuple[str, str], *, reverse: bool) -> str:
    tokens = {"p": "|".join(position), **({"r": "1"} if reverse else {})}
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def _decode_cursor(encoded: str) -> tuple[tuple[str, str], bool] | None:
    """DRF-style opaque cursor: base64 of a querystring with the position and direction."""
    if not encoded:
        return None  # DRF reads an empty cursor as the first page
    try:
        tokens = parse_qs(base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
        created_at, item_id = tokens["p"][0].split("|")
        reverse = bool(int(tokens.get("r", ["0"])[0]))
    except (ValueError, KeyError, binascii.Error):
        raise NotFound("Invalid cursor") from None
    return (created_at, item_id), reverse


def _replace_query(url: str, key: str, value: str) -> str:
    # Same as DRF's replace_query_param, including its sorting of the parameters.
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params[key] = [value]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def _paginate(
    items: list[dict[str, Any]], query: Mapping[str, str], url: str, page_size: int
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """Cursor pagination over ``items`` (newest first) by (created_at, id) position.

    A position cursor keeps pages stable while items come and go between fetches: a page
    starts right after (or, going back, right before) the last item the client saw.
    """
    keys = [(item["created_at"], item["id"]) for item in items]
    cursor = _decode_cursor(query.get("cursor", ""))
    # Without a cursor a page is empty only when there are no items at all, so this
    # placeholder never ends up in a link.
    position = ("", "")
    if cursor is None:
        start, end = 0, page_size
    else:
        position, reverse = cursor
        if reverse:
            end = sum(1 for key in keys if key > position)
            start = max(0, end - page_size)
        else:
            start = sum(1 for key in keys if key >= position)
            end = start + page_size
    page = items[start:end]
    next_url = previous_url = None
    if end < len(items):
        after = keys[end - 1] if page else position
        next_url = _replace_query(url, "cursor", _encode_cursor(after, reverse=False))
    if start > 0:
        before = keys[start] if page else position
        previous_url = _replace_query(url, "cursor", _encode_cursor(before, reverse=True))
    return page, next_url, previous_url


class Backend:
    """All emulator state and API behaviour; thread-safe, optionally persisted to a JSON file."""

    def __init__(
        self,
        state_file: Path | None = None,
        *,
        page_size: int = 10,
        secrets_in_responses: SecretsMode = "plain",
        api_keys: Iterable[str] | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._apps: dict[str, dict[str, Any]] = {}
        self._logs: list[dict[str, Any]] = []
        self._deliveries: list[WebhookDelivery] = []
        self._last_time = datetime.min.replace(tzinfo=UTC)
        self.state_file = Path(state_file) if state_file is not None else None
        self.page_size = page_size
        self.secrets_in_responses = secrets_in_responses
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        if self.state_file is not None and self.state_file.exists():
            self._load(self.state_file)

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
        parts = (authorization or "").split()
        if not parts:
            raise AuthenticationFailed("Authentication credentials were not provided.")
        if parts[0].lower() == "token":
            if len(parts) == 1:
                raise AuthenticationFailed("Invalid token header. No credentials provided.")
            if len(parts) > 2:
                raise AuthenticationFailed(
                    "Invalid token header. Token string should not contain spaces."
                )
            key = parts[1]
        elif len(parts) == 1:
            key = parts[0]  # Recall also takes the bare key
        else:
            raise AuthenticationFailed("Invalid token.")
        if self.api_keys is not None and key not in self.api_keys:
            raise AuthenticationFailed("Invalid token.")
        return key

    def create_app(self, data: object) -> dict[str, Any]:
        """POST /zoom-oauth-apps/: validate like DRF, store, return the rendered app."""
        clean = _validate(data, _CREATE_FIELDS, partial=False)
        with self._lock:
            app: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                **{name: clean[name] for name in _CREATE_FIELDS},
                "webhook_last_validation": None,
                "created_at": self._now(),
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
            app.update(_validate(data, SECRET_FIELDS, partial=True))
            self._save()
            return self._render(app)

    def delete_app(self, app_id: str) -> None:
        """DELETE /zoom-oauth-apps/<id>/."""
        with self._lock:
            del self._apps[self._find(app_id)["id"]]
            self._save()

    def list_apps(self, query: Mapping[str, str], url: str) -> dict[str, Any]:
        """GET /zoom-oauth-apps/ with django-filter filters and cursor pagination."""
        errors: dict[str, list[str]] = {}
        kind = query.get("kind", "")
        if kind and kind not in KINDS:
            errors["kind"] = [f"Select a valid choice. {kind} is not one of the available choices."]
        bounds: dict[str, datetime] = {}
        for name in ("created_at_after", "created_at_before"):
            if query.get(name):
                try:
                    bounds[name] = _parse_filter_time(query[name])
                except ValueError:
                    errors[name] = ["Enter a valid date/time."]
        if errors:
            raise ValidationError(errors)

        def wanted(app: dict[str, Any]) -> bool:
            created = datetime.strptime(app["created_at"], _TIME_FORMAT).replace(tzinfo=UTC)
            return (
                (not query.get("client_id") or app["client_id"] == query["client_id"])
                and (not kind or app["kind"] == kind)
                and created >= bounds.get("created_at_after", created)
                and created <= bounds.get("created_at_before", created)
            )

        with self._lock:
            apps = sorted(filter(wanted, self._apps.values()), key=_position, reverse=True)
            page, next_url, previous_url = _paginate(apps, query, url, self.page_size)
            return {
                "next": next_url,
                "previous": previous_url,
                "results": [self._render(app) for app in page],
            }

    def list_logs(self, query: Mapping[str, str], url: str) -> dict[str, Any]:
        """GET /zoom-oauth-app-logs/, optionally filtered by ``oauth_app``."""
        app_id = None
        if query.get("oauth_app"):
            app_id = _normalise_uuid(query["oauth_app"])
            if app_id is None:
                raise ValidationError({"oauth_app": ["Enter a valid UUID."]})
        with self._lock:
            logs = [log for log in self._logs if app_id is None or log["oauth_app"] == app_id]
            logs.sort(key=_position, reverse=True)
            page, next_url, previous_url = _paginate(logs, query, url, self.page_size)
            return {
                "next": next_url,
                "previous": previous_url,
                "results": [
                    {k: log[k] for k in ("oauth_app", "message", "created_at")} for log in page
                ],
            }

    def receive_webhook(
        self, app_id: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """POST /zoom-oauth-apps/<id>/webhook: a signed Zoom event, recorded as received."""
        headers = {key.lower(): value for key, value in headers.items()}
        accepted = False
        with self._lock:
            try:
                app = self._find(app_id)
                timestamp = headers.get("x-zm-request-timestamp", "")
                signature = headers.get("x-zm-signature", "")
                # Headers arrive latin-1 decoded; encoding back gives the bytes Zoom signed.
                message = b"v0:" + timestamp.encode("latin-1", "replace") + b":" + body
                expected = "v0=" + _hmac_hex(app["webhook_secret"], message)
                if not (
                    timestamp
                    and hmac.compare_digest(
                        expected.encode(), signature.encode("latin-1", "replace")
                    )
                ):
                    self._append_log(app["id"], "Zoom webhook rejected: invalid x-zm-signature")
                    raise AuthenticationFailed("Invalid signature.")
                answer = self._answer_event(app, body)
                accepted = True
                return answer
            finally:
                recorded_id = _normalise_uuid(app_id) or app_id
                self._deliveries.append(WebhookDelivery(recorded_id, headers, body, accepted))

    # -- helpers for tests -----------------------------------------------------------------

    def apps(self) -> list[dict[str, Any]]:
        """Copies of the stored apps (secrets included), oldest first."""
        with self._lock:
            return [dict(app) for app in self._apps.values()]

    def get(self, app_id: str) -> dict[str, Any] | None:
        """A copy of one stored app, or None."""
        with self._lock:
            app = self._apps.get(_normalise_uuid(app_id) or "")
            return dict(app) if app is not None else None

    def logs(self, app_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the stored logs, oldest first."""
        with self._lock:
            return [dict(log) for log in self._logs if app_id in (None, log["oauth_app"])]

    def add_log(self, app_id: str, message: str) -> None:
        """Append an app log, as the real API does when something happens to an app."""
        with self._lock:
            self._append_log(app_id, message)

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
        app = self._apps.get(_normalise_uuid(app_id) or "")
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

    def _answer_event(self, app: dict[str, Any], body: bytes) -> dict[str, Any]:
        try:
            event = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            raise EmulatorError(400, {"detail": f"JSON parse error - {exc}"}) from None
        if not isinstance(event, dict) or event.get("event") != "endpoint.url_validation":
            return {}
        payload = event.get("payload")
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or not plain:
            raise EmulatorError(400, {"detail": "payload.plainToken is missing."})
        app["webhook_last_validation"] = self._now()
        self._append_log(app["id"], "Zoom webhook endpoint validated")  # saves too
        return {"plainToken": plain, "encryptedToken": _hmac_hex(app["webhook_secret"], plain)}

    def _append_log(self, app_id: str, message: str) -> None:
        self._logs.append(
            {
                "id": str(uuid.uuid4()),
                "oauth_app": app_id,
                "message": message,
                "created_at": self._now(),
            }
        )
        self._save()

    def _now(self) -> str:
        # Strictly increasing, so that newest-first ordering never depends on the id tie-break.
        moment = max(datetime.now(UTC), self._last_time + timedelta(microseconds=1))
        self._last_time = moment
        return _format_time(moment)

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = {"version": _STATE_VERSION, "apps": list(self._apps.values()), "logs": self._logs}
        directory = self.state_file.parent
        directory.mkdir(parents=True, exist_ok=True)
        # Write-then-rename, so a crash never leaves a half-written state file behind; mkstemp's
        # 0600 mode suits a file full of secrets.
        fd, temp = tempfile.mkstemp(prefix=f".{self.state_file.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(state, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.state_file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
                raise ValueError(f"not an emulator state file (version {_STATE_VERSION})")
            apps = _records(state.get("apps"), _APP_KEYS, "apps")
            logs = _records(state.get("logs"), _LOG_KEYS, "logs")
            for record in (*apps, *logs):
                datetime.strptime(record["created_at"], _TIME_FORMAT)
        except (OSError, ValueError, TypeError) as exc:
            raise StateFileError(f"cannot load emulator state from {path}: {exc}") from exc
        self._apps = {app["id"]: app for app in apps}
        self._logs = logs
        if apps or logs:
            latest = max(record["created_at"] for record in (*apps, *logs))
            self._last_time = datetime.strptime(latest, _TIME_FORMAT).replace(tzinfo=UTC)


def _records(value: object, keys: frozenset[str], name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and set(item) == keys for item in value
    ):
        raise ValueError(f"{name!r} must be a list of objects with keys {sorted(keys)}")
    return value


def _position(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["created_at"], item["id"]


def _hmac_hex(secret: str, message: str | bytes) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
