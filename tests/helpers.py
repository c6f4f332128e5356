"""What many test modules share: the API's paths (as literals and as log patterns), the type of
the emulator factory fixture, an app made by hand, a stand-in for the Pulumi CLI, and a clock
that moves when told."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from recall_provider.emulator import EmulatorServer
from recall_provider.settings import ENVIRONMENT

APPS_PATH = "/api/v2/zoom-oauth-apps/"
"""The apps collection: create (POST) and list (GET)."""
LOGS_PATH = "/api/v2/zoom-oauth-app-logs/"
"""The app logs collection."""
APPS = r"^/api/v2/zoom-oauth-apps/$"
"""Pattern of the collection's path in the emulator's request log."""
ONE_APP = r"^/api/v2/zoom-oauth-apps/[^/]+/$"
"""Pattern of one app's path: retrieve, update, delete."""
WEBHOOK = r"^/api/v2/zoom-oauth-apps/[^/]+/webhook$"
"""Pattern of one app's Zoom webhook path."""

EmulatorFactory = Callable[..., EmulatorServer]
"""Starts an emulator: ``factory(backend)`` or ``factory(**backend_kwargs)``."""


def unreachable(printed: str) -> bool:
    """Whether pip failed for want of the package index (the network's words only: a
    dependency that does not resolve is a failure)."""
    return any(
        sign in printed
        for sign in ("Failed to establish a new connection", "Temporary failure in name",
                     "Could not fetch URL", "Network is unreachable")
    )  # fmt: skip


def make_app(emulator: EmulatorServer, **fields: str) -> dict[str, Any]:
    """An app made outside Pulumi (by curl or the dashboard), as Recall stores it."""
    body = {
        "kind": "user_level",
        "client_id": "zoomClientByHand",
        "client_secret": "client-secret-by-hand",
        "webhook_secret": "webhook-secret-by-hand",
        **fields,
    }
    return emulator.backend.create_app(body)


class Clock:
    """A monotonic clock that moves only when a test moves it or somebody sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Sleep without waiting: the clock jumps ``seconds`` ahead."""
        with self._lock:
            self.now += max(0.0, seconds)


def fake_pulumi(
    tmp_path: Path,
    outputs: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, str] | None = None,
) -> None:
    """A stand-in answering `pulumi stack output --json` and `pulumi config get KEY` in the
    CLI's documented formats (an unset key: exit 255, "... not found for stack ...")."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    lines = ["#!/bin/sh", 'if [ "$1 $2" = "stack output" ]; then']
    lines.append(f"  printf '%s\\n' '{json.dumps(outputs)}'; exit 0")
    lines.append("fi")
    for key, value in (config or {}).items():
        lines.append(f'if [ "$1 $2 $3" = "config get {key}" ]; then echo \'{value}\'; exit 0; fi')
    lines.append('if [ "$1 $2" = "config get" ]; then')
    lines.append("  echo \"error: configuration key '$3' not found for stack '$5'\" >&2; exit 255")
    lines.append("fi")
    lines.append("echo 'not configured' >&2; exit 1")
    # Shell builtins only: PATH holds nothing but this directory.
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))


def without_settings() -> dict[str, str]:
    """This process's environment without the provider's settings (``RECALL_API_KEY``, ...):
    what a command started by a test is to find unset, so the test sets what it means to. The
    test run's own state and cache folders (``RECALL_ZOOM_*``) stay: the command writes there,
    never into the user's."""
    return {k: v for k, v in os.environ.items() if k not in ENVIRONMENT.values()}


SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(name: str, module_name: str | None = None) -> ModuleType:
    """``scripts/<name>.py`` as a module, imported as the script runs (its folder first on the
    path, for ``_venv``), registered under ``module_name`` (its dataclasses look it up)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(module_name or name, SCRIPTS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
