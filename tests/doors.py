"""One set of lifecycle cases, driven through every door of the provider.

A case drives an ``Engine``: the engine's call sequences for preview, up, refresh and destroy,
with state kept between, as the Pulumi engine keeps it (checked inputs and outputs per resource;
secrets plain, unknowns sent only to Check and Diff). The engine calls a ``Door``: each command
gets a ``Session`` of its own (a provider process of its own, as the CLI starts one per
command), which serves the six calls of the provider protocol on the property bags the engine
keeps: snake_case keys, ``owner`` and ``argument_keys`` where the resource sets them, the
pickled provider under ``PROVIDER_KEY`` (which a door other than the dynamic one ignores);
the engine closes the session when its command is over.

The doors:

- ``CoreDoor``: the core's ``AppService`` called in this process (a new service per command),
  with the settings the provider host gets; its errors become ``DoorError``s with the one line
  the host would send.
- ``ProviderHost`` (tests/host_harness.py): the real ``python -m pulumi.dynamic`` host over
  gRPC, whose errors are ``HostError``s, a ``DoorError`` too.
- ``NativeDoor`` (tests/native_harness.py): the native plugin, ``python -m
  recall_provider.native``, a process of its own per command, over gRPC: camelCase properties,
  secrets marked, the owner in the URN; its errors are ``PluginError``s, a ``DoorError`` too.

A new door is one more ``Door`` and one more entry of ``DOORS``; the cases stay as they are.
Every door answers in the same terms: the ids, the outputs as the engine records them (no key
for a value that is not there), failures of Check as ``CheckFailed`` (by input name), every
other failure as a ``DoorError`` whose ``error_code`` is the error's stable code; a case that
looks for an input's name in a message asks the door how its users spell it
(``Door.argument``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.output import Unknown
from pulumi.runtime import proto, rpc

from recall_provider.core import UNKNOWN, AppInputs, AppService, AppState, inputs_of, spoken_as
from recall_provider.error_line import one_line
from recall_provider.errors import RecallError
from recall_provider.provider import ARGUMENT_KEYS, OWNER, argument_names

__all__ = [
    "CORE",
    "DOORS",
    "DYNAMIC",
    "NATIVE",
    "CheckFailed",
    "CoreDoor",
    "Diff",
    "Door",
    "DoorError",
    "Engine",
    "Plan",
    "ResourceState",
    "Session",
    "through",
    "through_one_door_for_its_waits",
]

CORE = pytest.param("core", id="core")
"""The core, called in this process: the rules, with no Pulumi around them."""
DYNAMIC = pytest.param("dynamic", id="dynamic", marks=pytest.mark.host)
"""The real dynamic provider host, over gRPC."""
NATIVE = pytest.param("native", id="native", marks=pytest.mark.native)
"""The native provider plugin, a process of its own per command, over gRPC."""
DOORS = [CORE, DYNAMIC, NATIVE]
"""Every door a case runs through, unless it says otherwise (``through``)."""


def through(*doors: Any) -> pytest.MarkDecorator:
    """Run the case through ``doors`` only (``CORE``, ``DYNAMIC``, ``NATIVE``); its docstring
    says why."""
    return pytest.mark.parametrize("door_name", doors, indirect=True)


through_one_door_for_its_waits = through(DYNAMIC)
"""For a case whose time is the client's waiting (its retries, a Retry-After, a timeout, the
wait for a lost POST to show), which is the same through every door: the case runs through the
dynamic door alone, as before there were doors, so that the suite keeps its time. The rule it
proves runs through every door in a quicker case, named where there is one."""


class DoorError(Exception):
    """A call failed: for an error of ours its one line (``RecallNotFoundError[not_found]:
    ...``), as ``pulumi up`` prints it; for anything else whatever the door said."""

    def __init__(self, method: str, details: str, summary: str | None = None) -> None:
        self.method = method
        self.details = details
        super().__init__(summary or f"{method} failed: {details}")

    @property
    def last_line(self) -> str:
        lines = [line for line in self.details.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @property
    def error_class(self) -> str | None:
        """The class of an error of ours (``RecallNotFoundError``), None for anything else."""
        match = _ONE_LINE.match(self.last_line)
        return match["cls"] if match else None

    @property
    def error_code(self) -> str | None:
        """The stable code of an error of ours (``not_found``), None for anything else."""
        match = _ONE_LINE.match(self.last_line)
        return match["code"] if match else None


# What a door answers for an error of ours: ``RecallNotFoundError[not_found]: ...``.
_ONE_LINE = re.compile(r"^(?P<cls>Recall\w+)\[(?P<code>\w+)\]: ")


class CheckFailed(Exception):
    """Check returned failures; the engine stops before any other call."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{p}: {r}" for p, r in failures))


@dataclass(frozen=True)
class Diff:
    changes: int
    replaces: list[str]
    delete_before_replace: bool

    @property
    def none(self) -> bool:
        return self.changes == proto.DiffResponse.DIFF_NONE


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


