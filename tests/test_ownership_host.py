"""Never two apps for one Zoom app, never an app deleted that the stack does not own: the
hostile cases of issue 11 through every door (tests/doors.py), each command on a provider of its
own where the CLI would start one. An interrupted ``pulumi up`` is a provider killed mid-call:
the host or plugin process SIGKILLed, or the core's call stopped where it was."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from recall_provider.core.journal import STATE_DIR_ENV
from recall_provider.emulator import EmulatorServer, Fault
from tests.conftest import StartDoor
from tests.doors import CORE, DYNAMIC, NATIVE, Door, DoorError, Engine, through
from tests.helpers import APPS, APPS_PATH, WEBHOOK, make_app
from tests.host_harness import program_props
from tests.native_harness import NativeDoor

API_KEY = "ownership-api-key-0123456789"
CLIENT_ID = "zoomClientOwnership"
CLIENT_SECRET = "ownership-client-secret-0001"
WEBHOOK_SECRET = "ownership-webhook-secret-0001"


def props(**overrides: Any) -> dict[str, Any]:
    inputs = {"kind": "user_level", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "webhook_secret": WEBHOOK_SECRET}  # fmt: skip
    return program_props(**{**inputs, **overrides})


OnMachine = Callable[..., Door]
"""Starts a door on a machine: ``on_machine(machine="this machine")``."""


@pytest.fixture
def on_machine(start_door: StartDoor, tmp_path: Path) -> OnMachine:
    """Doors of the test's door against the module's emulator; ``machine`` names whose records
    of interrupted creates a door keeps (the providers of one machine share them)."""

    def start(machine: str = "this machine") -> Door:
        return start_door(env={STATE_DIR_ENV: str(tmp_path / machine)})

    return start


def killed_mid_create(
    door: Door,
    host_emulator: EmulatorServer,
    hang: Fault,
    records: Path,
    **overrides: Any,
) -> None:
    """Start a create, wait until Recall holds the app (and, for a hanging self-check, until
    the create has recorded its id), then kill the provider, as a CI timeout or a second Ctrl-C
    would: Pulumi records nothing of the create."""
    host_emulator.app.add_fault(hang)
    engine = Engine(door)
    crashed: list[DoorError] = []

    def run() -> None:
        try:
            engine.up("app", props(**overrides))
        except DoorError as exc:
            crashed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not host_emulator.backend.apps() and time.monotonic() < deadline:
        time.sleep(0.02)
    while hang.path == WEBHOOK and not _recorded_an_id(records):
        assert time.monotonic() < deadline, "the create recorded the id Recall answered"
        time.sleep(0.02)
    assert host_emulator.backend.apps(), "the POST reached Recall"
    door.kill()
    thread.join(timeout=10)
    assert crashed, "the create never finished"
    assert crashed[0].error_code is None, f"killed, not failed: {crashed[0].last_line}"
    assert engine.state == {}, "the pending create is dropped"
    host_emulator.app.clear_faults()


def _recorded_an_id(records: Path) -> bool:
    return any('"app_id": "' in path.read_text() for path in create_records(records))


def create_records(machine: Path) -> list[Path]:
    """A machine's records of creates under way. (Beside them, a provider that knows its
    command's name, as the native door's does, writes down the apps its creates adopted or
    took over: claims, not records.)"""
    return sorted((machine / "creates").rglob("*.json"))


# Long enough to kill the host in, short enough not to hold the emulator's teardown.
DURING_THE_POST = Fault(method="POST", path=APPS, delay=4, after_processing=True)
HANGS = [
    pytest.param(DURING_THE_POST, id="during-the-POST"),
    pytest.param(Fault(method="POST", path=WEBHOOK, delay=4), id="during-the-self-check"),
]


@pytest.mark.parametrize("hang", HANGS)
def test_the_next_up_on_this_machine_takes_over_the_app_an_interrupted_up_made(
    on_machine: OnMachine, host_emulator: EmulatorServer, hang: Fault, tmp_path: Path
) -> None:
    killed_mid_create(on_machine(), host_emulator, hang, tmp_path / "this machine")
    (made,) = host_emulator.backend.apps()
    host_emulator.app.clear_requests()
    engine = Engine(on_machine())
    assert engine.up("app", props()).op == "create"
    assert engine.state["app"].id == made["id"], "taken over, not made again"
    assert [a["id"] for a in host_emulator.backend.apps()] == [made["id"]]
    assert host_emulator.app.count("POST", APPS) == 0
    assert engine.state["app"].outputs["webhook_self_check_at"], "checked as a new app is"
    # The record is gone with the create: the app is the stack's like any other.
    assert create_records(tmp_path / "this machine") == []
    assert engine.preview("app", props()).op == "same"


PROD = "organization/recall-zoom/prod/zoom"
STAGING = "organization/recall-zoom/staging/zoom"


@pytest.mark.parametrize("hang", HANGS)
def test_another_stacks_interrupted_create_is_named_not_taken_over(
    on_machine: OnMachine, host_emulator: EmulatorServer, hang: Fault, tmp_path: Path
) -> None:
    # prod and staging share a Zoom client id and a CI runner; prod's up was killed mid-create.
    killed_mid_create(on_machine(), host_emulator, hang, tmp_path / "this machine", owner=PROD)
    (made,) = host_emulator.backend.apps()
    staging = Engine(on_machine())
    with pytest.raises(DoorError) as info:
        staging.up("app", props(owner=STAGING, client_secret="client-secret-of-staging"))
    line = info.value.last_line
    assert info.value.error_code == "app_of_another_owner"
    assert made["id"] in line
    # By project, stack and name, as owners are compared: the native door cannot know the
    # organization.
    assert "recall-zoom/prod/zoom" in line, "the error names the owner"
    assert host_emulator.backend.apps() == [made], "not taken over: its secrets are prod's"
    # prod's own next up takes its app over.
    prod = Engine(on_machine())
    assert prod.up("app", props(owner=PROD)).op == "create"
    assert prod.state["app"].id == made["id"]
    assert [a["id"] for a in host_emulator.backend.apps()] == [made["id"]]


@through(CORE, DYNAMIC)
def test_a_record_of_an_earlier_version_names_no_owner_and_is_taken_over_as_before(
    on_machine: OnMachine, host_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Not through the native door: its records always name an owner (the plugin takes it from
    the resource's URN), so no interrupted create through it leaves a record without one; the
    records without one were written by the dynamic provider before records named owners."""
    # Written before records named their owner; the stack's next up (which names one) takes
    # the app over by the first round's rules, rather than being blocked for a week.
    records = tmp_path / "this machine"
    killed_mid_create(on_machine(), host_emulator, DURING_THE_POST, records)
    assert all('"owner": null' in p.read_text() for p in create_records(records))
    (made,) = host_emulator.backend.apps()
    engine = Engine(on_machine())
    assert engine.up("app", props(owner=PROD)).op == "create"
    assert engine.state["app"].id == made["id"]
    assert [a["id"] for a in host_emulator.backend.apps()] == [made["id"]]


