#!/usr/bin/env python3
"""The benchmark command on a fresh machine: ensure the project venv, then ``python -m bench``.
``--help`` creates and installs nothing.

Usage: python3 scripts/benchmarks.py [--quick] [--scale S] [--only N,...]
"""

from __future__ import annotations

import sys

from _venv import run_module

if __name__ == "__main__":
    # The benchmark becomes this process: Ctrl-C and SIGTERM reach it, and it removes its
    # temporary folders and exits 130 with one line, no wrapper's traceback after it.
    run_module("bench", sys.argv[1:], __doc__ or "")
