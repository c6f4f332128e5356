"""Faults at every step, through every door (tests/doors.py): each operation succeeds, or fails
with a typed, actionable error that holds no secret, and leaves nothing half-done. The host's
own concurrency (its four workers sharing one provider) is the dynamic door's alone."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from recall_provider.emulator import EmulatorServer, Fault, RequestRecord
from tests.conftest import StartHost
from tests.doors import DoorError, Engine, ResourceState, through_one_door_for_its_waits
from tests.helpers import APPS, APPS_PATH, ONE_APP, WEBHOOK, make_app
from tests.host_harness import PROVIDER_KEY, ProviderHost, program_props

API_KEY = "faults-api-key-0123456789abcdef"
CLIENT_SECRET = "faults-client-secret-0123456789"
WEBHOOK_SECRET = "faults-webhook-secret-0123456789"
ROTATED = "faults-webhook-secret-rotated-9876"
SECRETS = (API_KEY, CLIENT_SECRET, WEBHOOK_SECRET, ROTATED)
CLIENT_ID = "zoomClientFaults"
# Time stamps of the request log come from two clocks (time.time, perf_counter).
CLOCK_TOLERANCE = 0.005


def props(webhook_secret: str = WEBHOOK_SECRET, **more: Any) -> dict[str, Any]:
    return program_props(
        kind="user_level",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_secret=webhook_secret,
        **more,
    )


def assert_clean(error: DoorError, secrets: tuple[str, ...] = SECRETS) -> None:
    for secret in secrets:
        assert secret not in error.details


def error_type(error: DoorError) -> str:
    """The class name of the error of ours the provider raised (never a traceback)."""
    assert error.error_class, f"not an error of ours: {error.last_line!r}"
    return error.error_class


def created(engine: Engine, emu: EmulatorServer) -> ResourceState:
    engine.up("app", props())
    emu.app.clear_requests()
    return engine.state["app"]


def wait_for(fact: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll until ``fact`` holds (say, an abandoned request's answer landed in the log)."""
    deadline = time.monotonic() + timeout
    while not fact():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


def requests_to(emu: EmulatorServer, method: str, path: str) -> list[RequestRecord]:
    """Logged requests with this method and a path matching this regex, by arrival."""
    records = [r for r in emu.app.requests if r.method == method and re.search(path, r.path)]
    return sorted(records, key=lambda r: r.started)


def ended(record: RequestRecord) -> float:
    return record.started + record.duration


def last_answer(emu: EmulatorServer, method: str, path: str) -> RequestRecord:
    """The last request of this method and path that was answered."""
    matching = [
        r
        for r in emu.app.requests
        if r.method == method and re.search(path, r.path) and r.status is not None
    ]
    assert matching, f"no answer to {method} {path}: {emu.app.requests}"
    return matching[-1]


def assert_names_the_answer(error: DoorError, operation: str, answer: RequestRecord) -> None:
    """The error says which operation failed, its request, the status and the request id."""
    line = error.last_line
    assert operation in line
    assert f"{answer.method} {answer.path}" in line
    assert f"HTTP {answer.status}" in line
    assert f"request id {answer.request_id}" in line


# -- transient faults on refresh, update and delete ---------------------------------------------

TRANSIENT = [
    pytest.param(Fault(status=429, retry_after=1, times=1), id="429-retry-after"),
    pytest.param(Fault(status=500, times=2), id="500x2"),
    pytest.param(Fault(status=502, times=2), id="502x2"),
    pytest.param(Fault(status=503, times=3), id="503x3"),
    pytest.param(Fault(status=504, times=2), id="504x2"),
    pytest.param(Fault(drop=True, times=2), id="drop"),
    pytest.param(Fault(delay=1.5, times=1), id="slow"),  # slower than the 1 s read timeout
]
STEP_METHOD = {"refresh": "GET", "update": "PATCH", "delete": "DELETE"}
STEP_STATUS = {"refresh": 200, "update": 200, "delete": 204}


