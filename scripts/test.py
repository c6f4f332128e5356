#!/usr/bin/env python3
"""The project's one test command: venv, install, lint, type-check, test.

Usage: python3 scripts/test.py [pytest arguments...]

Needs only Python 3.11+. Creates ./.venv when missing, (re)installs the project with its dev
extras when pyproject.toml changed since the last install, builds or reuses the Pulumi CLI the
end-to-end tests run (scripts/pulumi_cli.py, where Go is on PATH), then runs ruff (format and
lint), mypy, import-linter (the layer rules) and pytest. Any extra arguments go to pytest. The
tests run in parallel, one worker per CPU up to four (pytest-xdist); `-n 0` runs them in this
process, as `--pdb` needs. Where the CLI was built (or CI=true), a test that needs it and does
not find it fails instead of skipping. `--help` (or `-h`) prints this and makes, installs and
runs nothing: pytest's own options are `.venv/bin/python -m pytest --help`.
"""

from __future__ import annotations

import os
import shutil
import sys

from _venv import BIN, PY, ROOT, asks_for_help, ensure_env, run

sys.path.insert(0, str(ROOT))
from tests.real_cli import REQUIRE_ENV

MAX_WORKERS = 4


def pytest_args(given: list[str]) -> list[str]:
    """The pytest arguments: quiet and in parallel unless ``given`` says otherwise."""
    chosen = any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in given)
    parallel = (
        [] if chosen or "--pdb" in given else ["-n", str(min(MAX_WORKERS, os.cpu_count() or 1))]
    )
    verbose = any(a in ("-v", "-vv", "--verbose") for a in given)
    return [*parallel, *([] if verbose else ["-q"]), *given]


def pulumi_cli_env() -> dict[str, str]:
    """Build or reuse the tests' Pulumi CLI; the environment pytest then runs with."""
    env = dict(os.environ)
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if ci:
        # CI has Go (and builds the CLI below): a test that needs the CLI must run there.
        env[REQUIRE_ENV] = "1"
    if shutil.which("go") is None:
        print(
            "no `go` on PATH: the tests that run the Pulumi CLI use one on PATH, or skip",
            flush=True,
        )
        return env
    code = run(PY, str(ROOT / "scripts" / "pulumi_cli.py"), "build", check=False)
    if code == 0:
        # A test that needs the CLI now fails rather than skips when it does not find it.
        env[REQUIRE_ENV] = "1"
    elif ci:
        sys.exit(f"CI: the Pulumi CLI for the tests could not be built (exit {code})")
    return env


def main() -> None:
    if asks_for_help(sys.argv[1:]):
        print((__doc__ or "").strip())
        return
    ensure_env()
    env = pulumi_cli_env()
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "mypy", "recall_provider", "tests", "bench", "scripts", "__main__.py")
    # Apart: a second __main__ module in the same run would clash with the first.
    run(PY, "-m", "mypy", "examples/own-program/__main__.py")
    run(PY, "-m", "mypy", "provider/__main__.py")
    run(BIN / "lint-imports", "--no-logo")
    run(PY, "-m", "pytest", *pytest_args(sys.argv[1:]), env=env)


if __name__ == "__main__":
    main()
