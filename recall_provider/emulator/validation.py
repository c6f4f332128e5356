"""DRF-style validation of request data: the app serializer's fields, cleaned as DRF would."""

from __future__ import annotations

import uuid

from recall_provider.limits import MAX_FIELD_LENGTH

from .errors import ValidationError

KINDS = ("user_level", "account_level")
SECRET_FIELDS = ("client_secret", "webhook_secret")
CREATE_FIELDS = ("kind", "client_id", *SECRET_FIELDS)
# DRF's words for a field sent as null, whatever the field.
_NULL = "This field may not be null."


class _FieldError(Exception):
    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


def _clean_char(value: object) -> str:
    """DRF ``CharField(max_length=MAX_FIELD_LENGTH)`` with its default trimming and validators."""
    if value is None:
        raise _FieldError(_NULL)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError("Not a valid string.")
    text = str(value).strip()
    if not text:
        raise _FieldError("This field may not be blank.")
    # DRF runs every validator and reports all of their messages together.
    messages = []
    if len(text) > MAX_FIELD_LENGTH:
        messages.append(f"Ensure this field has no more than {MAX_FIELD_LENGTH} characters.")
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
        raise _FieldError(_NULL)
    if str(value) not in KINDS:
        raise _FieldError(f'"{value}" is not a valid choice.')
    return str(value)


def validate(data: object, fields: tuple[str, ...], *, partial: bool) -> dict[str, str]:
    """The cleaned ``fields`` of a request body, or a ValidationError listing every problem."""
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


def normalise_uuid(value: str) -> str | None:
    """The canonical form of a UUID, or None when ``value`` is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
