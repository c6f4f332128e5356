"""Run this repository's ``__main__.py`` as the language host would, against the SDK's mock
monitor (``tests.mock_program``), with Pulumi.yaml's config defaults as the CLI passes them.

``run_program`` returns what the program registered and the stack's outputs; the mocks decide
what each resource answers (``ProgramMocks`` answers like the provider without any HTTP).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from tests import mock_program
from tests.host_harness import ROOT
from tests.mock_program import APP_TYPE, BASE, ProgramMocks, Run

__all__ = ["APP_TYPE", "BASE", "ProgramMocks", "Run", "run_program"]

# The keys a user sets with --secret: recall-zoom:apps too, which holds Zoom secrets.
SECRET_SUFFIXES = (":apiKey", ":clientSecret", ":webhookSecret", ":apps")


def run_program(
    config: dict[str, Any],
    secret_keys: tuple[str, ...] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    root_directory: Path | None = None,
) -> Run:
    """Run ``__main__.py`` as the language host would, against the mock monitor.

    ``config`` is the stack's, over Pulumi.yaml's defaults. ``secret_keys`` are the keys set
    with ``--secret``; by default every key a user must set that way (the API key and the Zoom
    secrets). ``root_directory`` is where the CLI would say Pulumi.yaml is; by default an empty
    directory, so that no stack file of this checkout is read.
    """
    if secret_keys is None:
        secret_keys = tuple(k for k in config if k.endswith(SECRET_SUFFIXES))
    return mock_program.run_program(
        ROOT,
        config,
        list(secret_keys),
        mocks=mocks or ProgramMocks(),
        root_directory=root_directory,
    )
