"""The native ``recall`` provider: the engine's gRPC calls served by the core's ``AppService``.

Written over the raw servicer rather than the SDK's experimental provider server, whose defects
it would inherit (no Handshake; a Read that cannot say "gone" or refuse a missing import; every
error sent as a traceback; DiffConfig answers garbled). The server runs on one event loop; the
core blocks (HTTP, locks), so every call to it goes to a bounded pool of threads, and the
engine's parallelism reaches Recall up to that bound (and the client's pacing).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn, TypeVar

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import plugin_pb2, provider_pb2_grpc
from pulumi.runtime.proto import provider_pb2 as proto

from recall_provider.core import UNKNOWN, AppInputs, AppService, AppState, inputs_of, spoken_as
from recall_provider.core.check import not_an_input
from recall_provider.core.spec import NAMES, OUTPUT_ONLY, SELF_CHECK_AT
from recall_provider.error_line import one_line
from recall_provider.errors import RecallConfigError, RecallError
from recall_provider.native.schema import VERSION, schema_json
from recall_provider.native.values import (
    CAMEL,
    dynamic_shape,
    from_wire,
    inputs_from_wire,
    marshal,
    names,
    plain,
    state_of,
    to_wire,
    wire_outputs,
)
from recall_provider.settings import (
    NAMESPACE,
    Lookup,
    refuse_unknown_settings,
    unknown_setting,
    unknown_settings,
)

__all__ = ["THREADS", "THREADS_ENV", "RecallProvider"]

T = TypeVar("T")

THREADS = 64
"""Calls to the core that run at once, at most: the engine's default parallelism on a
16-CPU machine, and the benchmark's."""
THREADS_ENV = "RECALL_PROVIDER_THREADS"
"""Overrides ``THREADS``."""
_SPOKEN = {name: CAMEL[name] for name in NAMES}
_ORGANIZATION = "organization"
"""Owners name one; the engine tells a plugin none. (The core compares owners without it.)"""
_DIFF_KINDS = {
    (True, True, True): proto.PropertyDiff.UPDATE_REPLACE,
    (False, True, True): proto.PropertyDiff.ADD_REPLACE,
    (True, False, True): proto.PropertyDiff.DELETE_REPLACE,
    (True, True, False): proto.PropertyDiff.UPDATE,
    (False, True, False): proto.PropertyDiff.ADD,
    (True, False, False): proto.PropertyDiff.DELETE,
}


def _threads() -> int:
    try:
        return max(1, int(os.environ.get(THREADS_ENV) or THREADS))
    except ValueError:
        return THREADS


