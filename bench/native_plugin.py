"""The native plugin spoken to as the Pulumi engine does: benchmark 7's native door.

The plugin is started, handshaken and configured as the tests' native door does it
(``tests.native_harness.NativeDoor``: ``pulumi-resource-recall <engine-address>``, the port read
from its first line, Handshake, Configure with the provider's arguments). That door converts the
engine's snake_case bags on every call; a benchmark builds its properties once, before the
clock, so the calls here take them in the wire's form (camelCase, the secret ones marked). The
dynamic door is ``tests.host_harness.ProviderHost``, as the other benchmarks use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from google.protobuf import struct_pb2
from pulumi.runtime import proto, rpc

from recall_provider.native.schema import RESOURCE
from tests.host_harness import to_struct
from tests.native_harness import TIMEOUT, NativeDoor, PluginSession, urn

__all__ = ["check", "create", "native_plugin", "native_props"]


@contextmanager
def native_plugin(config: Mapping[str, str], env: Mapping[str, str]) -> Iterator[PluginSession]:
    """A fresh plugin, with this process's environment and ``env``, configured with ``config``
    (``recall:*`` settings, as a stack's config holds them); stopped at the end."""
    door = NativeDoor(config, env)
    try:
        yield door.session()
    finally:
        door.close()


def native_props(values: Mapping[str, object], secret: frozenset[str]) -> struct_pb2.Struct:
    """``values`` as the engine sends them to a plugin that accepts secrets: the keys in
    ``secret`` wrapped in the secret envelope, the rest plain."""
    wrapped = {k: rpc.wrap_rpc_secret(v) if k in secret else v for k, v in values.items()}
    return to_struct(wrapped)


def check(plugin: PluginSession, name: str, news: struct_pb2.Struct) -> struct_pb2.Struct:
    """A new resource's Check (no olds); its failures raise."""
    resp = plugin.stub.Check(
        proto.CheckRequest(urn=urn(name), name=name, type=RESOURCE, news=news), timeout=TIMEOUT
    )
    if resp.failures:
        failures = "; ".join(f"{f.property}: {f.reason}" for f in resp.failures)
        raise ValueError(f"Check of {name} failed: {failures}")
    inputs: struct_pb2.Struct = resp.inputs
    return inputs


def create(plugin: PluginSession, name: str, inputs: struct_pb2.Struct) -> str:
    """Create from what Check returned, as the engine does; the new app's id."""
    resp = plugin.stub.Create(
        proto.CreateRequest(urn=urn(name), name=name, type=RESOURCE, properties=inputs),
        timeout=TIMEOUT,
    )
    return str(resp.id)
