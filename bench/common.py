"""What the benchmarks share: the workspace key, app inputs, host config and request kinds,
and the temporary folder of a run's own that keeps everything it writes off the user's."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recall_provider.client import urls
from recall_provider.client.pacing import CACHE_DIR_ENV
from recall_provider.core.journal import STATE_DIR_ENV
from recall_provider.emulator import RequestRecord
from tests.host_harness import program_props
from tests.real_cli import PULUMI_HOME_ENV

API_KEY = "bench-api-key-0123456789abcdef"
APPS_PATH = urls.APPS_PATH
# High enough that the provider's client-side pacing never sleeps: pacing is a deliberate
# throttle, measured by the rate-limit benchmark, not per-call overhead.
UNPACED = 1_000_000

_ONE_APP = re.compile(f"^{re.escape(APPS_PATH)}[^/]+/")

RUN_FOLDER_PREFIX = "bench-run-"
"""The name of a run's temporary folder begins so (``kept_apart``)."""
# What a run's processes would otherwise write into the user's folders: the provider's pacing
# windows (its cache folder) and create records and claims (its state folder), and the Pulumi
# CLI's home (`pulumi version` alone writes a log there). Each gets a folder of the run's own.
_USERS_PLACES = {CACHE_DIR_ENV: "cache", STATE_DIR_ENV: "state", PULUMI_HOME_ENV: "pulumi-home"}


def bypass_proxies_for_loopback() -> None:
    """Make loopback traffic (ours and the host's, which inherits the env) skip any proxy."""
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [os.environ.get(name, ""), "127.0.0.1", "localhost"]
        os.environ[name] = ",".join(host for host in hosts if host)


@contextmanager
def kept_apart() -> Iterator[Path]:
    """Point the provider's cache and state folders and the Pulumi CLI's home, for this process
    and every process it starts, at a temporary folder of the run's own; put the environment
    back and remove the folder at the end, however the run ends."""
    saved = {name: os.environ.get(name) for name in _USERS_PLACES}
    with tempfile.TemporaryDirectory(
        prefix=RUN_FOLDER_PREFIX, ignore_cleanup_errors=True
    ) as directory:
        try:
            for name, folder in _USERS_PLACES.items():
                os.environ[name] = str(Path(directory, folder))
            yield Path(directory)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


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