@through_one_door_for_its_waits
@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("step", ["refresh", "update", "delete"])
def test_transient_faults_are_ridden_out(
    engine: Engine, host_emulator: EmulatorServer, step: str, fault: Fault
) -> None:
    state = created(engine, host_emulator)
    method = STEP_METHOD[step]
    host_emulator.app.add_fault(
        Fault(
            method=method,
            path=ONE_APP,
            status=fault.status,
            retry_after=fault.retry_after,
            times=fault.times,
            drop=fault.drop,
            delay=fault.delay,
        )
    )
    if step == "refresh":
        assert engine.refresh("app") == "same"
    elif step == "update":
        assert engine.up("app", props(ROTATED)).op == "update"
        stored = host_emulator.backend.get(state.id)
        assert stored is not None
        assert stored["webhook_secret"] == ROTATED
    else:
        engine.destroy("app")
        assert host_emulator.backend.apps() == []
    assert host_emulator.app.faults == [], "every injected fault was met"
    # A request the client gave up on is still being answered: it is logged when it ends.
    wait_for(
        lambda: sum(r.faulted for r in host_emulator.app.requests) == fault.times,
        f"{fault.times} faulted requests in the log",
    )
    tried = requests_to(host_emulator, method, ONE_APP)
    faulted = [r for r in tried if r.faulted]
    assert len(faulted) == fault.times
    assert all(r.status == fault.status for r in faulted if not fault.delay)
    final = tried[-1]
    assert not final.faulted, f"the last {method} is the retry that got through: {tried}"
    assert len(tried) == fault.times + 1, "one retry per fault, no more"
    if fault.delay and step == "delete":
        # The slow DELETE still deletes, before or after its retry: one of them finds it gone,
        # which the provider counts as deleted.
        assert {r.status for r in tried} == {204, 404}
    else:
        assert final.status == STEP_STATUS[step]
    if fault.retry_after is not None:
        waited = final.started - ended(faulted[-1])
        assert waited >= fault.retry_after - CLOCK_TOLERANCE, "Retry-After was honoured"


# -- create: ambiguous failures are reconciled, never duplicated --------------------------------


@through_one_door_for_its_waits
@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(status=status, times=times), id=f"{status}x{times}")
        for status in (500, 503)
        for times in (2, 3)
    ],
)
def test_a_5xx_burst_from_recall_on_create_is_posted_again_once_then_reported(
    engine: Engine, host_emulator: EmulatorServer, fault: Fault
) -> None:
    """Its rule through every door: test_provider_host's create Recall answered with 503."""
    # Recall itself answered 500/503, so the request is over: after two listings that show it
    # made nothing, one more POST. That one may have made the app too, so its error tells the
    # user to look before running up again. No app, no id.
    host_emulator.app.add_fault(
        Fault(method="POST", path=APPS, status=fault.status, times=fault.times)
    )
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    error = info.value
    assert error_type(error) == "RecallServerError"
    assert_names_the_answer(
        error, "create Zoom OAuth app", last_answer(host_emulator, "POST", APPS)
    )
    assert "Creating it again failed as well" in error.last_line
    assert "may have made the app" in error.last_line
    assert f"list Recall's apps for client id {CLIENT_ID!r}" in error.last_line
    assert_clean(error)
    assert [(r.method, r.status) for r in host_emulator.app.requests] == [
        ("GET", 200),  # no app for this Zoom app yet
        ("POST", fault.status),
        ("GET", 200),
        ("GET", 200),
        ("POST", fault.status),
    ]
    assert host_emulator.backend.apps() == []


