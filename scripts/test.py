#!/usr/bin/env python3
"""The project's one test command: venv, install, lint, type-check, test.

Usage: python3 scripts/test.py [pytest arguments...]

Needs only Python 3.11+. Creates ./.venv when missing, (re)installs the project with its dev
extras when pyproject.toml changed since the last install, then runs ruff (format and lint),
mypy, import-linter (the layer rules) and pytest. Any extra arguments go to pytest.
"""

from __future__ import annotations

import sys

from _venv import BIN, PY, ensure_env, run


def main() -> None:
    ensure_env()
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "mypy", "recall_provider", "tests", "bench", "scripts", "__main__.py")
    run(BIN / "lint-imports")
    run(PY, "-m", "pytest", *sys.argv[1:])


if __name__ == "__main__":
    main()
