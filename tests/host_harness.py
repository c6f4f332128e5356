"""Drive the real Pulumi dynamic provider host over gRPC the way the engine does.

``ProviderHost`` starts ``python -m pulumi.dynamic`` as a subprocess in the project root (as the
CLI does) and speaks its gRPC protocol. ``Engine`` layers the engine's call sequences for
preview, up, refresh and destroy on top, with state kept like the engine keeps it: checked
inputs and provider outputs per resource, secrets stripped before every call (the host declares
``acceptSecrets: False``), unknowns sent only to Check and Diff.

Checked against the real CLI (tests/test_cli_e2e.py and a gRPC log of its calls): the engine
starts a host per deployment phase (an ``up`` previews on one and updates on another; a
``pulumi refresh`` reads on both), which ``Engine`` folds into one provider per command; a
replacement checks the new inputs a second time, as a new resource's, before its Create; no
call carries a timeout unless the program sets customTimeouts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic import dynamic as sdk_dynamic
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.mock_program import APP_TYPE

ROOT = Path(__file__).resolve().parent.parent
TYPE = APP_TYPE
PROVIDER_URN = "urn:pulumi:dev::recall-zoom::pulumi:providers:pulumi-python::default"
UNKNOWN = rpc.UNKNOWN
PROVIDER_KEY = sdk_dynamic.PROVIDER_KEY
"""Where the engine passes the pickled provider among the properties."""
ENGINE_MAX_MESSAGE = 400 * 1024 * 1024
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


class HostError(Exception):
    """The host answered an RPC with an error: for an error of ours its one line
    (``RecallNotFoundError[not_found]: ...``), for anything else the provider's traceback."""

    def __init__(self, method: str, error: grpc.RpcError) -> None:
        self.code = error.code()
        self.details = error.details() or ""
        super().__init__(f"{method} failed with {self.code}: {self.details}")

    @property
    def last_line(self) -> str:
        lines = [line for line in self.details.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @property
    def error_class(self) -> str | None:
        """The class of an error of ours (``RecallNotFoundError``), None for a traceback."""
        match = _ONE_LINE.match(self.last_line)
        return match["cls"] if match else None

    @property
    def error_code(self) -> str | None:
        """The stable code of an error of ours (``not_found``), None for a traceback."""
        match = _ONE_LINE.match(self.last_line)
        return match["code"] if match else None


# What the host answers for an error of ours: ``RecallNotFoundError[not_found]: ...``.
_ONE_LINE = re.compile(r"^(?P<cls>Recall\w+)\[(?P<code>\w+)\]: ")


@dataclass(frozen=True)
class Diff:
    changes: int
    replaces: list[str]
    delete_before_replace: bool

    @property
    def none(self) -> bool:
        return self.changes == proto.DiffResponse.DIFF_NONE


class ProviderHost:
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
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the provider host did not start: {line!r} {self.host_stderr()}")
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{int(line)}",
            options=[
                ("grpc.enable_http_proxy", 0),
                # The engine's limit (rpcutil.MaxRPCMessageSize), not gRPC's 4 MiB default.
                ("grpc.max_receive_message_length", ENGINE_MAX_MESSAGE),
                ("grpc.max_send_message_length", ENGINE_MAX_MESSAGE),
            ],
        )
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

    def check(
        self, name: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self._call(
            "Check",
            proto.CheckRequest(
                urn=urn(name), name=name, type=TYPE, olds=to_struct(olds), news=to_struct(news)
            ),
        )
        failures = [(f.property, f.reason) for f in resp.failures]
        return from_struct(resp.inputs, keep_unknowns=True), failures

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
                urn=urn(name),
                name=name,
                type=TYPE,
                olds=to_struct(olds),
                old_inputs=to_struct(old_inputs),
                news=to_struct(news),
            ),
        )
        return Diff(resp.changes, list(resp.replaces), resp.deleteBeforeReplace)

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self._call(
            "Create",
            proto.CreateRequest(urn=urn(name), name=name, type=TYPE, properties=to_struct(inputs)),
        )
        return resp.id, from_struct(resp.properties)

    def read(
        self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        resp = self._call(
            "Read",
            proto.ReadRequest(
                id=id_,
                urn=urn(name),
                name=name,
                type=TYPE,
                properties=to_struct(outputs),
                inputs=to_struct(inputs),
            ),
        )
        new_inputs = from_struct(resp.inputs) if resp.HasField("inputs") else None
        return resp.id, from_struct(resp.properties), new_inputs

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
                urn=urn(name),
                name=name,
                type=TYPE,
                olds=to_struct(olds),
                old_inputs=to_struct(old_inputs),
                news=to_struct(news),
            ),
        )
        return from_struct(resp.properties)

    def delete(
        self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]
    ) -> None:
        self._call(
            "Delete",
            proto.DeleteRequest(
                id=id_,
                urn=urn(name),
                name=name,
                type=TYPE,
                properties=to_struct(outputs),
                old_inputs=to_struct(old_inputs),
            ),
        )