@through_one_door_for_its_waits
def test_a_single_503_on_create_is_posted_again_and_makes_one_app(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    """Its rule through every door: test_provider_host's create Recall answered with 503."""
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=503))
    engine.up("app", props())
    assert [a["id"] for a in host_emulator.backend.apps()] == [engine.state["app"].id]
    assert [
        (r.method, r.status) for r in host_emulator.app.requests if re.search(APPS, r.path)
    ] == [
        ("GET", 200),  # no app for this Zoom app yet
        ("POST", 503),
        ("GET", 200),
        ("GET", 200),
        ("POST", 201),
    ]


@through_one_door_for_its_waits
def test_a_second_create_that_is_lost_too_asks_the_user_to_look(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    """Its rule through every door: test_provider_host's create Recall answered with 503."""
    # Recall answers 503 (nothing made); the POST made again creates the app, then its answer
    # is a 502: that app exists, and only the user can tell whether to adopt it.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=503))
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=502, after_processing=True))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert error_type(info.value) == "RecallServerError", "the last failure, re-hinted"
    line = info.value.last_line
    assert "Creating it again failed as well" in line
    assert engine.door.argument("adopt_app_id") in line
    assert "HTTP 503" in line
    assert "HTTP 502" in line
    assert_clean(info.value)
    assert len(host_emulator.backend.apps()) == 1, "made by the second POST; never a third"
    assert host_emulator.app.count("POST", APPS) == 2


@through_one_door_for_its_waits
@pytest.mark.parametrize(
    "fault",
    [
        *(
            pytest.param(Fault(status=status, times=times), id=f"{status}x{times}")
            for status in (502, 504)
            for times in (2, 3)
        ),
        pytest.param(Fault(drop=True), id="drop-before-processing"),
    ],
)
def test_a_lost_create_that_made_nothing_asks_the_user_to_look(
    engine: Engine, host_emulator: EmulatorServer, fault: Fault
) -> None:
    """Its rule through every door: test_provider_host's lost create that made nothing."""
    # A gateway error or a reset does not prove the POST ended: no second POST, and the error
    # tells the user to list and adopt before trying again.
    host_emulator.app.add_fault(
        Fault(method="POST", path=APPS, status=fault.status, drop=fault.drop, times=fault.times)
    )
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    error = info.value
    assert error_type(error) == "RecallError"
    if fault.status is not None:
        assert_names_the_answer(
            error, "create Zoom OAuth app", last_answer(host_emulator, "POST", APPS)
        )
    else:
        assert f"POST {APPS_PATH}" in error.last_line
        assert "may have reached Recall" in error.last_line
    assert f"client id {CLIENT_ID!r}" in error.last_line
    assert "list Recall's apps" in error.last_line
    assert engine.door.argument("adopt_app_id") in error.last_line
    assert_clean(error)
    assert [(r.method, r.status) for r in host_emulator.app.requests] == [
        ("GET", 200),  # no app for this Zoom app yet
        ("POST", fault.status),
        ("GET", 200),
        ("GET", 200),
    ]
    assert host_emulator.backend.apps() == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(drop=True, after_processing=True), id="drop"),
        pytest.param(Fault(status=503, after_processing=True), id="503"),
        pytest.param(Fault(delay=1.5, after_processing=True), id="slow"),  # past the timeout
    ],
)
def test_a_create_that_succeeds_on_the_server_but_loses_its_answer_leaves_one_app(
    engine: Engine, host_emulator: EmulatorServer, fault: Fault
) -> None:
    host_emulator.app.add_fault(
        Fault(
            method="POST",
            path=APPS,
            status=fault.status,
            drop=fault.drop,
            delay=fault.delay,
            after_processing=True,
        )
    )
    plan = engine.up("app", props())
    assert [a["id"] for a in host_emulator.backend.apps()] == [engine.state["app"].id]
    assert plan.outputs["webhook_self_check_at"], "the found app passed the self-check"
    # The abandoned POST is logged when its slow answer ends: wait, so the log is complete.
    wait_for(
        lambda: any(r.faulted for r in host_emulator.app.requests), "the abandoned POST's answer"
    )
    arrived = sorted(host_emulator.app.requests, key=lambda r: r.started)
    assert [(r.method, r.faulted) for r in arrived if re.search(APPS, r.path)] == [
        ("GET", False),  # no app for this Zoom app yet
        ("POST", True),
        ("GET", False),
    ], "found at the first look, never posted again"


