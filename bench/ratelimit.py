"""Benchmark 5: commands of 1 to two minutes' worth of apps at the floor Recall's rate limit
allows.

Recall throttles as Django REST Framework does: at most ``PER_MINUTE`` accepted requests of a
workspace (``LISTS_PER_MINUTE`` lists) in any trailing minute, so ``PER_MINUTE`` may go at once
into an empty window (``recall_provider.limits`` holds the numbers). The emulator throttles the
same way here, its minute lasting ``MINUTE``/S real seconds, and takes ``LATENCY`` over every
answer, as a distant server does; the provider is told the same limit and minute. Each command
is a fresh host (one command, as on the CLI), fed by the engine's four threads, with a fresh
window on both sides. The floor of K operations is the time the four threads need for their
round trips (a create is a POST and the webhook self-check, after the command's one listing),
or, when that is shorter, a full minute for each further ``PER_MINUTE`` POSTs plus the last
batch's round trips: no client can beat it.

5b runs the same commands with the token bucket the client paced with before (a few at once,
then a steady refill to ``PER_MINUTE`` a minute), against the same window, to show the
difference. 5c runs two minutes' worth of creates in one stack, and two stacks of a minute's
worth side by side in one workspace (the window shared through this machine's pacing file).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench.common import app_props, host_config
from bench.report import NOT_JUDGED, QUICK_NOTE, Table, ratio, verdict
from recall_provider.client.pacing import CACHE_DIR_ENV, Pacing
from recall_provider.core.journal import STATE_DIR_ENV
from recall_provider.emulator import EmulatorServer, RateLimits
from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, MINUTE, REQUESTS_PER_MINUTE
from tests.host_harness import CheckFailed, Engine, HostError, ProviderHost, ResourceState

PER_MINUTE = REQUESTS_PER_MINUTE
LISTS_PER_MINUTE = LIST_REQUESTS_PER_MINUTE
LATENCY = 0.1
WORKERS = 4
GOAL = 1.15
"""Issue 12: a command of 1 to ``PER_MINUTE`` apps within this of its size's floor, 0 x 429."""
GOAL_OVER_A_MINUTE = 1.1
"""Issue 12: more than a minute's worth of creates within this of the floor (which then holds
the window's wait), 0 failures, 0 x 429; a command within a minute's worth is not held to it."""
# Up to a minute's worth: the most one window admits at once.
SIZES = (1, 10, 100, PER_MINUTE)
QUICK_SIZES = (1, 10)
BEYOND_A_MINUTE = 2 * PER_MINUTE
# A smoke run's 5c: small enough to be quick, so within a minute's worth.
QUICK_BEYOND_A_MINUTE = 60
# A command under a second is a few round trips, where one scheduling hiccup of this
# two-process setup is a tenth of the floor: such sizes report the median of a few runs.
REPEATS_UNDER_A_SECOND = 3
OPS = ("create", "refresh", "delete")
# Requests of one operation on the answer path, one after the other.
ROUND_TRIPS = {"create": 2, "refresh": 1, "delete": 1}


@dataclass
class Phase:
    """One timed command: wall time, failures, 429s."""

    wall: float = 0.0
    failures: list[str] = field(default_factory=list)
    throttled: int = 0


def floor(op: str, apps: int, minute: float, threads: int = WORKERS, stacks: int = 1) -> float:
    """The least time ``stacks`` commands of ``apps`` ``op`` each can take, side by side."""
    per_op = ROUND_TRIPS[op] * LATENCY
    listing = LATENCY if op == "create" else 0.0  # the duplicate guard's one page
    round_trips = listing + per_op * math.ceil(apps / threads)
    total = apps * stacks
    if total <= PER_MINUTE:
        return round_trips
    # Beyond a minute's worth of requests, the window admits the rest a minute after the first.
    minutes, last = divmod(total - 1, PER_MINUTE)
    window = minutes * minute + listing + per_op * math.ceil((last + 1) / (threads * stacks))
    return max(round_trips, window)


def run(scale: float, quick: bool = False) -> list[Table]:
    """Benchmark 5 as three tables."""
    minute = MINUTE / scale
    sizes = QUICK_SIZES if quick else SIZES
    tables = [
        _per_size(scale, minute, sizes, "sliding"),
        _per_size(scale, minute, sizes[1:], "bucket"),
        _beyond_a_minute(scale, minute, QUICK_BEYOND_A_MINUTE if quick else BEYOND_A_MINUTE),
    ]
    if quick:
        tables[0].notes.append(
            f"{QUICK_NOTE}{' and '.join(map(str, sizes))} apps of the goal's {SIZES[0]} to "
            f"{SIZES[-1]}; the goal is a ratio to the floor of each row's own size, so these rows "
            "are judged as the full run judges them"
        )
    return tables


