#!/usr/bin/env python3
"""The benchmark command on a fresh machine: ensure the project venv, then ``python -m bench``.

Usage: python3 scripts/benchmarks.py [--quick] [--scale S] [--only N,...]
"""

from __future__ import annotations

import sys

from _venv import PY, ensure_env, run


def main() -> None:
    ensure_env()
    run(PY, "-m", "bench", *sys.argv[1:])


if __name__ == "__main__":
    main()
