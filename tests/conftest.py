"""Shared fixtures: a fresh emulator per test, loopback traffic that bypasses any proxy, and
one provider host per host-test module (configured with that module's ``API_KEY``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from recall_provider.emulator import Backend, EmulatorServer
from tests.host_harness import Engine, ProviderHost

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


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator for a host-test module: the host outlives single tests."""
    with EmulatorServer() as s:
        yield s


@pytest.fixture(scope="module")
def host(server: EmulatorServer, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    """The real ``python -m pulumi.dynamic`` host, configured with the module's ``API_KEY``."""
    # A short request timeout keeps the waits after ambiguous creates short.
    h = ProviderHost(
        {
            "recall:apiKey": request.module.API_KEY,
            "recall:apiUrl": server.url,
            "recall:requestTimeout": "1",
        }
    )
    yield h
    h.close()


@pytest.fixture
def emu(server: EmulatorServer) -> EmulatorServer:
    """The module's emulator, emptied, answering secrets in plain, with no faults and an empty
    request log."""
    server.backend.reset()
    server.backend.secrets_in_responses = "plain"
    server.app.clear_faults()
    server.app.clear_requests()
    return server


@pytest.fixture
def engine(host: ProviderHost, emu: EmulatorServer) -> Engine:
    """A fresh engine (empty state) over the module's host."""
    return Engine(host)
