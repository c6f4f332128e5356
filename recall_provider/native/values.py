"""The native door's conversions: the engine's property values (camelCase, secrets marked,
computed values) to the core's plain values (snake_case, the ``UNKNOWN`` sentinel) and back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from google.protobuf import struct_pb2
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc

from recall_provider.core import UNKNOWN, AppState, Unknown
from recall_provider.core.spec import NAMES, OUTPUT_NAMES, SECRETS, camel

__all__ = [
    "CAMEL",
    "SECRET_SIGNATURE",
    "SIGNATURE_KEY",
    "SNAKE",
    "dynamic_shape",
    "from_wire",
    "inputs_from_wire",
    "marshal",
    "names",
    "plain",
    "state_of",
    "to_wire",
    "wire_outputs",
]

CAMEL: dict[str, str] = {name: camel(name) for name in OUTPUT_NAMES}
"""Each property's name on the wire."""
SNAKE: dict[str, str] = {wire: name for name, wire in CAMEL.items()}
"""Each wire name's property."""
# How the engine marks a secret value: a map of these two, beside the value (pulumi/pulumi
# sdk/go/common/resource/sig/sig.go, Key and Secret). Declared here, not taken from the SDK's
# private names.
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a marker, no secret
# A state the dynamic door wrote (the alias moves it here) holds these beside its properties.
_DYNAMIC_ONLY = ("__provider", "owner", "argument_keys")


def plain(value: PropertyValue) -> object:
    """A property value as plain Python (secrets unwrapped); a computed one is ``UNKNOWN``
    at the top and a ``Computed`` inside a list or map, which no input accepts."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: _nested(v) for k, v in inner.items()}
    if isinstance(inner, list | tuple):
        return [_nested(v) for v in inner]
    return inner


def _nested(value: PropertyValue) -> object:
    inner = plain(value)
    return Computed() if isinstance(inner, Unknown) else inner


def from_wire(props: Mapping[str, PropertyValue]) -> dict[str, object]:
    """The engine's properties by the core's names: camelCase, or the snake_case of a state the
    dynamic door wrote; any other key is kept as it is (the check names it)."""
    values: dict[str, object] = {}
    for key, value in props.items():
        if key in _DYNAMIC_ONLY:
            continue
        values[SNAKE.get(key, key)] = plain(value)
    return values


def dynamic_shape(props: Mapping[str, PropertyValue]) -> bool:
    """Whether ``props`` were recorded by the dynamic door (a stack moved over by the alias):
    snake_case keys and the dynamic provider's own, which the next update rewrites."""
    return any(k in _DYNAMIC_ONLY or (k in CAMEL and CAMEL[k] != k) for k in props)


def to_wire(values: Mapping[str, object]) -> dict[str, PropertyValue]:
    """The core's values as the engine's properties: camelCase, ``SECRETS`` marked secret,
    ``UNKNOWN`` computed."""
    wire: dict[str, PropertyValue] = {}
    for name, value in values.items():
        wire[CAMEL.get(name, name)] = _value(value, secret=name in SECRETS)
    return wire


def _value(value: object, *, secret: bool) -> PropertyValue:
    if isinstance(value, Unknown):
        return PropertyValue.computed().with_secret(secret)
    if isinstance(value, Mapping):
        return PropertyValue({k: _value(v, secret=False) for k, v in value.items()}, secret)
    if isinstance(value, list | tuple):
        return PropertyValue([_value(v, secret=False) for v in value], secret)
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return PropertyValue(value, is_secret=secret)  # type: ignore[arg-type]


def state_of(app_id: str, props: Mapping[str, PropertyValue]) -> AppState:
    """The recorded outputs as a state (camelCase, or the snake_case of the dynamic door's),
    whatever of them an earlier version recorded otherwise left out."""
    return AppState.from_recorded(app_id, from_wire(props))


def inputs_from_wire(props: Mapping[str, PropertyValue]) -> tuple[dict[str, object], list[str]]:
    """A program's inputs by the core's names, and the keys that are no input: only the wire's
    (camelCase) names are inputs; ``client_id`` is not ``clientId``."""
    inputs: dict[str, object] = {}
    strangers: list[str] = []
    for key, value in props.items():
        if key in SNAKE and SNAKE[key] in NAMES:
            inputs[SNAKE[key]] = plain(value)
        else:
            strangers.append(key)
    return inputs, strangers


def wire_outputs(state: AppState) -> dict[str, PropertyValue]:
    """The outputs of ``state`` as the engine records them, the secrets marked secret."""
    return to_wire(state.recorded())


def names(values: Iterable[str]) -> list[str]:
    """Property names as the engine spells them."""
    return [CAMEL.get(name, name) for name in values]


def marshal(wire: Mapping[str, PropertyValue]) -> struct_pb2.Struct:
    """``wire`` as the engine's struct. The SDK's own marshalling cannot write a computed value
    (pulumi 3.260 raises on one), which every preview of a create sends back."""
    return struct_pb2.Struct(fields={k: _marshal(v) for k, v in wire.items()})


def _marshal(value: PropertyValue) -> struct_pb2.Value:
    inner = value.value
    if isinstance(inner, Computed):
        out = struct_pb2.Value(string_value=rpc.UNKNOWN)
    elif isinstance(inner, Mapping):
        out = struct_pb2.Value(struct_value=marshal(inner))
    elif isinstance(inner, list | tuple):
        items = [_marshal(v) for v in inner]
        out = struct_pb2.Value(list_value=struct_pb2.ListValue(values=items))
    else:
        out = PropertyValue(inner).marshal()
    if not value.is_secret:
        return out
    secret = {
        SIGNATURE_KEY: struct_pb2.Value(string_value=SECRET_SIGNATURE),
        "value": out,
    }
    return struct_pb2.Value(struct_value=struct_pb2.Struct(fields=secret))
