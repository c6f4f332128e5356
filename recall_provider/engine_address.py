"""The Pulumi engine's address, which the CLI gives every provider it starts as its last argument
(pulumi/pulumi ``sdk/go/common/resource/plugin/provider_plugin.go``, newPlugin's
``[]string{host.ServerAddr()}``): one per running command, the same for all its providers."""

from __future__ import annotations

import re
import socket
import threading
import time

__all__ = ["EngineWatch", "command_name", "engine_address"]

_ADDRESS = re.compile(r"^(?P<host>[\w.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine's ``host:port`` from a provider's command line, if it has one."""
    match = _ADDRESS.match(argv[-1]) if len(argv) > 1 else None
    if match is None:
        return None
    return match["host"].strip("[]"), int(match["port"])


def _listens(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


class EngineWatch:
    """Whether the engine named by a provider's ``argv`` still listens, for many threads at
    once. A provider outlives its engine when the CLI is killed (it starts providers in process
    groups of their own): a create then ends with nobody to record its answer. Each caller is
    answered by a look that began after it asked (its own or another caller's), so creates that
    end together cost one connection to the engine, not one each."""

    def __init__(self, argv: list[str]) -> None:
        self._address = engine_address(argv)
        self._lock = threading.Lock()
        self._began = float("-inf")
        self._listens = True

    def __call__(self) -> bool:
        """Whether the engine still listens (yes when none is named)."""
        if self._address is None:
            return True
        asked = time.monotonic()
        with self._lock:
            # A look that began before this caller asked may predate the engine's end.
            if self._began < asked:
                self._began = time.monotonic()
                self._listens = _listens(self._address)
            return self._listens


def command_name(argv: list[str]) -> str | None:
    """The name of the command a provider serves: its engine's address."""
    address = engine_address(argv)
    return None if address is None else f"{address[0]}:{address[1]}"