@pytest.mark.parametrize("mode", ["masked", "omit"])
def test_an_app_a_lost_create_made_is_named_not_taken_when_recall_hides_its_secrets(
    engine: Engine, host_emulator: EmulatorServer, mode: str
) -> None:
    # Nothing proves it is ours (someone may have made it meanwhile): it is named, never taken
    # into the stack, where a destroy would delete it.
    host_emulator.backend.secrets_in_responses = mode  # type: ignore[assignment]
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, drop=True, after_processing=True))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    (made,) = host_emulator.backend.apps()
    line = info.value.last_line
    assert info.value.error_code == "app_exists"
    assert f"Recall now has 1 app for Zoom client id {CLIENT_ID!r}: {made['id']}" in line
    assert f"set {engine.door.argument('adopt_app_id')} to {made['id']}" in line
    assert engine.state == {}
    assert host_emulator.app.count("POST", APPS) == 1, "never posted again"
    assert host_emulator.app.count("PATCH") == 0, "never given our secrets either"
    assert_clean(info.value)
    # Adopting it, as the error says, ends it.
    assert engine.up("app", props(adopt_app_id=made["id"])).op == "create"
    assert [a["id"] for a in host_emulator.backend.apps()] == [engine.state["app"].id]


COLLEAGUE_SECRET = "colleague-client-secret-0000001"


@through_one_door_for_its_waits
@pytest.mark.parametrize("kind", ["user_level", "account_level"])
def test_a_colleagues_app_made_while_a_create_lost_its_answer_is_named_not_taken(
    engine: Engine, host_emulator: EmulatorServer, kind: str
) -> None:
    """Its rule through every door (an app a lost create cannot prove its own is named, never
    taken): the app a lost create made, named when Recall hides its secrets."""
    # The look before the POST finds nothing; our POST is lost before Recall processes it;
    # meanwhile a colleague makes an app for the same Zoom app. It is theirs: named, left as
    # it is, and no second app is posted beside it.
    # The POST hangs past the client's 1 s timeout; the colleague acts well inside that second.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, delay=2, drop=True))
    colleague: list[dict[str, Any]] = []

    def colleague_makes_one() -> None:
        # After the look, while our POST hangs.
        wait_for(lambda: host_emulator.app.count("GET", APPS) > 0, "the look before the POST")
        time.sleep(0.3)
        colleague.append(make_app(host_emulator, kind=kind, client_id=CLIENT_ID,
                                  client_secret=COLLEAGUE_SECRET))  # fmt: skip

    thread = threading.Thread(target=colleague_makes_one, daemon=True)
    thread.start()
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    thread.join(timeout=10)
    (theirs,) = colleague
    line = info.value.last_line
    assert error_type(info.value) == "RecallAppExistsError"
    assert f"{theirs['id']} ({kind}," in line
    assert engine.state == {}
    (kept,) = host_emulator.backend.apps()
    assert kept["id"] == theirs["id"]
    assert kept["client_secret"] == COLLEAGUE_SECRET, "never given our secrets"
    # The hanging POST is logged when its 2 s are over.
    wait_for(lambda: host_emulator.app.count("POST", APPS) > 0, "the hanging POST's end")
    assert host_emulator.app.count("POST", APPS) == 1, "nothing posted beside it"
    assert_clean(info.value)


