"""Benchmark 5: hundreds of apps created through one host against Recall's rate limit.

The emulator enforces Recall's 300 requests per minute (burst 10) with its "minute" lasting
60/S real seconds; the provider is told the same limit (``recall:requestsPerMinute`` = 300*S,
its bucket measured in real minutes), so the floor for 300 creates is 60/S seconds. Four
workers call one host, as the engine's four-thread host pool would be fed; each app is the
engine's create sequence (Check, then Create: the engine does not Diff a resource it has no
state for). Destroy runs afterwards, timed on its own.

A second run (table 5b) creates apps against the same emulator limits with the provider's
pacing effectively off (``recall:requestsPerMinute`` = 1,000,000), so that every request
beyond the emulator's bucket is answered 429 and the client's Retry-After handling does the
pacing instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.common import APPS_PATH, UNPACED, app_props, host_config
from bench.raw import RawClient
from bench.report import Table, median, ms, p90, ratio, verdict
from recall_provider.client import Pacing, RetryPolicy
from recall_provider.emulator import EmulatorServer, RateLimits, RequestRecord
from tests.host_harness import CheckFailed, Engine, HostError, ProviderHost

PER_MINUTE = 300
BURST = 10
WORKERS = 4
GOAL = 1.15
PROBE_KEY = "bench-probe-key-0123456789"
WINDOW = 1 / 5  # of an emulated minute: the sliding window of the pacing check
# What the emulator's bucket can accept in such a window: its burst plus the refill meanwhile.
PERMITTED = BURST + round(PER_MINUTE * WINDOW)
UNPACED_APPS = 300  # most apps of the pacing-off run (fewer when the main run has fewer)


@dataclass
class Phase:
    """One timed batch of engine calls: wall time, per-call latencies and failures."""

    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    throttled: int = 0
    records: list[RequestRecord] = field(default_factory=list)


def _batch(names: list[str], call: Callable[[str], object], emu: EmulatorServer) -> Phase:
    phase = Phase()
    before = emu.app.throttled_count
    emu.app.clear_requests()

    def one(name: str) -> None:
        started = time.perf_counter()
        try:
            call(name)
        except HostError as exc:
            phase.failures.append(f"{name}: {exc.last_line}")
        except CheckFailed as exc:
            phase.failures.append(f"{name}: Check failed: {exc}")
        phase.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(one, names))
    phase.wall = time.perf_counter() - started
    phase.throttled = emu.app.throttled_count - before
    phase.records = emu.app.requests
    return phase


def _probe_webhook(emu: EmulatorServer, app_id: str, secret: str, count: int) -> tuple[int, int]:
    """429s among ``count`` back-to-back webhook validations, and among as many authenticated
    GETs sent as a control (under a separate key, so the provider's bucket is untouched)."""
    raw = RawClient(emu.url, api_key=PROBE_KEY)
    try:
        hooks = [raw.webhook_response(app_id, secret).status_code for _ in range(count)]
        gets = [raw.get(app_id).status_code for _ in range(count)]
    finally:
        raw.session.close()
    return hooks.count(429), gets.count(429)


def _busiest_window(moments: list[float], width: float) -> int:
    """The most of the sorted ``moments`` that fall in any window ``width`` seconds long."""
    best = start = 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def _is_hook(record: RequestRecord) -> bool:
    return record.path.endswith("/webhook")


def _charged(records: list[RequestRecord]) -> list[float]:
    """Arrival times of the requests the emulator charges to the API key (all but the webhook
    validations, which carry no key), 429s included: what the client sent, not what got in."""
    return sorted(r.started for r in records if not _is_hook(r))


def _window_row(table: Table, phase: Phase, scale: float, judged: bool) -> None:
    """The pacing check: requests sent in any 1/5 emulated minute against what the emulator's
    bucket can accept in that time (its burst plus the refill). More means 429s were earned."""
    busiest = _busiest_window(_charged(phase.records), 60 / scale * WINDOW)
    table.add(
        f"most API requests sent in any {WINDOW * 60:g} emulated s",
        busiest,
        f"<= {PERMITTED}" if judged else f"({PERMITTED} accepted)",
        verdict(busiest <= PERMITTED) if judged else "-",
    )


def _latency_row(table: Table, phase: Phase) -> None:
    lat = phase.latencies
    table.add(
        "per app (Check+Create) med / p90 / max (ms)",
        f"{ms(median(lat))} / {ms(p90(lat))} / {ms(max(lat))}",
        "-",
        "-",
    )


def _setup(emu: EmulatorServer, scale: float) -> None:
    emu.app.set_rate_limits(
        RateLimits(per_minute=PER_MINUTE, list_per_minute=60, burst=BURST, time_scale=scale)
    )


def run(scale: float, apps: int) -> list[Table]:
    """Benchmark 5 as two tables: the paced run and the pacing-off run."""
    return [_paced(scale, apps), _unpaced(scale, min(apps, UNPACED_APPS))]


def _props(apps: int) -> tuple[list[str], dict[str, dict[str, Any]]]:
    names = [f"app{i:04d}" for i in range(apps)]
    # Built up front: serialize_provider swaps pickle's Pickler globally, unsafe across threads.
    return names, {name: app_props(i) for i, name in enumerate(names)}


@dataclass
class _Created:
    """Apps created through one host against a rate-limited emulator, still running."""

    emu: EmulatorServer
    engine: Engine
    names: list[str]
    props: dict[str, dict[str, Any]]
    create: Phase
    present: int


@contextmanager
def _created(scale: float, apps: int, requests_per_minute: int) -> Iterator[_Created]:
    names, props = _props(apps)
    with EmulatorServer() as emu:
        _setup(emu, scale)
        host = ProviderHost(host_config(emu.url, requests_per_minute=requests_per_minute))
        try:
            engine = Engine(host)
            # The host's one-off import of the provider is benchmark 3's; keep it out of here.
            host.check("warm-up", {}, props[names[0]])
            # One `pulumi up` of every app: one provider process, one shared listing.
            with engine.command():
                create = _batch(names, lambda n: engine.up(n, props[n]), emu)
            yield _Created(emu, engine, names, props, create, len(emu.backend.apps()))
        finally:
            host.close()


def _paced(scale: float, apps: int) -> Table:
    limit = round(PER_MINUTE * scale)
    floor = apps * 60 / limit
    rate, capacity = Pacing(per_minute=limit, list_per_minute=max(1, limit // 5)).bucket("crud")
    with _created(scale, apps, limit) as run:
        create, present, first_name = run.create, run.present, run.names[0]
        hooks = [r for r in create.records if _is_hook(r)]
        probe_hooks, probe_gets = _probe_webhook(
            run.emu,
            run.engine.state[first_name].id,
            run.props[first_name]["webhook_secret"],
            3 * BURST,
        )
        with run.engine.command():
            destroy = _batch(list(run.engine.state), run.engine.destroy, run.emu)
        left = len(run.emu.backend.apps())
    table = Table(
        f"5. {apps} apps through one host, rate-limited (scale S={scale:g}, {WORKERS} workers)",
        ["metric", "value", "goal", "verdict"],
    )
    table.add("apps", apps, "-", "-")
    table.add("time scale S", f"{scale:g}", "-", "-")
    table.add(f"floor: {apps} creates at {PER_MINUTE}/min (s)", f"{floor:.2f}", "-", "-")
    table.add("create wall time (s)", f"{create.wall:.2f}", "-", "-")
    table.add(
        "ratio wall/floor",
        ratio(create.wall / floor),
        f"<= {GOAL}x",
        verdict(create.wall / floor <= GOAL),
    )
    table.add("failures", len(create.failures), 0, verdict(not create.failures))
    table.add("429s received (emulator throttled)", create.throttled, "-", "-")
    table.add("apps present at the end", present, apps, verdict(present == apps))
    lookups = [r for r in create.records if r.method == "GET" and r.path == APPS_PATH]
    table.add(
        "duplicate guard: list calls / their time (s)",
        f"{len(lookups)} / {sum(r.duration for r in lookups):.3f}",
        "1 (one shared listing)",
        verdict(len(lookups) == 1),
    )
    _window_row(table, create, scale, judged=True)
    _latency_row(table, create)
    table.add(
        "webhook validations sent / 429s",
        f"{len(hooks)} / {sum(r.status == 429 for r in hooks)}",
        "0 x 429",
        verdict(not any(r.status == 429 for r in hooks)),
    )
    table.add("destroy wall time (s)", f"{destroy.wall:.2f}", "-", "-")
    table.add("destroy ratio wall/floor", ratio(destroy.wall / floor), "-", "-")
    table.add(
        "destroy failures / 429s",
        f"{len(destroy.failures)} / {destroy.throttled}",
        "0 failures",
        verdict(not destroy.failures),
    )
    table.add("apps left after destroy", left, 0, verdict(left == 0))
    pacing_floor = (apps - capacity) / rate
    emulator_floor = (apps - BURST) / (PER_MINUTE * scale / 60)
    table.notes.append(
        f"provider pacing alone needs {pacing_floor:.2f} s for {apps} requests (bucket of "
        f"{capacity:g}, {rate:.2f}/s); the emulator would accept them in {emulator_floor:.2f} s "
        f"(burst {BURST})"
    )
    table.notes.append(
        f"pacing check: requests charged to the API key (429s included) in any sliding window of "
        f"{WINDOW * 60:g} emulated s ({60 / scale * WINDOW:.2f} s real); the emulator's bucket "
        f"accepts at most its burst {BURST} + {round(PER_MINUTE * WINDOW)} refilled in that time"
    )
    table.notes.append(
        f"throttling probe ({3 * BURST} back-to-back requests each, another API key): webhook "
        f"validations got {probe_hooks} x 429, authenticated GETs got {probe_gets} x 429"
    )
    for failure in (create.failures + destroy.failures)[:3]:
        table.notes.append(f"failure: {failure}")
    return table


def _unpaced(scale: float, apps: int) -> Table:
    floor = apps * 60 / round(PER_MINUTE * scale)
    with _created(scale, apps, UNPACED) as run:
        create, present = run.create, run.present
    posts = [r for r in create.records if r.method == "POST" and not _is_hook(r)]
    table = Table(
        f"5b. The same with the provider's pacing off: {apps} apps, emulator limits as in 5 "
        f"(recall:requestsPerMinute = {UNPACED:,}, S={scale:g}, {WORKERS} workers)",
        ["metric", "value", "goal", "verdict"],
    )
    table.add("apps", apps, "-", "-")
    table.add(f"floor: {apps} creates at {PER_MINUTE}/min (s)", f"{floor:.2f}", "-", "-")
    table.add("create wall time (s)", f"{create.wall:.2f}", "-", "-")
    table.add("ratio wall/floor", ratio(create.wall / floor), "-", "-")
    table.add("failures", len(create.failures), 0, verdict(not create.failures))
    table.add("429s received (emulator throttled)", create.throttled, "-", "-")
    table.add("create POSTs sent (429s included)", len(posts), "-", "-")
    table.add("apps present at the end", present, apps, verdict(present == apps))
    _window_row(table, create, scale, judged=False)
    _latency_row(table, create)
    emulator_floor = (apps - BURST) / (PER_MINUTE * scale / 60)
    table.notes.append(
        f"the emulator alone would accept {apps} creates in {emulator_floor:.2f} s (burst "
        f"{BURST}); its 429s carry Retry-After in whole seconds, at least 1 s whatever S is "
        f"(at S={scale:g} that is {scale:g} emulated s), and the client waits that long before "
        f"each retry (at most {RetryPolicy().max_retries} per request, the client's default)"
    )
    table.notes.append(
        f"more than {PERMITTED} requests in a {WINDOW * 60:g} emulated s window means at least "
        "the excess got 429 (fewer does not mean none did); destroy is not run here"
    )
    for failure in create.failures[:3]:
        table.notes.append(f"failure: {failure}")
    return table
