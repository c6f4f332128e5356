"""The exit status of every command, declared once: ``recall-zoom`` and each of its subcommands,
their ``python -m`` forms and the scripts, so that a script or CI reads them all alike.

A leaf: it imports nothing of the project, so the emulator may share it.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitStatus", "exit_statuses"]


class ExitStatus(IntEnum):
    """0 all well, 1 a finding, 2 the command could not run."""

    OK = 0
    """All well: every app ok, the output written, a server stopped cleanly."""
    FINDING = 1
    """The command ran and found something not well (an app that is not ok)."""
    CANNOT_RUN = 2
    """The command could not run: bad usage, a missing key or extra, Recall unreachable, a
    port in use. argparse's usage errors are this already."""


def exit_statuses(ok: str, cannot_run: str, finding: str | None = None) -> str:
    """The line of a command's help that says what its exit statuses mean, in their order."""
    said = [f"{ExitStatus.OK} {ok}"]
    if finding is not None:
        said.append(f"{ExitStatus.FINDING} {finding}")
    said.append(f"{ExitStatus.CANNOT_RUN} {cannot_run}")
    return f"exit status: {'; '.join(said)}"
