"""Checks of the values tests steer the emulator with, failing as a readable ValueError."""

from __future__ import annotations


def require(ok: bool, message: str) -> None:
    """Raise ValueError(message) unless ``ok``."""
    if not ok:
        raise ValueError(message)


def is_int(value: object) -> bool:
    """Whether ``value`` is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Whether ``value`` is an int (not a bool) or a float."""
    return is_int(value) or isinstance(value, float)
