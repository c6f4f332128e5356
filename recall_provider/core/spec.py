"""The one declaration of the app's inputs and outputs, and the records the core works in.

``AppInputs`` declares the inputs: Recall's create body (its fields and rules come from the wire
model) plus the two inputs only the provider uses, each with its description (its docstring),
from which the doors' schemas and docs are made. ``AppState`` declares the outputs. Every list of
names the code works with (required, secret, replaced on change, updated in place, passed
through, output only) is derived from the two and from the wire models.
"""

from __future__ import annotations

import ast
import enum
import functools
import inspect
import itertools
import textwrap
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from recall_provider.models import (
    DEFAULT_KIND,
    AppId,
    ClientId,
    Flag,
    KindField,
    Secret,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
)

__all__ = [
    "DEFAULTS",
    "IMMUTABLE",
    "MUTABLE",
    "NAMES",
    "OUTPUT_NAMES",
    "OUTPUT_ONLY",
    "PASSED_THROUGH",
    "PROVIDER_ONLY",
    "PROVIDER_ONLY_CHANGES",
    "REQUIRED",
    "SECRETS",
    "SELF_CHECK_AT",
    "UNKNOWN",
    "AppInputs",
    "AppState",
    "Unknown",
    "camel",
    "description",
]


class Unknown(enum.Enum):
    """A value known only once the engine applies (at preview, another resource's output)."""

    VALUE = "unknown"


UNKNOWN: Final = Unknown.VALUE
"""The one sentinel for "unknown until apply" that the core's check and plan understand."""


class AppInputs(ZoomOAuthAppCreate):
    """The resource's inputs: a create body for Recall, plus what only the provider uses."""

    kind: KindField = DEFAULT_KIND
    """``user_level`` for a Zoom user-managed app (the default), ``account_level`` for an
    admin-managed one."""
    client_id: ClientId
    """The Zoom app's Client ID (App Credentials in the Zoom Marketplace)."""
    client_secret: Secret
    """The Zoom app's Client Secret (App Credentials in the Zoom Marketplace)."""
    webhook_secret: Secret
    """The Zoom app's Secret Token (Features > Access in the Zoom Marketplace), which signs its
    webhooks."""
    adopt_app_id: AppId | None = None
    """Id of an app made outside Pulumi (by curl or Recall's dashboard) to manage instead of
    creating one: the create checks its kind and client id, sets its secrets and takes it over."""
    validate_webhook: Flag = True
    """After each create or webhook-secret change, check the webhook URL as Zoom's Validate
    button does: a signed ``endpoint.url_validation`` whose answer must match
    ``webhook_secret``."""

    @classmethod
    def checked(cls, values: Mapping[str, object]) -> AppInputs:
        """The inputs a check passed, as an engine sends them back at apply (all known)."""
        return cls.model_validate({k: v for k, v in values.items() if k in NAMES and v is not None})

    def create_body(self) -> ZoomOAuthAppCreate:
        """What Recall's create takes of these inputs."""
        return ZoomOAuthAppCreate.model_validate(
            {name: getattr(self, name) for name in ZoomOAuthAppCreate.model_fields}
        )


class AppState(BaseModel):
    """What the provider records of an app: Recall's values, and ours where Recall hides them."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    id: str
    """Recall's id of the app: the resource's id."""
    kind: str
    """``user_level`` or ``account_level``."""
    client_id: str
    """The Zoom app's Client ID."""
    client_secret: SecretStr | None = None
    """The Zoom app's Client Secret: as Recall shows it, else as last set (always secret)."""
    webhook_secret: SecretStr | None = None
    """The Zoom app's Secret Token: as Recall shows it, else as last set (always secret)."""
    created_at: str | None = None
    """When Recall created the app (ISO 8601, UTC)."""
    webhook_last_validation: str | None = None
    """When Recall last answered Zoom's endpoint URL validation for the app, if ever."""
    webhook_url: str
    """Paste into Zoom's Event notification endpoint URL (development and production) and
    Deauthorization endpoint URL: ``<base>/api/v2/zoom-oauth-apps/<id>/webhook``."""
    adopt_app_id: str | None = None
    """The adopted app's id, when the app was adopted rather than created."""
    validate_webhook: bool | None = None
    """Whether the webhook self-check runs after each create or webhook-secret change."""
    webhook_self_check_at: str | None = None
    """When the webhook self-check last passed (ISO 8601, UTC); none while it is off."""

    @classmethod
    def from_recorded(cls, app_id: str, values: Mapping[str, object]) -> AppState:
        """The outputs an engine recorded (by name), as a state; a value an earlier version did
        not record, or recorded otherwise, is left out, so that no recorded state of any
        version stops a read, an update or a delete."""
        known = {k: v for k, v in values.items() if k in OUTPUT_NAMES and v is not None}
        try:
            return cls.model_validate({**known, "id": app_id})
        except ValidationError as exc:
            wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        usable = {k: v for k, v in known.items() if k not in wrong}
        return cls.model_validate(
            {"kind": "", "client_id": "", "webhook_url": "", **usable, "id": app_id}
        )

    def secret(self, name: str) -> str | None:
        """The plain value of the secret output ``name``."""
        value: SecretStr | None = getattr(self, name)
        return None if value is None else value.get_secret_value()

    def recorded(self) -> dict[str, object]:
        """The outputs as an engine records them (by name; the secrets in plain text, for the
        door to mark): the provider's own inputs only when they have a value."""
        values: dict[str, object] = {}
        for name in OUTPUT_NAMES:
            value = getattr(self, name)
            if value is None and name in PASSED_THROUGH:
                continue
            values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
        return values


