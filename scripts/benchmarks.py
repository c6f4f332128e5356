#!/usr/bin/env python3
"""The benchmark command on a fresh machine: ensure the project venv, then ``python -m bench``.

Usage: python3 scripts/benchmarks.py [--quick] [--scale S] [--only N,...]
"""

from __future__ import annotations

import sys

from _venv import PY, ensure_env, launch


def main() -> None:
    ensure_env()
    # The benchmark becomes this process: Ctrl-C and SIGTERM reach it, and it removes its
    # temporary folders and exits 130 with one line, no wrapper's traceback after it.
    launch([str(PY), "-m", "bench", *sys.argv[1:]])


if __name__ == "__main__":
    main()
