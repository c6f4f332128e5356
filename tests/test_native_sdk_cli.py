"""The native ``recall`` plugin from a Python program, through the real Pulumi CLI: with the SDK
Pulumi's code generator makes from the schema (``pulumi-sdkgen``, as ``pulumi package add``
would through the Python language host), and the move of a stack from the dynamic resource to
the native one, with no app deleted or made in Recall.

Python programs run in tests/language_server.py (the CLI built here has no Python host: see
tests/real_cli.py); the native plugin runs as the CLI starts it, from ``plugins.providers``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from recall_provider.emulator import EmulatorServer
from recall_provider.native.schema import RESOURCE
from tests.docs_reader import Anchor, doc_commands
from tests.helpers import unreachable
from tests.native_programs import PLUGINS, ProjectStack, app_writes, configure_stack
from tests.real_cli import REQUIRE_ENV, ROOT, Sandbox, find_sdkgen
from tests.test_cli_e2e import as_written

pytestmark = [pytest.mark.cli, pytest.mark.timeout(600)]

WALKED: tuple[Anchor, ...] = (("docs/guides/dynamic-to-native.md", "3. Preview, then update:"),)
"""Where the docs' block of `pulumi` lines for the move is: the move below runs it."""
API_KEY = "sdk-api-key-0001"
CLIENT_SECRET = "sdk-client-secret-0001"
WEBHOOK_SECRET = "sdk-webhook-secret-0001"

DYNAMIC_PROGRAM = """
    import pulumi
    from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs

    cfg = pulumi.Config()
    app = RecallZoomOAuthApp("zoom", RecallZoomOAuthAppArgs(
        client_id="zoomClientMove",
        client_secret=cfg.require_secret("clientSecret"),
        webhook_secret=cfg.require_secret("webhookSecret"),
    ))
    pulumi.export("id", app.id)
    pulumi.export("url", app.webhook_url)
"""
NATIVE_PROGRAM = """
    import pulumi
    import pulumi_recall as recall

    cfg = pulumi.Config()
    app = recall.ZoomOAuthApp(
        "zoom",
        client_id="zoomClientMove",
        client_secret=cfg.require_secret("clientSecret"),
        webhook_secret=cfg.require_secret("webhookSecret"),
    )
    pulumi.export("id", app.id)
    pulumi.export("url", app.webhook_url)
"""


