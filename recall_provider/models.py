"""Pydantic wire models of Recall's zoom-oauth-apps API.

Request models are strict (unknown fields are a mistake worth reporting); response models are
tolerant (a new server field or an absent secret must never break parsing). Secrets are
``SecretStr`` so that no ``repr``/``str`` shows them, and no validation error echoes its input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "KINDS",
    "MAX_FIELD_LENGTH",
    "Kind",
    "Page",
    "ZoomOAuthApp",
    "ZoomOAuthAppCreate",
    "ZoomOAuthAppLog",
    "ZoomOAuthAppUpdate",
]

Kind = Literal["user_level", "account_level"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_FIELD_LENGTH = 200
"""Recall's limit on ``client_id``, ``client_secret`` and ``webhook_secret``."""


def _no_hidden_characters(value: str) -> str:
    # Zoom ids and secrets are printable and unspaced; anything else is a paste error that would
    # only surface later, as a failed webhook check or a Zoom mismatch.
    if not value.isprintable() or " " in value:
        raise PydanticCustomError(
            "hidden_characters", "contains spaces or invisible characters; copy it again"
        )
    return value


ClientId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_FIELD_LENGTH),
    AfterValidator(_no_hidden_characters),
]


def _check_secret(value: object) -> object:
    # SecretStr's own length errors speak of "items"; users should read "characters".
    if isinstance(value, str):
        if not value:
            raise PydanticCustomError("string_too_short", "must not be empty")
        if len(value) > MAX_FIELD_LENGTH:
            raise PydanticCustomError(
                "string_too_long",
                "must have at most {max_length} characters",
                {"max_length": MAX_FIELD_LENGTH},
            )
        _no_hidden_characters(value)
    return value


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class ZoomOAuthAppCreate(_Request):
    """Body of ``POST /api/v2/zoom-oauth-apps/``."""

    kind: Kind
    """``user_level`` for a Zoom user-managed app, ``account_level`` for an admin-managed one."""
    client_id: ClientId
    """The Zoom app's Client ID."""
    client_secret: SecretStr
    """The Zoom app's Client Secret."""
    webhook_secret: SecretStr
    """The Zoom app's Secret Token, which signs its webhooks."""

    _secret_length = field_validator("client_secret", "webhook_secret", mode="before")(
        _check_secret
    )

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

    client_secret: SecretStr | None = None
    """New Client Secret, or None to keep the current one."""
    webhook_secret: SecretStr | None = None
    """New Secret Token, or None to keep the current one."""

    _secret_length = field_validator("client_secret", "webhook_secret", mode="before")(
        _check_secret
    )

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
    webhook_last_validation: datetime | None = None
    """When Recall last answered Zoom's endpoint URL validation for this app, if ever."""
    created_at: datetime | None = None
    """When the app was created."""


class ZoomOAuthAppLog(_Response):
    """One entry of ``GET /api/v2/zoom-oauth-app-logs/``."""

    oauth_app: str
    """Id of the app the entry is about."""
    message: str
    """What Recall logged (warnings and errors about the app)."""
    created_at: datetime | None = None
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


def describe_validation_errors(errors: list[Any]) -> list[tuple[str, str]]:
    """Turn pydantic error dicts into (field, message) pairs that never include the input."""
    pairs = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or "body"
        pairs.append((field, str(error.get("msg", "is invalid"))))
    return pairs
