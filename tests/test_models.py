"""Wire models: strict requests, tolerant responses, secrets that never show."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from recall_provider.models import (
    MAX_FIELD_LENGTH,
    Page,
    ZoomOAuthApp,
    ZoomOAuthAppCreate,
    ZoomOAuthAppUpdate,
    describe_validation_errors,
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
