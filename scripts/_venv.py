"""The project-local virtualenv shared by the test and dev commands (standard library only)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".recall-zoom-install"


def run(*cmd: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    """Run a command in the project root, echoing it; exit with its code when it fails."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)  # noqa: S603 - our tools
    if check and code != 0:
        sys.exit(code)
    return code


def _has_pip() -> bool:
    probe = [str(PY), "-m", "pip", "--version"]
    return subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0  # noqa: S603 - our venv


def _add_pip() -> bool:
    return subprocess.call([str(PY), "-m", "ensurepip", "--upgrade"]) == 0  # noqa: S603 - our venv


def ensure_env() -> None:
    """Create ./.venv when missing and install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this may be run by any python3
        sys.exit(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.exists() and STAMP.read_text().strip() == want
    # Before installing into a venv made without pip (by uv, or an earlier failed creation):
    # add pip, else rebuild it. A venv that is up to date is not probed at all.
    if PY.exists() and not installed and not _has_pip() and not _add_pip():
        print(f"{VENV} has no pip and cannot get one: making it again", flush=True)
        shutil.rmtree(VENV)
    if not PY.exists():
        print(f"creating virtualenv {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"could not create {VENV} with pip ({exc}); on Debian or Ubuntu install "
                "python3-venv (e.g. `sudo apt install python3.11-venv`) and run this again"
            )
    if not installed:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(want + "\n")
