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

import pytest
import yaml

from recall_provider.emulator import EmulatorServer
from tests.native_programs import (
    PLUGINS,
    ProjectStack,
    configure_stack,
    lives_through_preview_drift_rotation_and_destroy,
    made_by_first_up,
)
from tests.real_cli import REQUIRE_ENV, Sandbox

pytestmark = [pytest.mark.cli, pytest.mark.timeout(600)]

API_KEY = "go-api-key-0001"
CLIENT_SECRET = "go-client-secret-0001"
WEBHOOK_SECRET = "go-webhook-secret-0001"
ROTATED = "go-client-secret-0002"


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


def test_a_go_program_lives_through_up_preview_drift_rotation_and_destroy(
    sandbox: Sandbox, project: Path, fresh_emulator: EmulatorServer
) -> None:
    stack = ProjectStack(sandbox, project)
    made = made_by_first_up(stack, fresh_emulator, secrets=(CLIENT_SECRET, WEBHOOK_SECRET, API_KEY))
    assert made["client_id"] == "zoomClientGo"

    lives_through_preview_drift_rotation_and_destroy(
        stack, fresh_emulator, made["id"], webhook_secret=WEBHOOK_SECRET, rotated=ROTATED
    )
