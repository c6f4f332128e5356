"""What the real-CLI tests of the native plugin's programs (YAML, Python, TypeScript, Go) share:
where the CLI finds the plugin, a project's stack driven with the CLI and configured against the
emulator, what every program lives through after its first ``up``, and the requests that
changed an app."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recall_provider.emulator import EmulatorServer
from tests.real_cli import Result, Sandbox

__all__ = [
    "PLUGINS",
    "PLUGIN_DIR",
    "ProjectStack",
    "app_writes",
    "configure_stack",
    "lives_through_preview_drift_rotation_and_destroy",
    "made_by_first_up",
]

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


@dataclass
class ProjectStack:
    """A project of its own, one stack, driven with the real CLI."""

    box: Sandbox
    project: Path

    def pulumi(self, *args: str, check: bool = True) -> Result:
        return self.box.run(*args, "--non-interactive", cwd=self.project, check=check)

    def export(self) -> str:
        return self.pulumi("stack", "export").stdout

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = self.pulumi("stack", "output", "--json").json()
        return found


def made_by_first_up(
    stack: ProjectStack,
    emulator: EmulatorServer,
    *,
    secrets: tuple[str, ...],
    url_output: str = "webhookUrl",
) -> dict[str, Any]:
    """A program's first ``up``: the one app it made, which its outputs ``id`` and
    ``url_output`` (the webhook URL) name, with none of ``secrets`` in the state."""
    stack.pulumi("up", "--yes")
    (made,) = emulator.backend.apps()
    outputs = stack.outputs()
    assert outputs["id"] == made["id"], "the program's exports are the stack's outputs"
    assert outputs[url_output].endswith(f"/api/v2/zoom-oauth-apps/{made['id']}/webhook")
    state = stack.export()
    for secret in secrets:
        assert secret not in state, "every secret is encrypted in the state"
    return made


def lives_through_preview_drift_rotation_and_destroy(
    stack: ProjectStack, emulator: EmulatorServer, app_id: str, *, webhook_secret: str, rotated: str
) -> None:
    """What a program with one app ``app_id`` (its output ``id``), made by its first ``up``,
    lives through: a no-op preview that sends Recall nothing, the drift gate seeing a webhook
    secret changed by hand and ``up`` restoring ``webhook_secret``, a client secret rotated to
    ``rotated`` in one PATCH of the same app and kept out of the state, and a destroy."""
    emulator.app.clear_requests()
    stack.pulumi("preview", "--expect-no-changes")
    assert emulator.app.count() == 0, "a no-op preview sends nothing to Recall"

    emulator.backend.update_app(app_id, {"webhook_secret": "changed-by-hand-0001"})
    gate = stack.pulumi("preview", "--refresh", "--expect-no-changes", check=False)
    assert gate.code != 0, gate.output
    stack.pulumi("up", "--yes", "--refresh")
    assert emulator.backend.apps()[0]["webhook_secret"] == webhook_secret

    emulator.app.clear_requests()
    stack.pulumi("config", "set", "--secret", "clientSecret", rotated)
    stack.pulumi("up", "--yes")
    assert app_writes(emulator) == [("PATCH", app_id)]
    assert emulator.backend.apps()[0]["client_secret"] == rotated
    assert stack.outputs()["id"] == app_id
    assert rotated not in stack.export()

    stack.pulumi("destroy", "--yes")
    assert emulator.backend.apps() == []
    assert stack.outputs() == {}
