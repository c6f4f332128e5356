"""Provider methods called directly: the diff decision table, configuration, pickling, the
webhook self-check."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from recall_provider.client import RecallClient
from recall_provider.core import AppInputs, AppService
from recall_provider.core.webhook_check import self_check
from recall_provider.emulator import EmulatorServer
from recall_provider.errors import (
    ErrorCode,
    RecallAuthenticationError,
    RecallConfigError,
    RecallWebhookCheckError,
)
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.helpers import EmulatorFactory, make_app
from tests.scripted_server import Reply, ScriptedServer

APP_ID = "7b0e3c1e-0000-4000-8000-000000000001"
OLDS = {
    "kind": "user_level",
    "client_id": "zc",
    "client_secret": "cs1",
    "webhook_secret": "ws1",
    "created_at": "2026-01-01T00:00:00Z",
    "webhook_url": f"http://x/api/v2/zoom-oauth-apps/{APP_ID}/webhook",
}
NEWS = {k: OLDS[k] for k in ("kind", "client_id", "client_secret", "webhook_secret")}


@pytest.mark.parametrize(
    ("change", "changes", "replaces", "delete_first"),
    [
        ({}, False, [], False),
        ({"client_secret": "cs2"}, True, [], False),
        ({"webhook_secret": "ws2"}, True, [], False),
        ({"client_secret": "cs2", "webhook_secret": "ws2"}, True, [], False),
        ({"client_id": "zc2"}, True, ["client_id"], False),
        ({"kind": "account_level"}, True, ["kind"], True),
        ({"kind": "account_level", "client_id": "zc2"}, True, ["kind", "client_id"], False),
        ({"client_secret": Unknown()}, True, [], False),
        ({"client_id": Unknown()}, True, ["client_id"], False),
        ({"adopt_app_id": APP_ID}, False, [], False),
        # Adopting another existing app never deletes the managed one first.
        ({"adopt_app_id": "7b0e3c1e-0000-4000-8000-000000000002"}, True, ["adopt_app_id"], False),
        # ... not even when the kind changes too: that app exists, and if it cannot be adopted
        # the managed one must still be there.
        (
            {"kind": "account_level", "adopt_app_id": "7b0e3c1e-0000-4000-8000-000000000002"},
            True,
            ["kind", "adopt_app_id"],
            False,
        ),
        ({"validate_webhook": False}, True, [], False),
    ],
)
def test_diff_table(
    change: dict[str, Any], changes: bool, replaces: list[str], delete_first: bool
) -> None:
    result = RecallZoomOAuthAppProvider().diff(APP_ID, OLDS, {**NEWS, **change})
    assert result.changes is changes
    assert result.replaces == replaces
    assert result.delete_before_replace is delete_first


@pytest.mark.parametrize("change", [{"kind": "account_level"}, {"client_id": "zc2"}])
def test_diff_refuses_to_replace_the_app_it_adopts(change: dict[str, str]) -> None:
    news = {**NEWS, **change, "adopt_app_id": APP_ID.upper()}
    with pytest.raises(RecallConfigError) as info:
        RecallZoomOAuthAppProvider().diff(APP_ID, OLDS, news)
    assert info.value.code is ErrorCode.REPLACE_OF_ADOPTED
    assert APP_ID in str(info.value)


@pytest.mark.parametrize("key", ["client_id", "kind"])
def test_an_immutable_input_unknown_at_preview_is_no_refused_replace(key: str) -> None:
    # client_id from another resource's output: it may well stay the same. The preview shows a
    # possible replace; `up` diffs again with the value known, and refuses there if it changed.
    news = {**NEWS, key: Unknown(), "adopt_app_id": APP_ID}
    diff = RecallZoomOAuthAppProvider().diff(APP_ID, OLDS, news)
    assert diff.replaces == [key]
    assert not diff.delete_before_replace, "an adopted app is never deleted first"
    known = {**NEWS, key: {"kind": "account_level", "client_id": "another"}[key],
             "adopt_app_id": APP_ID}  # fmt: skip
    with pytest.raises(RecallConfigError) as info:
        RecallZoomOAuthAppProvider().diff(APP_ID, OLDS, known)
    assert info.value.code is ErrorCode.REPLACE_OF_ADOPTED
    assert APP_ID in str(info.value)


def test_check_spells_an_adopted_id_as_recall_does() -> None:
    for spelling in (APP_ID.upper(), "{" + APP_ID + "}", APP_ID.replace("-", "")):
        result = RecallZoomOAuthAppProvider().check({}, {**NEWS, "adopt_app_id": spelling})
        assert result.failures == []
        assert result.inputs["adopt_app_id"] == APP_ID


def test_check_never_raises_on_odd_values_and_names_each_property() -> None:
    news = {
        "kind": {"nested": Unknown()},
        "client_id": [Unknown()],
        "client_secret": 1.5,
        "webhook_secret": True,
        "extra": 1,
    }
    result = RecallZoomOAuthAppProvider().check({}, news)
    assert {f.property for f in result.failures} == {
        "kind",
        "client_id",
        "client_secret",
        "webhook_secret",
        "extra",
    }


def configured(config: dict[str, Any]) -> RecallZoomOAuthAppProvider:
    provider = RecallZoomOAuthAppProvider()
    provider.configure(ConfigureRequest(Config(config, "recall-zoom")))
    return provider


def test_configure_sends_every_call_where_the_stack_says(
    emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each emulator takes only its own key: a call with the other's is refused.
    stacks = emulator_factory(api_keys=["stack-key"])
    shells = emulator_factory(api_keys=["shell-key"])
    app_id = make_app(stacks)["id"]
    # Left over in the shell from another stack: the stack's own settings win.
    monkeypatch.setenv("RECALL_API_KEY", "shell-key")
    monkeypatch.setenv("RECALL_API_URL", shells.url)
    provider = configured({"recall:apiKey": "stack-key", "recall:apiUrl": stacks.url})
    assert provider.read(app_id, OLDS).id == app_id
    assert shells.app.count() == 0
    (request,) = stacks.app.requests
    assert request.method == "GET"


def test_an_unconfigured_provider_reads_the_environment(
    fresh_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = make_app(fresh_emulator)["id"]
    monkeypatch.setenv("RECALL_API_KEY", "k")
    monkeypatch.setenv("RECALL_API_URL", fresh_emulator.url)
    assert RecallZoomOAuthAppProvider().read(app_id, OLDS).id == app_id


def test_bad_region_is_reported_when_a_call_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECALL_API_URL", raising=False)
    provider = configured({"recall:apiKey": "k", "recall:region": "mars-1"})
    assert provider.check({}, NEWS).failures == [], "a preview needs no call, so it still runs"
    with pytest.raises(RecallConfigError) as info:
        provider.delete(APP_ID, OLDS)
    assert info.value.code is ErrorCode.BAD_REGION
    assert "mars-1" in str(info.value)


def test_pickle_drops_runtime_state(
    emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulator_factory(api_keys=["a-very-secret-api-key"])
    app_id = make_app(emulator)["id"]
    provider = configured({"recall:apiKey": "a-very-secret-api-key", "recall:apiUrl": emulator.url})
    assert provider.read(app_id, OLDS).id == app_id, "configured, with a client in use"
    blob = pickle.dumps(provider)
    assert b"a-very-secret-api-key" not in blob
    monkeypatch.delenv("RECALL_API_KEY", raising=False)
    with pytest.raises(RecallConfigError) as info:
        pickle.loads(blob).delete(APP_ID, OLDS)
    assert info.value.code is ErrorCode.API_KEY_MISSING


def test_self_check_passes_on_the_right_secret(fresh_emulator: EmulatorServer) -> None:
    app_id = make_app(fresh_emulator, webhook_secret="the-real-secret-token")["id"]
    with RecallClient("k", base_url=fresh_emulator.url) as client:
        passed_at = self_check(client, app_id, "the-real-secret-token")
    assert passed_at.endswith("Z")
    (delivery,) = fresh_emulator.backend.webhook_deliveries(app_id)
    assert delivery.accepted
    assert "authorization" not in delivery.headers, "the API key never goes to the webhook"


def test_self_check_fails_on_a_wrong_secret_naming_it(fresh_emulator: EmulatorServer) -> None:
    app_id = make_app(fresh_emulator, webhook_secret="the-real-secret-token")["id"]
    with (
        RecallClient("k", base_url=fresh_emulator.url) as client,
        pytest.raises(RecallWebhookCheckError) as info,
    ):
        self_check(client, app_id, "a-wrong-secret-token")
    assert info.value.code is ErrorCode.WEBHOOK_CHECK_FAILED
    text = str(info.value)
    assert "webhook_secret" in text
    assert "Secret Token" in text
    assert f"/api/v2/zoom-oauth-apps/{app_id}/webhook" in text
    assert "a-wrong-secret-token" not in text
    assert "the-real-secret-token" not in text


def test_self_check_fails_on_a_wrong_answer() -> None:
    answer = {"plainToken": "not-what-was-sent", "encryptedToken": "00"}
    with (
        ScriptedServer(Reply(200, answer)) as server,
        RecallClient("k", base_url=server.url) as client,
        pytest.raises(RecallWebhookCheckError) as info,
    ):
        self_check(client, APP_ID, "s3cret-token")
    assert info.value.code is ErrorCode.WEBHOOK_CHECK_FAILED
    assert "webhook_secret" in str(info.value)
    assert "s3cret-token" not in str(info.value)
    (seen,) = server.seen
    stamp = seen.headers["x-zm-request-timestamp"]
    expected = hmac.new(b"s3cret-token", f"v0:{stamp}:".encode() + seen.body, hashlib.sha256)
    assert seen.headers["x-zm-signature"] == f"v0={expected.hexdigest()}"
    assert json.loads(seen.body)["event"] == "endpoint.url_validation"


@pytest.mark.parametrize("token", ["ünïcode-tökén", "00\u200b", ""])
def test_self_check_fails_on_a_token_that_is_not_hex(token: str) -> None:
    # The plain token echoed as sent, the encrypted one not even ASCII: a failed check (which
    # undoes the create), never an exception of another type.
    def answer(request: bytes) -> dict[str, str]:
        plain = json.loads(request)["payload"]["plainToken"]
        return {"plainToken": plain, "encryptedToken": token}

    with (
        ScriptedServer(Reply(200, answer)) as server,
        RecallClient("k", base_url=server.url) as client,
        pytest.raises(RecallWebhookCheckError) as info,
    ):
        self_check(client, APP_ID, "s3cret-token")
    assert info.value.code is ErrorCode.WEBHOOK_CHECK_FAILED
    assert "webhook_secret" in str(info.value)


def test_self_check_is_skipped_when_turned_off(fresh_emulator: EmulatorServer) -> None:
    service = AppService()
    service.configure({"recall:apiKey": "k", "recall:apiUrl": fresh_emulator.url}.get)
    inputs = AppInputs.model_validate({**NEWS, "validate_webhook": False})
    state = service.create(inputs)
    assert state.webhook_self_check_at is None
    assert fresh_emulator.backend.webhook_deliveries(state.id) == [], "nothing is sent"


def test_a_wrong_kind_is_echoed_only_when_short() -> None:
    provider = RecallZoomOAuthAppProvider()
    typo = provider.check({}, {**NEWS, "kind": "user-level"}).failures
    assert [(f.property, f.reason) for f in typo] == [
        ("kind", "must be one of user_level, account_level, not 'user-level'")
    ]
    pasted_secret = "Zx9kLmQ2vB7nR4tY8wE1uA"  # a Zoom Secret Token pasted into the wrong field
    (failure,) = provider.check({}, {**NEWS, "kind": pasted_secret}).failures
    assert failure.property == "kind"
    assert pasted_secret not in failure.reason
    assert "a 22-character value" in failure.reason


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("client_id", "zoomClient\u200e"),  # a left-to-right mark, invisible when pasted
        ("client_secret", "x" * 31 + "\u00ad"),  # a soft hyphen
        ("webhook_secret", "two words"),
    ],
)
def test_ids_and_secrets_with_hidden_characters_fail_check(key: str, value: str) -> None:
    (failure,) = RecallZoomOAuthAppProvider().check({}, {**NEWS, key: value}).failures
    assert failure.property == key
    assert "spaces or invisible characters" in failure.reason
    assert value not in failure.reason


def test_every_step_tells_the_client_the_resources_secrets() -> None:
    # A refresh in a new process: the provider never sent this app's secrets, Recall echoes one.
    echo = {"detail": "webhook secret ws1-but-longer is invalid"}
    olds = {**OLDS, "webhook_secret": "ws1-but-longer"}
    with ScriptedServer(Reply(403, echo)) as server:  # a 403 is not retried: quick
        provider = configured({"recall:apiKey": "k", "recall:apiUrl": server.url})
        with pytest.raises(RecallAuthenticationError) as info:
            provider.read(APP_ID, olds)
    assert "ws1-but-longer" not in str(info.value)
    assert "[redacted]" in str(info.value)