def _per_size(scale: float, minute: float, sizes: tuple[int, ...], model: str) -> Table:
    title = (
        f"5. Commands of 1 to {sizes[-1]} apps at Recall's limit (sliding window, S={scale:g}, "
        f"{LATENCY * 1000:g} ms per answer, {WORKERS} workers, a fresh host and window each)"
        if model == "sliding"
        else f"5b. The same with the token bucket the client paced with before (S={scale:g})"
    )
    table = Table(
        title, ["command", "apps", "floor (s)", "wall (s)", "ratio", "429s", "goal", "verdict"]
    )
    for apps in sizes:
        for op, phase in _median_lifecycle(apps, scale, minute, model):
            low = floor(op, apps, minute)
            ok = phase.wall <= GOAL * low and not phase.throttled and not phase.failures
            table.add(
                op,
                apps,
                f"{low:.2f}",
                f"{phase.wall:.2f}",
                ratio(phase.wall / low),
                phase.throttled,
                f"<= {GOAL}x, 0 x 429" if model == "sliding" else "-",
                verdict(ok) if model == "sliding" else "-",
            )
    if model == "sliding":
        table.notes.append(
            f"floor: the {WORKERS} threads' round trips of {LATENCY * 1000:g} ms each (a create "
            "is a POST and the self-check, after its command's one listing: the duplicate "
            f"guard), as no more than {PER_MINUTE} requests are due within a minute; a command "
            f"whose floor is under a second shows the median of {REPEATS_UNDER_A_SECOND} runs "
            "(429s: their sum)"
        )
    else:
        rate, capacity = Pacing().bucket("crud")
        table.notes.append(
            f"the token bucket lets {capacity:g} go at once, then one every "
            f"1/{PER_MINUTE - capacity:g} of Recall's minute, whatever the window holds; at S=1 "
            f"that is {(PER_MINUTE - capacity) / rate:g} s for {PER_MINUTE} requests where the "
            "window admits them at once"
        )
    return table


