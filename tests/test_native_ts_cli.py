"""The native ``recall`` plugin from a TypeScript program, through the real Pulumi CLI: with the
Node.js SDK Pulumi's code generator makes from the schema, laid out and installed as
``pulumi package add`` does (generated into the project's ``sdks/recall``, its version the
schema's, a ``file:`` dependency that ``npm install`` links and whose postinstall script
compiles it), against the emulator.

The CLI built here has no Node.js language host (the Go module proxy does not serve it), so the
program, compiled by ``tsc``, runs in tests/language_server.js (see tests/real_cli.py); the
native plugin runs as the CLI starts it, from ``plugins.providers``. One ``npm install`` per
module, from the npm registry into a cache of the test run's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

from recall_provider.emulator import EmulatorServer
from recall_provider.native.schema import RESOURCE
from tests.native_programs import (
    PLUGINS,
    ProjectStack,
    configure_stack,
    lives_through_preview_drift_rotation_and_destroy,
    made_by_first_up,
)
from tests.real_cli import REQUIRE_ENV, ROOT, Sandbox, find_sdkgen

pytestmark = [pytest.mark.cli, pytest.mark.timeout(900)]

SCHEMA = ROOT / "provider" / "schema.json"
API_KEY = "ts-api-key-0001"
CLIENT_SECRET = "ts-client-secret-0001"
WEBHOOK_SECRET = "ts-webhook-secret-0001"
ROTATED = "ts-client-secret-0002"

PROGRAM = """
    import * as pulumi from "@pulumi/pulumi";
    import * as recall from "@recall-zoom/recall";

    const cfg = new pulumi.Config();
    const app = new recall.ZoomOAuthApp("app", {
        clientId: "zoomClientTs",
        clientSecret: cfg.requireSecret("clientSecret"),
        webhookSecret: cfg.requireSecret("webhookSecret"),
    });

    export const id = app.id;
    export const webhookUrl = app.webhookUrl;
"""
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "outDir": "bin",
        "target": "es2020",
        "module": "commonjs",
        "moduleResolution": "node",
        "sourceMap": True,
        "skipLibCheck": True,
    },
    "files": ["index.ts"],
}


def not_here(message: str) -> NoReturn:
    """Skip, or fail where CI built the CLI (and so has every tool the end-to-end tests need)."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{message} ({REQUIRE_ENV} is set)")
    pytest.skip(message)


def npm_unreachable(printed: str) -> bool:
    """Whether npm failed for want of the registry (the network's words only)."""
    return any(
        sign in printed
        for sign in ("npm error network", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED",
                     "ENETUNREACH", "ETIMEDOUT", "ECONNRESET")
    )  # fmt: skip


@pytest.fixture(scope="module")
def ts_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TypeScript project using the generated SDK, installed and compiled (``bin/index.js``)."""
    sdkgen = find_sdkgen()
    if sdkgen is None:
        not_here("no pulumi-sdkgen: `make pulumi-cli` builds it beside the CLI")
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        not_here("no node and npm on PATH: the TypeScript program needs them")
    project = tmp_path_factory.mktemp("typescript") / "recall-ts"
    sdk = project / "sdks" / "recall"
    done = subprocess.run(
        [str(sdkgen), str(SCHEMA), "nodejs", str(sdk)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # The generator leaves "${VERSION}" for a release to fill; `pulumi package add` generates
    # with the schema's version instead (the version the SDK's resources ask the engine for).
    manifest = json.loads((sdk / "package.json").read_text())
    assert manifest["name"] == "@recall-zoom/recall"
    manifest["version"] = json.loads(SCHEMA.read_text())["version"]
    (sdk / "package.json").write_text(json.dumps(manifest, indent=4) + "\n")

    package = {
        "name": "recall-ts",
        "version": "0.0.0",
        "private": True,
        "main": "bin/index.js",
        "dependencies": {
            # The version of the Python SDK the suite pins: its CLI is the one built here.
            "@pulumi/pulumi": version("pulumi"),
            # As `pulumi package add` links it (`npm pkg set`): npm makes it a link to the
            # folder and installs its dependencies deduplicated against the project's, so
            # program, SDK and language server share one @pulumi/pulumi.
            "@recall-zoom/recall": "file:sdks/recall",
        },
        "devDependencies": {"typescript": "^5.0.0", "@types/node": "^20.0.0"},
    }
    (project / "package.json").write_text(json.dumps(package, indent=4) + "\n")
    (project / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=4) + "\n")
    (project / "index.ts").write_text(textwrap.dedent(PROGRAM).lstrip())
    settings = {
        "name": "recall-ts",
        "runtime": "nodejs",
        "plugins": PLUGINS,
    }
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))

    # npm's cache of the test run's own, never the user's.
    env = {
        **os.environ,
        "npm_config_cache": str(tmp_path_factory.mktemp("npm-cache")),
        "npm_config_update_notifier": "false",
    }
    install = subprocess.run(
        [str(npm), "install", "--no-audit", "--no-fund"],
        cwd=project, capture_output=True, text=True, check=False, timeout=600, env=env,
    )  # fmt: skip
    if install.returncode != 0 and npm_unreachable(install.stdout + install.stderr):
        not_here(f"the npm registry cannot be reached: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stdout + install.stderr
    # The SDK's postinstall script compiled it (with the TypeScript it depends on) and copied
    # its package.json beside the JavaScript, where it reads its version.
    assert (sdk / "bin" / "index.js").is_file(), "npm ran no postinstall of the SDK: not built"
    assert (sdk / "bin" / "package.json").is_file()
    linked = project / "node_modules" / "@recall-zoom" / "recall"
    assert linked.resolve() == sdk.resolve(), "the SDK is linked, not copied"
    assert not (sdk / "node_modules" / "@pulumi").exists(), "one @pulumi/pulumi, deduplicated"

    build = subprocess.run(
        [str(project / "node_modules" / ".bin" / "tsc")],
        cwd=project, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "bin" / "index.js").is_file()
    return project


TsStack = ProjectStack
"""The TypeScript project, one stack, driven with the real CLI."""


@pytest.fixture
def stack(sandbox: Sandbox, ts_project: Path, fresh_emulator: EmulatorServer) -> Iterator[TsStack]:
    sandbox.node_program_dir = ts_project
    made = TsStack(sandbox, ts_project)
    try:
        configure_stack(
            sandbox, ts_project, fresh_emulator, api_key=API_KEY,
            secrets=(CLIENT_SECRET, WEBHOOK_SECRET),
        )  # fmt: skip
        yield made
    finally:
        # The project is the module's; its stack (in this test's backend) and config are not.
        (ts_project / "Pulumi.dev.yaml").unlink(missing_ok=True)


def test_a_typescript_program_lives_through_up_preview_drift_rotation_and_destroy(
    stack: TsStack, fresh_emulator: EmulatorServer
) -> None:
    made = made_by_first_up(stack, fresh_emulator, secrets=(CLIENT_SECRET, WEBHOOK_SECRET, API_KEY))
    assert made["client_id"] == "zoomClientTs"
    state = json.loads(stack.export())
    (resource,) = [r for r in state["deployment"]["resources"] if r["type"] == RESOURCE]
    assert resource["id"] == made["id"]

    # A second run of the program (a new CLI command, the same attached server) changes nothing.
    lives_through_preview_drift_rotation_and_destroy(
        stack, fresh_emulator, made["id"], webhook_secret=WEBHOOK_SECRET, rotated=ROTATED
    )
