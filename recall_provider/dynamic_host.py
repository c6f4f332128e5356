"""What the provider knows of the Pulumi dynamic provider host it may run in.

The host is ``python -m pulumi.dynamic``, started by the CLI with the engine's address as its
last argument (pulumi/pulumi ``sdk/go/common/resource/plugin/provider_plugin.go``, newPlugin's
``[]string{host.ServerAddr()}``). It sends the engine ``traceback.format_exc()`` of whatever a
provider method raised (``sdk/python/lib/pulumi/dynamic/__main__.py``,
``_abort_with_traceback``), which ``pulumi up`` prints whole; an error of ours already says what
failed and what to do, so there it goes out as one line instead.
"""

from __future__ import annotations

import functools
import sys
import types
from typing import Any

from recall_provider.engine_address import EngineWatch, command_name, engine_address
from recall_provider.error_line import one_line
from recall_provider.errors import RecallError

__all__ = [
    "HOST_MODULE",
    "command",
    "engine_address",
    "engine_alive",
    "install_one_line_errors",
    "one_line",
    "running_in_host",
]

HOST_MODULE = "pulumi.dynamic.__main__"


def running_in_host() -> bool:
    """Whether this process is the dynamic provider host (``python -m pulumi.dynamic``)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == HOST_MODULE


def command() -> str | None:
    """The name of the command this host serves (its engine's address); None outside a host."""
    return command_name(sys.argv) if running_in_host() else None


def engine_alive() -> bool:
    """Whether the engine that started this host still listens; yes when it cannot be told
    (not in a host, or no address given)."""
    return _engine_watch()() if running_in_host() else True


@functools.cache
def _engine_watch() -> EngineWatch:
    return EngineWatch(sys.argv)


class _OneLineTraceback(types.ModuleType):
    """The host module's ``traceback``, whose ``format_exc`` renders our errors as one line."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__)
        self._real = real

    def format_exc(self, limit: int | None = None, chain: bool = True) -> str:
        caught = sys.exc_info()[1]
        if isinstance(caught, RecallError):
            return one_line(caught)
        return str(self._real.format_exc(limit, chain))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install_one_line_errors() -> None:
    """In the host (nowhere else), make its error answers for our errors one line."""
    if not running_in_host():
        return
    host = sys.modules["__main__"]
    current = getattr(host, "traceback", None)
    if isinstance(current, types.ModuleType) and not isinstance(current, _OneLineTraceback):
        host.traceback = _OneLineTraceback(current)  # type: ignore[attr-defined]
