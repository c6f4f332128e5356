"""How the inputs are judged before anything is planned: every wrong property named, none raised.

The rules and the wording of every failure come from the declaration (``spec.AppInputs``) and its
wire model's field types. A value unknown until apply is skipped: it is judged once known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from recall_provider.core.naming import argument
from recall_provider.core.spec import NAMES, AppInputs, Unknown
from recall_provider.models import canonical_app_id

__all__ = ["Checked", "Failure", "judge", "not_an_input", "trim"]

# Byte-order marks and zero-width characters, which str.strip() keeps: files and web pages
# carry them, and no Zoom id or secret contains one.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


@dataclass(frozen=True)
class Failure:
    """One wrong property: its name and why."""

    property: str
    reason: str


@dataclass(frozen=True)
class Checked:
    """The inputs as given with their strings trimmed, and what is wrong with them."""

    inputs: dict[str, object]
    failures: tuple[Failure, ...]


def trim(value: str) -> str:
    """A pasted value without surrounding whitespace, byte-order marks or zero-width spaces."""
    trimmed = value.strip()
    while trimmed and (trimmed[0] in _INVISIBLE or trimmed[-1] in _INVISIBLE):
        trimmed = trimmed.strip(_INVISIBLE).strip()
    return trimmed


def judge(news: Mapping[str, object]) -> Checked:
    """``news`` (input name to value, ``UNKNOWN`` where the value comes at apply) trimmed, and
    one failure per wrong property."""
    inputs = dict(news)
    for name in NAMES:
        # Values pasted from the Zoom Marketplace or read from files often carry stray
        # whitespace or a byte-order mark; Zoom ids and secrets never contain either.
        value = news.get(name)
        if isinstance(value, str):
            inputs[name] = trim(value)
    adopt = inputs.get("adopt_app_id")
    if isinstance(adopt, str):
        # Compared with the id Recall answers, so it takes Recall's spelling.
        inputs["adopt_app_id"] = canonical_app_id(adopt) or adopt
    # An unknown value of an input is judged once known; a key that is no input is wrong now.
    unknown = {name for name in NAMES if isinstance(news.get(name), Unknown)}
    given = {
        key: value
        for key, value in inputs.items()
        if key not in NAMES or (value is not None and key not in unknown)
    }
    try:
        AppInputs.model_validate(given)
    except ValidationError as exc:
        return Checked(inputs, _failures(exc, skip=unknown))
    return Checked(inputs, ())


def _failures(exc: ValidationError, skip: set[str]) -> tuple[Failure, ...]:
    failures: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "inputs"
        if field in skip or field in failures:
            continue  # known only after apply, or already judged (a union reports each branch)
        failures[field] = _reason(error["type"], str(error["msg"]))
    return tuple(Failure(name, reason) for name, reason in failures.items())


def _reason(kind: str, message: str) -> str:
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return not_an_input()
    return message


def not_an_input() -> str:
    """Why a property that is no input is wrong: the inputs there are, as the caller names them."""
    return f"is not an input ({', '.join(argument(name) for name in NAMES)})"