def _beyond_a_minute(scale: float, minute: float, apps: int) -> Table:
    # The goal speaks of commands the window must hold back: past a minute's worth of POSTs.
    judged = apps > PER_MINUTE
    what = "More than a minute's worth" if judged else "Within a minute's worth, in a quick run"
    table = Table(
        f"5c. {what} (S={scale:g}: a minute is {minute:g} s)",
        ["command", "floor (s)", "wall (s)", "ratio", "failures", "429s", "goal", "verdict"],
    )
    one = _one_stack(apps, scale)
    _add(table, f"{apps} creates, one stack", one, floor("create", apps, minute), judged)
    two = _two_stacks(apps // 2, scale)
    low = floor("create", apps // 2, minute, stacks=2)
    _add(table, f"2 stacks x {apps // 2} creates, side by side", two, low, judged)
    table.notes.append(
        f"floor: a minute for each further {PER_MINUTE} POSTs, after which the last batch's "
        "round trips (or the threads' round trips alone, when they take longer); the two "
        "stacks are two hosts of one workspace, which share the window through this machine's "
        "pacing file"
    )
    if not judged:
        table.notes.append(
            f"{QUICK_NOTE}{apps} creates are within a minute's worth ({PER_MINUTE} POSTs), so "
            "the window holds nothing back and the floor is round trips alone: the goal, set "
            f"for {BEYOND_A_MINUTE} creates past a minute, is not judged (failures and 429s are "
            "still counted)"
        )
    for failure in (one.failures + two.failures)[:3]:
        table.notes.append(f"failure: {failure}")
    return table


def _add(table: Table, label: str, phase: Phase, low: float, judged: bool) -> None:
    ok = phase.wall <= GOAL_OVER_A_MINUTE * low and not phase.failures and not phase.throttled
    table.add(
        label,
        f"{low:.2f}",
        f"{phase.wall:.2f}",
        ratio(phase.wall / low),
        len(phase.failures),
        phase.throttled,
        f"<= {GOAL_OVER_A_MINUTE}x, 0 failures, 0 x 429",
        verdict(ok) if judged else NOT_JUDGED,
    )


# -- the commands ------------------------------------------------------------------------------


@contextmanager
def paced_emulator(scale: float) -> Iterator[EmulatorServer]:
    """An empty workspace that throttles as Recall does (its minute 60/S s) and answers
    ``LATENCY`` late."""
    with EmulatorServer() as emu:
        emu.app.latency = LATENCY
        emu.app.set_rate_limits(_limits(scale))
        yield emu


def _limits(scale: float) -> RateLimits:
    return RateLimits(per_minute=PER_MINUTE, list_per_minute=LISTS_PER_MINUTE, time_scale=scale)


@contextmanager
def one_machine() -> Iterator[dict[str, str]]:
    """One machine's pacing file and create records, empty at first."""
    with tempfile.TemporaryDirectory(prefix="bench-machine-") as directory:
        yield {CACHE_DIR_ENV: f"{directory}/cache", STATE_DIR_ENV: f"{directory}/state"}


def _host(emu: EmulatorServer, scale: float, model: str, env: dict[str, str]) -> ProviderHost:
    config = host_config(emu.url, PER_MINUTE) | {
        "recall:rateLimitPeriod": f"{MINUTE / scale:g}",
        "recall:pacing": model,
    }
    return ProviderHost(config, env=env)


def _props(apps: int, offset: int = 0) -> dict[str, dict[str, Any]]:
    # Built before the clock starts: serialize_provider swaps pickle's Pickler globally.
    return {f"app{i:04d}": app_props(i) for i in range(offset, offset + apps)}


def _command(
    emu: EmulatorServer,
    host: ProviderHost,
    engine: Engine,
    names: list[str],
    call: Callable[[str], object],
) -> Phase:
    phase = Phase()
    before = emu.app.throttled_count
    # The host's one-off import of the provider is benchmark 3's; keep it out of the clock.
    host.check("warm-up", {}, app_props(0))

    def one(name: str) -> None:
        try:
            call(name)
        except HostError as exc:
            phase.failures.append(f"{name}: {exc.last_line}")
        except CheckFailed as exc:
            phase.failures.append(f"{name}: Check failed: {exc}")

    started = time.perf_counter()
    with engine.command(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(one, names))
    phase.wall = time.perf_counter() - started
    phase.throttled = emu.app.throttled_count - before
    return phase


def _median_lifecycle(
    apps: int, scale: float, minute: float, model: str
) -> list[tuple[str, Phase]]:
    """``_lifecycle``, run again while its floor is under a second: each command's median wall
    time, with every run's 429s and failures."""
    short = all(floor(op, apps, minute) < 1.0 for op in OPS)
    runs = [
        list(_lifecycle(apps, scale, model)) for _ in range(REPEATS_UNDER_A_SECOND if short else 1)
    ]
    merged = []
    for i, op in enumerate(OPS):
        phases = [run[i][1] for run in runs]
        merged.append(
            (
                op,
                Phase(
                    wall=statistics.median(p.wall for p in phases),
                    failures=[f for p in phases for f in p.failures],
                    throttled=sum(p.throttled for p in phases),
                ),
            )
        )
    return merged


def _lifecycle(apps: int, scale: float, model: str) -> Iterator[tuple[str, Phase]]:
    """Create, refresh and delete ``apps`` apps, each a command of its own fresh host, each
    with a fresh window on both sides."""
    props = _props(apps)
    names = list(props)
    state: dict[str, ResourceState] = {}
    with paced_emulator(scale) as emu:
        for op in OPS:
            emu.app.set_rate_limits(_limits(scale))  # a fresh window on Recall's side
            with one_machine() as env:
                host = _host(emu, scale, model, env)
                try:
                    engine = Engine(host)
                    engine.state.update(state)
                    calls: dict[str, Callable[[str], object]] = {
                        "create": partial(_up, engine, props),
                        "refresh": engine.refresh,
                        "delete": engine.destroy,
                    }
                    call = calls[op]
                    phase = _command(emu, host, engine, names, call)
                    state = dict(engine.state)
                finally:
                    host.close()
            yield op, phase


def _up(engine: Engine, props: dict[str, dict[str, Any]], name: str) -> object:
    return engine.up(name, props[name])


def _one_stack(apps: int, scale: float) -> Phase:
    return timed_creates(apps, scale)


def timed_creates(apps: int, scale: float, others: int = 0) -> Phase:
    """One command of ``apps`` creates at Recall's limit, in a workspace of ``others`` apps."""
    props = _props(apps)
    with paced_emulator(scale) as emu, one_machine() as env:
        for i in range(others):
            emu.backend.create_app(
                {"kind": "user_level", "client_id": f"someoneElse{i:04d}",
                 "client_secret": "cs-of-someone-else", "webhook_secret": "ws-of-someone-else"}
            )  # fmt: skip
        host = _host(emu, scale, "sliding", env)
        try:
            engine = Engine(host)
            return _command(emu, host, engine, list(props), lambda n: engine.up(n, props[n]))
        finally:
            host.close()


def _two_stacks(apps: int, scale: float) -> Phase:
    stacks = [_props(apps), _props(apps, offset=apps)]
    with paced_emulator(scale) as emu, one_machine() as env:
        hosts = [_host(emu, scale, "sliding", env) for _ in stacks]
        try:
            engines = [Engine(host) for host in hosts]

            def stack(i: int) -> Phase:
                def create(name: str) -> object:
                    return engines[i].up(name, stacks[i][name])

                return _command(emu, hosts[i], engines[i], list(stacks[i]), create)

            with ThreadPoolExecutor(max_workers=2) as both:
                phases = list(both.map(stack, range(2)))
        finally:
            for host in hosts:
                host.close()
    # Side by side: the pair takes as long as the slower, and their 429s and failures add up.
    throttled = emu.app.throttled_count
    return Phase(
        wall=max(phase.wall for phase in phases),
        failures=[f for phase in phases for f in phase.failures],
        throttled=throttled,
    )
