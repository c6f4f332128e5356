"""Drive the native provider plugin over gRPC the way the engine does: the native door.

``NativeDoor`` gives each command a ``PluginSession``: a ``python -m recall_provider.native
<engine-address>`` process of its own, as the CLI starts one per command (the process is the
command's provider: its service, its claims, its index of the workspace's apps). Each process is
handed an engine address of its own (a socket this side listens on while the command runs, so
the plugin can tell its engine is there), is handshaken, and is configured with the settings a
provider host gets (tests/conftest.py ``host_config``): the ``recall:*`` keys as the provider's
camelCase arguments, the API key a secret, and the same keys among the older ``variables``.

The cases' property bags stay as they are: snake_case keys become the wire's camelCase, the
secret inputs go secret-wrapped (the plugin accepts secrets), an unknown goes as the engine's
unknown sentinel, the dynamic resource's own keys are dropped (the pickled provider, the
program's ``argument_keys``), and ``owner`` (``organization/project/stack/name``) becomes the
resource's URN, ``urn:pulumi:<stack>::<project>::recall:index:ZoomOAuthApp::<name>``, from which
the plugin takes its owner (``project/stack/name``; the core compares owners by those three). The
answers come back the other way: camelCase to snake_case, secrets unwrapped, the unknown
sentinel as ``Unknown``, no key for a null; Check's failures name the snake_case input. As the
engine records the URN with the resource, the door's Check hands ``owner`` back with the
inputs, so the engine's records carry it to the calls after.

The engine's preview (tests/doors.py) is the dynamic host's: Check and Diff. The plugin previews
itself (``supportsPreview``), so the real engine also calls its Create and Update with
``preview`` set; tests/test_native_cli.py meets those through the real CLI.

Starting a plugin takes a third of a second of CPU (its imports). A door may keep processes
started ahead (``spares``), so that a command's provider is ready when the command asks for it:
the module's door (tests/conftest.py ``native``), which serves most commands, keeps one; a test's
own doors, which mostly serve a command or two, keep none, since their spares would mostly be
started for nothing, and the suite's time is mostly the CPU these processes take.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, ClassVar

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.output import Unknown
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from recall_provider.core.spec import SECRETS, camel
from recall_provider.native.schema import RESOURCE
from recall_provider.native.values import CAMEL, SECRET_SIGNATURE, SIGNATURE_KEY, SNAKE
from recall_provider.provider import ARGUMENT_KEYS, OWNER
from tests.host_harness import ROOT, CallError, ProviderCalls, engine_channel

__all__ = [
    "PROVIDER_URN",
    "NativeDoor",
    "PluginError",
    "PluginSession",
    "from_wire",
    "to_wire",
    "urn",
]

PROVIDER_URN = "urn:pulumi:dev::recall-zoom::pulumi:providers:recall::default"
PROJECT, STACK = "recall-zoom", "dev"
"""Where a resource lives whose bag names no owner."""
TIMEOUT = 120.0
"""Seconds this side waits for an answer (the engine's calls carry no timeout of their own
unless a program sets customTimeouts)."""

# The keys the dynamic resource sets beside the inputs: the owner goes into the URN, the rest
# is the dynamic door's alone.
_DOOR_KEYS = (PROVIDER_KEY, OWNER, ARGUMENT_KEYS)
_SECRET = {SIGNATURE_KEY: SECRET_SIGNATURE}


def urn(name: str, props: Mapping[str, Any] | None = None) -> str:
    """The resource's URN: of the stack, project and name its ``owner`` says, else of the
    ``dev`` stack of ``recall-zoom`` and ``name``."""
    owner = (props or {}).get(OWNER)
    project, stack = PROJECT, STACK
    if isinstance(owner, str) and owner.count("/") >= 2:
        project, stack, name = owner.split("/")[-3:]
    return f"urn:pulumi:{stack}::{project}::{RESOURCE}::{name}"


def _unknown(value: object) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def _encode(value: object) -> object:
    if _unknown(value):
        return rpc.UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def to_wire(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """A bag of the engine's records as the engine sends it to the plugin."""
    fields: dict[str, object] = {}
    for key, value in props.items():
        if key in _DOOR_KEYS:
            continue
        encoded = _encode(value)
        fields[CAMEL.get(key, key)] = {**_SECRET, "value": encoded} if key in SECRETS else encoded
    struct = struct_pb2.Struct()
    struct.update(fields)
    return struct


def _decode(value: object) -> object:
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _decode(value.get("value"))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if value == rpc.UNKNOWN:
        return Unknown()
    return value


def from_wire(struct: struct_pb2.Struct) -> dict[str, Any]:
    """What the plugin answered, as the engine records it, by the cases' names."""
    plain: dict[str, Any] = json_format.MessageToDict(struct)
    return {_snake(k): _decode(v) for k, v in plain.items() if v is not None}


def _snake(wire: str) -> str:
    # An input the plugin does not know is named as it was sent (the check names it).
    return SNAKE.get(wire, wire)


class PluginError(CallError):
    """The plugin answered a call with an error."""


