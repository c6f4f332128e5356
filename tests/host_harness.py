"""Drive the real Pulumi dynamic provider host over gRPC the way the engine does: the dynamic door.

``ProviderHost`` starts ``python -m pulumi.dynamic`` as a subprocess in the project root (as the
CLI does) and speaks its gRPC protocol. It is a door of tests/doors.py: ``Engine(host)`` layers
the engine's call sequences for preview, up, refresh and destroy on top, with state kept like
the engine keeps it: checked inputs and provider outputs per resource, secrets stripped before
every call (the host declares ``acceptSecrets: False``), unknowns sent only to Check and Diff.

Checked against the real CLI (tests/test_cli_e2e.py and a gRPC log of its calls): the engine
starts a host per deployment phase (an ``up`` previews on one and updates on another; a
``pulumi refresh`` reads on both), which ``Engine`` folds into one provider per command; a
replacement checks the new inputs a second time, as a new resource's, before its Create; no
call carries a timeout unless the program sets customTimeouts.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import struct
import subprocess
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic import dynamic as sdk_dynamic
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from recall_provider.native.__main__ import MAX_MESSAGE
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.doors import CheckFailed, Diff, DoorError, Engine, Plan, ResourceState
from tests.mock_program import APP_TYPE

__all__ = [
    "DEBUG_SITECUSTOMIZE",
    "ENGINE_MAX_MESSAGE",
    "PROVIDER_KEY",
    "PROVIDER_URN",
    "ROOT",
    "TYPE",
    "UNKNOWN",
    "CallError",
    "CheckFailed",
    "Diff",
    "Engine",
    "HostError",
    "HostSession",
    "Plan",
    "ProviderCalls",
    "ProviderHost",
    "ResourceState",
    "as_new_process",
    "engine_channel",
    "from_struct",
    "program_props",
    "to_struct",
    "urn",
]

ROOT = Path(__file__).resolve().parent.parent
TYPE = APP_TYPE
PROVIDER_URN = "urn:pulumi:dev::recall-zoom::pulumi:providers:pulumi-python::default"
UNKNOWN = rpc.UNKNOWN
PROVIDER_KEY = sdk_dynamic.PROVIDER_KEY
"""Where the engine passes the pickled provider among the properties."""
ENGINE_MAX_MESSAGE = MAX_MESSAGE
"""The largest message the engine sends or takes (declared with the plugin that serves it)."""
# Imported by the host's interpreter at startup when it runs with ``debug_logging``: the root
# logger at DEBUG on stderr, so the records of every logger (urllib3's included) get out.
DEBUG_SITECUSTOMIZE = """\
import logging
import sys

logging.basicConfig(
    level=logging.DEBUG,
    stream=sys.stderr,
    format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
)
"""


def engine_channel(process: subprocess.Popen[Any], stderr: Callable[[], str]) -> grpc.Channel:
    """The channel the engine opens to a provider it started: to the port the provider printed
    on its first line (``stderr`` says why, when it printed none)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip().isdigit():
        raise RuntimeError(f"the provider did not start: {line!r} {stderr()}")
    return grpc.insecure_channel(
        f"127.0.0.1:{int(line)}",
        options=[
            ("grpc.enable_http_proxy", 0),
            # The engine's limit, not gRPC's 4 MiB default.
            ("grpc.max_receive_message_length", ENGINE_MAX_MESSAGE),
            ("grpc.max_send_message_length", ENGINE_MAX_MESSAGE),
        ],
    )


def urn(name: str) -> str:
    return f"urn:pulumi:dev::recall-zoom::{TYPE}::{name}"


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    # A private loop: asyncio.run() would unset the thread's loop, which Pulumi's mocks need.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct, keep_unknowns: bool = False) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns))


class CallError(DoorError):
    """A provider answered an engine's call with an error: for an error of ours its one line
    (``RecallNotFoundError[not_found]: ...``), for anything else what gRPC carried."""

    def __init__(self, method: str, error: grpc.RpcError) -> None:
        self.code = error.code()
        details = error.details() or ""
        super().__init__(method, details, f"{method} failed with {self.code}: {details}")


class HostError(CallError):
    """The dynamic host answered with an error (for anything not ours, the provider's
    traceback)."""


