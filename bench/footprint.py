"""Benchmark 4: bytes of the pickled provider the engine stores per resource.

The engine stores the base64 string twice per resource (inputs and outputs); the goal is judged
on both copies together.

``serialize_provider`` (the SDK's own) is measured on a fresh provider, after ``configure()``
and after it has done real work (client, sessions and pacing buckets live); then the string
stored in state is read back from a real Create through the host.
"""

from __future__ import annotations

import base64

from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from bench.common import API_KEY, app_props, host_config
from bench.report import Table, verdict
from recall_provider.emulator import EmulatorServer
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.host_harness import PROVIDER_KEY, ProviderHost, ResourceState

GOAL = 200


def run() -> Table:
    """Benchmark 4 as a table."""
    table = Table(
        "4. State footprint of the pickled provider, per resource",
        [
            "provider",
            "pickle B",
            "base64 B, one copy",
            "B per resource (both copies)",
            "goal (per resource)",
            "verdict",
            "holds API key",
        ],
    )
    with EmulatorServer() as emu:
        provider = RecallZoomOAuthAppProvider()
        blobs = [("fresh", serialize_provider(provider))]
        provider.configure(ConfigureRequest(Config(host_config(emu.url), "recall-zoom")))
        blobs.append(("after configure()", serialize_provider(provider)))
        checked = provider.check({}, app_props(0)).inputs
        created = provider.create(checked)
        provider.read(created.id, created.outs or {})
        blobs.append(("after configure() + create + read", serialize_provider(provider)))
        host = ProviderHost(host_config(emu.url))
        try:
            # The engine's Check and Create with the program's own pickle (the test engine's
            # per-command marker would add bytes no real state holds).
            inputs, failures = host.check("footprint", {}, app_props(1))
            assert not failures, failures
            app_id, outputs = host.create("footprint", inputs)
            state = ResourceState(app_id, inputs, outputs)
        finally:
            host.close()
    # A resource holds the string twice, in its inputs and in its outputs; for the blobs not
    # read back from state, both copies are this one.
    totals = [2 * len(stored) for _, stored in blobs]
    blobs.append(("in state after a real Create", state.outputs[PROVIDER_KEY]))
    totals.append(len(state.inputs[PROVIDER_KEY]) + len(state.outputs[PROVIDER_KEY]))
    for (label, stored), both in zip(blobs, totals, strict=True):
        raw = base64.b64decode(stored)
        table.add(
            label,
            len(raw),
            len(stored),
            both,
            f"< {GOAL} B",
            verdict(both < GOAL),
            "yes" if API_KEY.encode() in raw else "no",
        )
    same = state.inputs[PROVIDER_KEY] == state.outputs[PROVIDER_KEY]
    table.notes.append(
        "the engine keeps the string in both the resource's inputs and its outputs "
        f"({'the same' if same else 'DIFFERENT'} string in the real Create); a resource holds "
        "both copies, so the goal is judged on their sum (the first three rows: twice one copy; "
        "the last: inputs + outputs as read back from the host)"
    )
    table.notes.append(f"pickle: {base64.b64decode(blobs[-1][1])!r}")
    return table
