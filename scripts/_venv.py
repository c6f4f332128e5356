"""The project-local virtualenv shared by the test and dev commands (standard library only)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".recall-zoom-install"


def run(
    *cmd: str | Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    aside: bool = False,
) -> int:
    """Run a command in the project root, echoing it; exit with its code when it fails.
    ``aside``: everything it prints goes to stderr (a command's stdout may be its result)."""
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr if aside else sys.stdout, flush=True)
    out = sys.stderr if aside else None
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env, stdout=out)  # noqa: S603 - our tools
    if check and code != 0:
        sys.exit(code)
    return code


def run_module(module: str, args: list[str]) -> NoReturn:
    """Run ``python -m module args`` in the project's virtualenv, made first when missing: the
    way README's commands run on a fresh clone, activated virtualenv or not."""
    ensure_env()
    cmd = [str(PY), "-m", module, *args]
    if os.name == "posix":
        # The module becomes this process: signals, the exit code and the pid are its own.
        os.execv(PY, cmd)  # noqa: S606 - our venv's python
    try:
        sys.exit(subprocess.call(cmd))  # noqa: S603 - our venv's python
    except KeyboardInterrupt:
        sys.exit(130)


def _has_pip() -> bool:
    probe = [str(PY), "-m", "pip", "--version"]
    return subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0  # noqa: S603 - our venv


def _add_pip() -> bool:
    add = [str(PY), "-m", "ensurepip", "--upgrade"]
    return subprocess.call(add, stdout=sys.stderr) == 0  # noqa: S603 - our venv


def ensure_env() -> None:
    """Create ./.venv when missing and install the project when pyproject.toml changed; what
    that prints goes to stderr."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this may be run by any python3
        sys.exit(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.exists() and STAMP.read_text().strip() == want
    # Before installing into a venv made without pip (by uv, or an earlier failed creation):
    # add pip, else rebuild it. A venv that is up to date is not probed at all.
    if PY.exists() and not installed and not _has_pip() and not _add_pip():
        print(f"{VENV} has no pip and cannot get one: making it again", file=sys.stderr)
        shutil.rmtree(VENV)
    if not PY.exists():
        print(f"creating virtualenv {VENV}", file=sys.stderr, flush=True)
        try:
            venv.EnvBuilder(with_pip=False).create(VENV)
            if not _add_pip():
                raise OSError("ensurepip failed")
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"could not create {VENV} with pip ({exc}); on Debian or Ubuntu install "
                "python3-venv (e.g. `sudo apt install python3.11-venv`) and run this again"
            )
    if not installed:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip", aside=True)
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]", aside=True)
        STAMP.write_text(want + "\n")
