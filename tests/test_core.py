"""The core on its own, with no door: what it offers beyond what both doors' cases drive (import
by id, how its messages name an argument, its records), against a real emulator."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from recall_provider.core import (
    UNKNOWN,
    AppInputs,
    AppService,
    AppState,
    argument,
    inputs_of,
    spoken_as,
)
from recall_provider.core.claims import Claims
from recall_provider.core.evidence import other_owner
from recall_provider.core.journal import Entry
from recall_provider.core.spec import NAMES, SECRETS
from recall_provider.emulator import EmulatorServer
from recall_provider.errors import ErrorCode, RecallConfigError
from tests.helpers import make_app

API_KEY = "core-api-key-0123456789"
INPUTS = {
    "kind": "user_level",
    "client_id": "zoomClientCore",
    "client_secret": "client-secret-core-0001",
    "webhook_secret": "webhook-secret-core-0001",
}


def service_for(emulator: EmulatorServer) -> AppService:
    service = AppService()
    service.configure({"recall:apiKey": API_KEY, "recall:apiUrl": emulator.url}.get)
    return service


def test_an_import_by_id_alone_gives_every_input(fresh_emulator: EmulatorServer) -> None:
    made = make_app(fresh_emulator, kind="account_level")
    state = service_for(fresh_emulator).import_app(made["id"].upper())
    assert state.id == made["id"], "in Recall's spelling"
    inputs = inputs_of(state)
    assert inputs == {
        "kind": "account_level",
        "client_id": made["client_id"],
        "client_secret": "client-secret-by-hand",
        "webhook_secret": "webhook-secret-by-hand",
    }
    assert AppInputs.model_validate(inputs), "the inputs make a valid resource"


def test_an_import_where_recall_hides_the_secrets_gives_what_it_shows(
    fresh_emulator: EmulatorServer,
) -> None:
    fresh_emulator.backend.secrets_in_responses = "masked"
    made = make_app(fresh_emulator)
    inputs = inputs_of(service_for(fresh_emulator).import_app(made["id"]))
    assert set(inputs) == {"kind", "client_id"}, "no masked value taken for a secret"


@pytest.mark.parametrize(
    ("app_id", "code"),
    [
        ("7b0e3c1e-0000-4000-8000-00000000abcd", ErrorCode.IMPORT_NOT_FOUND),
        ("not-an-id", ErrorCode.BAD_ID),
        ("x" * 300, ErrorCode.BAD_ID),
    ],
)
def test_an_import_of_an_id_recall_does_not_have_names_it(
    fresh_emulator: EmulatorServer, app_id: str, code: ErrorCode
) -> None:
    with pytest.raises(RecallConfigError) as info:
        service_for(fresh_emulator).import_app(app_id)
    assert info.value.code is code
    text = str(info.value)
    assert "\n" not in text
    if code is ErrorCode.IMPORT_NOT_FOUND:
        assert app_id in text
        assert fresh_emulator.url in text, "where it was looked for"
    else:
        assert len(text) < 200, "a long id is described, not echoed"


def test_a_refresh_of_a_gone_app_is_a_state_not_an_error(fresh_emulator: EmulatorServer) -> None:
    service = service_for(fresh_emulator)
    state = service.create(AppInputs.model_validate(INPUTS))
    fresh_emulator.backend.reset()
    assert service.read(state.id, state) is None


def test_read_keeps_what_recall_does_not_show(fresh_emulator: EmulatorServer) -> None:
    service = service_for(fresh_emulator)
    state = service.create(AppInputs.model_validate({**INPUTS, "validate_webhook": True}))
    assert state.webhook_self_check_at
    fresh_emulator.backend.secrets_in_responses = "omit"
    again = service.read(state.id, state)
    assert again is not None
    assert again.secret("client_secret") == INPUTS["client_secret"]
    assert again.webhook_self_check_at == state.webhook_self_check_at
    assert again.validate_webhook is True


def test_the_records_never_show_a_secret() -> None:
    inputs = AppInputs.model_validate(INPUTS)
    state = AppState(id="a", kind="user_level", client_id="c", webhook_url="u",
                     client_secret=INPUTS["client_secret"])  # fmt: skip
    for record in (inputs, state):
        for shown in (repr(record), str(record)):
            for name in SECRETS:
                assert INPUTS[name] not in shown


def test_messages_name_an_argument_as_the_caller_spells_it() -> None:
    assert argument("adopt_app_id") == "adopt_app_id"
    with spoken_as({"adopt_app_id": "adoptAppId"}):
        assert argument("adopt_app_id") == "adoptAppId"
        assert argument("kind") == "kind", "an argument not renamed keeps its name"
        with spoken_as({"adopt_app_id": "recall-zoom:apps[1].adoptAppId"}):
            assert argument("adopt_app_id") == "recall-zoom:apps[1].adoptAppId"
        assert argument("adopt_app_id") == "adoptAppId"
    assert argument("adopt_app_id") == "adopt_app_id"


def test_the_names_are_the_calling_threads_own() -> None:
    # The doors serve calls on several threads at once: one's names never leak into another's.
    seen: dict[str, str] = {}
    inside = threading.Event()
    done = threading.Event()

    def speak() -> None:
        with spoken_as({"adopt_app_id": "adoptAppId"}):
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=speak)
    thread.start()
    inside.wait(5)
    seen["other thread"] = argument("adopt_app_id")
    done.set()
    thread.join(5)
    assert seen == {"other thread": "adopt_app_id"}


def test_the_refused_replace_names_the_arguments_as_spoken() -> None:
    app_id = "7b0e3c1e-0000-4000-8000-000000000001"
    olds = {**INPUTS, "adopt_app_id": app_id}
    news: dict[str, Any] = {**olds, "kind": "account_level"}
    with spoken_as({"adopt_app_id": "adoptAppId"}), pytest.raises(RecallConfigError) as info:
        AppService().plan(app_id, olds, news)
    assert info.value.code is ErrorCode.REPLACE_OF_ADOPTED
    assert "adoptAppId" in str(info.value)
    assert "adopt_app_id" not in str(info.value)


def test_check_and_plan_need_no_settings_and_take_the_unknown_sentinel() -> None:
    service = AppService()  # not configured, no key anywhere: preview still works
    checked = service.check({**INPUTS, "client_id": UNKNOWN})
    assert checked.failures == ()
    plan = service.plan("id", INPUTS, {**INPUTS, "client_id": UNKNOWN})
    assert plan.replaces == ("client_id",)


def test_a_kind_left_unset_is_the_default_and_replaces_nothing() -> None:
    # The native door's programs may leave kind unset; the dynamic resource always sends it.
    service = AppService()
    assert service.check({k: v for k, v in INPUTS.items() if k != "kind"}).failures == ()
    for news in ({**INPUTS, "kind": None}, {k: v for k, v in INPUTS.items() if k != "kind"}):
        assert not service.plan("id", INPUTS, news).changes


def test_every_input_is_an_output_and_inputs_of_gives_only_inputs(
    fresh_emulator: EmulatorServer,
) -> None:
    state = service_for(fresh_emulator).create(AppInputs.model_validate(INPUTS))
    assert set(inputs_of(state)) <= set(NAMES)


def test_an_adopted_app_is_held_by_every_process_of_the_same_command_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = "7b0e3c1e-0000-4000-8000-000000000001"
    adopting = Claims(tmp_path, command="127.0.0.1:4000")
    adopting.hold(app_id)
    assert not Claims(tmp_path, command="127.0.0.1:5000").holds(app_id), "a later command"
    assert Claims(tmp_path, command="127.0.0.1:4000").holds(app_id.upper()), "another door"
    assert not Claims(tmp_path, command="127.0.0.1:4000").holds(app_id), "used up by its delete"
    adopting.hold(app_id)
    assert not Claims(tmp_path, command="127.0.0.1:5000").holds(app_id), "a later command"
    assert not Claims(tmp_path, command="127.0.0.1:4000").holds("../" + app_id)
    assert not Claims(tmp_path).holds(app_id), "no command named: memory only"
    later = time.time() + 7 * 3600
    monkeypatch.setattr(time, "time", lambda: later)  # the module reads time.time()
    assert not Claims(tmp_path, command="127.0.0.1:4000").holds(app_id), "too old to believe"


def test_an_owner_is_its_project_stack_and_resource_whichever_door_wrote_it() -> None:
    # The dynamic door names the program's organization; the native door cannot (the engine
    # tells a plugin none): a stack moved between them is still the same owner.
    started = "2026-01-01T00:00:00+00:00"
    entry = Entry("zc", "user_level", started, owner="acme/p/prod/zoom")
    assert other_owner(entry, "organization/p/prod/zoom") is None
    assert other_owner(entry, "acme/p/prod/zoom") is None
    assert other_owner(entry, "acme/p/staging/zoom") == "acme/p/prod/zoom"
    assert other_owner(entry, "acme/q/prod/zoom") == "acme/p/prod/zoom"
    # A resource's name may hold slashes: the project still tells two owners apart.
    slashed = Entry("zc", "user_level", started, owner="organization/p1/dev/a/b")
    assert other_owner(slashed, "organization/p2/dev/a/b") == "organization/p1/dev/a/b"
    assert other_owner(Entry("zc", "user_level", started), "organization/p/prod/x") is None
