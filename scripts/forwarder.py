#!/usr/bin/env python3
"""The webhook forwarder on a fresh clone: ensure the project venv, then run it there (what
`python -m recall_provider.forwarder` and `recall-zoom forwarder` run) with the same
arguments. `--help` creates and installs nothing.

Usage: python3 scripts/forwarder.py --port 8080 --target WEBHOOK_URL [--help]
"""

from __future__ import annotations

import sys

from _venv import run_entry

if __name__ == "__main__":
    run_entry("recall_provider.forwarder.command:main", sys.argv[1:], __doc__ or "")