@through_one_door_for_its_waits
def test_a_429_on_create_is_retried_after_retry_after(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=429, retry_after=1))
    engine.up("app", props())
    assert [a["id"] for a in host_emulator.backend.apps()] == [engine.state["app"].id]
    throttled, retry = requests_to(host_emulator, "POST", APPS)
    assert (throttled.status, throttled.faulted) == (429, True)
    assert (retry.status, retry.faulted) == (201, False)
    assert retry.started - ended(throttled) >= 1 - CLOCK_TOLERANCE
    (lookup,) = requests_to(host_emulator, "GET", APPS)
    assert lookup.started < throttled.started, "the one listing is the look before the POST"


@pytest.mark.parametrize("after_processing", [False, True], ids=["made-nothing", "made-app"])
def test_a_404_on_the_reconciliation_listing_tells_the_user_what_to_do(
    engine: Engine, host_emulator: EmulatorServer, after_processing: bool
) -> None:
    host_emulator.app.add_fault(
        Fault(method="POST", path=APPS, status=502, after_processing=after_processing)
    )
    # The first listing is the look before the POST; the second, after it, gets the 404.
    host_emulator.app.add_fault(Fault(method="GET", path=APPS, status=404, skip=1))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    error = info.value
    line = error.last_line
    assert error_type(error) == "RecallError"
    assert_names_the_answer(
        error, "create Zoom OAuth app", last_answer(host_emulator, "POST", APPS)
    )
    assert_names_the_answer(error, "list Zoom OAuth apps", last_answer(host_emulator, "GET", APPS))
    assert "Looking for the app afterwards failed too" in line
    assert f"client id {CLIENT_ID!r}" in line
    assert engine.door.argument("adopt_app_id") in line
    assert_clean(error)
    assert len(requests_to(host_emulator, "POST", APPS)) == 1, "never posted again: no duplicate"
    assert len(host_emulator.backend.apps()) == (1 if after_processing else 0)


def test_a_404_on_the_webhook_self_check_leaves_no_app(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=404))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert engine.state == {}, "raised: no id reaches the engine"
    error = info.value
    assert error_type(error) == "RecallWebhookCheckError"
    webhook = last_answer(host_emulator, "POST", WEBHOOK)
    app_id = webhook.path.split("/")[-2]
    assert f"webhook self-check of Recall app {app_id} failed" in error.last_line
    assert_names_the_answer(error, f"send a Zoom webhook to Recall app {app_id}", webhook)
    assert engine.door.argument("validate_webhook") in error.last_line
    assert_clean(error)
    assert host_emulator.backend.apps() == [], "the app the failed create made was deleted"
    assert [(r.method, r.status) for r in host_emulator.app.requests] == [
        ("GET", 200),  # no app for this Zoom app yet
        ("POST", 201),
        ("POST", 404),
        ("DELETE", 204),
    ]