NAMES: tuple[str, ...] = tuple(AppInputs.model_fields)
"""Every input, in the order errors list them."""
REQUIRED: tuple[str, ...] = tuple(n for n, f in AppInputs.model_fields.items() if f.is_required())
DEFAULTS: dict[str, Any] = {
    n: f.default for n, f in AppInputs.model_fields.items() if not f.is_required()
}
"""What the provider assumes for an optional input that is not given."""
SECRETS: tuple[str, ...] = tuple(
    n for n, f in AppInputs.model_fields.items() if f.annotation is SecretStr
)
"""Inputs that are secrets, and so always secret outputs."""
MUTABLE: tuple[str, ...] = tuple(ZoomOAuthAppUpdate.model_fields)
"""What Recall's PATCH can change: a change updates the app in place."""
IMMUTABLE: tuple[str, ...] = tuple(n for n in ZoomOAuthAppCreate.model_fields if n not in MUTABLE)
"""What Recall cannot change: a change replaces the app."""
PROVIDER_ONLY: tuple[str, ...] = tuple(n for n in NAMES if n not in ZoomOAuthAppCreate.model_fields)
"""Inputs that Recall knows nothing of (``adopt_app_id``, ``validate_webhook``)."""
PROVIDER_ONLY_CHANGES: dict[str, str] = {
    "adopt_app_id": "none while it names the managed app (or is removed); naming another app "
    "replaces this one by that one",
    "validate_webhook": "update, with no request to Recall's API (turned on, the self-check runs)",
}
"""What a change of each provider-only input does (``plan.py``'s rules); Recall's own rule
covers the rest: a change of an immutable input replaces the app, of a mutable one updates it."""
OUTPUT_NAMES: tuple[str, ...] = tuple(n for n in AppState.model_fields if n != "id")
"""Every output property (the id is the resource's own)."""
OUTPUT_ONLY: tuple[str, ...] = tuple(n for n in OUTPUT_NAMES if n not in NAMES)
"""Outputs that are no input: Recall's, or the provider's own."""
SELF_CHECK_AT = "webhook_self_check_at"
"""The output that holds when the webhook self-check last passed."""
PASSED_THROUGH: tuple[str, ...] = (*PROVIDER_ONLY, SELF_CHECK_AT)
"""Properties the provider keeps as given, since Recall knows nothing of them; recorded only
when they have a value."""

assert SELF_CHECK_AT in OUTPUT_ONLY, "the self-check's time is an output"
assert set(NAMES) <= set(OUTPUT_NAMES), "every input is an output too"


def camel(name: str) -> str:
    """A property's camelCase name (the native door's, and the program's config keys):
    ``client_id`` is ``clientId``."""
    return to_camel(name)


def description(name: str) -> str:
    """The declared description of input or output ``name`` (its docstring), on one line."""
    return _descriptions()[name]


@functools.cache
def _descriptions() -> dict[str, str]:
    # Read from the source when the schema or the docs ask, not at import: pydantic's
    # use_attribute_docstrings would parse it in every provider process's start (about 12 ms).
    found: dict[str, str] = {}
    for model in (AppState, AppInputs):  # an input's own words win over the output's
        body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0]
        assert isinstance(body, ast.ClassDef)
        for field, doc in itertools.pairwise(body.body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                found[field.target.id] = " ".join(doc.value.value.split())
    return found
