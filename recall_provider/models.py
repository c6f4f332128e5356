"""Pydantic wire models of Recall's zoom-oauth-apps API.

Request models are strict (unknown fields are a mistake worth reporting); response models are
tolerant (a new server field or an absent secret must never break parsing). Secrets are
``SecretStr`` so that no ``repr``/``str`` shows them, and no validation error echoes its input.
The field types below hold Recall's rules and the wording of every failure, for the client and
for the provider's check alike.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from recall_provider.limits import MAX_FIELD_LENGTH

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "MAX_FIELD_LENGTH",
    "AppId",
    "ClientId",
    "Flag",
    "Kind",
    "KindField",
    "Page",
    "Secret",
    "UtcTime",
    "ZoomOAuthApp",
    "ZoomOAuthAppCreate",
    "ZoomOAuthAppLog",
    "ZoomOAuthAppUpdate",
    "canonical_app_id",
    "describe_validation_errors",
    "iso",
    "same_secret",
    "shown_secret",
]

Kind = Literal["user_level", "account_level"]
KINDS: tuple[str, ...] = get_args(Kind)
DEFAULT_KIND: Kind = get_args(Kind)[0]
"""``user_level`` (Zoom's user-managed apps, the common case): the kind the resource and the
program use when none is given. Recall itself has no default."""
# A wrong kind is echoed when it is this short, so a typo is recognised; a longer value may be a
# secret pasted into the wrong field (Zoom's are 22 and 32 characters) and is described instead.
_MAX_ECHOED = 16


def echoed(value: str) -> str:
    """A wrong value as a message may show it: a short one quoted, a longer one (perhaps a
    secret pasted under the wrong key) by its length alone."""
    return repr(value) if len(value) <= _MAX_ECHOED else f"a {len(value)}-character value"


def type_name(value: object) -> str:
    """How a failure names the type of a wrong value (in the words of JSON and YAML)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text(value: object) -> str:
    """Recall's rules for an id or a secret, with the wording every failure uses."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be a string, not {type}", _of(value))
    if not value:
        raise PydanticCustomError("string_too_short", "must not be empty")
    if len(value) > MAX_FIELD_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "is {length} characters long; Recall allows at most {max_length}",
            {"length": len(value), "max_length": MAX_FIELD_LENGTH},
        )
    # Zoom ids and secrets are printable and unspaced; anything else is a paste error that would
    # only surface later, as a failed webhook check or a Zoom mismatch.
    if not value.isprintable() or " " in value:
        raise PydanticCustomError(
            "hidden_characters", "contains spaces or invisible characters; copy it again"
        )
    return value


def _secret(value: object) -> object:
    # A SecretStr was checked when it was made from text; SecretStr's own errors speak of items.
    return value if isinstance(value, SecretStr) else _text(value)


def _kind(value: object) -> object:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be a string, not {type}", _of(value))
    if value not in KINDS:
        shown = echoed(value)
        raise PydanticCustomError(
            "kind",
            "must be one of {kinds}, not {shown}",
            {"kinds": ", ".join(KINDS), "shown": shown},
        )
    return value


def canonical_app_id(value: str) -> str | None:
    """A Recall app id as Recall writes it (lower case, dashes), or None if it is none.

    ``uuidgen`` on macOS prints upper case, and copies may carry braces or lose the dashes;
    Recall answers with the canonical form, which is what an id is compared in.
    """
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def _app_id(value: object) -> object:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be a string, not {type}", _of(value))
    canonical = canonical_app_id(value)
    if canonical is None:
        raise PydanticCustomError("app_id", "must be a Recall app id (a UUID)")
    return canonical


def _utc(value: datetime) -> datetime:
    # Every time Recall sends is compared with ours: one without a zone
    # cannot be compared at all, and one that falls off the calendar once written in UTC
    # cannot be shown; both are answers the client cannot use, not times to guess at.
    if value.utcoffset() is None:
        raise PydanticCustomError("timezone", "has no timezone (Recall writes UTC, with a Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("time_range", "is off the calendar once written in UTC") from None


def _flag(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be true or false, not {type}", _of(value))
    return value


def _of(value: object) -> dict[str, str]:
    return {"type": type_name(value)}


KindField = Annotated[Kind, BeforeValidator(_kind)]
"""``user_level`` or ``account_level``."""
ClientId = Annotated[str, BeforeValidator(_text)]
"""A Zoom Client ID: 1 to ``MAX_FIELD_LENGTH`` printable characters, no spaces."""
Secret = Annotated[SecretStr, BeforeValidator(_secret)]
"""A Zoom secret, under the same rules as a Client ID, never shown."""
AppId = Annotated[str, BeforeValidator(_app_id)]
"""A Recall app id (a UUID, in any of the spellings ``uuid.UUID`` reads), made canonical."""
Flag = Annotated[bool, BeforeValidator(_flag)]
"""A real boolean (no "yes" or 1)."""
UtcTime = Annotated[datetime, AfterValidator(_utc)]
"""A time of Recall's, with its timezone, as an aware UTC value."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class ZoomOAuthAppCreate(_Request):
    """Body of ``POST /api/v2/zoom-oauth-apps/``."""

    kind: KindField
    """``user_level`` for a Zoom user-managed app, ``account_level`` for an admin-managed one."""
    client_id: ClientId
    """The Zoom app's Client ID."""
    client_secret: Secret
    """The Zoom app's Client Secret."""
    webhook_secret: Secret
    """The Zoom app's Secret Token, which signs its webhooks."""

    def to_wire(self) -> dict[str, str]:
        """The JSON body, secrets in plain text: for the HTTP request and nothing else."""
        return {
            "kind": self.kind,
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value(),
            "webhook_secret": self.webhook_secret.get_secret_value(),
        }


class ZoomOAuthAppUpdate(_Request):
    """Body of ``PATCH /api/v2/zoom-oauth-apps/<id>/``: only the secrets can change."""

    client_secret: Secret | None = None
    """New Client Secret, or None to keep the current one."""
    webhook_secret: Secret | None = None
    """New Secret Token, or None to keep the current one."""

    @model_validator(mode="after")
    def _not_empty(self) -> ZoomOAuthAppUpdate:
        if self.client_secret is None and self.webhook_secret is None:
            raise ValueError("an update must change client_secret, webhook_secret or both")
        return self

    def to_wire(self) -> dict[str, str]:
        """The JSON body with only the fields that change, secrets in plain text."""
        body: dict[str, str] = {}
        if self.client_secret is not None:
            body["client_secret"] = self.client_secret.get_secret_value()
        if self.webhook_secret is not None:
            body["webhook_secret"] = self.webhook_secret.get_secret_value()
        return body


class ZoomOAuthApp(_Response):
    """A Recall Zoom OAuth App as the API returns it."""

    id: str
    """Recall's id of the app (a UUID)."""
    kind: str
    """``user_level`` or ``account_level`` (kept as text so a new kind never breaks parsing)."""
    client_id: str
    """The Zoom app's Client ID."""
    client_secret: SecretStr | None = None
    """The Client Secret if the API returns it (it may omit or mask it)."""
    webhook_secret: SecretStr | None = None
    """The Secret Token if the API returns it (it may omit or mask it)."""
    webhook_last_validation: UtcTime | None = None
    """When Recall last answered Zoom's endpoint URL validation for this app, if ever."""
    created_at: UtcTime | None = None
    """When the app was created."""


class ZoomOAuthAppLog(_Response):
    """One entry of ``GET /api/v2/zoom-oauth-app-logs/``."""

    oauth_app: str
    """Id of the app the entry is about."""
    message: str
    """What Recall logged (warnings and errors about the app)."""
    created_at: UtcTime | None = None
    """When it was logged."""


T = TypeVar("T", bound=BaseModel)


class Page(_Response, Generic[T]):
    """One page of a cursor-paginated list."""

    next: str | None = None
    """URL of the next page, or None on the last one."""
    previous: str | None = None
    """URL of the previous page, or None on the first one."""
    results: list[T]
    """The items of this page."""


def shown_secret(returned: SecretStr | None) -> str | None:
    """A secret as Recall shows it; None when it omits or masks it (its docs do not say which)."""
    if returned is None:
        return None
    value = returned.get_secret_value()
    return None if value and set(value) <= {"*", "•"} else value


def same_secret(returned: SecretStr | None, expected: str) -> bool | None:
    """Whether Recall's copy of a secret equals ours; None when the API does not show it."""
    shown = shown_secret(returned)
    return None if shown is None else shown == expected


@overload
def iso(moment: datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
@overload
def iso(moment: datetime | None) -> str | None: ...
def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a ``Z``, as Recall writes it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def describe_validation_errors(errors: list[Any]) -> list[tuple[str, str]]:
    """Turn pydantic error dicts into (field, message) pairs that never include the input."""
    pairs = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or "body"
        pairs.append((field, str(error.get("msg", "is invalid"))))
    return pairs
