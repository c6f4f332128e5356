"""The native plugin's servicer called in process (no gRPC in between): what its conversions
decide, which the lifecycle cases (tests/doors.py) cannot see through snake_case bags."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2 as proto

from recall_provider.emulator import EmulatorServer
from recall_provider.native.server import RecallProvider
from recall_provider.native.values import marshal
from tests.helpers import make_app

URN = "urn:pulumi:dev::proj::recall:index:ZoomOAuthApp::app"
INPUTS = {
    "clientId": PropertyValue("zoomClientServer"),
    # Plain, as a program may give them: the plugin marks them secret itself.
    "clientSecret": PropertyValue("server-client-secret-0001"),
    "webhookSecret": PropertyValue("server-webhook-secret-0001"),
}


def call(method: Any, request: Any) -> Any:
    return asyncio.run(method(request, None))


def configured(emulator: EmulatorServer) -> RecallProvider:
    provider = RecallProvider()
    args = {"apiKey": PropertyValue("k", is_secret=True), "apiUrl": PropertyValue(emulator.url)}
    call(provider.Configure, proto.ConfigureRequest(args=marshal(args), acceptSecrets=True))
    return provider


def test_only_the_wire_names_are_inputs() -> None:
    # `client_id` is the dynamic resource's name, not this package's: a program that writes
    # it is told, whichever spelling it also gave.
    news = {**INPUTS, "client_id": PropertyValue("other")}
    answer = call(RecallProvider().Check, proto.CheckRequest(urn=URN, news=marshal(news)))
    (failure,) = answer.failures
    assert failure.property == "client_id"
    assert "is not an input (kind, clientId," in failure.reason


def test_a_create_marks_the_secrets_it_was_given_plain(fresh_emulator: EmulatorServer) -> None:
    provider = configured(fresh_emulator)
    checked = call(provider.Check, proto.CheckRequest(urn=URN, news=marshal(INPUTS)))
    made = call(provider.Create, proto.CreateRequest(urn=URN, properties=checked.inputs))
    outputs = PropertyValue.unmarshal_map(made.properties)
    assert outputs["clientSecret"].is_secret
    assert outputs["webhookSecret"].is_secret
    assert not outputs["clientId"].is_secret
    assert PropertyValue.unmarshal_map(checked.inputs)["clientSecret"].is_secret


def test_a_refresh_of_an_odd_recorded_state_is_no_import(fresh_emulator: EmulatorServer) -> None:
    # A recorded state without its webhookUrl (an earlier version, a hand edit) of an app since
    # deleted: the refresh drops it; it is not an import of an id Recall lacks.
    provider = configured(fresh_emulator)
    app_id = "7b0e3c1e-0000-4000-8000-00000000abcd"
    recorded = {"clientId": PropertyValue("zc"), "kind": PropertyValue("user_level")}
    answer = call(
        provider.Read, proto.ReadRequest(urn=URN, id=app_id, properties=marshal(recorded))
    )
    assert answer.id == ""
    kept = make_app(fresh_emulator)
    answer = call(
        provider.Read, proto.ReadRequest(urn=URN, id=kept["id"], properties=marshal(recorded))
    )
    assert answer.id == kept["id"], "an odd recorded state still reads the app"


@pytest.mark.parametrize("given", [True, False], ids=["kept", "removed"])
def test_the_preview_of_an_update_shows_the_inputs_the_program_gives(given: bool) -> None:
    adopted = {"adoptAppId": PropertyValue("7b0e3c1e-0000-4000-8000-000000000001")}
    olds = {**INPUTS, **adopted, "webhookUrl": PropertyValue("u"), "kind": PropertyValue("x")}
    news = {**INPUTS, **(adopted if given else {})}
    request = proto.UpdateRequest(
        urn=URN, id="7b0e3c1e-0000-4000-8000-000000000001", olds=marshal(olds),
        news=marshal(news), preview=True,
    )  # fmt: skip
    planned = PropertyValue.unmarshal_map(call(RecallProvider().Update, request).properties)
    assert ("adoptAppId" in planned) is given
    assert planned["webhookUrl"].value == "u", "the recorded outputs stay"