@through_one_door_for_its_waits
def test_a_failed_self_check_whose_clean_up_fails_names_the_app_left(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    """Its rule through every door: test_ownership_host's clean-up that fails."""
    host_emulator.app.add_fault(Fault(method="POST", path=WEBHOOK, status=404))
    host_emulator.app.add_fault(Fault(method="DELETE", status=500, times=10))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert engine.state == {}
    (app,) = host_emulator.backend.apps()
    line = info.value.last_line
    assert error_type(info.value) == "RecallWebhookCheckError"
    assert f"Deleting app {app['id']} failed too" in line
    assert "still in Recall" in line
    assert_clean(info.value)


# -- refusals: typed, named, never retried ------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403])
@pytest.mark.parametrize("step", ["create", "create's POST", "refresh", "update", "delete"])
def test_refusals_at_every_step(
    engine: Engine, host_emulator: EmulatorServer, step: str, status: int
) -> None:
    app_id = "" if step.startswith("create") else created(engine, host_emulator).id
    before = host_emulator.backend.apps()
    # A create's first request looks for an app of its Zoom app; "create's POST" lets it pass.
    host_emulator.app.add_fault(Fault(status=status, times=5, skip=int(step == "create's POST")))
    action, operation, method = {
        "create": (lambda: engine.up("app", props()), "list Zoom OAuth apps", "GET"),
        "create's POST": (lambda: engine.up("app", props()), "create Zoom OAuth app", "POST"),
        "refresh": (lambda: engine.refresh("app"), f"retrieve Zoom OAuth app {app_id}", "GET"),
        "update": (
            lambda: engine.up("app", props(ROTATED)),
            f"update Zoom OAuth app {app_id}",
            "PATCH",
        ),
        "delete": (lambda: engine.destroy("app"), f"delete Zoom OAuth app {app_id}", "DELETE"),
    }[step]
    with pytest.raises(DoorError) as info:
        action()
    error = info.value
    expected = "RecallValidationError" if status == 400 else "RecallAuthenticationError"
    assert error_type(error) == expected
    answer = last_answer(host_emulator, method, APPS if step.startswith("create") else ONE_APP)
    assert answer.status == status
    assert_names_the_answer(error, operation, answer)
    if status != 400:
        assert "region" in error.last_line
    assert_clean(error)
    assert host_emulator.backend.apps() == before, "nothing half-done"
    refused = 1 + (step == "create's POST")  # the look before the POST got through
    assert host_emulator.app.count() == refused, f"never retried: {host_emulator.app.requests}"


def test_not_found_at_every_step(engine: Engine, host_emulator: EmulatorServer) -> None:
    state = created(engine, host_emulator)
    host_emulator.backend.reset()
    # refresh: gone from state, no error
    assert engine.refresh("app") == "deleted"
    # update of a vanished app: the user is told to refresh
    engine.state["app"] = state
    with pytest.raises(DoorError) as info:
        engine.up("app", props(ROTATED))
    assert error_type(info.value) == "RecallNotFoundError"
    assert "pulumi refresh" in info.value.last_line
    assert_names_the_answer(
        info.value,
        f"update Zoom OAuth app {state.id}",
        last_answer(host_emulator, "PATCH", ONE_APP),
    )
    assert_clean(info.value)
    # delete of a vanished app: success
    engine.destroy("app")
    # create answered 404 (a wrong base URL path, say): a typed error, no app, no id
    host_emulator.app.clear_requests()
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, status=404))
    with pytest.raises(DoorError) as info:
        engine.up("app", props())
    assert engine.state == {}, "the Create raised: it returned no id"
    assert error_type(info.value) == "RecallNotFoundError"
    assert_names_the_answer(
        info.value, "create Zoom OAuth app", last_answer(host_emulator, "POST", APPS)
    )
    assert_clean(info.value)
    assert host_emulator.backend.apps() == []
    assert [(r.method, r.status) for r in host_emulator.app.requests] == [
        ("GET", 200),  # no app for this Zoom app yet
        ("POST", 404),
    ]


@through_one_door_for_its_waits
def test_a_failed_update_is_reported_as_failed(
    engine: Engine, host_emulator: EmulatorServer
) -> None:
    state = created(engine, host_emulator)
    host_emulator.app.add_fault(Fault(method="PATCH", status=503, times=20))
    with pytest.raises(DoorError) as info:
        engine.up("app", props(ROTATED))
    error = info.value
    assert error_type(error) == "RecallServerError"
    patches = requests_to(host_emulator, "PATCH", ONE_APP)
    assert [r.status for r in patches] == [503] * 5, "the first try and four retries"
    assert_names_the_answer(
        error, f"update Zoom OAuth app {state.id}", last_answer(host_emulator, "PATCH", ONE_APP)
    )
    assert_clean(error)
    # The engine keeps the old state; the next up tries again and succeeds.
    assert engine.state["app"].outputs["webhook_secret"] == WEBHOOK_SECRET
    host_emulator.app.clear_faults()
    assert engine.up("app", props(ROTATED)).op == "update"
    assert engine.state["app"].id == state.id


# -- concurrency: the host's four workers share one provider instance --------------------------
# The dynamic door only: these are the host process's workers, its cache of providers and its
# stderr.


