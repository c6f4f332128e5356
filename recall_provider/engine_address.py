"""The Pulumi engine's address, which the CLI gives every provider it starts as its last argument
(pulumi/pulumi ``sdk/go/common/resource/plugin/provider_plugin.go``, newPlugin's
``[]string{host.ServerAddr()}``): one per running command, the same for all its providers."""

from __future__ import annotations

import re
import socket

__all__ = ["command_name", "engine_address", "engine_listens"]

_ADDRESS = re.compile(r"^(?P<host>[\w.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine's ``host:port`` from a provider's command line, if it has one."""
    match = _ADDRESS.match(argv[-1]) if len(argv) > 1 else None
    if match is None:
        return None
    return match["host"].strip("[]"), int(match["port"])


def engine_listens(argv: list[str]) -> bool:
    """Whether the engine named by ``argv`` still listens; yes when none is named (it cannot
    be told). A provider outlives its engine when the CLI is killed (it starts providers in
    process groups of their own): a create then ends with nobody to record its answer."""
    address = engine_address(argv)
    if address is None:
        return True
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def command_name(argv: list[str]) -> str | None:
    """The name of the command a provider serves: its engine's address."""
    address = engine_address(argv)
    return None if address is None else f"{address[0]}:{address[1]}"
