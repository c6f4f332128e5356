"""What the benchmarks share: the workspace key, app inputs, host config and request kinds."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from recall_provider.client import urls
from recall_provider.emulator import RequestRecord
from tests.host_harness import program_props

API_KEY = "bench-api-key-0123456789abcdef"
APPS_PATH = urls.APPS_PATH
# High enough that the provider's client-side pacing never sleeps: pacing is a deliberate
# throttle, measured by the rate-limit benchmark, not per-call overhead.
UNPACED = 1_000_000

_ONE_APP = re.compile(f"^{re.escape(APPS_PATH)}[^/]+/")


def bypass_proxies_for_loopback() -> None:
    """Make loopback traffic (ours and the host's, which inherits the env) skip any proxy."""
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [os.environ.get(name, ""), "127.0.0.1", "localhost"]
        os.environ[name] = ",".join(host for host in hosts if host)


def app_inputs(index: int) -> dict[str, str]:
    """The inputs of app number ``index``, by the core's (snake_case) names: its own Zoom
    client id, so that no two apps of a command claim the same Zoom app."""
    return {
        "kind": "user_level",
        "client_id": f"zoomBenchClient{index:04d}",
        "client_secret": f"bench-client-secret-{index:04d}",
        "webhook_secret": f"bench-webhook-secret-{index:04d}",
    }


def app_props(index: int, **overrides: Any) -> dict[str, Any]:
    """The program's inputs of app number ``index`` (pickled provider included)."""
    return program_props(**app_inputs(index) | overrides)


def process_cpu(pid: int) -> float | None:
    """Seconds of CPU process ``pid`` has used so far (user + system, every thread's), from
    Linux's /proc; None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # The fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return None


def host_config(url: str, requests_per_minute: int = UNPACED) -> dict[str, Any]:
    """Stack config for a provider host talking to the emulator at ``url``."""
    return {
        "recall:apiKey": API_KEY,
        "recall:apiUrl": url,
        "recall:requestsPerMinute": str(requests_per_minute),
    }


def request_kind(record: RequestRecord) -> str:
    """``METHOD path`` with the app id replaced by ``{id}``."""
    return f"{record.method} {_ONE_APP.sub(APPS_PATH + '{id}/', record.path)}"


def kinds(records: Iterable[RequestRecord]) -> Counter[str]:
    """How many requests of each kind."""
    return Counter(request_kind(record) for record in records)


def describe(counts: Counter[str], per: int = 1) -> str:
    """``2x POST /apps/ + ...``, counts divided by ``per`` (apps), in a stable order."""
    if not counts:
        return "(none)"
    parts = []
    for kind, count in sorted(counts.items(), key=lambda item: (item[0].split()[1], item[0])):
        share = count / per
        text = f"{share:g}x " if share != 1 else ""
        parts.append(text + kind.replace(APPS_PATH, "/apps/"))
    return " + ".join(parts)