@pytest.fixture
def fresh_host(start_host: StartHost) -> Callable[[], ProviderHost]:
    """Start hosts that have served nothing yet: no provider built, no client, full pacing
    buckets (paced so loosely that pacing never spaces requests out)."""
    return lambda: start_host(**{"recall:requestTimeout": "10"})


@dataclass(frozen=True)
class Concurrent:
    """One resource of the concurrency tests, with its own secrets."""

    index: int

    @property
    def name(self) -> str:
        return f"app{self.index:02d}"

    @property
    def client_id(self) -> str:
        return f"zoomClientConcurrent{self.index:02d}"

    @property
    def client_secret(self) -> str:
        return f"cs-{self.index:02d}-0123456789"

    @property
    def webhook_secret(self) -> str:
        return f"ws-{self.index:02d}-0123456789"

    @property
    def rotated(self) -> str:
        return f"ws-{self.index:02d}-rotated-9876"

    def props(self) -> dict[str, Any]:
        # Only ever in the main thread: the SDK's serialize_provider swaps pickle globals.
        return program_props(
            kind="user_level",
            client_id=self.client_id,
            client_secret=self.client_secret,
            webhook_secret=self.webhook_secret,
        )


def concurrent_secrets(apps: list[Concurrent]) -> tuple[str, ...]:
    return (API_KEY, *(s for a in apps for s in (a.client_secret, a.webhook_secret, a.rotated)))


def check_and_create(host: ProviderHost, app: Concurrent, inputs: dict[str, Any]) -> ResourceState:
    checked, failures = host.check(app.name, {}, inputs)
    assert failures == []
    app_id, outputs = host.create(app.name, checked)
    return ResourceState(app_id, checked, outputs)


def assert_holds_its_own(emu: EmulatorServer, app: Concurrent, state: ResourceState) -> None:
    stored = emu.backend.get(state.id)
    assert stored is not None
    assert stored["client_id"] == state.outputs["client_id"] == app.client_id
    assert stored["client_secret"] == state.outputs["client_secret"] == app.client_secret
    assert stored["webhook_secret"] == state.outputs["webhook_secret"]
    assert state.outputs["webhook_url"].endswith(f"/{state.id}/webhook")


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread at once; the results in order, errors re-raised."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


@pytest.mark.host
def test_four_calls_at_once_on_one_provider_instance(
    fresh_host: Callable[[], ProviderHost], host_emulator: EmulatorServer
) -> None:
    """A fresh host serves four creates at once with one cached provider: no cross-talk."""
    apps = [Concurrent(i) for i in range(16)]
    inputs = [app.props() for app in apps]
    assert len({p[PROVIDER_KEY] for p in inputs}) == 1, "one pickled provider, one instance"
    host = fresh_host()
    # Slow creates keep the host's four workers busy at once.
    host_emulator.app.add_fault(Fault(method="POST", path=APPS, delay=0.2, times=len(apps)))
    states = in_parallel(
        [partial(check_and_create, host, a, p) for a, p in zip(apps, inputs, strict=True)]
    )
    assert max_overlap(host_emulator.app.requests) == 4, (
        "the host ran four calls at once, never more"
    )
    assert max_overlap(requests_to(host_emulator, "POST", APPS)) == 4, "four creates at once"
    assert len({state.id for state in states}) == len(apps)
    for app, state in zip(apps, states, strict=True):
        assert_holds_its_own(host_emulator, app, state)
        assert state.outputs["webhook_secret"] == app.webhook_secret
    assert len(host_emulator.backend.apps()) == len(apps)
    assert "Traceback" not in host.host_stderr()


