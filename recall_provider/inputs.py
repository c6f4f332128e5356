"""The inputs of ``RecallZoomOAuthApp``, declared once, and how ``check()`` judges them.

``AppInputs`` is the declaration: Recall's create body (its fields and rules come from the wire
model) plus the two inputs only the provider uses. The lists of input names the code works with
(required, secret, replaced on change, updated in place, passed through, the program's config
keys) are derived from it and from the wire models, and every failure's wording comes from the
models' field types. What Python cannot derive, the typed ``RecallZoomOAuthAppArgs`` and the
defaults in ``Pulumi.yaml``, tests hold to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.output import Unknown
from pydantic import SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from recall_provider.models import (
    AppId,
    Flag,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    canonical_app_id,
)

__all__ = [
    "DEFAULTS",
    "IMMUTABLE",
    "MUTABLE",
    "NAMES",
    "OWNER",
    "PROVIDER_KEY",
    "REQUIRED",
    "SECRETS",
    "AppInputs",
    "config_key",
    "judge",
    "trim",
]


class AppInputs(ZoomOAuthAppCreate):
    """The resource's inputs: a create body for Recall, plus what only the provider uses."""

    adopt_app_id: AppId | None = None
    """Id of an app made outside Pulumi, to manage instead of creating one."""
    validate_webhook: Flag = True
    """Whether the webhook self-check runs after each create or webhook-secret change."""


OWNER = "owner"
"""Set by the resource, not by a user: the stack and resource the app is for
(``organization/project/stack/name``). This machine's record of a create names it, and only
that owner may take over the app of its interrupted create."""

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

# Byte-order marks and zero-width characters, which str.strip() keeps: files and web pages
# carry them, and no Zoom id or secret contains one.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_WORDING = {
    "missing": "is required",
    "extra_forbidden": f"is not an input of RecallZoomOAuthApp ({', '.join(NAMES)})",
}


def config_key(name: str) -> str:
    """The program's config key of an input: ``client_id`` is ``clientId``."""
    return to_camel(name)


def trim(value: str) -> str:
    """A pasted value without surrounding whitespace, byte-order marks or zero-width spaces."""
    trimmed = value.strip()
    while trimmed and (trimmed[0] in _INVISIBLE or trimmed[-1] in _INVISIBLE):
        trimmed = trimmed.strip(_INVISIBLE).strip()
    return trimmed


def judge(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The inputs with their strings trimmed, and one (property, reason) per wrong property.

    A value unknown until apply (preview) is skipped: Recall judges it once it is known.
    """
    inputs = dict(news)
    for name in NAMES:
        # Values pasted from the Zoom Marketplace or read from files often carry stray
        # whitespace or a byte-order mark; Zoom ids and secrets never contain either.
        if isinstance(news.get(name), str):
            inputs[name] = trim(news[name])
    if isinstance(inputs.get("adopt_app_id"), str):
        # Compared with the id Recall answers, so it takes Recall's spelling.
        inputs["adopt_app_id"] = canonical_app_id(inputs["adopt_app_id"]) or inputs["adopt_app_id"]
    unknown = {name for name in NAMES if isinstance(news.get(name), Unknown)}
    given = {
        key: value
        for key, value in inputs.items()
        if key not in (PROVIDER_KEY, OWNER)
        and (key not in NAMES or (value is not None and key not in unknown))
    }
    try:
        AppInputs.model_validate(given)
    except ValidationError as exc:
        return inputs, _failures(exc, skip=unknown)
    return inputs, []


def _failures(exc: ValidationError, skip: set[str]) -> list[tuple[str, str]]:
    failures: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "inputs"
        if field in skip or field in failures:
            continue  # known only after apply, or already judged (a union reports each branch)
        failures[field] = _WORDING.get(error["type"], str(error["msg"]))
    return list(failures.items())
