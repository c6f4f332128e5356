"""Benchmark 3: cold start of the provider host, bare against with this provider.

Two views, each the median over fresh processes, baseline and provider runs alternating:

- imports only: ``python -c`` running exactly the import statements of the host's
  ``pulumi/dynamic/__main__.py`` (read from the installed SDK), against the same plus
  ``import recall_provider.provider``, which is what unpickling the provider triggers;
- the real host: from spawning ``python -m pulumi.dynamic`` to its answer to the first Check
  (handshake and Configure included), for a do-nothing provider against this one. The first
  Check is where the host unpickles the provider, so that is when the import cost lands.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import pulumi.dynamic
from pulumi.dynamic.dynamic import serialize_provider

from bench.common import app_props, host_config
from bench.null_provider import NullProvider
from bench.report import Table, median, ms, p90, ratio
from tests.host_harness import PROVIDER_KEY, ROOT, ProviderHost

PROVIDER_MODULE = "recall_provider.provider"
# Check never calls Recall, so the URL is never dialled.
UNUSED_URL = "http://127.0.0.1:9"
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def host_imports() -> str:
    """The import statements of the installed host's ``__main__`` module, as source."""
    source = Path(pulumi.dynamic.__file__).with_name("__main__.py").read_text()
    nodes = ast.parse(source).body
    return "\n".join(ast.unparse(n) for n in nodes if isinstance(n, ast.Import | ast.ImportFrom))


def _python(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - started


def _first_check(props: dict[str, object]) -> tuple[float, float]:
    started = time.perf_counter()
    host = ProviderHost(host_config(UNUSED_URL))
    try:
        ready = time.perf_counter() - started
        _, failures = host.check("coldstart", {}, props)
        if failures:
            raise RuntimeError(f"Check refused the cold-start inputs: {failures}")
        return ready, time.perf_counter() - started
    finally:
        host.close()


def import_breakdown(base: str) -> list[tuple[str, float]]:
    """Top-level packages the provider's import adds to the host's, with -X importtime's
    cumulative seconds, biggest first (the provider module itself included)."""
    code = f"{base}\nimport sys\nsys.stderr.write('--provider--\\n')\nimport {PROVIDER_MODULE}"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stderr.split("--provider--\n", 1)[1].splitlines()
    found: list[tuple[str, float]] = []
    for line in lines:
        match = _IMPORTTIME.match(line)
        if match and (match[4] == PROVIDER_MODULE or "." not in match[4]):
            found.append((match[4], int(match[2]) / 1e6))
    return sorted(found, key=lambda item: -item[1])


def run(samples: int) -> Table:
    """Benchmark 3 as a table."""
    base = host_imports()
    with_provider = f"{base}\nimport {PROVIDER_MODULE}"
    recall_props = app_props(0)
    null_props = {**recall_props, PROVIDER_KEY: serialize_provider(NullProvider())}
    bare_py, base_imports, provider_imports = [], [], []
    null_ready, null_check, recall_ready, recall_check = [], [], [], []
    for i in range(samples):
        # Alternate which goes first, so neither always meets the warmer page cache.
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            if which == 0:
                bare_py.append(_python("pass"))
                base_imports.append(_python(base))
                ready, check = _first_check(null_props)
                null_ready.append(ready)
                null_check.append(check)
            else:
                provider_imports.append(_python(with_provider))
                ready, check = _first_check(recall_props)
                recall_ready.append(ready)
                recall_check.append(check)
    table = Table(
        f"3. Provider host cold start (median of {samples} fresh processes each)",
        [
            "measure",
            "baseline med ms",
            "baseline p90 ms",
            "provider med ms",
            "provider p90 ms",
            "added ms",
            "ratio",
        ],
    )
    rows = [
        ("imports: host's vs host's + provider", base_imports, provider_imports),
        ("real host: spawn -> Configure done", null_ready, recall_ready),
        ("real host: spawn -> first Check answered", null_check, recall_check),
    ]
    for label, baseline, provider in rows:
        table.add(
            label,
            ms(median(baseline)),
            ms(p90(baseline)),
            ms(median(provider)),
            ms(p90(provider)),
            ms(median(provider) - median(baseline)),
            ratio(median(provider) / median(baseline)),
        )
    table.notes.append(f"bare interpreter (python -c pass): {ms(median(bare_py))} ms median")
    table.notes.append("real-host baseline: a do-nothing dynamic provider (bench/null_provider.py)")
    top = ", ".join(f"{name} {ms(seconds)}" for name, seconds in import_breakdown(base)[:5])
    table.notes.append(f"what the provider import adds (-X importtime, cumulative ms): {top}")
    table.notes.append("no formal goal")
    return table