class RecallProvider(provider_pb2_grpc.ResourceProviderServicer):
    """The ``recall`` package's provider: one ``AppService`` per provider instance (process)."""

    def __init__(
        self,
        pool: ThreadPoolExecutor | None = None,
        *,
        command: str | None = None,
        caller_alive: Callable[[], bool] = lambda: True,
    ) -> None:
        """``command``: the name of the command served (its engine's address);
        ``caller_alive``: whether its engine still listens for the answers."""
        self._pool = pool or ThreadPoolExecutor(_threads(), thread_name_prefix="recall")
        self._service = AppService(command=command, caller_alive=caller_alive)

    async def _call(self, context: grpc.aio.ServicerContext, work: Callable[[], T]) -> T:
        """``work`` on the pool, naming inputs the wire's way; our errors become one line."""

        def spoken() -> T:
            with spoken_as(_SPOKEN):
                return work()

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, spoken)
        except RecallError as exc:
            await _abort(context, exc)

    # -- the protocol ------------------------------------------------------------------------

    async def Handshake(
        self, request: proto.ProviderHandshakeRequest, context: grpc.aio.ServicerContext
    ) -> proto.ProviderHandshakeResponse:
        """Secrets travel marked both ways; resource references are not taken apart."""
        return proto.ProviderHandshakeResponse(
            accept_secrets=True, accept_resources=True, accept_outputs=False
        )

    async def GetPluginInfo(
        self, request: empty_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> plugin_pb2.PluginInfo:
        """The plugin's version."""
        return plugin_pb2.PluginInfo(version=VERSION)

    async def GetSchema(
        self, request: proto.GetSchemaRequest, context: grpc.aio.ServicerContext
    ) -> proto.GetSchemaResponse:
        """The package schema, made from the declarations."""
        return proto.GetSchemaResponse(schema=schema_json())

    async def CheckConfig(
        self, request: proto.CheckRequest, context: grpc.aio.ServicerContext
    ) -> proto.CheckResponse:
        """A key that is no setting is a failure naming the closest one; the values are judged
        when a call needs Recall (a preview needs none)."""
        keys = (f"{NAMESPACE}:{key}" for key in request.news.fields)
        failures = [
            # No property: the engine would print the value beside it, a pasted key perhaps.
            proto.CheckFailure(reason=one_line(unknown_setting(key)))
            for key in unknown_settings(keys)
        ]
        return proto.CheckResponse(inputs=request.news, failures=failures)

    async def DiffConfig(
        self, request: proto.DiffRequest, context: grpc.aio.ServicerContext
    ) -> proto.DiffResponse:
        """New settings change the provider, never replace its apps: they stay where they are."""
        olds = {k: plain(v) for k, v in PropertyValue.unmarshal_map(request.olds).items()}
        news = {k: plain(v) for k, v in PropertyValue.unmarshal_map(request.news).items()}
        changed = sorted(k for k in olds.keys() | news.keys() if olds.get(k) != news.get(k))
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    async def Configure(
        self, request: proto.ConfigureRequest, context: grpc.aio.ServicerContext
    ) -> proto.ConfigureResponse:
        """Read the ``recall:*`` settings (or an explicit provider's arguments); a key that is
        no setting (CheckConfig refuses it first, where the engine calls it) is an error."""
        args = PropertyValue.unmarshal_map(request.args)
        try:
            refuse_unknown_settings(_given(args, request.variables))
        except RecallConfigError as exc:
            await _abort(context, exc)
        self._service.configure(_settings(args, dict(request.variables)))
        return proto.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False
        )

    async def Check(
        self, request: proto.CheckRequest, context: grpc.aio.ServicerContext
    ) -> proto.CheckResponse:
        """Every wrong input a failure naming it; nothing is sent to Recall."""
        news = PropertyValue.unmarshal_map(request.news)
        given, strangers = inputs_from_wire(news)
        with spoken_as(_SPOKEN):
            checked = self._service.check(given)
            stranger = not_an_input()
        inputs = _keep_secret(to_wire(checked.inputs), news)
        failures = [
            proto.CheckFailure(property=CAMEL.get(f.property, f.property), reason=f.reason)
            for f in checked.failures
        ] + [proto.CheckFailure(property=key, reason=stranger) for key in strangers]
        return proto.CheckResponse(inputs=marshal(inputs), failures=failures)

    async def Diff(
        self, request: proto.DiffRequest, context: grpc.aio.ServicerContext
    ) -> proto.DiffResponse:
        """Replace on a new kind or client id, update on new secrets; each property's change
        detailed, so that ``replaceOnChanges`` and ``ignoreChanges`` work."""
        recorded = PropertyValue.unmarshal_map(request.olds)
        olds = from_wire(recorded)
        news = from_wire(PropertyValue.unmarshal_map(request.news))
        try:
            with spoken_as(_SPOKEN):
                plan = self._service.plan(request.id, olds, news)
        except RecallError as exc:
            await _abort(context, exc)
        detailed = {}
        for name in (*plan.replaces, *plan.updates):
            kind = (olds.get(name) is not None, news.get(name) is not None, name in plan.replaces)
            detailed[CAMEL[name]] = proto.PropertyDiff(
                kind=_DIFF_KINDS.get(kind, proto.PropertyDiff.UPDATE), inputDiff=True
            )
        # A state the dynamic door recorded (moved here by the alias) is rewritten the native
        # way by an update, which sends Recall no change (one GET).
        changes = plan.changes or dynamic_shape(recorded)
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changes else proto.DiffResponse.DIFF_NONE,
            replaces=names(plan.replaces),
            deleteBeforeReplace=plan.delete_before_replace,
            diffs=names((*plan.replaces, *plan.updates)),
            detailedDiff=detailed,
            hasDetailedDiff=True,
        )

    async def Create(
        self, request: proto.CreateRequest, context: grpc.aio.ServicerContext
    ) -> proto.CreateResponse:
        """Adopt or make the app, never a second for one Zoom app; a preview only says what
        the outputs will be."""
        props = PropertyValue.unmarshal_map(request.properties)
        values = from_wire(props)
        if request.preview:
            planned = {**values, **dict.fromkeys(OUTPUT_ONLY, UNKNOWN)}
            wire = _keep_secret(to_wire(planned), props)
            return proto.CreateResponse(properties=marshal(wire))
        inputs = AppInputs.checked(values)
        owner = _owner(request.urn)
        state = await self._call(context, lambda: self._service.create(inputs, owner=owner))
        wire = _keep_secret(wire_outputs(state), props)
        return proto.CreateResponse(id=state.id, properties=marshal(wire))

    async def Read(
        self, request: proto.ReadRequest, context: grpc.aio.ServicerContext
    ) -> proto.ReadResponse:
        """Refresh: the app as it is, or no id when it is gone. Import (an id and nothing
        else): the app and the inputs that make it; an id Recall does not have is an error."""
        props = PropertyValue.unmarshal_map(request.properties)
        # An import sends the id and nothing else; a refresh, what the engine recorded.
        last = state_of(request.id, props) if props else None
        if last is None:
            state: AppState | None = await self._call(
                context, lambda: self._service.import_app(request.id)
            )
        else:
            state = await self._call(context, lambda: self._service.read(request.id, last))
        if state is None:
            return proto.ReadResponse(id="")
        outputs = _keep_secret(wire_outputs(state), props)
        inputs = _keep_secret(
            to_wire(inputs_of(state)), PropertyValue.unmarshal_map(request.inputs)
        )
        return proto.ReadResponse(
            id=state.id,
            properties=marshal(outputs),
            inputs=marshal(inputs),
        )

    async def Update(
        self, request: proto.UpdateRequest, context: grpc.aio.ServicerContext
    ) -> proto.UpdateResponse:
        """One PATCH with only the secrets that changed; a preview only says what changes."""
        olds = PropertyValue.unmarshal_map(request.olds)
        news = PropertyValue.unmarshal_map(request.news)
        last = state_of(request.id, olds)
        values = from_wire(news)
        if request.preview:
            # The recorded outputs, but every input as the program now gives it (one it no
            # longer gives, such as adoptAppId, is gone).
            kept = {k: v for k, v in from_wire(olds).items() if k not in NAMES}
            planned = {**kept, **values, SELF_CHECK_AT: UNKNOWN}
            wire = _keep_secret(to_wire(planned), news)
            return proto.UpdateResponse(properties=marshal(wire))
        inputs = AppInputs.checked(values)
        state = await self._call(context, lambda: self._service.update(request.id, last, inputs))
        wire = _keep_secret(wire_outputs(state), news)
        return proto.UpdateResponse(properties=marshal(wire))

    async def Delete(
        self, request: proto.DeleteRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        """One DELETE, unless a create of this provider adopted the app (a rename)."""
        last = state_of(request.id, PropertyValue.unmarshal_map(request.properties))
        await self._call(context, lambda: self._service.delete(request.id, last))
        return empty_pb2.Empty()

    async def Cancel(
        self, request: empty_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        """Nothing to stop early: every call ends within its request's budget."""
        return empty_pb2.Empty()


def _settings(args: Mapping[str, PropertyValue], variables: Mapping[str, str]) -> Lookup:
    """Where ``recall:<key>`` is read: the provider's arguments (the stack's ``recall:*``
    config, or an explicit provider's), then the engine's older ``variables``."""

    def get(key: str) -> object:
        name = key.split(":", 1)[1]
        if name in args:
            value = plain(args[name])
            return None if value is UNKNOWN else value
        return variables.get(f"recall:config:{name}") or variables.get(key)

    return get


def _given(args: Mapping[str, PropertyValue], variables: Mapping[str, str]) -> set[str]:
    """The ``recall:<key>`` of every setting given, as arguments or as older variables
    (``recall:config:<key>``, or ``recall:<key>``)."""
    names = set(args)
    for key in variables:
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            names.add(name.removeprefix("config:"))
    return {f"{NAMESPACE}:{name}" for name in names}


def _keep_secret(
    wire: dict[str, PropertyValue], given: Mapping[str, PropertyValue]
) -> dict[str, PropertyValue]:
    """``wire`` with every property that came secret still secret (a client id set from a
    secret stays one); ``SECRETS`` are secret already."""
    secret = {k for k, v in given.items() if v.is_secret}
    return {k: v.with_secret(True) if k in secret else v for k, v in wire.items()}


def _owner(urn: str) -> str | None:
    """``organization/project/stack/name`` of a resource's URN
    (``urn:pulumi:stack::project::type::name``), with the DIY backends' organization (the
    engine tells a plugin none): only this resource may take over the app of its own
    interrupted create."""
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        return None
    stack = parts[0].removeprefix("urn:pulumi:")
    return "/".join((_ORGANIZATION, parts[1], stack, parts[-1]))


async def _abort(context: grpc.aio.ServicerContext, error: RecallError) -> NoReturn:
    await context.abort(grpc.StatusCode.UNKNOWN, one_line(error))
    raise AssertionError("abort returns only by raising")  # pragma: no cover