class Session(Protocol):
    """One command's provider: the calls of the provider protocol, on the engine's bags."""

    def check(
        self, name: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]: ...

    def diff(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> Diff: ...

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]: ...

    def read(
        self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]: ...

    def update(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> dict[str, Any]: ...

    def delete(
        self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]
    ) -> None: ...

    def close(self) -> None:
        """The command is over: the engine stops its provider."""
        ...


class Door(Protocol):
    """A way into the provider: a provider of a command's own per session."""

    def session(self) -> Session:
        """A provider of its own, as a new process of the provider would be."""
        ...

    def kill(self) -> None:
        """End the calls under way where they are, as SIGKILL ends a provider's process (a CI
        timeout, a second Ctrl-C): nothing after that point runs."""
        ...

    def argument(self, name: str) -> str:
        """How this door's messages name the input ``name``: as its users set it."""
        ...


class Engine:
    """The engine's per-command call sequences through one door, with state kept between.

    Each call is a command of its own, on a session of its own, as on the CLI, where each
    command starts its own provider; inside ``with engine.command():`` the calls are one
    command over several resources.
    """

    def __init__(self, door: Door) -> None:
        self.door = door
        self.state: dict[str, ResourceState] = {}
        self._command: Session | None = None

    @contextlib.contextmanager
    def command(self) -> Iterator[None]:
        """Run the calls inside as one command: one provider serves them all."""
        session = self._command = self.door.session()
        try:
            yield
        finally:
            self._command = None
            session.close()

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        """The provider of the command under way, or one for a command of its own, stopped
        when that command is over."""
        if self._command is not None:
            yield self._command
            return
        session = self.door.session()
        try:
            yield session
        finally:
            session.close()

    def _check(self, session: Session, name: str, props: dict[str, Any]) -> dict[str, Any]:
        old = self.state.get(name)
        inputs, failures = session.check(name, old.inputs if old else {}, props)
        if failures:
            raise CheckFailed(failures)
        return inputs

    def preview(self, name: str, props: dict[str, Any]) -> Plan:
        with self._session() as session:
            return self._preview(session, name, props)

    def _preview(self, session: Session, name: str, props: dict[str, Any]) -> Plan:
        inputs = self._check(session, name, props)
        old = self.state.get(name)
        if old is None:
            return Plan("create", outputs=inputs)
        diff = session.diff(name, old.id, old.outputs, old.inputs, inputs)
        return Plan(_op(diff), diff=diff)

    def up(self, name: str, props: dict[str, Any]) -> Plan:
        with self._session() as session:
            return self._up(session, name, props)

    def _up(self, session: Session, name: str, props: dict[str, Any]) -> Plan:
        inputs = self._check(session, name, props)
        old = self.state.get(name)
        if old is None:
            id_, outputs = session.create(name, inputs)
            assert id_, "the engine rejects an empty id from Create"
            self.state[name] = ResourceState(id_, inputs, outputs)
            return Plan("create", outputs=outputs)
        diff = session.diff(name, old.id, old.outputs, old.inputs, inputs)
        op = _op(diff)
        if op == "update":
            outputs = session.update(name, old.id, old.outputs, old.inputs, inputs)
            self.state[name] = ResourceState(old.id, inputs, outputs)
        elif op == "replace":
            # The engine checks the new inputs again, as a new resource's (olds empty), and
            # creates from what that Check returns.
            fresh, failures = session.check(name, {}, props)
            if failures:
                raise CheckFailed(failures)
            if diff.delete_before_replace:
                session.delete(name, old.id, old.outputs, old.inputs)
                del self.state[name]
            id_, outputs = session.create(name, fresh)
            if not diff.delete_before_replace:
                session.delete(name, old.id, old.outputs, old.inputs)
            self.state[name] = ResourceState(id_, fresh, outputs)
        return Plan(op, outputs=self.state[name].outputs, diff=diff)

    def refresh(self, name: str) -> str:
        """Read, then (as the engine does since 3.120) diff the refreshed state against the old
        inputs to decide whether the refresh shows a change: "deleted", "same" or "update"."""
        with self._session() as session:
            return self._refresh(session, name)

    def _refresh(self, session: Session, name: str) -> str:
        old = self.state[name]
        id_, outputs, inputs = session.read(name, old.id, old.outputs, old.inputs)
        if not id_:
            del self.state[name]
            return "deleted"
        new = ResourceState(id_, inputs if inputs is not None else old.inputs, outputs)
        self.state[name] = new
        diff = session.diff(name, id_, new.outputs, new.inputs, old.inputs)
        return "same" if diff.none else "update"

    def destroy(self, name: str) -> None:
        # A failed Delete keeps the resource in state, as the engine does.
        old = self.state[name]
        with self._session() as session:
            session.delete(name, old.id, old.outputs, old.inputs)
        del self.state[name]


def _op(diff: Diff) -> str:
    if diff.changes == proto.DiffResponse.DIFF_NONE:
        return "same"
    return "replace" if diff.replaces else "update"


# -- the core's door ------------------------------------------------------------------------

# The properties the resource sets beside the inputs, which every door takes its own way.
_DOOR_KEYS = (PROVIDER_KEY, OWNER, ARGUMENT_KEYS)


