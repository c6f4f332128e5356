"""The dynamic provider behind ``RecallZoomOAuthApp``: a door to the core's ``AppService``.

It converts and nothing else: the engine's property bags (snake_case keys, the pickled
``__provider``, Pulumi's ``Unknown``) into the core's records, and the core's answers into the
``*Result`` types. The engine pickles this object into state by reference and the provider host
shares one instance among four threads, so the instance holds only its service, built from
``configure()`` or the environment at run time.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.output import Unknown

from recall_provider import dynamic_host
from recall_provider.core import UNKNOWN, AppInputs, AppService, AppState, inputs_of, spoken_as

__all__ = ["ARGUMENT_KEYS", "OWNER", "RecallZoomOAuthAppProvider", "argument_names"]

log = logging.getLogger(__name__)

OWNER = "owner"
"""Set by the resource, not by a user: the stack and resource the app is for
(``organization/project/stack/name``)."""
ARGUMENT_KEYS = "argument_keys"
"""Set by the resource when its program says so: where the program's user sets each argument
(its config key), which the core's messages then name."""
_DOOR_KEYS = (PROVIDER_KEY, OWNER, ARGUMENT_KEYS)


class RecallZoomOAuthAppProvider(ResourceProvider):
    """CRUD of one Recall Zoom OAuth App per resource, over Recall's REST API."""

    # Nothing secret is ever captured, so the pickle need not be encrypted twice per resource.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._runtime_init()

    def _runtime_init(self) -> None:
        self._service = AppService(
            caller_alive=dynamic_host.engine_alive, command=dynamic_host.command()
        )

    def __reduce__(self) -> tuple[Callable[[], RecallZoomOAuthAppProvider], tuple[()]]:
        # Settings and clients come from configure() or the environment of the process that
        # runs the provider; none of it belongs in state. A reference to a module function is
        # the smallest pickle (the engine stores it twice per resource).
        return _fresh, ()

    def __setstate__(self, state: dict[str, Any]) -> None:
        # States written before __reduce__ hold the class and an empty dict.
        self._runtime_init()

    def configure(self, req: ConfigureRequest) -> None:
        """Read the ``recall:*`` settings; the environment fills what the stack leaves unset."""
        # In the host, our errors from now on reach `pulumi` as one line, not a traceback.
        dynamic_host.install_one_line_errors()
        self._service.configure(req.config.get)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and normalise the inputs; every problem becomes a CheckFailure."""
        with _spoken(news):
            checked = self._service.check(_values(news))
        # What the engine did not know it still does not: its own unknowns go back.
        inputs = {k: news[k] if v is UNKNOWN else v for k, v in checked.inputs.items()}
        door = {k: news[k] for k in _DOOR_KEYS if k in news}
        failures = [CheckFailure(f.property, f.reason) for f in checked.failures]
        return CheckResult({**door, **inputs}, failures)

    def diff(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new kind or client id, update on new secrets, otherwise nothing."""
        with _spoken(news):
            plan = self._service.plan(id, _values(olds), _values(news))
        return DiffResult(
            changes=plan.changes,
            replaces=list(plan.replaces),
            delete_before_replace=plan.delete_before_replace,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt or make the app, never a second for one Zoom app; then the self-check."""
        owner = props.get(OWNER)
        with _spoken(props):
            state = self._service.create(
                AppInputs.checked(props), owner=owner if isinstance(owner, str) else None
            )
        return CreateResult(state.id, state.recorded())

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        """One GET: the live values, or an empty id when the app is gone."""
        state = self._service.read(id, AppState.from_recorded(id, props))
        if state is None:
            return ReadResult(None, {})
        return ReadResult(state.id, state.recorded(), inputs_of(state))

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only the secrets that changed; the complete outputs come back."""
        with _spoken(news):
            state = self._service.update(
                id, AppState.from_recorded(id, olds), AppInputs.checked(news)
            )
        return UpdateResult(state.recorded())

    def delete(self, id: str, props: dict[str, Any]) -> None:
        """One DELETE, unless a create of this command adopted the app (a rename)."""
        self._service.delete(id, AppState.from_recorded(id, props))


def _fresh() -> RecallZoomOAuthAppProvider:
    """What every pickled provider stands for: a new, unconfigured one."""
    return RecallZoomOAuthAppProvider()


def _values(props: Mapping[str, Any]) -> dict[str, object]:
    """The properties the core knows, Pulumi's unknowns as its sentinel."""
    return {
        k: UNKNOWN if isinstance(v, Unknown) else v for k, v in props.items() if k not in _DOOR_KEYS
    }


def argument_names(props: Mapping[str, Any]) -> dict[str, str]:
    """Where the resource's program says its user sets each argument (``argument_keys``): the
    names the core's messages then use."""
    keys = props.get(ARGUMENT_KEYS)
    return {k: v for k, v in keys.items() if isinstance(v, str)} if isinstance(keys, dict) else {}


@contextlib.contextmanager
def _spoken(props: Mapping[str, Any]) -> Iterator[None]:
    """Inside, the core names each argument as the resource's program said its user sets it."""
    with spoken_as(argument_names(props)):
        yield
