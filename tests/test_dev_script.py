"""The dev command (scripts/dev.py): its emulator lifecycle, and its message without the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.host_harness import ROOT

DEV = [sys.executable, str(ROOT / "scripts" / "dev.py")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_the_cli_it_stops_with_one_line_saying_how_to_install_it() -> None:
    result = subprocess.run(
        [*DEV, "up"],
        env={**os.environ, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Pulumi CLI is not on PATH" in lines[0]
    assert "pulumi.com" in lines[0]
    assert result.stdout == "", "it stops before doing anything"


def test_emulator_start_is_idempotent_and_keeps_state_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "RECALL_EMULATOR_PORT": str(port), "RECALL_EMULATOR_DIR": str(tmp_path)}
    url = f"http://127.0.0.1:{port}"

    def dev(command: str) -> str:
        run = subprocess.run([*DEV, command], env=env, check=True, timeout=120,
                             capture_output=True, text=True)  # fmt: skip
        return run.stdout

    try:
        assert f"Recall emulator running on {url}" in dev("emulator-start")
        pid = (tmp_path / "emulator.pid").read_text()
        # Already running: reused, not started twice, and it says so.
        assert f"Recall emulator already running on {url}" in dev("emulator-start")
        assert (tmp_path / "emulator.pid").read_text() == pid
        created = requests.post(
            f"{url}/api/v2/zoom-oauth-apps/",
            json={"kind": "user_level", "client_id": "c", "client_secret": "s",
                  "webhook_secret": "w"},
            headers={"Authorization": "Token dev"},
            timeout=5,
        ).json()  # fmt: skip
        dev("emulator-stop")
        dev("emulator-start")
        again = requests.get(
            f"{url}/api/v2/zoom-oauth-apps/{created['id']}/",
            headers={"Authorization": "Token dev"},
            timeout=5,
        )
        assert again.status_code == 200
    finally:
        dev("emulator-stop")
    assert not (tmp_path / "emulator.pid").exists()


def _closes(port: int) -> bool:
    for _ in range(50):
        try:
            requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
        except requests.ConnectionError:
            return True
        time.sleep(0.1)
    return False


def test_down_without_the_cli_still_stops_the_emulator(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "RECALL_EMULATOR_PORT": str(port), "RECALL_EMULATOR_DIR": str(tmp_path)}
    subprocess.run([*DEV, "emulator-start"], env=env, check=True, timeout=120,
                   capture_output=True)  # fmt: skip
    try:
        down = subprocess.run([*DEV, "down"], env={**env, "PATH": ""}, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert down.returncode == 1
        assert "Recall emulator stopped" in down.stdout
        assert "Pulumi CLI is not on PATH" in down.stderr
        assert "the dev stack was not destroyed" in down.stderr
        assert not (tmp_path / "emulator.pid").exists()
        assert _closes(port), "SIGTERM was sent: the port closes as the process ends"
    finally:
        subprocess.run([*DEV, "emulator-stop"], env=env, timeout=60, capture_output=True,
                       check=False)  # fmt: skip
