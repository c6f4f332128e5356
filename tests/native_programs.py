"""What the real-CLI tests of the native plugin's programs (YAML, Python, TypeScript, Go) share:
where the CLI finds the plugin, a stack configured against the emulator, and the requests that
changed an app."""

from __future__ import annotations

import sys
from pathlib import Path

from recall_provider.emulator import EmulatorServer
from tests.real_cli import Sandbox

__all__ = ["PLUGINS", "PLUGIN_DIR", "app_writes", "configure_stack"]

PLUGIN_DIR = Path(sys.executable).parent
"""Where ``pulumi-resource-recall`` is: beside the tests' interpreter, as ``pip install`` puts
it."""
PLUGINS = {"providers": [{"name": "recall", "path": str(PLUGIN_DIR)}]}
"""A project's ``plugins``: the CLI runs the plugin from there, no language host in between."""


def configure_stack(
    box: Sandbox, project: Path, emulator: EmulatorServer, *, api_key: str, secrets: tuple[str, str]
) -> None:
    """A new stack ``dev`` of ``project`` against ``emulator``, the Zoom app's client secret and
    webhook secret (in that order) in its secret config ``clientSecret`` and ``webhookSecret``."""
    client_secret, webhook_secret = secrets
    for args in (
        ("stack", "init", "dev"),
        ("config", "set", "recall:apiUrl", emulator.url),
        ("config", "set", "--secret", "recall:apiKey", api_key),
        ("config", "set", "--secret", "clientSecret", client_secret),
        ("config", "set", "--secret", "webhookSecret", webhook_secret),
    ):
        box.run(*args, "--non-interactive", cwd=project)


def app_writes(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """Every request that changed an app, in order: (method, app id, or the collection's path)."""
    return [
        (r.method, r.path.split("/")[-2] if r.path.endswith("/") else r.path)
        for r in emulator.app.requests
        if r.method in ("POST", "PATCH", "DELETE") and "/webhook" not in r.path
    ]