class CoreDoor:
    """``AppService`` called in this process: a new service per session, configured with the
    ``recall:*`` settings a provider host gets, under ``env`` (what a host's environment would
    add: this machine's records of creates, the settings' fallbacks)."""

    def __init__(self, config: Mapping[str, str], env: Mapping[str, str] | None = None) -> None:
        self.config = dict(config)
        self.env = dict(env or {})
        self._lock = threading.Lock()
        self._calls: set[int] = set()

    def session(self) -> CoreSession:
        service = AppService()
        with _ENVIRONMENT.holding(self.env):
            service.configure(self.config.get)
        return CoreSession(self, service)

    def argument(self, name: str) -> str:
        return name  # a library user's argument

    def kill(self) -> None:
        # Each call under way raises _Killed at its next Python instruction (one blocked in a
        # socket, once the socket gives up): whatever it wrote so far stays, nothing more runs.
        with self._lock:
            for ident in self._calls:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(ident), ctypes.py_object(_Killed)
                )

    @contextlib.contextmanager
    def call(self, method: str, props: Mapping[str, Any] | None = None) -> Iterator[None]:
        """One call of a session: under the door's environment, its arguments named as the
        resource's program says (``argument_keys``), our errors as the door's."""
        ident = threading.get_ident()
        try:
            with _ENVIRONMENT.holding(self.env), spoken_as(argument_names(props or {})):
                with self._lock:
                    self._calls.add(ident)
                try:
                    yield
                finally:
                    with self._lock:
                        self._calls.discard(ident)
        except RecallError as exc:
            raise DoorError(method, one_line(exc)) from exc
        except _Killed:
            raise DoorError(method, "the provider was killed") from None


class _Killed(BaseException):
    """What ``CoreDoor.kill`` raises in a call: nothing of the core catches it."""


@dataclass(frozen=True)
class CoreSession:
    """One command's service."""

    door: CoreDoor
    service: AppService

    def check(
        self, name: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        with self.door.call("Check", news):
            checked = self.service.check(_values(news))
        # What the engine did not know it still does not.
        inputs = {k: Unknown() if v is UNKNOWN else v for k, v in checked.inputs.items()}
        door = {k: news[k] for k in (OWNER, ARGUMENT_KEYS) if k in news}
        failures = [(f.property, f.reason) for f in checked.failures]
        return _present({**door, **inputs}), failures

    def diff(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> Diff:
        with self.door.call("Diff", news):
            plan = self.service.plan(id_, _values(olds), _values(news))
        changes = proto.DiffResponse.DIFF_SOME if plan.changes else proto.DiffResponse.DIFF_NONE
        return Diff(changes, list(plan.replaces), plan.delete_before_replace)

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        owner = inputs.get(OWNER)
        with self.door.call("Create", inputs):
            state = self.service.create(
                AppInputs.checked(inputs), owner=owner if isinstance(owner, str) else None
            )
        return state.id, _present(state.recorded())

    def read(
        self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        with self.door.call("Read"):
            state = self.service.read(id_, AppState.from_recorded(id_, outputs))
        if state is None:
            return "", {}, None
        return state.id, _present(state.recorded()), _present(inputs_of(state))

    def update(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        old_inputs: dict[str, Any],
        news: dict[str, Any],
    ) -> dict[str, Any]:
        with self.door.call("Update", news):
            state = self.service.update(
                id_, AppState.from_recorded(id_, olds), AppInputs.checked(news)
            )
        return _present(state.recorded())

    def delete(
        self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]
    ) -> None:
        with self.door.call("Delete"):
            self.service.delete(id_, AppState.from_recorded(id_, outputs))

    def close(self) -> None:
        """Nothing to stop: the service goes with the session."""


def _unknown(value: object) -> bool:
    """Whether ``value`` is the engine's unknown: as a case writes it, or as Check gave it."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def _values(props: Mapping[str, Any]) -> dict[str, object]:
    """The properties the core knows, the engine's unknowns as its sentinel."""
    return {k: UNKNOWN if _unknown(v) else v for k, v in props.items() if k not in _DOOR_KEYS}


def _present(props: Mapping[str, Any]) -> dict[str, Any]:
    # The engine's property values have no null: a property without a value is not there.
    return {k: v for k, v in props.items() if v is not None}


class _Environment:
    """The process's environment for the core doors' calls under way: what a provider host's
    environment would add (the settings' fallbacks are read when a session is configured,
    the records' directory when its service first calls Recall). Calls under one environment
    share it; a call under another while they run is a mistake of the case, since one process
    has one environment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._env: dict[str, str] = {}
        self._saved: dict[str, str | None] = {}
        self._users = 0

    @contextlib.contextmanager
    def holding(self, env: Mapping[str, str]) -> Iterator[None]:
        with self._lock:
            if self._users and dict(env) != self._env:
                raise RuntimeError("two core doors of different environments called at once")
            if not self._users:
                self._env = dict(env)
                self._saved = {k: os.environ.get(k) for k in env}
                os.environ.update(env)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if not self._users:
                    for key, value in self._saved.items():
                        if value is None:
                            os.environ.pop(key, None)
                        else:
                            os.environ[key] = value


_ENVIRONMENT = _Environment()
