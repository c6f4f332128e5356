"""Shared fixtures: a fresh emulator per test, and loopback traffic that bypasses any proxy."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from recall_provider.emulator import Backend, EmulatorServer

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture(scope="session", autouse=True)
def _loopback_bypasses_proxies() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("NO_PROXY", "no_proxy"):
            hosts = [os.environ.get(name, ""), "127.0.0.1", "localhost"]
            patch.setenv(name, ",".join(host for host in hosts if host))
        yield


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A started emulator with a fresh in-memory backend (page size 10)."""
    with EmulatorServer(Backend(page_size=10)) as server:
        yield server


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators on custom backends: ``factory(backend)`` or ``factory(**backend_kwargs)``."""
    servers: list[EmulatorServer] = []

    def start(backend: Backend | None = None, **backend_kwargs: Any) -> EmulatorServer:
        server = EmulatorServer(backend if backend is not None else Backend(**backend_kwargs))
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()
