#!/usr/bin/env python3
"""The local Recall emulator on a fresh clone: ensure the project venv, then
``python -m recall_provider.emulator`` with the same arguments.

Usage: python3 scripts/emulator.py --port 8111 [--state FILE] [--help]
"""

from __future__ import annotations

import sys

from _venv import run_module

if __name__ == "__main__":
    run_module("recall_provider.emulator", sys.argv[1:])