class ProviderCalls(ABC):
    """The engine's resource calls over gRPC (check, diff, create, read, update, delete) for a
    provider whose wire conventions a subclass gives: its type token, each resource's URN, and
    how the cases' property bags go onto the wire and come back."""

    type_token: str

    @abstractmethod
    def _call(self, method: str, request: Any) -> Any:
        """Send ``request`` as the RPC ``method``; a ``CallError`` when it fails."""

    @abstractmethod
    def _urn(self, name: str, props: Mapping[str, Any]) -> str:
        """The URN of resource ``name``, whose bag is ``props``."""

    @abstractmethod
    def _to_wire(self, props: dict[str, Any]) -> struct_pb2.Struct:
        """A bag as the engine sends it."""

    @abstractmethod
    def _from_wire(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        """An answered bag as the engine records it."""

    def _checked(self, inputs: struct_pb2.Struct, news: dict[str, Any]) -> dict[str, Any]:
        """What Check answered, as the engine keeps it for the next calls."""
        return self._from_wire(inputs)

    def _property(self, wire: str) -> str:
        """A property's name on the wire as the cases spell it."""
        return wire

    def check(
        self, name: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self._call(
            "Check",
            proto.CheckRequest(
                urn=self._urn(name, news),
                name=name,
                type=self.type_token,
                olds=self._to_wire(olds),
                news=self._to_wire(news),
            ),
        )
        failures = [(self._property(f.property), f.reason) for f in resp.failures]
        return self._checked(resp.inputs, news), failures

    def diff(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> Diff:
        resp = self._call(
            "Diff",
            proto.DiffRequest(
                id=id_,
                urn=self._urn(name, news),
                name=name,
                type=self.type_token,
                olds=self._to_wire(olds),
                old_inputs=self._to_wire(old_inputs),
                news=self._to_wire(news),
            ),
        )
        replaces = [self._property(p) for p in resp.replaces]
        return Diff(resp.changes, replaces, resp.deleteBeforeReplace)

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self._call(
            "Create",
            proto.CreateRequest(
                urn=self._urn(name, inputs),
                name=name,
                type=self.type_token,
                properties=self._to_wire(inputs),
            ),
        )
        return resp.id, self._from_wire(resp.properties)

    def read(
        self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        resp = self._call(
            "Read",
            proto.ReadRequest(
                id=id_,
                urn=self._urn(name, inputs),
                name=name,
                type=self.type_token,
                properties=self._to_wire(outputs),
                inputs=self._to_wire(inputs),
            ),
        )
        new_inputs = self._from_wire(resp.inputs) if resp.HasField("inputs") else None
        return resp.id, self._from_wire(resp.properties), new_inputs

    def update(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> dict[str, Any]:
        resp = self._call(
            "Update",
            proto.UpdateRequest(
                id=id_,
                urn=self._urn(name, news),
                name=name,
                type=self.type_token,
                olds=self._to_wire(olds),
                old_inputs=self._to_wire(old_inputs),
                news=self._to_wire(news),
            ),
        )
        return self._from_wire(resp.properties)

    def delete(
        self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]
    ) -> None:
        self._call(
            "Delete",
            proto.DeleteRequest(
                id=id_,
                urn=self._urn(name, old_inputs),
                name=name,
                type=self.type_token,
                properties=self._to_wire(outputs),
                old_inputs=self._to_wire(old_inputs),
            ),
        )


class _DynamicWire(ProviderCalls):
    """The dynamic host's conventions: its one type token, bags as the Python SDK serializes
    them (secrets stripped by the engine beforehand), a checked bag keeping its unknowns."""

    type_token = TYPE

    def _urn(self, name: str, props: Mapping[str, Any]) -> str:
        return urn(name)

    def _to_wire(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return to_struct(props)

    def _from_wire(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        return from_struct(struct)

    def _checked(self, inputs: struct_pb2.Struct, news: dict[str, Any]) -> dict[str, Any]:
        return from_struct(inputs, keep_unknowns=True)


class ProviderHost(_DynamicWire):
    """One ``python -m pulumi.dynamic`` process and a gRPC stub to it."""

    def __init__(
        self,
        config: dict[str, Any],
        env: dict[str, str] | None = None,
        *,
        debug_logging: bool = False,
    ) -> None:
        """Start the host with ``config``; ``env`` adds to (or overrides) this process's
        environment. ``debug_logging`` makes every logger of the host (the provider's, urllib3's,
        any library's) write its records from DEBUG up to the host's stderr."""
        self.config = config
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the host
        self._site_dir: tempfile.TemporaryDirectory[str] | None = None
        host_env = {**os.environ, "PULUMI_PROJECT": "recall-zoom", **(env or {})}
        if debug_logging:
            self._site_dir = tempfile.TemporaryDirectory(prefix="provider-host-site-")
            Path(self._site_dir.name, "sitecustomize.py").write_text(DEBUG_SITECUSTOMIZE)
            # First the sitecustomize, then the project root (importable whatever the working
            # directory), then whatever PYTHONPATH the environment already had.
            entries = [self._site_dir.name, str(ROOT)]
            entries += [e for e in host_env.get("PYTHONPATH", "").split(os.pathsep) if e]
            host_env["PYTHONPATH"] = os.pathsep.join(entries)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=host_env,
        )
        self.channel = engine_channel(self.process, self.host_stderr)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.info = self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
        # The engine sends the whole stack config, secrets wrapped; the host unwraps them.
        wrapped = {
            k: rpc.wrap_rpc_secret(v) if k.endswith(("apiKey", "Secret")) else v
            for k, v in config.items()
        }
        self.configure_response = self.stub.Configure(
            proto.ConfigureRequest(
                args=to_struct(wrapped),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                urn=PROVIDER_URN,
                type="pulumi:providers:pulumi-python",
                name="default",
            ),
            timeout=30,
        )

    def session(self) -> HostSession:
        """A provider of a command's own in this host, as a new host process would give."""
        return HostSession(self, as_new_process({PROVIDER_KEY: _PICKLED})[PROVIDER_KEY])

    def kill(self) -> None:
        """SIGKILL the host, as a CI timeout or a second Ctrl-C would."""
        self.process.kill()

    def argument(self, name: str) -> str:
        """The resource's argument, as a library user sets it (the program passes its config
        keys instead, as ``argument_keys``)."""
        return name

    def host_stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def close(self) -> None:
        self.channel.close()
        self.process.kill()
        self.process.wait(timeout=10)
        self.stderr.close()
        if self._site_dir is not None:
            self._site_dir.cleanup()

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=120)
        except grpc.RpcError as error:
            raise HostError(method, error) from None


def program_props(**inputs: Any) -> dict[str, Any]:
    """What ``RecallZoomOAuthApp(...)`` registers: the inputs plus the pickled provider.

    Secret inputs arrive plain: the engine strips secret markers for this host.
    """
    # The resource always sends validate_webhook (default True); so does this.
    props = {"validate_webhook": True, **{k: v for k, v in inputs.items() if v is not None}}
    props[PROVIDER_KEY] = _PICKLED
    return props


# Made once, in the thread that imports this: the SDK's serialize_provider swaps pickle globals.
_PICKLED = serialize_provider(RecallZoomOAuthAppProvider())


def as_new_process(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` whose pickled provider is a fresh string, so that the host, which caches one
    provider per pickled string, gives the command a provider of its own, as a new host
    process would (the CLI starts one per command). The pickle gains a no-op, nothing else."""
    if PROVIDER_KEY not in props:
        return props
    nonce = f"command-{next(_COMMANDS)}".encode()
    prefix = b"X" + struct.pack("<I", len(nonce)) + nonce + b"0"  # push a string, pop it
    raw = base64.b64decode(props[PROVIDER_KEY])
    return {**props, PROVIDER_KEY: base64.b64encode(prefix + raw).decode("ascii")}


_COMMANDS = itertools.count()


@dataclass(frozen=True)
class HostSession(_DynamicWire):
    """One command's provider in a host: every bag it sends carries ``provider``, a pickled
    provider of the command's own (see ``as_new_process``)."""

    host: ProviderHost
    provider: str

    def _call(self, method: str, request: Any) -> Any:
        return self.host._call(method, request)

    def _to_wire(self, props: dict[str, Any]) -> struct_pb2.Struct:
        own = {**props, PROVIDER_KEY: self.provider} if PROVIDER_KEY in props else props
        return to_struct(own)

    def close(self) -> None:
        """Nothing to stop: the host serves the next command's provider too."""
