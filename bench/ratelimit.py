"""Benchmark 5: hundreds of apps created through one host against Recall's rate limit.

The emulator enforces Recall's 300 requests per minute (burst 10) with its "minute" lasting
60/S real seconds; the provider is told the same limit (``recall:requestsPerMinute`` = 300*S,
its bucket measured in real minutes), so the floor for 300 creates is 60/S seconds. Four
workers call one host, as the engine's four-thread host pool would be fed; each app is the
engine's create sequence (Check, then Create: the engine does not Diff a resource it has no
state for). Destroy runs afterwards, timed on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.common import app_props, host_config
from bench.raw import RawClient
from bench.report import Table, median, ms, p90, ratio, verdict
from recall_provider.client import Pacing
from recall_provider.emulator import EmulatorServer, RateLimits
from tests.host_harness import CheckFailed, Engine, HostError, ProviderHost

PER_MINUTE = 300
BURST = 10
WORKERS = 4
GOAL = 1.15
PROBE_KEY = "bench-probe-key-0123456789"
WEBHOOK = r"/webhook$"


@dataclass
class Phase:
    """One timed batch of engine calls: wall time, per-call latencies and failures."""

    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    throttled: int = 0


def _batch(names: list[str], call: Callable[[str], object], emu: EmulatorServer) -> Phase:
    phase = Phase()
    before = emu.app.throttled_count

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


def run(scale: float, apps: int) -> Table:
    """Benchmark 5 as a table."""
    limit = round(PER_MINUTE * scale)
    floor = apps * 60 / limit
    rate, capacity = Pacing(per_minute=limit, list_per_minute=max(1, limit // 5)).bucket("crud")
    names = [f"app{i:04d}" for i in range(apps)]
    # Built up front: serialize_provider swaps pickle's Pickler globally, unsafe across threads.
    props = {name: app_props(i) for i, name in enumerate(names)}
    with EmulatorServer() as emu:
        emu.app.set_rate_limits(
            RateLimits(per_minute=PER_MINUTE, list_per_minute=60, burst=BURST, time_scale=scale)
        )
        host = ProviderHost(host_config(emu.url, requests_per_minute=limit))
        try:
            engine = Engine(host)
            # The host's one-off import of the provider is benchmark 3's; keep it out of here.
            host.check("warm-up", {}, props[names[0]])
            create = _batch(names, lambda n: engine.up(n, props[n]), emu)
            present = len(emu.backend.apps())
            posts = sorted(
                r.started
                for r in emu.app.requests
                if r.method == "POST" and r.path.endswith("/zoom-oauth-apps/")
            )
            hooks = [r for r in emu.app.requests if r.path.endswith("/webhook")]
            first = engine.state[names[0]].id
            probe_hooks, probe_gets = _probe_webhook(
                emu, first, props[names[0]]["webhook_secret"], 3 * BURST
            )
            destroy = _batch(list(engine.state), engine.destroy, emu)
            left = len(emu.backend.apps())
        finally:
            host.close()
    busiest = _busiest_window(posts, 60 / scale)
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
    table.add(
        "most creates in one emulated minute",
        busiest,
        f"<= {PER_MINUTE}",
        verdict(busiest <= PER_MINUTE),
    )
    table.add(
        "per app (Check+Create) med / p90 (ms)",
        f"{ms(median(create.latencies))} / {ms(p90(create.latencies))}",
        "-",
        "-",
    )
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
        f"throttling probe ({3 * BURST} back-to-back requests each, another API key): webhook "
        f"validations got {probe_hooks} x 429, authenticated GETs got {probe_gets} x 429"
    )
    for failure in (create.failures + destroy.failures)[:3]:
        table.notes.append(f"failure: {failure}")
    return table
