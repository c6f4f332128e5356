#!/usr/bin/env python3
"""The webhook forwarder on a fresh clone: ensure the project venv, then
``python -m recall_provider.forwarder`` with the same arguments.

Usage: python3 scripts/forwarder.py --port 8080 --target WEBHOOK_URL [--help]
"""

from __future__ import annotations

import sys

from _venv import run_module

if __name__ == "__main__":
    run_module("recall_provider.forwarder", sys.argv[1:])