@pytest.mark.host
def test_a_mix_of_calls_at_once_on_a_fresh_host(
    fresh_host: Callable[[], ProviderHost], host_emulator: EmulatorServer
) -> None:
    """Creates, reads, updates and deletes at once, the first calls a fresh host serves (so
    they race to build the provider's client): each touches its own app and nothing else."""
    apps = [Concurrent(i) for i in range(16)]
    inputs = {app: app.props() for app in apps}
    seeder = fresh_host()
    existing = {app: check_and_create(seeder, app, inputs[app]) for app in apps[:12]}
    reads, updates, deletes, creates = apps[0:4], apps[4:8], apps[8:12], apps[12:16]
    rotated = {app: {**existing[app].inputs, "webhook_secret": app.rotated} for app in updates}

    host = fresh_host()
    host_emulator.app.clear_requests()
    # Every API call (not the self-checks) is slow, so the four workers overlap: one each,
    # and the creates' looks for an app of their Zoom app.
    host_emulator.app.add_fault(
        Fault(path=r"^/api/v2/zoom-oauth-apps/([^/]+/)?$", delay=0.2, times=64)
    )

    def read(app: Concurrent) -> ResourceState:
        old = existing[app]
        app_id, outputs, new_inputs = host.read(app.name, old.id, old.outputs, old.inputs)
        return ResourceState(app_id, new_inputs or {}, outputs)

    def update(app: Concurrent) -> ResourceState:
        old = existing[app]
        outputs = host.update(app.name, old.id, old.outputs, old.inputs, rotated[app])
        return ResourceState(old.id, rotated[app], outputs)

    def delete(app: Concurrent) -> None:
        old = existing[app]
        host.delete(app.name, old.id, old.outputs, old.inputs)

    calls: list[Callable[[], Any]] = []
    for i in range(4):  # interleaved, so every kind of call is among the first four
        calls += [
            partial(check_and_create, host, creates[i], inputs[creates[i]]),
            partial(read, reads[i]),
            partial(update, updates[i]),
            partial(delete, deletes[i]),
        ]
    results = in_parallel(calls)

    api = [r for r in host_emulator.app.requests if not re.search(WEBHOOK, r.path)]
    assert sorted({r.method for r in api}) == ["DELETE", "GET", "PATCH", "POST"]
    assert all(r.faulted for r in api), "every API call was slowed down"
    assert max_overlap(host_emulator.app.requests) == 4, (
        "the host ran four calls at once, never more"
    )
    new = dict(zip(creates, results[0::4], strict=True))
    for app in creates:
        assert_holds_its_own(host_emulator, app, new[app])
        assert new[app].outputs["webhook_secret"] == app.webhook_secret
    for app, state in zip(reads, results[1::4], strict=True):
        assert state.id == existing[app].id
        assert state.inputs["client_id"] == app.client_id
        assert_holds_its_own(host_emulator, app, state)
        assert state.outputs["webhook_secret"] == app.webhook_secret
    for app, state in zip(updates, results[2::4], strict=True):
        assert state.id == existing[app].id
        assert_holds_its_own(host_emulator, app, state)
        assert state.outputs["webhook_secret"] == app.rotated
    for app in deletes:
        assert host_emulator.backend.get(existing[app].id) is None
    remaining = {a["id"] for a in host_emulator.backend.apps()}
    assert remaining == {existing[a].id for a in reads + updates} | {new[a].id for a in creates}
    # Nobody's secret ended up in another app.
    for stored in host_emulator.backend.apps():
        index = int(stored["client_id"][-2:])
        assert stored["client_secret"] == Concurrent(index).client_secret
        assert stored["webhook_secret"].startswith(f"ws-{index:02d}-")
    stderr = host.host_stderr()
    assert "Traceback" not in stderr
    for secret in concurrent_secrets(apps):
        assert secret not in stderr


def max_overlap(records: list[Any]) -> int:
    """The most requests that were in flight at one moment."""
    edges = sorted(
        [(r.started, 1) for r in records] + [(r.started + r.duration, -1) for r in records],
        key=lambda edge: (edge[0], edge[1]),
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak
