"""README's two commands from a fresh clone, through the real Pulumi CLI: `make up` twice (the
second changes nothing), `make outputs`, `make drift`, `make down` (no app left, the emulator
stopped), and the clone stays clean all along.

The dev stack's config names the emulator on 127.0.0.1:18111, so this test needs that port.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import unreachable
from tests.real_cli import REQUIRE_ENV, ROOT, Result, Sandbox

pytestmark = [pytest.mark.cli, pytest.mark.timeout(1200)]

DEV_URL = "http://127.0.0.1:18111"


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def fresh_clone(dest: Path) -> Path:
    """The files a clone of this checkout would have (tracked and new, never the ignored
    .venv, .pulumi or .emulator), committed, so that `git status` shows any file written."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    )  # fmt: skip
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clone"], cwd=dest, check=True)
    return dest


def printed_outputs(printed: str) -> Any:
    """The JSON that `pulumi stack output --json` printed among a make target's lines."""
    after = printed[printed.index("stack output --json") :]
    return json.JSONDecoder().raw_decode(after[after.index("\n") + 1 :])[0]


def stored_apps(clone: Path) -> list[dict[str, Any]]:
    apps: list[dict[str, Any]] = json.loads((clone / ".emulator" / "state.json").read_text())[
        "apps"
    ]
    return apps


def emulator(path: str) -> Any:
    with urllib.request.urlopen(f"{DEV_URL}{path}", timeout=5) as answer:
        return json.load(answer)


def test_make_up_twice_outputs_drift_down_from_a_fresh_clone(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    if port_taken(18111):
        message = "127.0.0.1:18111 is taken (a dev emulator of yours? `make emulator-stop`)"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    clone = fresh_clone(tmp_path / "clone")
    sandbox.python_path.append(clone)
    # dev.py brings its own backend and passphrase; the sandbox keeps ~/.pulumi untouched.
    env = {"PULUMI_BACKEND_URL": "", "PULUMI_CONFIG_PASSPHRASE": ""}

    def make(target: str) -> Result:
        return sandbox.command(["make", target], cwd=clone, env=env, timeout=900)

    try:
        first = sandbox.command(["make", "up"], cwd=clone, env=env, timeout=900, check=False)
        if first.code != 0 and unreachable(first.output):
            pytest.skip(f"the package index cannot be reached: {first.output.strip()[-300:]}")
        assert first.code == 0, first.output
        (app,) = stored_apps(clone)
        outputs = printed_outputs(first.stdout)
        assert outputs["zoom_oauth_app_id"] == app["id"]
        assert outputs["webhook_url"] == f"{DEV_URL}/api/v2/zoom-oauth-apps/{app['id']}/webhook"

        urllib.request.urlopen(
            urllib.request.Request(f"{DEV_URL}/_emulator/requests", method="DELETE"), timeout=5
        ).close()
        second = make("up")
        assert "5 unchanged" in second.stdout, second.stdout
        writes = [r for r in emulator("/_emulator/requests") if r["method"] != "GET"]
        assert writes == [], "the second up changes nothing"

        assert printed_outputs(make("outputs").stdout) == outputs
        assert make("drift").code == 0
        make("manifest")
        assert outputs["webhook_url"] in (clone / "zoom-manifest.json").read_text()
        assert make("logs").code == 0
        # Zoom never validated the dev app (only the self-check did): a finding, not a crash.
        health = sandbox.command(["make", "health"], cwd=clone, env=env, check=False)
        assert app["id"] in health.stdout, health.output
        assert "Traceback" not in health.output

        make("down")
        assert not port_taken(18111), "make down stops the emulator"
        assert stored_apps(clone) == []
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        assert status.stdout == "", "the clone stays clean"
    finally:
        if port_taken(18111):
            subprocess.run(["make", "emulator-stop"], cwd=clone, check=False)
