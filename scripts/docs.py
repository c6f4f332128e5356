#!/usr/bin/env python3
"""The docs' generated tables, written again from the declarations they describe.

Usage: python3 scripts/docs.py [--check]

Each table sits in a doc between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``; this
command writes every one of them again from the code (the provider settings, the resource's
inputs and outputs, the error codes: ``scripts/doc_tables.py``). ``--check`` writes nothing and
exits 1 naming the stale docs; ``tests/test_docs.py`` runs the same comparison. Runs in the
project's virtualenv (made first when missing), as the other scripts do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _venv import PY, VENV, ensure_env

if __name__ == "__main__":
    if "-h" in sys.argv[1:] or "--help" in sys.argv[1:]:
        print(__doc__.strip())
        sys.exit(0)
    if Path(sys.prefix).resolve() != VENV.resolve():
        # The tables are made by importing the package: run in the project's virtualenv.
        ensure_env()
        argv = [str(PY), __file__, *sys.argv[1:]]
        if os.name == "posix":
            os.execv(PY, argv)  # noqa: S606 - our venv's python
        sys.exit(subprocess.call(argv))  # noqa: S603 - our venv's python
    from doc_tables import main

    sys.exit(main(sys.argv[1:]))