@pytest.fixture(scope="module")
def python_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``pulumi_recall`` installed, generated from provider/schema.json."""
    sdkgen = find_sdkgen()
    if sdkgen is None:
        message = "no pulumi-sdkgen: `make pulumi-cli` builds it beside the CLI"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("python-sdk")
    done = subprocess.run(
        [str(sdkgen), str(ROOT / "provider" / "schema.json"), "python", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "pulumi_recall" / "__init__.py").is_file()
    # Installed, as `pulumi package add` links it into a program (the SDK reads its version
    # from its package metadata), into a folder of its own: no environment is touched.
    site = tmp_path_factory.mktemp("python-sdk-site")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--target", str(site), str(out)],
        capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, "PIP_CACHE_DIR": str(tmp_path_factory.mktemp("pip-cache"))},
    )  # fmt: skip
    if install.returncode != 0 and unreachable(install.stderr):
        pytest.skip(f"the package index cannot be reached: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr
    return site


class PythonStack(ProjectStack):
    """A Python project of its own, one stack, driven with the real CLI."""

    def write(self, program: str) -> None:
        (self.project / "__main__.py").write_text(textwrap.dedent(program))


@pytest.fixture
def stack(
    sandbox: Sandbox, python_sdk: Path, fresh_emulator: EmulatorServer, tmp_path: Path
) -> PythonStack:
    project = tmp_path / "python"
    project.mkdir()
    settings = {
        "name": "recall-sdk",
        "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
        "plugins": PLUGINS,
    }
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    sandbox.python_path.append(python_sdk)
    made = PythonStack(sandbox, project)
    configure_stack(
        sandbox, project, fresh_emulator, api_key=API_KEY, secrets=(CLIENT_SECRET, WEBHOOK_SECRET)
    )
    return made


def test_a_python_program_with_the_generated_sdk(
    stack: PythonStack, fresh_emulator: EmulatorServer
) -> None:
    stack.write(NATIVE_PROGRAM)
    stack.pulumi("up", "--yes")
    (made,) = fresh_emulator.backend.apps()
    assert stack.outputs()["id"] == made["id"]
    assert stack.outputs()["url"].endswith(f"/{made['id']}/webhook")
    state = stack.pulumi("stack", "export").stdout
    assert CLIENT_SECRET not in state
    assert WEBHOOK_SECRET not in state
    stack.pulumi("preview", "--expect-no-changes")
    stack.pulumi("destroy", "--yes")
    assert fresh_emulator.backend.apps() == []


def test_a_stack_moves_from_the_dynamic_resource_to_the_native_one_keeping_its_app(
    stack: PythonStack, fresh_emulator: EmulatorServer
) -> None:
    stack.write(DYNAMIC_PROGRAM)
    stack.pulumi("up", "--yes")
    (made,) = fresh_emulator.backend.apps()
    before = stack.outputs()

    # The move: the generated class names the dynamic type as its alias (the schema says so),
    # so the engine takes the recorded resource for the new one: one update, nothing replaced.
    fresh_emulator.app.clear_requests()
    stack.write(NATIVE_PROGRAM)
    preview_line, up_line = doc_commands(*WALKED[0])
    preview = as_written(stack.box, stack.project, preview_line, {})
    assert "replace" not in preview.stdout.lower()
    assert "~ 1 to update" in preview.stdout or "1 to update" in preview.stdout, preview.stdout
    as_written(stack.box, stack.project, up_line, {})
    assert app_writes(fresh_emulator) == [], "no app made, changed or deleted in Recall"
    assert [a["id"] for a in fresh_emulator.backend.apps()] == [made["id"]]
    assert stack.outputs() == before, "the same id and webhook URL"
    state = stack.pulumi("stack", "export").json()
    (resource,) = [r for r in state["deployment"]["resources"] if r.get("id") == made["id"]]
    assert resource["type"] == RESOURCE
    assert "webhookUrl" in resource["outputs"], "the outputs are recorded the native way"
    stack.pulumi("preview", "--expect-no-changes")

    # And it is the native door's from now on: destroy deletes the app through it.
    stack.pulumi("destroy", "--yes")
    assert fresh_emulator.backend.apps() == []


def test_swapping_the_resources_without_the_alias_keeps_the_app_the_native_one_adopted(
    stack: PythonStack, fresh_emulator: EmulatorServer
) -> None:
    # The path the docs warn against: the dynamic resource removed and a native one of another
    # name adopting its app, in one `up`. The native create adopts the app in one provider
    # process; the engine then deletes the dynamic resource in another (its host): that delete
    # keeps the app, as the claim written down under the command's name says.
    stack.write(DYNAMIC_PROGRAM)
    stack.pulumi("up", "--yes")
    (made,) = fresh_emulator.backend.apps()
    adopting = NATIVE_PROGRAM.replace('"zoom",', f'"zoomNative", adopt_app_id="{made["id"]}",')
    stack.write(adopting)
    fresh_emulator.app.clear_requests()
    stack.pulumi("up", "--yes")
    assert [a["id"] for a in fresh_emulator.backend.apps()] == [made["id"]], "the app is kept"
    assert not [r for r in fresh_emulator.app.requests if r.method == "DELETE"]
    assert stack.outputs()["id"] == made["id"]
    # A later command's delete is the native resource's own: it deletes the app.
    stack.pulumi("destroy", "--yes")
    assert fresh_emulator.backend.apps() == []
