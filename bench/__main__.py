"""``python -m bench``: run the seven benchmarks and print their tables (5 prints three, 6 and 7
two). What the run's processes write (the provider's pacing windows, create records and claims,
the Pulumi CLI's home) goes to a temporary folder, removed at the end, also when a benchmark
fails or the run is interrupted (Ctrl-C, SIGTERM: exit 130)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from bench import calls, coldstart, footprint, guard, machine, overhead, parallel, ratelimit
from bench.common import bypass_proxies_for_loopback, kept_apart
from bench.report import Table
from recall_provider.limits import MINUTE


@dataclass(frozen=True)
class Settings:
    """How much work each benchmark does."""

    iterations: int
    warmup: int
    latency_iterations: int
    samples: int
    scale: float
    quick: bool = False


PROG = "python -m bench"
INTERRUPTED = 130
"""The exit code of a run stopped by Ctrl-C or SIGTERM (the shell's for SIGINT)."""

FULL = Settings(iterations=50, warmup=6, latency_iterations=20, samples=10, scale=5)
QUICK = Settings(iterations=10, warmup=2, latency_iterations=4, samples=3, scale=5)


def _parse() -> tuple[Settings, set[int]]:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds and apps: a smoke run, judged against goals scaled to what it runs, "
        "or marked 'not judged (quick run)' where a goal does not scale",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=FULL.scale,
        metavar="S",
        help=f"time scale of the rate-limit runs (5 and 6b; 7 runs in real time): a Recall "
        f"minute lasts {MINUTE:g}/S s (default %(default)g)",
    )
    parser.add_argument(
        "--only",
        default="1,2,3,4,5,6,7",
        metavar="N,...",
        help="run only these benchmarks (default all)",
    )
    args = parser.parse_args()
    if args.scale <= 0 or round(ratelimit.PER_MINUTE * args.scale) < 5:
        parser.error(f"--scale must make {ratelimit.PER_MINUTE}*S at least 5")
    try:
        only = {int(part) for part in args.only.split(",") if part.strip()}
    except ValueError:
        parser.error("--only takes benchmark numbers, like 1,5")
    if not only <= set(range(1, 8)):
        parser.error("--only takes numbers from 1 to 7")
    base = QUICK if args.quick else FULL
    settings = Settings(
        base.iterations,
        base.warmup,
        base.latency_iterations,
        base.samples,
        args.scale,
        args.quick,
    )
    return settings, only


def _stop(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds as Ctrl-C does, through every benchmark's cleanup.
    raise KeyboardInterrupt


def main() -> None:
    """Parse the options, run the chosen benchmarks, print their tables."""
    settings, only = _parse()
    signal.signal(signal.SIGTERM, _stop)
    try:
        # Before anything dials the emulator or spawns a host (hosts inherit the environment).
        bypass_proxies_for_loopback()
        with kept_apart():
            _run(settings, only)
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted; the run's temporary folders are removed", file=sys.stderr)
        sys.exit(INTERRUPTED)


def _run(settings: Settings, only: set[int]) -> None:
    benchmarks: dict[int, Callable[[], Table | list[Table]]] = {
        1: lambda: overhead.run(
            settings.iterations, settings.warmup, settings.latency_iterations, quick=settings.quick
        ),
        2: calls.run,
        3: lambda: coldstart.run(settings.samples),
        4: footprint.run,
        5: lambda: ratelimit.run(settings.scale, settings.quick),
        6: lambda: [guard.run(settings.quick), guard.run_timed(settings.scale, settings.quick)],
        7: lambda: parallel.run(settings.quick),
    }
    print("Machine")
    print("=======")
    print("\n".join(machine.describe()))
    started = time.perf_counter()
    for number in sorted(only):
        tables = benchmarks[number]()
        for table in tables if isinstance(tables, list) else [tables]:
            print()
            print(table.render(), flush=True)
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
