"""Benchmark 1: warm per-operation time through the real host against the same raw HTTP calls.

Each provider operation is one gRPC call to ``python -m pulumi.dynamic``; its raw twin replays,
with a plain ``requests.Session``, exactly the HTTP requests the emulator logged for that
operation (create and update include the webhook self-check). A third side runs the same
provider object in this process, without the host, to split the overhead into the provider's
own code and the host's RPC cost. The sides take turns, in a rotating order, round by round, so
drift and warm caches favour none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import empty_pb2
from pulumi.dynamic import Config, ConfigureRequest

from bench.common import describe, host_config, kinds
from bench.raw import RawClient
from bench.report import QUICK_NOTE, Table, median, ms, p90, ratio, verdict
from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.host_harness import ProviderHost, program_props

OPS = ("create", "read", "update", "delete")
GOAL = 1.2
# A conservative stand-in for the network and server time of a real Recall request.
LATENCY = 0.020
NAME = "bench"
SECRET_A = "bench-webhook-secret-aaaa"
SECRET_B = "bench-webhook-secret-bbbb"
BODY = {
    "kind": "user_level",
    "client_id": "zoomBenchOverhead",
    "client_secret": "bench-client-secret-overhead",
    "webhook_secret": SECRET_A,
}


@dataclass
class Side:
    """Timings and the request kinds seen per operation, for one side."""

    times: dict[str, list[float]] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)

    def total(self) -> list[float]:
        """Per-round time of the whole create-read-update-delete cycle."""
        return [sum(parts) for parts in zip(*(self.times[op] for op in OPS), strict=True)]

    def med(self, op: str) -> float:
        """Median seconds of one operation."""
        return median(self.times[op])


class _Recorder:
    """Times one operation and notes which requests the emulator saw during it."""

    def __init__(self, emu: EmulatorServer, side: Side, keep: bool) -> None:
        self.emu, self.side, self.keep = emu, side, keep

    def __call__(self, op: str, call: Callable[[], Any]) -> Any:
        before = len(self.emu.app.requests)
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
        if self.keep:
            self.side.times.setdefault(op, []).append(elapsed)
            self.side.seen.setdefault(op, set()).add(
                describe(kinds(self.emu.app.requests[before:]))
            )
        return result


def _host_round(host: ProviderHost, inputs: dict[str, dict[str, Any]], rec: _Recorder) -> None:
    a, b = inputs[SECRET_A], inputs[SECRET_B]
    app_id, outs = rec("create", lambda: host.create(NAME, a))
    rec("read", lambda: host.read(NAME, app_id, outs, a))
    outs = rec("update", lambda: host.update(NAME, app_id, outs, a, b))
    rec("delete", lambda: host.delete(NAME, app_id, outs, b))


def _in_process_round(
    provider: RecallZoomOAuthAppProvider, inputs: dict[str, dict[str, Any]], rec: _Recorder
) -> None:
    a, b = inputs[SECRET_A], inputs[SECRET_B]
    created = rec("create", lambda: provider.create(a))
    rec("read", lambda: provider.read(created.id, created.outs))
    updated = rec("update", lambda: provider.update(created.id, created.outs, b))
    rec("delete", lambda: provider.delete(created.id, updated.outs))


def _floor_round(host: ProviderHost, inputs: dict[str, dict[str, Any]], rec: _Recorder) -> None:
    # The host's fixed cost: an RPC that does nothing, and one that runs provider code but no HTTP.
    rec("empty RPC", lambda: host.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30))
    rec("Check RPC", lambda: host.check(NAME, inputs[SECRET_A], inputs[SECRET_B]))


def _raw_round(raw: RawClient, rec: _Recorder) -> None:
    app_id: str = rec("create", lambda: raw.create(BODY))
    rec("read", lambda: raw.read(app_id))
    rec("update", lambda: raw.update(app_id, SECRET_B))
    rec("delete", lambda: raw.delete(app_id))


def measure(iterations: int, warmup: int, latency: float = 0.0) -> dict[str, Side]:
    """Warm-up and measured rounds of the three sides against one emulator and one host."""
    sides = {"host": Side(), "in-process": Side(), "raw": Side(), "floor": Side()}
    with EmulatorServer() as emu:
        if latency:
            emu.app.add_fault(Fault(delay=latency, times=10**9))
        host = ProviderHost(host_config(emu.url))
        raw = RawClient(emu.url)
        try:
            inputs: dict[str, dict[str, Any]] = {}
            for secret in (SECRET_A, SECRET_B):
                props = program_props(**BODY | {"webhook_secret": secret})
                checked, failures = host.check(NAME, {}, props)
                if failures:
                    raise RuntimeError(f"Check refused the benchmark's inputs: {failures}")
                inputs[secret] = checked
            provider = RecallZoomOAuthAppProvider()
            provider.configure(ConfigureRequest(Config(host_config(emu.url), "recall-zoom")))
            runners: list[tuple[str, Callable[[_Recorder], None]]] = [
                ("host", lambda rec: _host_round(host, inputs, rec)),
                ("in-process", lambda rec: _in_process_round(provider, inputs, rec)),
                ("raw", lambda rec: _raw_round(raw, rec)),
            ]
            for i in range(warmup + iterations):
                keep = i >= warmup
                for j in range(len(runners)):
                    name, runner = runners[(i + j) % len(runners)]
                    runner(_Recorder(emu, sides[name], keep))
                _floor_round(host, inputs, _Recorder(emu, sides["floor"], keep))
        finally:
            raw.session.close()
            host.close()
    return sides


def run(
    iterations: int,
    warmup: int,
    latency_iterations: int,
    latency: float = LATENCY,
    *,
    quick: bool = False,
) -> Table:
    """Benchmark 1 as a table: loopback rows, and the ratios again with added latency."""
    sides = measure(iterations, warmup)
    host, inproc, raw, floor = (sides[k] for k in ("host", "in-process", "raw", "floor"))
    table = Table(
        f"1. Per-operation time: provider host vs raw HTTP (warm, loopback emulator, "
        f"n={iterations} after {warmup} warm-up rounds)",
        [
            "op",
            "host med ms",
            "host p90 ms",
            "raw med ms",
            "raw p90 ms",
            "ratio",
            "goal",
            "host bound",
            "verdict",
            "HTTP requests per op (every side)",
        ],
    )
    rpc = floor.med("empty RPC")
    rows = [(op, host.times[op], raw.times[op], 1, _same(sides, op)) for op in OPS]
    rows.append(("all four", host.total(), raw.total(), len(OPS), "the four above"))
    for op, host_times, raw_times, calls, requests_text in rows:
        value = median(host_times) / median(raw_times)
        table.add(
            op,
            ms(median(host_times)),
            ms(p90(host_times)),
            ms(median(raw_times)),
            ms(p90(raw_times)),
            ratio(value),
            f"<= {GOAL}x",
            ratio(_host_bound(median(raw_times), calls * rpc)),
            _judge(median(host_times), median(raw_times), calls * rpc),
            requests_text,
        )
    table.notes.append("ratio = host median / raw median")
    table.notes.append(
        "host bound = (raw + the host's empty gRPC round trip per operation) / raw: the best "
        "ratio any provider run by `python -m pulumi.dynamic` can reach; 'host-bound': the goal "
        "lies below it, and the provider's own time above it stays within the goal; 'missed': "
        "the provider's own code costs more than the goal allows"
    )
    table.notes.append(
        "overhead split, median ms (provider code = same provider in-process minus raw; "
        "host+gRPC = host minus in-process):"
    )
    for op in OPS:
        table.notes.append(
            f"  {op:<6}  provider code {ms(inproc.med(op) - raw.med(op)):>6}   "
            f"host+gRPC {ms(host.med(op) - inproc.med(op)):>6}   "
            f"(in-process {ms(inproc.med(op))})"
        )
    table.notes.append(
        f"host floor, median ms: an empty RPC (GetPluginInfo) {ms(floor.med('empty RPC'))}, "
        f"a Check RPC (provider code, no HTTP) {ms(floor.med('Check RPC'))}"
    )
    slow = measure(latency_iterations, max(1, warmup // 2), latency)
    ratios = [(op, median(slow["host"].times[op]) / median(slow["raw"].times[op])) for op in OPS]
    ratios.append(("all four", median(slow["host"].total()) / median(slow["raw"].total())))
    met = all(value <= GOAL for _, value in ratios)
    table.notes.append(
        f"same with {latency * 1000:g} ms added to every emulator answer (n={latency_iterations}), "
        "ratio: "
        + ", ".join(f"{op} {ratio(value)}" for op, value in ratios)
        + f" -> goal {verdict(met)}"
    )
    if quick:
        table.notes.append(
            f"{QUICK_NOTE}n={iterations} rounds (n={latency_iterations} with latency); the goal is "
            "a ratio of medians per operation, whatever the number of rounds, so it is judged "
            "as in the full run (on fewer rounds: noisier)"
        )
    return table


def _host_bound(raw: float, rpc: float) -> float:
    return (raw + rpc) / raw


def _judge(host: float, raw: float, rpc: float) -> str:
    """met, host-bound (only the host's fixed round trip stands between it and the goal) or
    missed (the provider's own code would miss the goal even on a free host)."""
    if host / raw <= GOAL:
        return verdict(True)
    if (host - rpc) / raw <= GOAL:
        return "host-bound"
    return verdict(False)


def _same(sides: dict[str, Side], op: str) -> str:
    # Like-for-like only holds if every round of every side made the same requests.
    seen = {name: side.seen[op] for name, side in sides.items() if name != "floor"}
    first = next(iter(seen.values()))
    if len(first) == 1 and all(kinds_seen == first for kinds_seen in seen.values()):
        return next(iter(first))
    return "DIFFER: " + "; ".join(f"{name} {sorted(s)}" for name, s in seen.items())
