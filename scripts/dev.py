#!/usr/bin/env python3
"""The local dev stack in one command: emulator, file backend, `pulumi up` of `dev`.

Usage: python3 scripts/dev.py [up | down | drift | outputs | manifest | logs | health
                              | emulator-start | emulator-stop]      (default: up)

Needs Python 3.11+ and the Pulumi CLI. Everything stays in the project (all ignored by git):
the virtualenv in .venv, the emulator's state and log in .emulator/, and the stack's state in
.pulumi/ (a local file backend, secrets encrypted with a fixed, public dev passphrase), so no
account or login is needed. Running `up` twice changes nothing the second time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _venv import PY, ROOT, ensure_env, run

STACK = "dev"
PORT = int(os.environ.get("RECALL_EMULATOR_PORT", "18111"))
EMULATOR_DIR = Path(os.environ.get("RECALL_EMULATOR_DIR", ROOT / ".emulator"))
PID_FILE = EMULATOR_DIR / "emulator.pid"
LOG_FILE = EMULATOR_DIR / "emulator.log"
STATE_FILE = EMULATOR_DIR / "state.json"
BACKEND_DIR = ROOT / ".pulumi"
# Not a secret: it only guards the placeholder credentials of the local stack.
DEV_PASSPHRASE = "recall-zoom-local-dev"  # noqa: S105 - public on purpose
INSTALL_HINT = (
    "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/,"
    " e.g. `curl -fsSL https://get.pulumi.com | sh`), then run this again"
)


def pulumi_cli() -> str:
    cli = shutil.which("pulumi")
    if cli is None:
        sys.exit(INSTALL_HINT)
    return cli


def emulator_url() -> str:
    return f"http://127.0.0.1:{PORT}"


def emulator_healthy() -> bool:
    try:
        with urllib.request.urlopen(f"{emulator_url()}/_emulator/health", timeout=1) as resp:  # noqa: S310 - loopback
            return bool(resp.status == 200)
    except OSError:
        return False


def start_emulator() -> None:
    if emulator_healthy():
        print(f"Recall emulator already running on {emulator_url()}", flush=True)
        return
    EMULATOR_DIR.mkdir(exist_ok=True)
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module
            [str(PY), "-m", "recall_provider.emulator", "--port", str(PORT),
             "--state", str(STATE_FILE)],
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,  # keeps running after this command returns
        )  # fmt: skip
    PID_FILE.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 15
    while not emulator_healthy():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()  # not left behind half started
            PID_FILE.unlink(missing_ok=True)
            sys.exit(f"the emulator did not start on port {PORT}; see {LOG_FILE}")
        time.sleep(0.1)
    print(f"Recall emulator running on {emulator_url()} (state {STATE_FILE})", flush=True)


def stop_emulator() -> None:
    if not PID_FILE.exists():
        running = " (one answers there, not started by this command)" if emulator_healthy() else ""
        print(f"no emulator of this project to stop on port {PORT}{running}", flush=True)
        return
    text = PID_FILE.read_text().strip()
    PID_FILE.unlink()
    pid = int(text) if text.isdigit() else 0
    cmdline = Path(f"/proc/{pid}/cmdline")
    # A stale pid may belong to another process by now: signal only our emulator.
    if pid <= 0 or (cmdline.exists() and b"recall_provider.emulator" not in cmdline.read_bytes()):
        print(f"no emulator of this project to stop ({PID_FILE.name} named none)", flush=True)
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print("the emulator had already stopped", flush=True)
        return
    # Until its port is free: a `make up` right after must not find it "already running".
    deadline = time.monotonic() + 10
    while emulator_healthy() and time.monotonic() < deadline:
        time.sleep(0.1)
    print("Recall emulator stopped", flush=True)


def pulumi_env() -> dict[str, str]:
    BACKEND_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["PULUMI_BACKEND_URL"] = BACKEND_DIR.as_uri()
    # Always the dev passphrase: one exported for another project would lock this state away.
    theirs = env.get("PULUMI_CONFIG_PASSPHRASE")
    if theirs and theirs != DEV_PASSPHRASE:
        print(
            "note: the dev stack uses its own passphrase, not PULUMI_CONFIG_PASSPHRASE; if an "
            "older dev stack was made with yours, remove .pulumi/ (its local state)",
            file=sys.stderr,
        )
    env["PULUMI_CONFIG_PASSPHRASE"] = DEV_PASSPHRASE
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    return env


def pulumi(*args: str, check: bool = True) -> int:
    return run(pulumi_cli(), *args, "--stack", STACK, "--non-interactive", env=pulumi_env(),
               check=check)  # fmt: skip


def cli(*args: str) -> None:
    run(PY, "-m", "recall_provider.cli", *args, env=pulumi_env())


def select_stack() -> None:
    run(pulumi_cli(), "stack", "select", "--create", STACK, "--non-interactive", env=pulumi_env())


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    if command in ("-h", "--help", "help"):
        print(__doc__)
        return
    if command in ("emulator-start", "emulator-stop"):
        ensure_env()
        start_emulator() if command == "emulator-start" else stop_emulator()
        return
    if command not in ("up", "down", "drift", "outputs", "manifest", "logs", "health"):
        sys.exit(__doc__)
    if command == "down" and shutil.which("pulumi") is None:
        # The stack cannot be destroyed without the CLI, but the emulator need not run on.
        stop_emulator()
        sys.exit(f"{INSTALL_HINT} (the dev stack was not destroyed)")
    pulumi_cli()  # before any slow step: one clear line when the CLI is missing
    ensure_env()
    start_emulator()
    select_stack()
    if command == "up":
        pulumi("up", "--yes")
        pulumi("stack", "output", "--json")
        print(
            "Once the Zoom app points at webhook_url (Validate pressed and saved), check it: "
            "make health",
            flush=True,
        )
    elif command == "outputs":
        pulumi("stack", "output", "--json")
    elif command == "drift":
        pulumi("preview", "--refresh", "--expect-no-changes")
    elif command == "manifest":
        cli("manifest", "--stack", STACK, "--output", "zoom-manifest.json")
    elif command == "logs":
        cli("logs", "--stack", STACK)
    elif command == "health":
        cli("health", "--stack", STACK)
    else:
        pulumi("destroy", "--yes")
        stop_emulator()


if __name__ == "__main__":
    main()
