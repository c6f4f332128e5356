#!/usr/bin/env python3
"""The project's one test command: venv, install, lint, type-check, test.

Usage: python3 scripts/test.py [pytest arguments...]

Needs only Python 3.11+. Creates ./.venv when missing, (re)installs the project with its dev
extras when pyproject.toml changed since the last install, then runs ruff (format and lint),
mypy, import-linter (the layer rules) and pytest. Any extra arguments go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".recall-zoom-install"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)  # noqa: S603 - our own tools
    if code != 0:
        sys.exit(code)


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by any python3
        sys.exit(f"Python 3.11+ is needed, this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtualenv {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != want:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(want + "\n")


def main() -> None:
    ensure_env()
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "mypy", "recall_provider", "tests", "scripts")
    run(BIN / "lint-imports")
    run(PY, "-m", "pytest", *sys.argv[1:])


if __name__ == "__main__":
    main()
