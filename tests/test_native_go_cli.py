"""The native ``recall`` plugin from a Go program, through the real Pulumi CLI, against the
emulator: ``tests/go_program`` with the Go SDK Pulumi's code generator makes from the schema.

The CLI built here has no Go language host (the Go module proxy refuses pulumi-language-go), so
the build (``scripts/pulumi_cli.py``) compiles the program into ``pulumi-go-program``, which
serves the CLI's attach itself as the Go SDK's Automation API serves its inline programs. What
that leaves untested is the host's own part: building the program from source at each run,
and finding the plugins a program needs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_provider.emulator import EmulatorServer
from tests.native_programs import PLUGINS, app_writes, configure_stack
from tests.real_cli import REQUIRE_ENV, Result, Sandbox

pytestmark = [pytest.mark.cli, pytest.mark.timeout(600)]

API_KEY = "go-api-key-0001"
CLIENT_SECRET = "go-client-secret-0001"
WEBHOOK_SECRET = "go-webhook-secret-0001"


@pytest.fixture
def project(sandbox: Sandbox, fresh_emulator: EmulatorServer, tmp_path: Path) -> Path:
    program = sandbox.cli.bin_dir / "pulumi-go-program"
    if not program.is_file():
        message = "no pulumi-go-program: `make pulumi-cli` builds it beside the CLI"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    sandbox.go_program = program
    folder = tmp_path / "go"
    folder.mkdir()
    settings = {
        "name": "recall-go",
        "runtime": "go",
        "plugins": PLUGINS,
    }
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    configure_stack(
        sandbox, folder, fresh_emulator, api_key=API_KEY, secrets=(CLIENT_SECRET, WEBHOOK_SECRET)
    )
    return folder


def run(box: Sandbox, folder: Path, *args: str, check: bool = True) -> Result:
    return box.run(*args, "--non-interactive", cwd=folder, check=check)


def test_a_go_program_lives_through_up_preview_drift_rotation_and_destroy(
    sandbox: Sandbox, project: Path, fresh_emulator: EmulatorServer
) -> None:
    run(sandbox, project, "up", "--yes")
    (made,) = fresh_emulator.backend.apps()
    assert made["client_id"] == "zoomClientGo"
    outputs: dict[str, Any] = run(sandbox, project, "stack", "output", "--json").json()
    assert outputs["id"] == made["id"]
    assert outputs["webhookUrl"].endswith(f"/api/v2/zoom-oauth-apps/{made['id']}/webhook")
    state = run(sandbox, project, "stack", "export").stdout
    for secret in (CLIENT_SECRET, WEBHOOK_SECRET, API_KEY):
        assert secret not in state, "every secret is encrypted in the state"

    fresh_emulator.app.clear_requests()
    run(sandbox, project, "preview", "--expect-no-changes")
    assert fresh_emulator.app.count() == 0, "a no-op preview sends nothing to Recall"

    fresh_emulator.backend.update_app(made["id"], {"webhook_secret": "changed-by-hand-0001"})
    gate = run(sandbox, project, "preview", "--refresh", "--expect-no-changes", check=False)
    assert gate.code != 0, gate.output
    run(sandbox, project, "up", "--yes", "--refresh")
    assert fresh_emulator.backend.apps()[0]["webhook_secret"] == WEBHOOK_SECRET

    fresh_emulator.app.clear_requests()
    run(sandbox, project, "config", "set", "--secret", "clientSecret", "go-client-secret-0002")
    run(sandbox, project, "up", "--yes")
    assert app_writes(fresh_emulator) == [("PATCH", made["id"])]
    assert "go-client-secret-0002" not in run(sandbox, project, "stack", "export").stdout

    run(sandbox, project, "destroy", "--yes")
    assert fresh_emulator.backend.apps() == []
