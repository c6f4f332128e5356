"""Shared fixtures. Three emulators, by what a test needs:

- ``fresh_emulator``: its own emulator, started for this test alone;
- ``module_emulator``: one emulator per test module, never reset (the host outlives tests);
- ``host_emulator``: the module's emulator emptied for this test, which is what ``host`` (one
  real provider host per module, configured with the module's ``API_KEY``) and ``engine`` use.

``engine`` and ``start_door`` run a test once through each door of tests/doors.py (``door_name``:
the core in this process, the real dynamic provider host, the native plugin), unless it says
otherwise (``tests.doors.through``).

Loopback traffic bypasses any proxy.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import venv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from recall_provider.client.pacing import CACHE_DIR_ENV
from recall_provider.core.journal import STATE_DIR_ENV
from recall_provider.emulator import Backend, EmulatorServer
from tests.doors import DOORS, CoreDoor, Door, Engine
from tests.helpers import EmulatorFactory, unreachable
from tests.host_harness import ProviderHost
from tests.native_harness import NativeDoor
from tests.real_cli import (
    HOW_TO_GET,
    PULUMI_HOME_ENV,
    REQUIRE_ENV,
    ROOT,
    PulumiCLI,
    Sandbox,
    find_pulumi_cli,
)


@pytest.fixture(scope="session", autouse=True)
def _create_records_stay_in_the_test_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    # The provider keeps its records of interrupted creates in the user's state directory;
    # tests (and the hosts they start) keep theirs apart.
    users = _users_places()
    before = _written(users)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("recall-zoom-state")))
        # ... and so do the pacing windows that processes of one machine share.
        patch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("recall-zoom-cache")))
        # Any Pulumi command run outside a Sandbox (which has a home of its own) writes its log,
        # and whatever else, into a home of the run's own, not the user's ~/.pulumi (another
        # Pulumi command of the user's writes there too: watched, it would fail the run).
        patch.setenv(PULUMI_HOME_ENV, str(tmp_path_factory.mktemp("pulumi-home")))
        yield
    changed = sorted(set(_written(users).items()) - set(before.items()))
    assert not changed, f"a test wrote into the user's own folders: {changed[:5]}"


def _users_places() -> list[Path]:
    """Where the provider writes for a user: its state folder, and the pacing windows of its
    cache folder (the CLI the tests build lives beside them, written before the tests run)."""
    return [
        Path(platformdirs.user_state_dir("recall-zoom")),
        Path(platformdirs.user_cache_dir("recall-zoom")) / "pacing",
    ]


def _written(places: list[Path]) -> dict[str, int]:
    """Every file and folder under ``places``, with when it was last written."""
    found: dict[str, int] = {}
    for place in places:
        for path in (place, *place.rglob("*")) if place.exists() else ():
            with contextlib.suppress(OSError):
                found[str(path)] = path.lstat().st_mtime_ns
    return found


@pytest.fixture(scope="session", autouse=True)
def _loopback_bypasses_proxies() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("NO_PROXY", "no_proxy"):
            hosts = [os.environ.get(name, ""), "127.0.0.1", "localhost"]
            patch.setenv(name, ",".join(host for host in hosts if host))
        yield


@pytest.fixture
def fresh_emulator() -> Iterator[EmulatorServer]:
    """An emulator of this test's own, with a fresh in-memory backend (page size 10)."""
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
def module_emulator() -> Iterator[EmulatorServer]:
    """One emulator for the whole module, shared by its tests: the host outlives single tests."""
    with EmulatorServer() as s:
        yield s


def host_config(api_key: str, url: str, **overrides: str) -> dict[str, str]:
    """A host's provider settings: the module's key against ``url``, overridden as given."""
    # A short request timeout keeps the waits after ambiguous creates short; the pacing is
    # loose, since a module's many commands against one workspace would otherwise wait for
    # Recall's 60 lists a minute (the pacing has tests of its own).
    return {
        "recall:apiKey": api_key,
        "recall:apiUrl": url,
        "recall:requestTimeout": "1",
        "recall:requestsPerMinute": "1000000",
        **overrides,
    }


