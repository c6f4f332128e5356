"""The provider's lifecycle with the engine's sequences, through every door (tests/doors.py): the
core in this process, the real ``python -m pulumi.dynamic`` host and the native plugin. A case
that needs the host itself (its handshake, its process's environment) is marked ``host`` and says
so; one that needs the dynamic resource's own properties runs through the core and the host, and
says why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

import dill
import pytest
import requests
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import proto

from recall_provider.core.spec import NAMES
from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.conftest import host_config
from tests.doors import (
    CORE,
    DYNAMIC,
    CheckFailed,
    CoreDoor,
    Door,
    DoorError,
    Engine,
    through,
    through_one_door_for_its_waits,
)
from tests.helpers import APPS, WEBHOOK, make_app
from tests.host_harness import PROVIDER_KEY, UNKNOWN, ProviderHost, program_props
from tests.native_harness import NativeDoor

API_KEY = "host-test-api-key-0123456789"


def app_props(**overrides: Any) -> dict[str, Any]:
    inputs = {
        "kind": "user_level",
        "client_id": "zoomClientHost",
        "client_secret": "client-secret-host-0001",
        "webhook_secret": "webhook-secret-host-0001",
    }
    inputs.update(overrides)
    return program_props(**inputs)


@pytest.mark.host
@pytest.mark.native
def test_every_door_records_the_same_for_the_same_commands(
    host: ProviderHost, native: NativeDoor, host_emulator: EmulatorServer
) -> None:
    """Every door in one test (so the marks of the doors with processes): what the cases do
    not each look at, the whole state the engine records and the errors' lines, is the same
    through each. The native resource has no ``argument_keys`` (the dynamic resource's: where
    this repository's program sets each argument) and its users name the inputs camelCase: it
    is held to the core without argument keys, its lines spelled back."""
    core = CoreDoor(host_config(API_KEY, host_emulator.url))
    owner = {"owner": "organization/recall-zoom/dev/app"}
    program = {**owner, "argument_keys": {"kind": "k"}}
    assert _the_same_commands(Engine(core), host_emulator, program) == _the_same_commands(
        Engine(host), host_emulator, program
    )
    assert _the_same_commands(Engine(core), host_emulator, owner) == _the_same_commands(
        Engine(native), host_emulator, owner
    )


def _the_same_commands(engine: Engine, emu: EmulatorServer, spoken: dict[str, Any]) -> list[object]:
    """A create (of inputs to trim, with the resource's ``spoken`` owner and argument keys), an
    update, a refresh where Recall hides the secrets, and a refused replace: each step's
    record, the app's id and times made alike across runs, the inputs named in the lines as
    the core names them."""
    emu.backend.reset()
    emu.backend.secrets_in_responses = "plain"
    seen: list[object] = []

    def record(step: object) -> None:
        # The dynamic door's pickled provider is its own, not the engine's record of the app.
        state = engine.state["app"]
        for props in (state.inputs, state.outputs):
            recorded = {k: v for k, v in props.items() if k != PROVIDER_KEY}
            text = json.dumps([step, recorded], sort_keys=True).replace(state.id, "<id>")
            seen.append(_TIMES.sub('"<time>"', text))

    record(engine.up("app", {**app_props(client_id=" zoomClientHost\n"), **spoken}).op)
    record(engine.up("app", {**app_props(webhook_secret="webhook-secret-host-0002"), **spoken}).op)
    emu.backend.secrets_in_responses = "masked"
    record(engine.refresh("app"))
    adopted = app_props(kind="account_level", adopt_app_id=engine.state["app"].id)
    with pytest.raises(DoorError) as info:
        engine.up("app", {**adopted, **spoken})
    assert "refusing to replace" in info.value.details
    record(_spelled_back(info.value.details, engine.door))
    return seen


def _spelled_back(line: str, door: Door) -> str:
    """``line`` with the inputs named as the core names them, not as ``door``'s users do."""
    for name in sorted(NAMES, key=lambda n: -len(door.argument(n))):
        line = line.replace(door.argument(name), name)
    return line


# An ISO time, as Recall and the self-check stamp them.
_TIMES = re.compile(r'"\d{4}-\d\d-\d\dT[^"]*"')


@pytest.mark.host
def test_host_handshake(host: ProviderHost) -> None:
    """The dynamic door only: what the host answers the engine's handshake."""
    assert host.info.version
    # The host strips secrets itself and has no preview of its own: the engine relies on both.
    assert host.configure_response.acceptSecrets is False
    assert host.configure_response.supportsPreview is False


@pytest.mark.native
def test_plugin_handshake(native: NativeDoor) -> None:
    """The native door only: what the plugin answers the engine's handshake and Configure."""
    session = native.session()
    try:
        # Secrets travel marked both ways; the plugin answers previews itself.
        assert session.handshake.accept_secrets is True
        assert session.configure_response.acceptSecrets is True
        assert session.configure_response.supportsPreview is True
    finally:
        session.close()


def test_preview_of_a_new_app_only_checks(engine: Engine, host_emulator: EmulatorServer) -> None:
    plan = engine.preview("app", app_props(client_secret=UNKNOWN))
    assert plan.op == "create"
    assert plan.outputs["client_id"] == "zoomClientHost"
    assert isinstance(plan.outputs["client_secret"], Unknown)
    assert "created_at" not in plan.outputs
    assert host_emulator.app.requests == []


def test_up_creates_one_app_and_outputs_its_id_and_webhook_url(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    plan = engine.up("app", app_props())
    state = engine.state["app"]
    assert plan.op == "create"
    assert host_emulator.app.count("POST", APPS) == 1
    assert host_emulator.app.count("POST", WEBHOOK) == 1, "the webhook self-check"
    assert [a["id"] for a in host_emulator.backend.apps()] == [state.id]
    assert state.outputs["webhook_self_check_at"].endswith("Z")
    assert (
        state.outputs["webhook_url"]
        == f"{host_emulator.url}/api/v2/zoom-oauth-apps/{state.id}/webhook"
    )
    assert state.outputs["kind"] == "user_level"
    assert state.outputs["client_id"] == "zoomClientHost"
    assert state.outputs["created_at"].endswith("Z")
    assert state.outputs["client_secret"] == "client-secret-host-0001"
    assert "webhook_last_validation" not in state.outputs  # null until Zoom validates


def test_no_op_preview_sends_no_request(engine: Engine, host_emulator: EmulatorServer) -> None:
    engine.up("app", app_props())
    host_emulator.app.clear_requests()
    plan = engine.preview("app", app_props())
    assert plan.op == "same"
    assert plan.diff is not None
    assert plan.diff.changes == proto.DiffResponse.DIFF_NONE
    assert engine.up("app", app_props()).op == "same"
    assert host_emulator.app.requests == []


def test_secret_rotation_is_one_patch_with_the_same_id(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    first_id = engine.state["app"].id
    host_emulator.app.clear_requests()
    plan = engine.up("app", app_props(webhook_secret="webhook-secret-host-0002"))
    assert plan.op == "update"
    assert engine.state["app"].id == first_id
    assert [(r.method, r.path) for r in host_emulator.app.requests] == [
        ("PATCH", f"/api/v2/zoom-oauth-apps/{first_id}/"),
        ("POST", f"/api/v2/zoom-oauth-apps/{first_id}/webhook"),
    ]
    stored = host_emulator.backend.get(first_id)
    assert stored is not None
    assert stored["webhook_secret"] == "webhook-secret-host-0002"
    assert engine.state["app"].outputs["webhook_secret"] == "webhook-secret-host-0002"
    assert engine.state["app"].outputs["created_at"], "server fields survive an update"
    checked_at = engine.state["app"].outputs["webhook_self_check_at"]

    # A new client secret moves neither the webhook secret nor the URL: one PATCH, no re-check.
    host_emulator.app.clear_requests()
    rotated = app_props(
        client_secret="client-secret-host-0002", webhook_secret="webhook-secret-host-0002"
    )
    assert engine.up("app", rotated).op == "update"
    assert [(r.method, r.path) for r in host_emulator.app.requests] == [
        ("PATCH", f"/api/v2/zoom-oauth-apps/{first_id}/"),
    ]
    assert engine.state["app"].outputs["webhook_self_check_at"] == checked_at


def test_client_id_change_replaces_create_before_delete(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    old_id = engine.state["app"].id
    host_emulator.app.clear_requests()
    plan = engine.up("app", app_props(client_id="zoomClientHost2"))
    assert plan.op == "replace"
    assert plan.diff is not None
    assert plan.diff.replaces == ["client_id"]
    assert plan.diff.delete_before_replace is False
    assert [(r.method, r.path.endswith("webhook")) for r in host_emulator.app.requests] == [
        ("GET", False),  # no app for the new Zoom app yet
        ("POST", False),
        ("POST", True),
        ("DELETE", False),
    ]
    apps = host_emulator.backend.apps()
    assert [(a["id"], a["client_id"]) for a in apps] == [
        (engine.state["app"].id, "zoomClientHost2")
    ]
    assert engine.state["app"].id != old_id


def test_kind_change_deletes_first_so_two_apps_never_share_a_client_id(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    host_emulator.app.clear_requests()
    plan = engine.up("app", app_props(kind="account_level"))
    assert plan.op == "replace"
    assert plan.diff is not None
    assert plan.diff.replaces == ["kind"]
    assert plan.diff.delete_before_replace is True
    # The old app is gone before the new one looks for an app of its Zoom app.
    assert [r.method for r in host_emulator.app.requests] == ["DELETE", "GET", "POST", "POST"]
    assert [a["kind"] for a in host_emulator.backend.apps()] == ["account_level"]


def test_refresh_without_drift_keeps_the_next_preview_clean(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    host_emulator.app.clear_requests()
    assert engine.refresh("app") == "same"
    assert host_emulator.app.count() == 1
    assert engine.preview("app", app_props()).op == "same"


def test_refresh_shows_zoom_validation(engine: Engine, host_emulator: EmulatorServer) -> None:
    engine.up("app", app_props())
    app_id = engine.state["app"].id
    assert "webhook_last_validation" not in engine.state["app"].outputs
    _validate(host_emulator, app_id, "webhook-secret-host-0001")
    # Recall's timestamp is news, not drift: the refresh takes it in and shows no change.
    assert engine.refresh("app") == "same"
    assert engine.state["app"].outputs["webhook_last_validation"].endswith("Z")
    assert engine.preview("app", app_props()).op == "same"


def _validate(emu: EmulatorServer, app_id: str, secret: str) -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "tok"}, "event_ts": 1}
    ).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    resp = requests.post(
        f"{emu.url}/api/v2/zoom-oauth-apps/{app_id}/webhook",
        data=body,
        headers={"x-zm-request-timestamp": ts, "x-zm-signature": f"v0={sig}"},
        timeout=5,
    )
    assert resp.status_code == 200


def test_out_of_band_delete_then_refresh_then_up_recreates_one(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    old_id = engine.state["app"].id
    resp = requests.delete(
        f"{host_emulator.url}/api/v2/zoom-oauth-apps/{old_id}/",
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=5,
    )
    assert resp.status_code == 204
    assert engine.refresh("app") == "deleted"
    assert "app" not in engine.state
    assert engine.up("app", app_props()).op == "create"
    apps = host_emulator.backend.apps()
    assert len(apps) == 1
    assert apps[0]["id"] != old_id


def test_update_of_a_vanished_app_tells_the_user_to_refresh(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    host_emulator.backend.reset()
    with pytest.raises(DoorError) as info:
        engine.up("app", app_props(client_secret="client-secret-host-0002"))
    assert info.value.error_code == "gone"
    assert "pulumi refresh" in info.value.last_line
    assert "client-secret-host-0002" not in info.value.details
    # What `pulumi up` prints: the error's one line, not the host's traceback of it.
    assert info.value.details.startswith("RecallNotFoundError[gone]: ")
    assert "\n" not in info.value.details.strip()


def test_destroy_deletes_and_tolerates_an_already_deleted_app(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    state = engine.state["app"]
    engine.destroy("app")
    assert host_emulator.backend.apps() == []
    assert host_emulator.app.count("DELETE") == 1
    # Already gone: still success (a command of its own, as a second `pulumi destroy`).
    engine.state["app"] = state
    engine.destroy("app")
    assert host_emulator.app.count("DELETE") == 2
    assert "app" not in engine.state


BAD_INPUTS = [
    ({"kind": "team_level"}, "kind", "must be one of user_level, account_level"),
    ({"client_id": ""}, "client_id", "must not be empty"),
    ({"client_id": "   "}, "client_id", "must not be empty"),
    ({"client_id": "x" * 201}, "client_id", "at most 200"),
    ({"client_secret": 12345}, "client_secret", "must be a string, not a number"),
    ({"webhook_secret": ["a"]}, "webhook_secret", "must be a string, not a list"),
    ({"webhook_secret": None}, "webhook_secret", "is required"),
    ({"adopt_app_id": "not-a-uuid"}, "adopt_app_id", "UUID"),
    ({"colour": "blue"}, "colour", "is not an input"),
    ({"validate_webhook": "yes"}, "validate_webhook", "must be true or false"),
]


@pytest.mark.parametrize(("overrides", "prop", "fragment"), BAD_INPUTS)
def test_bad_inputs_fail_at_check_without_a_request(
    engine: Engine,
    host_emulator: EmulatorServer,
    overrides: dict[str, Any],
    prop: str,
    fragment: str,
) -> None:
    with pytest.raises(CheckFailed) as info:
        engine.preview("app", app_props(**overrides))
    reasons = dict(info.value.failures)
    assert prop in reasons
    assert fragment in reasons[prop]
    assert host_emulator.app.requests == []


def test_unknowns_in_preview_are_skipped(engine: Engine, host_emulator: EmulatorServer) -> None:
    plan = engine.preview(
        "app", app_props(client_id=UNKNOWN, client_secret=UNKNOWN, webhook_secret=UNKNOWN)
    )
    assert plan.op == "create"
    engine.up("app", app_props())
    plan = engine.preview("app", app_props(client_secret=UNKNOWN))
    assert plan.op == "update", "an unknown secret may change"
    plan = engine.preview("app", app_props(client_id=UNKNOWN))
    assert plan.op == "replace"
    assert host_emulator.app.count("POST", APPS) == 1
    assert host_emulator.app.count() == 3  # the look for an app, the create, its self-check


def test_inputs_are_normalised(engine: Engine) -> None:
    engine.up("app", app_props(client_id="  zoomClientHost\n"))
    assert engine.state["app"].inputs["client_id"] == "zoomClientHost"
    assert engine.preview("app", app_props()).op == "same"


def test_adopting_an_app_made_by_hand(engine: Engine, host_emulator: EmulatorServer) -> None:
    made_by_curl = requests.post(
        f"{host_emulator.url}/api/v2/zoom-oauth-apps/",
        json={
            "kind": "user_level",
            "client_id": "zoomClientHost",
            "client_secret": "old-client-secret",
            "webhook_secret": "webhook-secret-host-0001",
        },
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=5,
    ).json()
    host_emulator.app.clear_requests()
    plan = engine.up("app", app_props(adopt_app_id=made_by_curl["id"]))
    assert plan.op == "create"
    assert engine.state["app"].id == made_by_curl["id"]
    assert host_emulator.app.count("POST", APPS) == 0, "adoption never creates"
    assert host_emulator.app.count("PATCH") == 1, "only the stale client secret is sent"
    stored = host_emulator.backend.get(made_by_curl["id"])
    assert stored is not None
    assert stored["client_secret"] == "client-secret-host-0001"
    assert len(host_emulator.backend.apps()) == 1
    # Once adopted, the adoption id may stay or go: either way nothing changes.
    assert engine.preview("app", app_props(adopt_app_id=made_by_curl["id"])).op == "same"
    assert engine.preview("app", app_props()).op == "same"


@pytest.mark.parametrize(
    ("fault_id", "overrides", "code"),
    [
        ("00000000-0000-4000-8000-000000000000", {}, "adopt_not_found"),
        (None, {"client_id": "someOtherClient"}, "adopt_mismatch"),
    ],
)
def test_adoption_refuses_what_it_cannot_take_over(
    engine: Engine,
    host_emulator: EmulatorServer,
    fault_id: str | None,
    overrides: dict[str, Any],
    code: str,
) -> None:
    existing = requests.post(
        f"{host_emulator.url}/api/v2/zoom-oauth-apps/",
        json={"kind": "user_level", "client_id": "zoomClientHost", "client_secret": "cs",
              "webhook_secret": "ws"},
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=5,
    ).json()  # fmt: skip
    named = fault_id or existing["id"]
    with pytest.raises(DoorError) as info:
        engine.up("app", app_props(adopt_app_id=named, **overrides))
    assert info.value.error_code == code
    assert named in info.value.last_line, "the app it cannot adopt"
    if code == "adopt_mismatch":
        assert "zoomClientHost" in info.value.last_line, "the client id the app has"
    assert len(host_emulator.backend.apps()) == 1
    assert "app" not in engine.state


def test_ambiguous_create_reconciles_to_exactly_one_app(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    host_emulator.app.add_fault(Fault(method="POST", drop=True, after_processing=True))
    engine.up("app", app_props())
    apps = host_emulator.backend.apps()
    assert len(apps) == 1
    assert engine.state["app"].id == apps[0]["id"]
    assert host_emulator.app.count("POST", APPS) == 1
    assert host_emulator.app.count("GET", APPS) == 2, "one look before, one after"


def test_a_create_recall_answered_with_503_is_retried_once_after_looking(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    # Recall answered, so the request is over; two listings show it made nothing.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=503))
    engine.up("app", app_props())
    assert len(host_emulator.backend.apps()) == 1
    assert host_emulator.app.count("POST", APPS) == 2
    assert host_emulator.app.count("GET", APPS) == 3, "one look before, two after"


@through_one_door_for_its_waits
def test_a_slow_create_is_found_not_repeated(engine: Engine, host_emulator: EmulatorServer) -> None:
    """Its rule through every door: test_faults_host's answer lost to a slow POST."""
    # Recall commits the app only after the client gave up (read timeout 1 s).
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, delay=1.5))
    engine.up("app", app_props())
    apps = host_emulator.backend.apps()
    assert len(apps) == 1, "exactly one app, never a duplicate"
    assert engine.state["app"].id == apps[0]["id"]
    assert host_emulator.app.count("POST", APPS) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault(method="POST", path=APPS, drop=True), Fault(method="POST", path=APPS, status=504)],
)
def test_a_lost_create_that_made_nothing_fails_without_guessing(
    engine: Engine, host_emulator: EmulatorServer, fault: Fault
) -> None:
    host_emulator.app.add_fault(fault)
    with pytest.raises(DoorError) as info:
        engine.up("app", app_props())
    assert "list Recall's apps for client id 'zoomClientHost'" in info.value.last_line
    assert host_emulator.backend.apps() == []
    assert host_emulator.app.count("POST", APPS) == 1
    assert "app" not in engine.state


@pytest.mark.host
def test_missing_api_key_fails_with_one_line_naming_both_sources(
    host_emulator: EmulatorServer,
) -> None:
    """The dynamic door only: the environment is the host process's."""
    host = ProviderHost({"recall:apiUrl": host_emulator.url}, env={"RECALL_API_KEY": ""})
    try:
        with pytest.raises(DoorError) as info:
            Engine(host).up("app", app_props())
    finally:
        host.close()
    line = info.value.last_line
    assert "pulumi config set --secret recall:apiKey" in line
    assert "RECALL_API_KEY" in line
    assert host_emulator.app.requests == []


@pytest.mark.host
def test_environment_fills_unset_config(host_emulator: EmulatorServer) -> None:
    """The dynamic door only: the environment is the host process's."""
    host = ProviderHost({}, env={"RECALL_API_KEY": API_KEY, "RECALL_API_URL": host_emulator.url})
    try:
        Engine(host).up("app", app_props())
    finally:
        host.close()
    assert len(host_emulator.backend.apps()) == 1


def test_the_pickled_provider_is_small_and_by_reference() -> None:
    stored = serialize_provider(RecallZoomOAuthAppProvider())
    # The engine keeps the string in a resource's inputs and in its outputs.
    assert 2 * len(stored) < 200
    blob = base64.b64decode(stored)
    assert b"recall_provider.provider" in blob
    assert b"__main__" not in blob
    assert isinstance(dill.loads(blob), RecallZoomOAuthAppProvider)


def test_a_provider_pickled_by_an_earlier_version_still_loads() -> None:
    # What states written before the provider pickled itself as a function reference hold.
    earlier = (
        b"\x80\x04\x95A\x00\x00\x00\x00\x00\x00\x00\x8c\x18recall_provider.provider\x94"
        b"\x8c\x1aRecallZoomOAuthAppProvider\x94\x93\x94)\x81\x94}\x94b."
    )
    provider = dill.loads(earlier)
    assert isinstance(provider, RecallZoomOAuthAppProvider)
    assert provider.check({}, {"kind": "user_level"}).failures, "a working provider"


def test_a_configured_provider_pickles_no_secret() -> None:
    provider = RecallZoomOAuthAppProvider()
    provider.configure(ConfigureRequest(Config({"recall:apiKey": API_KEY}, "recall-zoom")))
    blob = base64.b64decode(serialize_provider(provider))
    assert API_KEY.encode() not in blob
    assert blob == base64.b64decode(serialize_provider(RecallZoomOAuthAppProvider()))


def test_failed_self_check_leaves_no_app_behind(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=401))
    with pytest.raises(DoorError) as info:
        engine.up("app", app_props())
    line = info.value.last_line
    assert info.value.error_code == "webhook_check_failed"
    assert engine.door.argument("webhook_secret") in line
    assert "Secret Token" in line
    assert "webhook-secret-host-0001" not in info.value.details
    assert host_emulator.backend.apps() == [], "the app it created was deleted again"
    assert "app" not in engine.state


def test_self_check_can_be_turned_off_and_on(engine: Engine, host_emulator: EmulatorServer) -> None:
    engine.up("app", app_props(validate_webhook=False))
    assert host_emulator.app.count("POST", WEBHOOK) == 0
    assert "webhook_self_check_at" not in engine.state["app"].outputs
    assert engine.preview("app", app_props(validate_webhook=False)).op == "same"
    host_emulator.app.clear_requests()
    plan = engine.up("app", app_props())
    assert plan.op == "update"
    assert [r.method for r in host_emulator.app.requests] == ["GET", "POST"], (
        "no PATCH, then the check"
    )
    assert engine.state["app"].outputs["webhook_self_check_at"].endswith("Z")


def test_a_secret_changed_outside_pulumi_is_drift_and_up_restores_it(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    app_id = engine.state["app"].id
    changed = requests.patch(
        f"{host_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/",
        json={"webhook_secret": "changed-in-the-dashboard"},
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=5,
    )
    assert changed.status_code == 200
    assert engine.refresh("app") == "update"
    assert engine.preview("app", app_props()).op == "update"
    assert engine.up("app", app_props()).op == "update"
    stored = host_emulator.backend.get(app_id)
    assert stored is not None
    assert stored["webhook_secret"] == "webhook-secret-host-0001"
    assert engine.preview("app", app_props()).op == "same"


def made_by_hand(emulator: EmulatorServer, webhook_secret: str) -> dict[str, Any]:
    """An app for the same Zoom app, made outside Pulumi, with this webhook secret."""
    return make_app(
        emulator,
        client_id="zoomClientHost",
        client_secret="client-secret-host-0001",
        webhook_secret=webhook_secret,
    )


@pytest.mark.parametrize("mode", ["plain", "masked", "omit"])
@pytest.mark.parametrize("kind", ["user_level", "account_level"])
@pytest.mark.parametrize("validate", [True, False], ids=["checked", "unchecked"])
def test_an_app_made_by_hand_for_the_zoom_app_stops_the_create_before_it_posts(
    engine: Engine, host_emulator: EmulatorServer, *, mode: str, kind: str, validate: bool
) -> None:
    """A library user sets the argument: the error names it as the door's users spell it."""
    stops_the_create_before_it_posts(engine, host_emulator, mode, kind, validate=validate)


@through(CORE, DYNAMIC)
@pytest.mark.parametrize("mode", ["plain", "masked", "omit"])
@pytest.mark.parametrize("kind", ["user_level", "account_level"])
@pytest.mark.parametrize("validate", [True, False], ids=["checked", "unchecked"])
def test_a_programs_user_is_told_the_config_key_that_adopts_the_app_made_by_hand(
    engine: Engine, host_emulator: EmulatorServer, *, mode: str, kind: str, validate: bool
) -> None:
    """This repository's program says where its user sets each argument (``argument_keys``,
    a property of the dynamic resource, which the core names): the native door's resource
    has no such property (its users set its inputs, camelCase, in any language), so the case
    runs through the core and the dynamic door."""
    key = "recall-zoom:apps[2].adoptAppId"
    stops_the_create_before_it_posts(
        engine, host_emulator, mode, kind, validate=validate, adopt_key=key
    )


def stops_the_create_before_it_posts(
    engine: Engine,
    host_emulator: EmulatorServer,
    mode: str,
    kind: str,
    *,
    validate: bool,
    adopt_key: str | None = None,
) -> None:
    # Same Zoom app (of either kind), made by hand a moment ago: whatever Recall shows of its
    # secrets, and whether or not the self-check would run, it is a colleague's until the
    # stack is told otherwise; a lost answer to our own POST cannot make it look like ours.
    host_emulator.backend.secrets_in_responses = mode  # type: ignore[assignment]
    by_hand = make_app(host_emulator, kind=kind, client_id="zoomClientHost")
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=502))
    spoken = {"argument_keys": {"adopt_app_id": adopt_key}} if adopt_key else {}
    with pytest.raises(DoorError) as info:
        engine.up("app", {**app_props(validate_webhook=validate), **spoken})
    line = info.value.last_line
    assert info.value.error_code == "app_exists"
    assert f"{by_hand['id']} ({kind}," in line
    argument = engine.door.argument("adopt_app_id")
    assert f"set {adopt_key or argument} to {by_hand['id']}" in line
    if adopt_key:
        assert argument not in line, "the program's user is told the key they set"
    assert host_emulator.app.count("POST", APPS) == 0, "nothing posted"
    (kept,) = host_emulator.backend.apps()
    assert kept["id"] == by_hand["id"]
    assert kept["webhook_secret"] == "webhook-secret-by-hand", "never given our secrets"


def test_a_masked_webhook_secret_is_checked_again_on_any_update(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    host_emulator.backend.secrets_in_responses = "masked"
    engine.up("app", app_props())
    host_emulator.app.clear_requests()
    # Recall cannot show that it still holds our webhook secret: the check runs again.
    engine.up("app", app_props(client_secret="client-secret-host-0002"))
    assert [r.method for r in host_emulator.app.requests] == ["PATCH", "POST"]


def test_turning_the_self_check_off_clears_its_time(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    engine.up("app", app_props())
    assert engine.state["app"].outputs["webhook_self_check_at"]
    host_emulator.app.clear_requests()
    assert engine.up("app", app_props(validate_webhook=False)).op == "update"
    assert "webhook_self_check_at" not in engine.state["app"].outputs
    assert [r.method for r in host_emulator.app.requests] == ["GET"], "no PATCH, no check"


def test_an_adopted_app_that_fails_the_self_check_stays_with_advice(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    existing = made_by_hand(host_emulator, "old-webhook-secret")
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=401))
    with pytest.raises(DoorError) as info:
        engine.up("app", app_props(adopt_app_id=existing["id"]))
    line = info.value.last_line
    assert info.value.error_code == "webhook_check_failed"
    assert f"The adopted app {existing['id']} was left in place" in line
    assert f"fix {engine.door.argument('webhook_secret')}" in line
    assert [app["id"] for app in host_emulator.backend.apps()] == [existing["id"]]
    assert "app" not in engine.state


@pytest.mark.parametrize(
    "spell", [str.upper, lambda i: "{" + i + "}", lambda i: i.replace("-", "")],
    ids=["upper-case", "braces", "no-dashes"],
)  # fmt: skip
def test_an_adopt_app_id_in_another_spelling_adopts_once_and_then_stays(
    engine: Engine, host_emulator: EmulatorServer, spell: Callable[[str], str]
) -> None:
    by_hand = made_by_hand(host_emulator, "webhook-secret-host-0001")
    props = app_props(adopt_app_id=spell(by_hand["id"]))
    assert engine.up("app", props).op == "create"
    assert engine.state["app"].id == by_hand["id"]
    assert engine.state["app"].inputs["adopt_app_id"] == by_hand["id"], "Recall's spelling"
    host_emulator.app.clear_requests()
    assert engine.preview("app", props).op == "same"
    assert engine.up("app", props).op == "same", "never a replace that deletes the app"
    assert host_emulator.app.count() == 0
    assert [a["id"] for a in host_emulator.backend.apps()] == [by_hand["id"]]


@pytest.mark.parametrize(
    "change", [{"kind": "account_level"}, {"client_id": "zoomClientElse"}], ids=["kind", "client"]
)
def test_a_replace_of_the_adopted_app_is_refused_at_preview(
    engine: Engine, host_emulator: EmulatorServer, change: dict[str, str]
) -> None:
    by_hand = made_by_hand(host_emulator, "webhook-secret-host-0001")
    engine.up("app", app_props(adopt_app_id=by_hand["id"]))
    host_emulator.app.clear_requests()
    adopt = engine.door.argument("adopt_app_id")
    for step in (engine.preview, engine.up):
        with pytest.raises(DoorError) as info:
            step("app", app_props(adopt_app_id=by_hand["id"], **change))
        line = info.value.last_line
        assert info.value.error_code == "replace_of_adopted"
        assert by_hand["id"] in line, "the app the replace would delete"
        assert f"remove {adopt}" in line
        assert f"set {adopt} to the id of an app" in line
    assert host_emulator.app.count() == 0, "refused before any call"
    assert [a["id"] for a in host_emulator.backend.apps()] == [by_hand["id"]]
    assert engine.state["app"].id == by_hand["id"]


def test_without_adopt_app_id_the_kind_of_an_adopted_app_may_change(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    by_hand = made_by_hand(host_emulator, "webhook-secret-host-0001")
    engine.up("app", app_props(adopt_app_id=by_hand["id"]))
    plan = engine.up("app", app_props(kind="account_level"))
    assert plan.op == "replace"
    (app,) = host_emulator.backend.apps()
    assert app["id"] == engine.state["app"].id != by_hand["id"]
    assert app["kind"] == "account_level"
