"""Faults at every step, through the real provider host: each operation succeeds, or fails with
a typed, actionable error that holds no secret, and leaves nothing half-done."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from recall_provider.emulator import EmulatorServer, Fault
from tests.host_harness import Engine, HostError, ProviderHost, ResourceState, program_props

pytestmark = pytest.mark.host

API_KEY = "faults-api-key-0123456789abcdef"
CLIENT_SECRET = "faults-client-secret-0123456789"
WEBHOOK_SECRET = "faults-webhook-secret-0123456789"
ROTATED = "faults-webhook-secret-rotated-9876"
SECRETS = (API_KEY, CLIENT_SECRET, WEBHOOK_SECRET, ROTATED)
APPS = r"^/api/v2/zoom-oauth-apps/$"
ONE_APP = r"^/api/v2/zoom-oauth-apps/[^/]+/$"


def props(webhook_secret: str = WEBHOOK_SECRET) -> dict[str, Any]:
    return program_props(
        kind="user_level",
        client_id="zoomClientFaults",
        client_secret=CLIENT_SECRET,
        webhook_secret=webhook_secret,
    )


def assert_clean(error: HostError) -> None:
    for secret in SECRETS:
        assert secret not in error.details


def created(engine: Engine, emu: EmulatorServer) -> ResourceState:
    engine.up("app", props())
    emu.app.clear_requests()
    return engine.state["app"]


TRANSIENT = [
    Fault(status=429, retry_after=1, times=1),
    Fault(status=500, times=2),
    Fault(status=502, times=2),
    Fault(status=503, times=3),
    Fault(status=504, times=2),
    Fault(drop=True, times=2),
    Fault(delay=1.5, times=1),  # slower than the 1 s read timeout
]


@pytest.mark.parametrize("fault", TRANSIENT, ids=lambda f: repr(f)[:60])
@pytest.mark.parametrize("step", ["refresh", "update", "delete"])
def test_transient_faults_are_ridden_out(
    engine: Engine, emu: EmulatorServer, step: str, fault: Fault
) -> None:
    state = created(engine, emu)
    emu.app.add_fault(
        Fault(
            method={"refresh": "GET", "update": "PATCH", "delete": "DELETE"}[step],
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
        stored = emu.backend.get(state.id)
        assert stored is not None
        assert stored["webhook_secret"] == ROTATED
    else:
        engine.destroy("app")
        assert emu.backend.apps() == []
    # A request the client gave up on is still being answered: let it finish inside this test.
    time.sleep(fault.delay)


def test_a_burst_of_5xx_on_create_never_duplicates(engine: Engine, emu: EmulatorServer) -> None:
    # 503 then 500: each time Recall answered, two listings show nothing, one more POST.
    emu.app.add_fault(Fault(method="POST", path=APPS, status=503))
    engine.up("app", props())
    assert len(emu.backend.apps()) == 1


def test_create_that_succeeds_on_the_server_but_times_out_leaves_one_app(
    engine: Engine, emu: EmulatorServer
) -> None:
    emu.app.add_fault(Fault(method="POST", path=APPS, delay=1.5, after_processing=True))
    engine.up("app", props())
    apps = emu.backend.apps()
    assert [a["id"] for a in apps] == [engine.state["app"].id]
    # The abandoned POST is logged when its slow answer ends: wait, so no later test counts it.
    deadline = time.monotonic() + 5
    while not any(r.faulted for r in emu.app.requests) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("step", ["create", "refresh", "update", "delete"])
def test_auth_failures_at_every_step(
    engine: Engine, emu: EmulatorServer, step: str, status: int
) -> None:
    if step != "create":
        created(engine, emu)
    before = emu.backend.apps()
    emu.app.add_fault(Fault(status=status, times=5))
    action = {
        "create": lambda: engine.up("app", props()),
        "refresh": lambda: engine.refresh("app"),
        "update": lambda: engine.up("app", props(ROTATED)),
        "delete": lambda: engine.destroy("app"),
    }[step]
    with pytest.raises(HostError) as info:
        action()
    line = info.value.last_line
    assert "RecallAuthenticationError" in line
    assert f"HTTP {status}" in line
    assert "region" in line
    assert_clean(info.value)
    assert emu.backend.apps() == before, "nothing half-done"
    assert emu.app.count() == 1, f"never retried: {emu.app.requests}"


def test_not_found_at_every_step(engine: Engine, emu: EmulatorServer) -> None:
    state = created(engine, emu)
    emu.backend.reset()
    # refresh: gone from state, no error
    assert engine.refresh("app") == "deleted"
    # update of a vanished app: the user is told to refresh
    engine.state["app"] = state
    with pytest.raises(HostError) as info:
        engine.up("app", props(ROTATED))
    assert "pulumi refresh" in info.value.last_line
    assert_clean(info.value)
    # delete of a vanished app: success
    engine.destroy("app")
    # create answered 404 (a wrong base URL path, say): a typed error, no app, no id
    emu.app.add_fault(Fault(method="POST", path=APPS, status=404))
    with pytest.raises(HostError) as info:
        engine.up("app", props())
    assert "RecallNotFoundError" in info.value.last_line
    assert "app" not in engine.state
    assert emu.backend.apps() == []


def test_a_failed_update_is_reported_as_failed(engine: Engine, emu: EmulatorServer) -> None:
    state = created(engine, emu)
    emu.app.add_fault(Fault(method="PATCH", status=503, times=20))
    with pytest.raises(HostError) as info:
        engine.up("app", props(ROTATED))
    assert "RecallServerError" in info.value.last_line
    assert_clean(info.value)
    # The engine keeps the old state; the next up tries again and succeeds.
    assert engine.state["app"].outputs["webhook_secret"] == WEBHOOK_SECRET
    emu.app.clear_faults()
    assert engine.up("app", props(ROTATED)).op == "update"
    assert engine.state["app"].id == state.id


def test_four_calls_at_once_on_one_provider_instance(
    host: ProviderHost, emu: EmulatorServer
) -> None:
    """The host serves four RPCs at once with one cached provider: no cross-talk, no errors."""
    results: dict[int, tuple[str, dict[str, Any]]] = {}
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            inputs = program_props(
                kind="user_level",
                client_id=f"zoomClientConcurrent{i:02d}",
                client_secret=f"cs-{i:02d}-0123456789",
                webhook_secret=f"ws-{i:02d}-0123456789",
            )
            checked, failures = host.check(f"app{i}", {}, inputs)
            assert failures == []
            results[i] = host.create(f"app{i}", checked)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    # Slow creates keep the host's four workers busy at once.
    emu.app.add_fault(Fault(method="POST", path=APPS, delay=0.2, times=16))
    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    creates = [r for r in emu.app.requests if r.method == "POST" and r.path.endswith("apps/")]
    assert max_overlap(creates) == 4, "the host ran four creates at once, never more"
    assert len({app_id for app_id, _ in results.values()}) == 16
    for i, (app_id, outputs) in results.items():
        stored = emu.backend.get(app_id)
        assert stored is not None
        assert stored["client_id"] == outputs["client_id"] == f"zoomClientConcurrent{i:02d}"
        assert stored["webhook_secret"] == f"ws-{i:02d}-0123456789"
        assert outputs["webhook_url"].endswith(f"/{app_id}/webhook")


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