class _EngineSocket:
    """Where a plugin's engine listens, at an address no command of this test run had before (a
    plugin writes an adopted app down under its command's name, the address, for hours). A
    plugin dials it to tell whether its engine is still there: it accepts and hangs up, so that
    no dial waits on a full backlog. No engine service is behind it."""

    _used: ClassVar[set[int]] = set()
    _used_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        while True:
            self._socket = socket.create_server(("127.0.0.1", 0))
            port = self._socket.getsockname()[1]
            with self._used_lock:
                if port not in self._used:
                    self._used.add(port)
                    break
            self._socket.close()
        self.address = f"127.0.0.1:{port}"
        threading.Thread(target=self._answer, name="test-engine", daemon=True).start()

    def _answer(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            connection.close()

    def close(self) -> None:
        """Nothing listens at the address any more."""
        # shutdown wakes the accept() above (close alone does not, on Linux).
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()


@dataclass
class _Started:
    """A plugin process started, not yet spoken to, and the engine it was given."""

    process: subprocess.Popen[bytes]
    engine: _EngineSocket
    stderr: IO[bytes]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.engine.close()
        self.stderr.close()


class PluginSession(ProviderCalls):
    """One command's provider: a plugin process of its own, handshaken and configured; the
    engine's calls with the native conventions (camelCase, secrets marked, the owner in the
    URN)."""

    type_token = RESOURCE

    def __init__(self, door: NativeDoor, started: _Started) -> None:
        self.door = door
        self._started = started
        self.process = started.process
        self.engine_address = started.engine.address
        try:
            self._connect()
        except BaseException:
            channel: grpc.Channel | None = getattr(self, "channel", None)
            if channel is not None:
                channel.close()
            started.stop()
            raise

    def _connect(self) -> None:
        self.channel = engine_channel(self.process, self.plugin_stderr)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.handshake = self._call(
            "Handshake",
            proto.ProviderHandshakeRequest(
                engine_address=self.engine_address,
                root_directory=str(ROOT),
                program_directory=str(ROOT),
                configure_with_urn=True,
            ),
        )
        # The engine sends the package's config as the provider's arguments (secrets wrapped)
        # and, for older providers, as ``recall:config:<key>`` variables.
        settings = {k.split(":", 1)[1]: v for k, v in self.door.config.items()}
        args = {
            k: {**_SECRET, "value": v} if k == "apiKey" or k.endswith("Secret") else v
            for k, v in settings.items()
        }
        struct = struct_pb2.Struct()
        struct.update(args)
        self.configure_response = self._call(
            "Configure",
            proto.ConfigureRequest(
                args=struct,
                variables={f"recall:config:{k}": str(v) for k, v in settings.items()},
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                urn=PROVIDER_URN,
                type="pulumi:providers:recall",
                name="default",
            ),
        )

    def plugin_stderr(self) -> str:
        """What the plugin wrote on its standard error so far."""
        self._started.stderr.seek(0)
        return self._started.stderr.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the plugin, as a CI timeout or a second Ctrl-C would."""
        self.process.kill()

    def lose_engine(self) -> None:
        """The engine is gone, its plugin left running (the CLI killed: Pulumi starts its
        plugins in process groups of their own): nothing listens at the engine's address."""
        self._started.engine.close()

    def close(self) -> None:
        """The command is over: the engine stops its provider."""
        self.channel.close()
        self._started.stop()
        self.door._forget(self)

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=TIMEOUT)
        except grpc.RpcError as error:
            raise PluginError(method, error) from None

    # -- the native wire (tests/host_harness.ProviderCalls) ------------------------------------

    def _urn(self, name: str, props: Mapping[str, Any]) -> str:
        return urn(name, props)

    def _to_wire(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return to_wire(props)

    def _from_wire(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        return from_wire(struct)

    def _checked(self, inputs: struct_pb2.Struct, news: dict[str, Any]) -> dict[str, Any]:
        # The URN is the resource's: the engine's records keep it (here, as the owner).
        door = {OWNER: news[OWNER]} if OWNER in news else {}
        return {**door, **from_wire(inputs)}

    def _property(self, wire: str) -> str:
        return _snake(wire)


class NativeDoor:
    """The native plugin: a process of its own per command (``session``), started under this
    process's environment and ``env``, configured with ``config`` (``recall:*`` keys, as a
    provider host gets them); ``spares`` processes started ahead."""

    def __init__(
        self, config: Mapping[str, str], env: Mapping[str, str] | None = None, *, spares: int = 0
    ) -> None:
        self.config = dict(config)
        self.env = dict(env or {})
        self.spares = spares
        self._lock = threading.Lock()
        self._ready: list[_Started] = []
        self._open: list[PluginSession] = []
        self._closed = False

    def _start(self) -> _Started:
        engine = _EngineSocket()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "recall_provider.native", engine.address],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **self.env},
        )
        return _Started(process, engine, stderr)

    def session(self) -> PluginSession:
        """A plugin of the command's own, as the CLI starts for each command."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the door is closed")
            started = self._ready.pop(0) if self._ready else self._start()
            while len(self._ready) < self.spares:
                self._ready.append(self._start())
        session = PluginSession(self, started)
        with self._lock:
            self._open.append(session)
        return session

    def kill(self) -> None:
        """SIGKILL the plugins of the commands under way, as a CI timeout or a second Ctrl-C
        would."""
        with self._lock:
            sessions = list(self._open)
        for session in sessions:
            session.kill()

    def lose_engine(self) -> None:
        """The engine of the commands under way is gone; their plugins run on
        (``PluginSession.lose_engine``)."""
        with self._lock:
            sessions = list(self._open)
        for session in sessions:
            session.lose_engine()

    def argument(self, name: str) -> str:
        """The resource's input as a program of any language sets it: camelCase."""
        return camel(name)

    def _forget(self, session: PluginSession) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._open.remove(session)

    def close(self) -> None:
        """Stop every plugin of the door, started ahead or serving a command."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
            sessions = list(self._open)
        for session in sessions:
            session.close()
        for started in ready:
            started.stop()
