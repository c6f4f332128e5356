"""recall-zoom as a library in a Pulumi program of one's own: the example program, and the
library installed alone into a fresh virtualenv (the client and the provider, none of the
extras), the example run there under mocks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests import mock_program
from tests.host_harness import ROOT
from tests.program_harness import APP_TYPE, ProgramMocks

EXAMPLE = ROOT / "examples" / "own-program"
CONFIG = {
    "my-zoom-app:clientId": "zoomClientOwnProgram",
    "my-zoom-app:clientSecret": "own-program-client-secret",
    "my-zoom-app:webhookSecret": "own-program-webhook-secret",
    "recall:apiKey": "own-program-api-key",
}
SECRETS = ["my-zoom-app:clientSecret", "my-zoom-app:webhookSecret", "recall:apiKey"]
# What only this repository's program, the emulator or the forwarder need.
EXTRAS_ONLY = {"werkzeug", "waitress"}


def test_the_example_program_makes_one_app_and_exports_the_contracts_outputs() -> None:
    run = mock_program.run_program(EXAMPLE, CONFIG, SECRETS, mocks=ProgramMocks())
    (app,) = run.resources(APP_TYPE)
    inputs = run.inputs(app)
    assert inputs["client_id"] == "zoomClientOwnProgram"
    assert inputs["kind"] == "user_level"
    assert set(run.outputs) == {"zoom_oauth_app_id", "webhook_url"}
    assert run.outputs["webhook_url"].endswith(f"/{run.outputs['zoom_oauth_app_id']}/webhook")
    assert "own-program-client-secret" not in run.raw_outputs


def test_the_example_needs_only_the_library() -> None:
    lines = (EXAMPLE / "requirements.txt").read_text().splitlines()
    wanted = [line for line in lines if line.strip() and not line.startswith("#")]
    assert wanted == ["../.."], "this checkout, without extras"
    assert (EXAMPLE.joinpath(wanted[0]).resolve() / "pyproject.toml").exists()


def test_the_library_installs_without_the_extras(library_venv: Path) -> None:
    listed = subprocess.run(
        [str(library_venv), "-m", "pip", "list", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    names = {entry["name"].lower() for entry in json.loads(listed.stdout)}
    assert "recall-zoom" in names
    assert names.isdisjoint(EXTRAS_ONLY), names & EXTRAS_ONLY


def test_the_installed_library_is_typed_and_is_the_installed_one(library_venv: Path) -> None:
    probe = (
        "import pathlib, recall_provider, recall_provider.provider, recall_provider.client; "
        "root = pathlib.Path(recall_provider.__file__).parent; "
        "print(root); print((root / 'py.typed').exists())"
    )
    shown = subprocess.run(
        [str(library_venv), "-I", "-c", probe],
        capture_output=True, text=True, timeout=120, check=True, cwd=library_venv.parent,
    )  # fmt: skip
    where, typed = shown.stdout.split()
    assert "site-packages" in where, "not this checkout's source"
    assert typed == "True", "py.typed ships, so users' mypy sees the types"


def test_the_example_program_runs_on_the_installed_library(library_venv: Path) -> None:
    # The runner is a script (its folder, tests/, first on the path): recall_provider is the
    # installed one. The config is what the CLI would pass (the example declares no defaults).
    result = subprocess.run(
        [str(library_venv), str(ROOT / "tests" / "mock_program.py"), str(EXAMPLE),
         "my-zoom-app", json.dumps(CONFIG), *SECRETS],
        capture_output=True, text=True, timeout=300, check=False, cwd=library_venv.parent,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    (app,) = [r for r in run["resources"] if r["type"] == APP_TYPE]
    assert {"kind", "client_id", "client_secret", "webhook_secret"} <= set(app["inputs"])
    assert run["outputs"] == ["webhook_url", "zoom_oauth_app_id"]


def test_the_program_harness_passes_pulumi_yamls_defaults_as_the_cli_does(
    tmp_path: Path,
) -> None:
    # A default that Pulumi.yaml declares reaches the program though the stack sets nothing.
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: my-zoom-app\nruntime: python\nconfig:\n  kind:\n    type: string\n"
        "    default: account_level\n"
    )
    (project / "__main__.py").write_text((EXAMPLE / "__main__.py").read_text())
    run = mock_program.run_program(project, CONFIG, SECRETS, mocks=ProgramMocks())
    (app,) = run.resources(APP_TYPE)
    assert run.inputs(app)["kind"] == "account_level"
