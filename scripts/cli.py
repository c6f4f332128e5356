#!/usr/bin/env python3
"""The manifest, logs and health commands on a fresh clone: ensure the project venv, then run
them there (what `python -m recall_provider.cli` and `recall-zoom` run) with the same
arguments. `--help` creates and installs nothing.

Usage: python3 scripts/cli.py manifest|logs|health ... [--help]
"""

from __future__ import annotations

import sys

from _venv import run_entry

if __name__ == "__main__":
    run_entry("recall_provider.cli:main", sys.argv[1:], __doc__ or "")
