"""How the core's messages name an argument: as whoever called spells it.

The core names an input by its argument name (``adopt_app_id``), which is what a user of the
library sets. A caller that gives its users other names (the repository's program sets
``adopt_app_id`` from ``recall-zoom:adoptAppId``; the native door says ``adoptAppId``) wraps
its call in ``spoken_as``; the core's messages then name the argument the caller's way. The names
live in a context variable, which is the calling thread's: each door sets them around the call
in the thread that runs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

__all__ = ["argument", "spoken_as"]

_SPOKEN: ContextVar[Mapping[str, str]] = ContextVar("spoken", default=MappingProxyType({}))


def argument(name: str) -> str:
    """How a message names the input ``name`` to whoever called."""
    return _SPOKEN.get().get(name, name)


@contextmanager
def spoken_as(names: Mapping[str, str]) -> Iterator[None]:
    """Inside, messages name each input of ``names`` by its value there."""
    token = _SPOKEN.set(MappingProxyType(dict(names)))
    try:
        yield
    finally:
        _SPOKEN.reset(token)