@through(NATIVE)
def test_a_create_that_ends_after_its_engine_is_gone_keeps_its_record_for_the_next_up(
    start_door: StartDoor, host_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The CLI killed while its plugin creates: Pulumi starts plugins in process groups of
    their own, so the plugin finishes the create, and its answer goes nowhere. The record then
    tells the next up on this machine that the app is the stack's. Through the native door
    alone: it hands each plugin an engine address it listens on, and can stop listening; the
    dynamic door's host is started with none (tests/test_cli_e2e.py kills the real CLI under
    the dynamic host)."""
    records = tmp_path / "this machine"
    # A self-check slow enough to lose the engine in, well inside the request timeout.
    start = partial(start_door, {STATE_DIR_ENV: str(records)}, **{"recall:requestTimeout": "10"})
    door = start()
    assert isinstance(door, NativeDoor)
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, delay=2))
    gone = Engine(door)
    thread = threading.Thread(target=gone.up, args=("app", props()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not _recorded_an_id(records):
        assert time.monotonic() < deadline, "the create recorded the id Recall answered"
        time.sleep(0.02)
    door.lose_engine()
    thread.join(timeout=10)
    (made,) = host_emulator.backend.apps()
    assert gone.state["app"].id == made["id"], "the create ended well, unheard"
    assert create_records(records) != [], "the record stays: the app is the stack's"
    host_emulator.app.clear_requests()
    engine = Engine(start())
    assert engine.up("app", props()).op == "create"
    assert engine.state["app"].id == made["id"], "taken over, not refused"
    assert host_emulator.app.count("POST", APPS) == 0
    assert create_records(records) == []


@pytest.mark.parametrize("mode", ["masked", "omit"])
def test_an_app_an_up_killed_before_recalls_answer_made_is_named_when_recall_hides_its_secrets(
    on_machine: OnMachine, host_emulator: EmulatorServer, tmp_path: Path, mode: str
) -> None:
    # The record says a create was posting; nothing says the app is that create's (a colleague
    # may have made it meanwhile) unless Recall shows it holding our secrets.
    host_emulator.backend.secrets_in_responses = mode  # type: ignore[assignment]
    killed_mid_create(on_machine(), host_emulator, DURING_THE_POST, tmp_path / "this machine")
    (made,) = host_emulator.backend.apps()
    engine = Engine(on_machine())
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    line = info.value.last_line
    assert info.value.error_code == "app_exists"
    assert "was interrupted at" in line
    assert "probably the one it made" in line
    assert f"to {made['id']} and run `pulumi up`" in line
    assert [a["id"] for a in host_emulator.backend.apps()] == [made["id"]], "no second app"
    assert engine.up("app", props(adopt_app_id=made["id"])).op == "create"
    assert engine.state["app"].id == made["id"]
    assert create_records(tmp_path / "this machine") == [], "adopted: record done"


@pytest.mark.parametrize("hang", HANGS)
def test_on_another_machine_the_interrupted_ups_app_stops_the_create(
    on_machine: OnMachine, host_emulator: EmulatorServer, hang: Fault, tmp_path: Path
) -> None:
    runner = "the CI runner that timed out"
    killed_mid_create(on_machine(runner), host_emulator, hang, tmp_path / runner)
    (made,) = host_emulator.backend.apps()
    engine = Engine(on_machine("a fresh CI runner"))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    line = info.value.last_line
    assert info.value.error_code == "app_exists"
    assert f"Recall already has 1 app for Zoom client id {CLIENT_ID!r}: {made['id']}" in line
    assert "pulumi refresh --clear-pending-creates" in line
    assert [a["id"] for a in host_emulator.backend.apps()] == [made["id"]], "no second app"
    # Adopting it, as the error says, ends it.
    assert engine.up("app", props(adopt_app_id=made["id"])).op == "create"
    assert engine.state["app"].id == made["id"]


def test_an_app_deleted_and_made_again_by_hand_is_not_joined_by_a_second(
    on_machine: OnMachine, host_emulator: EmulatorServer
) -> None:
    engine = Engine(on_machine())
    engine.up("app", props())
    host_emulator.backend.delete_app(engine.state["app"].id)
    by_hand = make_app(host_emulator, client_id=CLIENT_ID, webhook_secret=WEBHOOK_SECRET)
    assert engine.refresh("app") == "deleted"
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert info.value.error_code == "app_exists"
    assert by_hand["id"] in info.value.last_line
    assert [a["id"] for a in host_emulator.backend.apps()] == [by_hand["id"]]


@pytest.mark.parametrize(
    "fault",
    [Fault(method="POST", path=WEBHOOK, drop=True), Fault(method="POST", path=WEBHOOK, delay=2)],
    ids=["dropped", "timed-out"],
)
def test_a_self_check_without_an_answer_undoes_the_create(
    on_machine: OnMachine, host_emulator: EmulatorServer, fault: Fault
) -> None:
    engine = Engine(on_machine())
    host_emulator.app.add_fault(fault)
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert info.value.error_code == "webhook_unanswered"
    assert host_emulator.backend.apps() == [], "the app its own POST made is deleted again"
    host_emulator.app.clear_faults()
    engine.up("app", props())
    assert len(host_emulator.backend.apps()) == 1


def test_a_clean_up_that_fails_leaves_an_app_the_next_up_takes_over(
    on_machine: OnMachine, host_emulator: EmulatorServer
) -> None:
    engine = Engine(on_machine())
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=404))
    host_emulator.app.add_fault(Fault(method="DELETE", status=500, times=10))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    (left,) = host_emulator.backend.apps()
    assert "this machine takes the app over" in info.value.last_line
    host_emulator.app.clear_faults()
    engine = Engine(on_machine())
    engine.up("app", props())
    assert engine.state["app"].id == left["id"]
    assert len(host_emulator.backend.apps()) == 1


def test_one_listing_serves_every_create_of_a_command_in_a_small_workspace(
    on_machine: OnMachine, host_emulator: EmulatorServer
) -> None:
    for i in range(5):  # other apps of the workspace: one page of the emulator's ten
        make_app(host_emulator, client_id=f"someoneElse{i}")
    engine = Engine(on_machine())
    with engine.command():
        for i in range(12):
            engine.up(f"app{i}", props(client_id=f"{CLIENT_ID}{i}"))
    assert host_emulator.app.count("POST", APPS) == 12
    assert host_emulator.app.count("GET", APPS) == 1, "one listing for the twelve creates"


@pytest.mark.parametrize("creates", [2, 12])
def test_the_look_costs_at_most_twice_the_cheaper_way_in_a_large_workspace(
    on_machine: OnMachine, host_emulator: EmulatorServer, creates: int
) -> None:
    for i in range(45):  # five pages of ten
        make_app(host_emulator, client_id=f"someoneElse{i}")
    engine = Engine(on_machine())
    with engine.command():
        for i in range(creates):
            engine.up(f"app{i}", props(client_id=f"{CLIENT_ID}{i}"))
    pages, one_by_one = 5, creates
    assert host_emulator.app.count("GET", APPS) <= 2 * min(pages, one_by_one)
    assert len(host_emulator.backend.apps()) == 45 + creates


def test_a_renamed_resource_that_adopts_its_old_app_keeps_it(
    on_machine: OnMachine, host_emulator: EmulatorServer
) -> None:
    engine = Engine(on_machine())
    engine.up("zoom", props())
    old_id = engine.state["zoom"].id
    # Renamed without an alias: to the engine, a new resource and an old one to delete.
    with engine.command(), pytest.raises(DoorError) as info:
        engine.up("acme", props())
    line = info.value.last_line
    assert info.value.error_code == "app_exists"
    assert "pulumi state rename" in line
    with engine.command():
        engine.up("acme", props(adopt_app_id=old_id))
        engine.destroy("zoom")
    assert engine.state["acme"].id == old_id
    assert [a["id"] for a in host_emulator.backend.apps()] == [old_id], "kept for its new name"
    assert host_emulator.app.count("DELETE") == 0
    # In a later command the app is the new resource's like any other.
    engine.destroy("acme")
    assert host_emulator.backend.apps() == []


@pytest.mark.parametrize("records", ["usable", "unusable"])
def test_two_resources_for_one_zoom_app_in_one_command_make_one_app(
    on_machine: OnMachine, host_emulator: EmulatorServer, tmp_path: Path, records: str
) -> None:
    # A program of one's own may declare them (the stack program refuses it at preview): they
    # take turns, and the second finds the first one's app. The POST is slow, so that the
    # second's look would come while the first's POST is on its way. They take turns within
    # the command even where this machine's records (and their lock) cannot be kept.
    if records == "unusable":
        (tmp_path / "this machine").write_text("a file where the records' directory would be")
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, delay=0.6, times=2))
    engine = Engine(on_machine())
    outcomes: dict[str, DoorError | None] = {}
    with engine.command():

        def up(name: str) -> None:
            try:
                engine.up(name, props())
                outcomes[name] = None
            except DoorError as exc:
                outcomes[name] = exc

        threads = [threading.Thread(target=up, args=(name,)) for name in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    (made,) = host_emulator.backend.apps()
    assert sorted(outcomes) == ["one", "two"]
    (refused,) = [error for error in outcomes.values() if error is not None]
    assert refused.error_code == "app_exists"
    assert made["id"] in refused.last_line
    posts = [
        r.status for r in host_emulator.app.requests if r.method == "POST" and r.path == APPS_PATH
    ]
    assert posts.count(201) == 1, posts


def test_two_stacks_of_one_machine_creating_one_zoom_app_at_once_make_one_app(
    on_machine: OnMachine, host_emulator: EmulatorServer
) -> None:
    # Two `pulumi up`s at once on one CI runner (two stacks naming the same Zoom app): the
    # second's look would come while the first's POST is still on its way, and find nothing.
    # It waits for the first create instead, then asks Recall afresh and finds its app.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, delay=0.6, times=2))
    first, second = Engine(on_machine()), Engine(on_machine())
    outcomes: dict[str, DoorError | None] = {}

    def up(name: str, engine: Engine) -> None:
        try:
            engine.up("app", props())
            outcomes[name] = None
        except DoorError as exc:
            outcomes[name] = exc

    threads = {name: threading.Thread(target=up, args=(name, engine), daemon=True)
               for name, engine in (("first", first), ("second", second))}  # fmt: skip
    threads["first"].start()
    deadline = time.monotonic() + 10
    while not host_emulator.app.count("GET", APPS):  # the first's look is done: it posts
        assert time.monotonic() < deadline, "the first create looked"
        time.sleep(0.01)
    threads["second"].start()
    for thread in threads.values():
        thread.join(30)
    (made,) = host_emulator.backend.apps()
    assert sorted(outcomes) == ["first", "second"]
    assert outcomes["first"] is None, "the first created the app"
    refused = outcomes["second"]
    assert refused is not None
    assert refused.error_code == "app_exists"
    assert made["id"] in refused.last_line
    assert host_emulator.app.count("POST", APPS) == 1


def test_an_unproven_app_left_by_a_failed_self_check_is_not_taken_over_later(
    on_machine: OnMachine, host_emulator: EmulatorServer, tmp_path: Path
) -> None:
    # The POST's answer is lost; the app found holds our secrets, so the create takes it, but
    # it fails the self-check: it is left in place, and named again by the next up.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, drop=True, after_processing=True))
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=401))
    engine = Engine(on_machine())
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    (left,) = host_emulator.backend.apps()
    assert "was not provably made by this stack's create" in info.value.last_line
    assert create_records(tmp_path / "this machine") == []
    host_emulator.app.clear_faults()
    with pytest.raises(DoorError) as again:
        Engine(on_machine()).up("app", props())
    assert again.value.error_code == "app_exists"
    assert left["id"] in again.value.last_line
    assert [a["id"] for a in host_emulator.backend.apps()] == [left["id"]]
