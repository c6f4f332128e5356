#!/usr/bin/env python3
"""The local Recall emulator on a fresh clone: ensure the project venv, then run it there (what
`python -m recall_provider.emulator` and `recall-zoom emulator` run) with the same
arguments. `--help` creates and installs nothing.

Usage: python3 scripts/emulator.py --port 8111 [--state FILE] [--help]
"""

from __future__ import annotations

import sys

from _venv import run_entry

if __name__ == "__main__":
    run_entry("recall_provider.emulator.__main__:main", sys.argv[1:], __doc__ or "")
