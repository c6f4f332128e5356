"""Benchmark 2: HTTP requests per lifecycle step, counted from the emulator's request log.

The engine's call sequences come from ``tests.host_harness.Engine`` over the real host; each
step runs for every app and its requests are compared, kind by kind, with the step's goal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bench.common import APPS_PATH, app_props, describe, host_config, kinds
from bench.report import Table, verdict
from recall_provider.emulator import EmulatorServer
from tests.host_harness import Engine, ProviderHost

APPS = 3
ONE = f"{APPS_PATH}{{id}}/"
WEBHOOK = f"POST {ONE}webhook"
ROTATED = "bench-webhook-secret-rotated-{:04d}"
ROTATED_AGAIN = "bench-webhook-secret-again-{:04d}"
ROTATED_CLIENT = "bench-client-secret-rotated-{:04d}"

Step = tuple[str, Callable[[Engine, int], object], Counter[str] | None, str]

STEPS: list[Step] = [
    (
        "create (up, new app)",
        lambda e, i: e.up(f"app{i}", app_props(i)),
        Counter({f"POST {APPS_PATH}": 1, WEBHOOK: 1}),
        "1 POST + validation",
    ),
    (
        "preview, no changes",
        lambda e, i: e.preview(f"app{i}", app_props(i)),
        Counter(),
        "0",
    ),
    ("up, no changes", lambda e, i: e.up(f"app{i}", app_props(i)), None, "-"),
    ("refresh", lambda e, i: e.refresh(f"app{i}"), Counter({f"GET {ONE}": 1}), "1 GET"),
    (
        "update (webhook_secret rotated)",
        lambda e, i: e.up(f"app{i}", app_props(i, webhook_secret=ROTATED.format(i))),
        # The self-check proves the webhook secret, so a new one is checked (issue 5's rule).
        Counter({f"PATCH {ONE}": 1, WEBHOOK: 1}),
        "1 PATCH + validation",
    ),
    (
        "update (client_secret rotated)",
        lambda e, i: e.up(
            f"app{i}",
            app_props(i, webhook_secret=ROTATED.format(i), client_secret=ROTATED_CLIENT.format(i)),
        ),
        Counter({f"PATCH {ONE}": 1}),
        "1 PATCH",
    ),
    (
        "update, validate_webhook=false",
        lambda e, i: e.up(
            f"app{i}",
            app_props(
                i,
                webhook_secret=ROTATED_AGAIN.format(i),
                client_secret=ROTATED_CLIENT.format(i),
                validate_webhook=False,
            ),
        ),
        Counter({f"PATCH {ONE}": 1}),
        "1 PATCH",
    ),
    (
        "delete (destroy)",
        lambda e, i: e.destroy(f"app{i}"),
        Counter({f"DELETE {ONE}": 1}),
        "1 DELETE",
    ),
]


def run() -> Table:
    """Benchmark 2 as a table."""
    table = Table(
        f"2. HTTP requests per lifecycle step (engine call sequences, real host, {APPS} apps)",
        ["step", "requests", "per app", "goal per app", "verdict", "requests per app, by kind"],
    )
    with EmulatorServer() as emu:
        host = ProviderHost(host_config(emu.url))
        try:
            engine = Engine(host)
            for label, step, goal, goal_text in STEPS:
                emu.app.clear_requests()
                for i in range(APPS):
                    step(engine, i)
                seen = kinds(emu.app.requests)
                total = sum(seen.values())
                ok = "-" if goal is None else _verdict(seen, goal)
                table.add(label, total, f"{total / APPS:g}", goal_text, ok, describe(seen, APPS))
            left = len(emu.backend.apps())
        finally:
            host.close()
    table.notes.append(
        "validation = the provider's webhook self-check: a signed POST to the app's Zoom webhook "
        "URL, sent without the API key (see benchmark 5: Recall does not rate-limit it); it "
        "runs after a create and after a webhook-secret change: no other update can change its "
        "result"
    )
    table.notes.append(f"apps left in the emulator after destroy: {left}")
    return table


def _verdict(seen: Counter[str], goal: Counter[str]) -> str:
    want = Counter({kind: count * APPS for kind, count in goal.items()})
    if seen == want:
        return verdict(True)
    # Name the one excess the provider has by design, so it is not mistaken for a stray call.
    if seen - want == Counter({WEBHOOK: APPS}) and not want - seen:
        return "MISSED (+validation)"
    return verdict(False)
