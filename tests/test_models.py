"""Wire models: strict requests, tolerant responses, secrets that never show."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from recall_provider import models
from recall_provider.models import (
    MAX_FIELD_LENGTH,
    Page,
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    describe_validation_errors,
    iso,
)

CLIENT_SECRET = "cs-Very-Secret-0123456789"
WEBHOOK_SECRET = "wh-Very-Secret-9876543210"


def valid_create(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "user_level",
        "client_id": "zoomClientId123",
        "client_secret": CLIENT_SECRET,
        "webhook_secret": WEBHOOK_SECRET,
    }
    body.update(overrides)
    return body


def test_create_to_wire_has_the_plain_values() -> None:
    app = ZoomOAuthAppCreate.model_validate(valid_create())
    assert app.to_wire() == valid_create()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"kind": "team_level"}, "kind", "user_level"),
        ({"client_id": ""}, "client_id", "must not be empty"),
        ({"client_id": "x" * (MAX_FIELD_LENGTH + 1)}, "client_id", "at most 200"),
        ({"client_secret": ""}, "client_secret", "must not be empty"),
        ({"webhook_secret": "w" * (MAX_FIELD_LENGTH + 1)}, "webhook_secret", "at most 200"),
        ({"client_id": 42}, "client_id", "string"),
        ({"client_id": "zoomClient\u200e"}, "client_id", "invisible characters"),
        ({"webhook_secret": "two words"}, "webhook_secret", "spaces"),
        ({"extra": "field"}, "extra", "Extra inputs"),
    ],
)
def test_create_rejects_bad_fields(overrides: dict[str, object], field: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        ZoomOAuthAppCreate.model_validate(valid_create(**overrides))
    errors = {".".join(map(str, e["loc"])): e["msg"] for e in info.value.errors()}
    assert field in errors
    assert fragment in errors[field]


def test_limits_are_inclusive() -> None:
    at_limit = "x" * MAX_FIELD_LENGTH
    app = ZoomOAuthAppCreate.model_validate(
        valid_create(client_id=at_limit, client_secret=at_limit, webhook_secret=at_limit)
    )
    assert app.to_wire()["client_secret"] == at_limit


def test_secrets_never_show_in_repr_str_or_errors() -> None:
    app = ZoomOAuthAppCreate.model_validate(valid_create())
    update = ZoomOAuthAppUpdate(client_secret=CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET)
    for text in (repr(app), str(app), repr(update), str(update), app.model_dump_json()):
        assert CLIENT_SECRET not in text
        assert WEBHOOK_SECRET not in text
    long_secret = "S3cret" * 40
    with pytest.raises(ValidationError) as info:
        ZoomOAuthAppCreate.model_validate(valid_create(client_secret=long_secret))
    assert long_secret not in str(info.value)
    # errors() itself carries the input; what the project prints goes through this helper.
    assert long_secret not in repr(describe_validation_errors(info.value.errors()))


def test_update_carries_only_what_changes() -> None:
    update = ZoomOAuthAppUpdate(webhook_secret=WEBHOOK_SECRET)
    assert update.to_wire() == {"webhook_secret": WEBHOOK_SECRET}
    with pytest.raises(ValidationError, match="must change"):
        ZoomOAuthAppUpdate()


def test_response_tolerates_unknown_fields_and_absent_secrets() -> None:
    app = ZoomOAuthApp.model_validate_json(
        '{"id": "a1", "kind": "account_level", "client_id": "c", '
        '"created_at": "2023-08-03T03:48:58.187545Z", "webhook_last_validation": null, '
        '"brand_new_field": {"x": 1}}'
    )
    assert app.id == "a1"
    assert app.client_secret is None
    assert app.webhook_secret is None
    assert app.created_at is not None
    assert app.created_at.microsecond == 187545
    assert not hasattr(app, "brand_new_field")


def test_response_secrets_are_hidden_but_readable() -> None:
    app = ZoomOAuthApp.model_validate(
        {"id": "a1", "kind": "user_level", "client_id": "c", "client_secret": CLIENT_SECRET}
    )
    assert CLIENT_SECRET not in repr(app)
    assert app.client_secret is not None
    assert app.client_secret.get_secret_value() == CLIENT_SECRET
    assert pickle.loads(pickle.dumps(app)) == app


def test_page_parses_items() -> None:
    page = Page[ZoomOAuthApp].model_validate(
        {"next": "https://x/api/v2/zoom-oauth-apps/?cursor=abc", "previous": None,
         "results": [{"id": "1", "kind": "user_level", "client_id": "c"}]}
    )  # fmt: skip
    assert [a.id for a in page.results] == ["1"]
    assert page.next is not None
    with pytest.raises(ValidationError):
        Page[ZoomOAuthApp].model_validate({"next": None})


# -- every time Recall sends: an aware UTC value, or a bad answer -----------------------------


def _time_fields() -> list[tuple[type[BaseModel], str]]:
    """Every field of every wire model that holds a time: a new one is covered by itself."""
    found = []
    for model in vars(models).values():
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or model is BaseModel:
            continue
        for name, field in model.model_fields.items():
            if "datetime" in str(field.annotation):
                found.append((model, name))
    return found


TIME_FIELDS = _time_fields()
REQUIRED = {
    models.ZoomOAuthApp: {"id": "a1", "kind": "user_level", "client_id": "c"},
    models.ZoomOAuthAppLog: {"oauth_app": "a1", "message": "m"},
}


def test_the_time_fields_are_the_three_known() -> None:
    assert {(m.__name__, f) for m, f in TIME_FIELDS} == {
        ("ZoomOAuthApp", "created_at"),
        ("ZoomOAuthApp", "webhook_last_validation"),
        ("ZoomOAuthAppLog", "created_at"),
    }


@pytest.mark.parametrize(("model", "field"), TIME_FIELDS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("2026-01-02T03:04:05", "has no timezone"),
        ("2026-01-02T03:04:05.123456", "has no timezone"),
        ("2026-01-02", "has no timezone"),
        ("0001-01-01T00:00:00+01:00", "off the calendar once written in UTC"),
        ("9999-12-31T23:59:59-00:01", "off the calendar once written in UTC"),
        ("10000-01-01T00:00:00Z", "datetime"),
        ("yesterday", "datetime"),
    ],
)
def test_a_time_that_cannot_be_an_aware_utc_value_is_refused(
    model: type[BaseModel], field: str, sent: str, says: str
) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate({**REQUIRED[model], field: sent})
    ((where, message),) = describe_validation_errors(info.value.errors())
    assert where == field
    assert says in message


@pytest.mark.parametrize(("model", "field"), TIME_FIELDS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize(
    ("sent", "moment"),
    [
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime.max.replace(tzinfo=UTC)),
        ("0001-01-01T00:00:00-01:00", datetime(1, 1, 1, 1, tzinfo=UTC)),
        ("2026-01-02T08:04:05+05:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_every_time_is_held_in_utc(
    model: type[BaseModel], field: str, sent: str, moment: datetime
) -> None:
    value = getattr(model.model_validate({**REQUIRED[model], field: sent}), field)
    assert value == moment
    assert value.tzinfo is UTC, "UTC itself: iso() and every sum or difference work on it"
    assert iso(value) is not None
