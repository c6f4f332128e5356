"""``recall-zoom``, the console command installed with the package: the commands of
``python -m recall_provider.cli`` (``health``, ``logs``, ``manifest``), and the emulator and the
forwarder where their extras are installed, under one exit rule (``exit_status``).

    recall-zoom health --stack prod
    recall-zoom emulator --port 8111 --state .emulator/state.json
    recall-zoom forwarder --port 8080 --target WEBHOOK_URL   # ZOOM_WEBHOOK_SECRET exported
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from recall_provider import cli

__all__ = ["NAME", "SERVERS", "Server", "main"]

NAME = "recall-zoom"
"""The command's name, as pyproject.toml's [project.scripts] installs it."""


def _emulator(argv: list[str], prog: str) -> int | None:
    # Imported when asked for: health, logs and manifest do not pay for it.
    from recall_provider.emulator.__main__ import main  # noqa: PLC0415

    return main(argv, prog)


def _forwarder(argv: list[str], prog: str) -> int | None:
    from recall_provider.forwarder.command import main  # noqa: PLC0415

    main(argv, prog)
    return None


@dataclass(frozen=True)
class Server:
    """A subcommand that serves until stopped: its own command, whose parser reads its
    arguments, and which says itself what to install when its extra is missing."""

    help: str
    run: Callable[[list[str], str], int | None]


SERVERS: dict[str, Server] = {
    "emulator": Server("serve the local Recall emulator (needs the emulator extra)", _emulator),
    "forwarder": Server(
        "forward Zoom's webhooks to an app's Recall webhook URL (needs the forwarder extra)",
        _forwarder,
    ),
}
"""The subcommands that serve, by name."""


def main(argv: list[str] | None = None) -> None:
    """``recall-zoom COMMAND ...``: exit 0 all well, 1 a finding, 2 the command could not run."""
    parser = cli.build_parser(NAME, {name: server.help for name, server in SERVERS.items()})
    args, rest = cli.parse(parser, argv, SERVERS)
    server = SERVERS.get(args.command)
    if server is not None:
        sys.exit(server.run(rest, f"{NAME} {args.command}"))
    cli.run(args)
