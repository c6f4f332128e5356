#!/usr/bin/env python3
"""The manifest, logs and health commands on a fresh clone: ensure the project venv, then
``python -m recall_provider.cli`` with the same arguments.

Usage: python3 scripts/cli.py manifest|logs|health ... [--help]
"""

from __future__ import annotations

import sys

from _venv import run_module

if __name__ == "__main__":
    run_module("recall_provider.cli", sys.argv[1:])
