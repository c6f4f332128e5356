"""The native plugin started and spoken to as the Pulumi engine does: benchmark 7's native door.

The engine runs ``pulumi-resource-recall <engine-address>``, reads the port from the first line
of its standard output and talks gRPC to it: Handshake, Configure with the provider's arguments
(camelCase keys, the API key a secret), then Check and Create per resource with the properties
camelCase and the secret ones marked. The tests' native door (tests/native_harness.py) converts
the engine's snake_case bags on every call; a benchmark builds its properties once, before the
clock, so this small starter speaks the wire's form directly. The dynamic door is
``tests.host_harness.ProviderHost``, as the other benchmarks use it.
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

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from recall_provider.native.schema import RESOURCE
from tests.host_harness import ROOT, engine_channel, to_struct

__all__ = ["NativePlugin", "native_props", "urn"]

# The engine's limit (rpcutil.MaxRPCMessageSize), not gRPC's 4 MiB default.


class _EngineSocket:
    """Where the plugin's engine would listen. The address names the command the plugin serves
    (one per running command), and a provider may dial it to tell whether its engine is still
    there (the dynamic host does, before it drops a create's record): it accepts and hangs up,
    so that no dial waits on a full backlog. No engine service is behind it."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._answer, name="bench-engine", daemon=True).start()

    def _answer(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            connection.close()

    def close(self) -> None:
        # shutdown wakes the accept() above (close alone does not, on Linux).
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()


_PROVIDER_URN = "urn:pulumi:dev::recall-zoom::pulumi:providers:recall::default"


def urn(name: str) -> str:
    """A resource's URN as the engine spells it for the native type."""
    return f"urn:pulumi:dev::recall-zoom::{RESOURCE}::{name}"


def native_props(values: Mapping[str, object], secret: frozenset[str]) -> struct_pb2.Struct:
    """``values`` as the engine sends them to a plugin that accepts secrets: the keys in
    ``secret`` wrapped in the secret envelope, the rest plain."""
    wrapped = {k: rpc.wrap_rpc_secret(v) if k in secret else v for k, v in values.items()}
    return to_struct(wrapped)


class NativePlugin:
    """One ``python -m recall_provider.native`` process, configured, and a stub to it."""

    def __init__(self, args: Mapping[str, str], env: Mapping[str, str] | None = None) -> None:
        """Start the plugin with ``env`` added to this process's environment, and configure
        it with ``args`` (camelCase ``recall`` settings; ``apiKey`` goes as a secret)."""
        self.args = dict(args)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the plugin
        self.engine = _EngineSocket()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "recall_provider.native", self.engine.address],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={**os.environ, **(env or {})},
        )
        try:
            self._connect(self.engine.address)
        except BaseException:
            self.close()
            raise

    def _connect(self, engine: str) -> None:
        self.channel = engine_channel(self.process, self.plugin_stderr)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Handshake(
            proto.ProviderHandshakeRequest(
                engine_address=engine, root_directory=str(ROOT), program_directory=str(ROOT)
            ),
            timeout=30,
        )
        self.stub.Configure(
            proto.ConfigureRequest(
                args=native_props(self.args, frozenset({"apiKey"})),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                urn=_PROVIDER_URN,
                type="pulumi:providers:recall",
                name="default",
            ),
            timeout=30,
        )

    def check(self, name: str, news: struct_pb2.Struct) -> struct_pb2.Struct:
        """A new resource's Check (no olds); its failures raise."""
        resp = self.stub.Check(
            proto.CheckRequest(urn=urn(name), name=name, type=RESOURCE, news=news), timeout=120
        )
        if resp.failures:
            failures = "; ".join(f"{f.property}: {f.reason}" for f in resp.failures)
            raise ValueError(f"Check of {name} failed: {failures}")
        inputs: struct_pb2.Struct = resp.inputs
        return inputs

    def create(self, name: str, inputs: struct_pb2.Struct) -> str:
        """Create from what Check returned, as the engine does; the new app's id."""
        resp = self.stub.Create(
            proto.CreateRequest(urn=urn(name), name=name, type=RESOURCE, properties=inputs),
            timeout=120,
        )
        return str(resp.id)

    def plugin_stderr(self) -> str:
        """What the plugin wrote on its standard error so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Stop the plugin (the engine kills it once the command is done)."""
        channel: grpc.Channel | None = getattr(self, "channel", None)
        if channel is not None:
            channel.close()
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.engine.close()
        self.stderr.close()