@pytest.fixture(scope="module")
def host(module_emulator: EmulatorServer, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    """The real ``python -m pulumi.dynamic`` host, configured with the module's ``API_KEY``."""
    h = ProviderHost(host_config(request.module.API_KEY, module_emulator.url))
    yield h
    h.close()


@pytest.fixture(scope="module")
def native(module_emulator: EmulatorServer, request: pytest.FixtureRequest) -> Iterator[NativeDoor]:
    """The native plugin, configured as ``host`` is: a process of its own per command."""
    door = NativeDoor(host_config(request.module.API_KEY, module_emulator.url), spares=1)
    yield door
    door.close()


StartHost = Callable[..., ProviderHost]
"""Starts a host: ``start(env=None, **config_overrides)``."""


@pytest.fixture
def start_host(
    module_emulator: EmulatorServer, request: pytest.FixtureRequest
) -> Iterator[StartHost]:
    """Start hosts of this test's own against the module's emulator (closed at its end)."""
    hosts: list[ProviderHost] = []

    def start(env: dict[str, str] | None = None, **overrides: str) -> ProviderHost:
        config = host_config(request.module.API_KEY, module_emulator.url, **overrides)
        hosts.append(ProviderHost(config, env=env))
        return hosts[-1]

    try:
        yield start
    finally:
        for started in hosts:
            started.close()


@pytest.fixture
def host_emulator(module_emulator: EmulatorServer) -> EmulatorServer:
    """The module's emulator emptied for this test: no apps, secrets answered in plain, no
    faults, an empty request log."""
    module_emulator.backend.reset()
    module_emulator.backend.secrets_in_responses = "plain"
    module_emulator.app.clear_faults()
    module_emulator.app.clear_requests()
    return module_emulator


@pytest.fixture(params=DOORS)
def door_name(request: pytest.FixtureRequest) -> str:
    """The door a test goes through: ``core``, ``dynamic`` or ``native``."""
    name: str = request.param
    return name


@pytest.fixture
def engine(door_name: str, host_emulator: EmulatorServer, request: pytest.FixtureRequest) -> Engine:
    """A fresh engine (empty state) through the test's door: the module's host (``dynamic``),
    the module's native plugin (``native``), or the core configured as that host is."""
    if door_name in ("dynamic", "native"):
        return Engine(request.getfixturevalue("host" if door_name == "dynamic" else "native"))
    return Engine(CoreDoor(host_config(request.module.API_KEY, host_emulator.url)))


StartDoor = Callable[..., Door]
"""Starts a door of the test's door: ``start(env=None, **config_overrides)``."""


@pytest.fixture
def start_door(
    door_name: str, module_emulator: EmulatorServer, request: pytest.FixtureRequest
) -> Iterator[StartDoor]:
    """Start doors of this test's own against the module's emulator: hosts (``start_host``),
    native plugins, or the core, configured as a host would be, ``env`` added to the
    environment of their processes (the core's: to this one's while it runs)."""
    if door_name == "dynamic":
        start_host: StartHost = request.getfixturevalue("start_host")
        yield start_host
        return
    natives: list[NativeDoor] = []

    def start(env: dict[str, str] | None = None, **overrides: str) -> Door:
        config = host_config(request.module.API_KEY, module_emulator.url, **overrides)
        if door_name == "native":
            natives.append(NativeDoor(config, env))
            return natives[-1]
        return CoreDoor(config, env)

    try:
        yield start
    finally:
        for door in natives:
            door.close()


def pytest_report_header() -> str:
    """Which Pulumi CLI the end-to-end tests run (PATH first, then the tests' build)."""
    found = find_pulumi_cli()
    if found is None:
        return f"pulumi CLI: none ({HOW_TO_GET})"
    host = "its own" if found.has("pulumi-language-python") else "tests/language_server.py"
    # Even `pulumi version` writes a log into its home: a home of its own, not the user's.
    with (
        tempfile.TemporaryDirectory(prefix="pulumi-home-") as home,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv(PULUMI_HOME_ENV, home)
        version = found.version()
    return f"pulumi CLI: {found.pulumi} ({version}; Python programs run by {host})"


@pytest.fixture(scope="session")
def pulumi_cli() -> PulumiCLI:
    """The real Pulumi CLI; without one the test skips, or fails where CI built one."""
    found = find_pulumi_cli()
    if found is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{HOW_TO_GET} ({REQUIRE_ENV} is set: the CLI was to be built)")
        pytest.skip(HOW_TO_GET)
    return found


@pytest.fixture
def sandbox(pulumi_cli: PulumiCLI, tmp_path: Path) -> Iterator[Sandbox]:
    """The real CLI with a home and a file backend of this test's own."""
    box = Sandbox(pulumi_cli, tmp_path / "pulumi")
    try:
        yield box
    finally:
        box.close()


@pytest.fixture(scope="session")
def library_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with recall-zoom installed from this checkout as a user would
    (not editable, no extras): its python."""
    home = tmp_path_factory.mktemp("library-venv")
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    before = sorted(p.name for p in ROOT.iterdir())
    # pip's cache of the test run's own, not the user's.
    pip_cache = tmp_path_factory.mktemp("pip-cache")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(ROOT)],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "PIP_CACHE_DIR": str(pip_cache)},
    )  # fmt: skip
    if install.returncode != 0 and unreachable(install.stderr):
        pytest.skip(f"the package index cannot be reached: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr
    assert sorted(p.name for p in ROOT.iterdir()) == before, "the build left nothing behind"
    return python