def program_props(**inputs: Any) -> dict[str, Any]:
    """What ``RecallZoomOAuthApp(...)`` registers: the inputs plus the pickled provider.

    Secret inputs arrive plain: the engine strips secret markers for this host.
    """
    # The resource always sends validate_webhook (default True); so does this.
    props = {"validate_webhook": True, **{k: v for k, v in inputs.items() if v is not None}}
    props[PROVIDER_KEY] = serialize_provider(RecallZoomOAuthAppProvider())
    return props


@dataclass
class ResourceState:
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Plan:
    op: str  # "create", "same", "update", "replace"
    outputs: dict[str, Any] = field(default_factory=dict)
    diff: Diff | None = None


class CheckFailed(Exception):
    """Check returned failures; the engine stops before any other call."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{p}: {r}" for p, r in failures))


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


class Engine:
    """The engine's per-command call sequences against one host, with state kept between.

    Each call is a command of its own, on a provider of its own (``as_new_process``), as on the
    CLI, where each command starts its own host; inside ``with engine.command():`` the calls
    are one command over several resources. The host process itself is shared, to keep tests
    quick.
    """

    def __init__(self, host: ProviderHost) -> None:
        self.host = host
        self.state: dict[str, ResourceState] = {}
        self._command: str | None = None

    @contextlib.contextmanager
    def command(self) -> Iterator[None]:
        """Run the calls inside as one command: one provider process serves them all."""
        self._command = as_new_process(program_props())[PROVIDER_KEY]
        try:
            yield
        finally:
            self._command = None

    def _in_command(self, props: dict[str, Any]) -> dict[str, Any]:
        if PROVIDER_KEY not in props:
            return props
        if self._command is None:
            return as_new_process(props)
        return {**props, PROVIDER_KEY: self._command}

    def _check(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        old = self.state.get(name)
        inputs, failures = self.host.check(name, old.inputs if old else {}, props)
        if failures:
            raise CheckFailed(failures)
        return inputs

    def preview(self, name: str, props: dict[str, Any]) -> Plan:
        props = self._in_command(props)
        inputs = self._check(name, props)
        old = self.state.get(name)
        if old is None:
            return Plan("create", outputs=inputs)
        diff = self.host.diff(name, old.id, old.outputs, old.inputs, inputs)
        return Plan(_op(diff), diff=diff)

    def up(self, name: str, props: dict[str, Any]) -> Plan:
        props = self._in_command(props)
        inputs = self._check(name, props)
        old = self.state.get(name)
        if old is None:
            id_, outputs = self.host.create(name, inputs)
            assert id_, "the engine rejects an empty id from Create"
            self.state[name] = ResourceState(id_, inputs, outputs)
            return Plan("create", outputs=outputs)
        diff = self.host.diff(name, old.id, old.outputs, old.inputs, inputs)
        op = _op(diff)
        if op == "update":
            outputs = self.host.update(name, old.id, old.outputs, old.inputs, inputs)
            self.state[name] = ResourceState(old.id, inputs, outputs)
        elif op == "replace":
            # The old outputs' pickle is this command's provider too: the same bytes on the CLI.
            olds = {**old.outputs, PROVIDER_KEY: props[PROVIDER_KEY]}
            # The engine checks the new inputs again, as a new resource's (olds empty), and
            # creates from what that Check returns.
            fresh, failures = self.host.check(name, {}, props)
            if failures:
                raise CheckFailed(failures)
            if diff.delete_before_replace:
                self.host.delete(name, old.id, olds, old.inputs)
                del self.state[name]
            id_, outputs = self.host.create(name, fresh)
            if not diff.delete_before_replace:
                self.host.delete(name, old.id, olds, old.inputs)
            self.state[name] = ResourceState(id_, fresh, outputs)
        return Plan(op, outputs=self.state[name].outputs, diff=diff)

    def refresh(self, name: str) -> str:
        """Read, then (as the engine does since 3.120) diff the refreshed state against the old
        inputs to decide whether the refresh shows a change: "deleted", "same" or "update"."""
        old = self.state[name]
        id_, outputs, inputs = self.host.read(
            name, old.id, self._in_command(old.outputs), old.inputs
        )
        if not id_:
            del self.state[name]
            return "deleted"
        new = ResourceState(id_, inputs if inputs is not None else old.inputs, outputs)
        self.state[name] = new
        diff = self.host.diff(name, id_, new.outputs, new.inputs, old.inputs)
        return "same" if diff.none else "update"

    def destroy(self, name: str) -> None:
        # A failed Delete keeps the resource in state, as the engine does.
        old = self.state[name]
        self.host.delete(name, old.id, self._in_command(old.outputs), old.inputs)
        del self.state[name]


def _op(diff: Diff) -> str:
    if diff.changes == proto.DiffResponse.DIFF_NONE:
        return "same"
    return "replace" if diff.replaces else "update"
