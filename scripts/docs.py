#!/usr/bin/env python3
"""The docs' generated tables, written again from the declarations they describe.

Usage: python3 scripts/docs.py [--check]

Each table sits in a doc between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``; this
command writes every one of them again from the code (the provider settings, the resource's
inputs and outputs, the error codes, the program's config keys: ``scripts/doc_tables.py``).
``--check`` writes nothing and exits 1 naming the stale docs; ``tests/test_docs.py`` runs the
same comparison. Exit status: 0 all well, 1 a finding (``--check``: a stale table), 2 could not
run. Runs in the project's virtualenv (made first when missing), as the other scripts do;
``--help`` makes and installs nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _venv import PY, VENV, asks_for_help, ensure_env, launch

if __name__ == "__main__":
    if asks_for_help(sys.argv[1:]):
        print(__doc__.strip())
        sys.exit(0)
    if Path(sys.prefix).resolve() != VENV.resolve():
        # The tables are made by importing the package: run again in the project's virtualenv.
        ensure_env()
        launch([str(PY), __file__, *sys.argv[1:]])
    from doc_tables import main

    sys.exit(main(sys.argv[1:]))
