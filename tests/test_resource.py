"""The resource class under pulumi.runtime.set_mocks: type token, inputs, options, secretness."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs
from recall_provider.core import spec as inputs
from recall_provider.models import DEFAULT_KIND

CLIENT_SECRET = "mock-client-secret-0123456789"
WEBHOOK_SECRET = "mock-webhook-secret-0123456789"


class AppMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        app_id = f"{args.name}-id"
        state = dict(args.inputs)
        state["webhook_url"] = (
            f"https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/{app_id}/webhook"
        )
        state["created_at"] = "2026-01-01T00:00:00Z"
        return app_id, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping each raw RegisterResource request for inspection."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(request)
        return super().RegisterResource(request)


@pytest.fixture
def monitor() -> Iterator[RecordingMonitor]:
    # Pulumi's runtime needs a current event loop; earlier tests may have left none.
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = AppMocks()
    mon = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="recall-zoom", stack="dev", preview=False, monitor=mon)
    yield mon
    pulumi.runtime.settings.reset_options()  # the next test starts from a clean runtime


def make_app(opts: pulumi.ResourceOptions | None = None) -> RecallZoomOAuthApp:
    return RecallZoomOAuthApp(
        "zoom",
        RecallZoomOAuthAppArgs(
            client_id="zoomClientMock", client_secret=CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET
        ),
        opts,
    )


@pulumi.runtime.test
def test_registration(monitor: RecordingMonitor) -> pulumi.Output[Any]:
    app = make_app()

    def check(values: list[Any]) -> None:
        app_id, url, kind = values
        (request,) = monitor.registered
        assert request.type == "pulumi-python:dynamic/recall:ZoomOAuthApp"
        assert set(request.additionalSecretOutputs) >= {"client_secret", "webhook_secret"}
        fields = request.object.fields
        for key in ("client_secret", "webhook_secret"):
            assert fields[key].struct_value.fields[rpc._special_sig_key].string_value == (
                rpc._special_secret_sig
            ), f"{key} is sent as a secret"
        assert fields["kind"].string_value == "user_level", "kind defaults to user_level"
        # Who the app is for, which the provider host cannot know: the record of an
        # interrupted create names it, and only it may take that create's app over.
        assert fields["owner"].string_value == "organization/recall-zoom/dev/zoom"
        assert app_id == "zoom-id"
        assert url.endswith("/zoom-id/webhook")
        assert kind == "user_level"

    return pulumi.Output.all(app.id, app.webhook_url, app.kind).apply(check)


@pulumi.runtime.test
def test_user_options_are_kept_and_secret_outputs_merged(
    monitor: RecordingMonitor,
) -> pulumi.Output[Any]:
    app = make_app(pulumi.ResourceOptions(additional_secret_outputs=["client_id"], protect=True))

    def check(_: Any) -> None:
        (request,) = monitor.registered
        assert set(request.additionalSecretOutputs) == {
            "client_id",
            "client_secret",
            "webhook_secret",
        }
        assert request.protect is True

    return app.id.apply(check)


@pulumi.runtime.test
def test_the_registered_provider_holds_no_secret(monitor: RecordingMonitor) -> pulumi.Output[Any]:
    app = make_app()

    def check(_: Any) -> None:
        (request,) = monitor.registered
        blob = request.object.fields["__provider"]
        # Not wrapped as a secret (it captures none), so it costs no encryption per resource.
        assert blob.HasField("string_value")
        raw = base64.b64decode(blob.string_value)
        assert b"recall_provider.provider" in raw
        assert CLIENT_SECRET.encode() not in raw
        assert WEBHOOK_SECRET.encode() not in raw

    return app.id.apply(check)


def test_the_args_are_the_providers_inputs() -> None:
    # The typed facade users write against and the provider's declaration are one list.
    fields = {f.name: f for f in dataclasses.fields(RecallZoomOAuthAppArgs)}
    assert tuple(sorted(fields)) == tuple(sorted(inputs.NAMES))
    required = {name for name, f in fields.items() if f.default is dataclasses.MISSING}
    assert required == set(inputs.REQUIRED)
    assert fields["kind"].default == DEFAULT_KIND == "user_level"
    for name, default in inputs.DEFAULTS.items():
        assert fields[name].default == default


def test_what_a_change_does_follows_recalls_api() -> None:
    assert inputs.SECRETS == ("client_secret", "webhook_secret")
    assert inputs.MUTABLE == ("client_secret", "webhook_secret"), "what PATCH takes"
    assert inputs.IMMUTABLE == ("kind", "client_id"), "what only a new app can change"
    assert inputs.camel("adopt_app_id") == "adoptAppId"


def test_every_input_and_output_has_a_description_and_the_resource_declares_each_output() -> None:
    # The schema and docs of the later doors are made from these descriptions.
    for name in inputs.OUTPUT_NAMES:
        assert len(inputs.description(name)) > 20, name
    declared = RecallZoomOAuthApp.__annotations__
    assert set(inputs.OUTPUT_NAMES) == set(declared), "the resource's Output attributes"


@pytest.mark.parametrize(
    ("key", "closest"), [("recall:apikey", "recall:apiKey"), ("recall:regoin", "recall:region")]
)
@pulumi.runtime.test  # the mocked runtime's own calls are awaited too
def test_a_recall_key_that_is_no_setting_stops_any_program(
    monitor: RecordingMonitor, key: str, closest: str
) -> None:
    # Whichever program makes the resource (a user's own, not only this repository's): the
    # provider would ignore the key and use an environment variable or a default in silence.
    pulumi.runtime.set_all_config({key: "x", "recall:apiUrl": "http://127.0.0.1:9"}, [])
    try:
        with pytest.raises(pulumi.RunError) as info:
            make_app()
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert str(info.value) == (
        f"{key} is not a setting of the recall provider: did you mean {closest}?"
    )
    assert monitor.registered == []


@pulumi.runtime.test
def test_the_engines_own_recall_keys_are_not_mistakes(
    monitor: RecordingMonitor,
) -> pulumi.Output[Any]:
    pulumi.runtime.set_all_config({"recall:version": "0.1.0"}, [])
    try:
        app = make_app()
    finally:
        pulumi.runtime.set_all_config({}, [])
    return app.id.apply(lambda app_id: assert_made(app_id, monitor))


def assert_made(app_id: str, monitor: RecordingMonitor) -> None:
    assert app_id == "zoom-id"
    assert len(monitor.registered) == 1
