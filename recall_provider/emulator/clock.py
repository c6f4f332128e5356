"""Timestamps as the API prints them, from a clock that never repeats itself.

Fidelity gap: timestamps always carry microseconds, and are made strictly increasing so that
ordering is total; DRF would print ``...:58Z`` when the microseconds happen to be zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    """An aware datetime as the API prints it (naive ones are taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """A timestamp the emulator printed, back as an aware UTC datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


# How far ahead of this machine's clock a saved time may be: far enough for a clock set back
# since the time was written (an NTP step, local time taken for UTC), not for a made-up date,
# after which the clock would answer every later time, or overflow the calendar's end.
LEEWAY = timedelta(days=1)


def check_time(value: object) -> datetime:
    """``value`` back as an aware UTC datetime if it is a time exactly as the API prints it and
    one this clock could have answered (at most LEEWAY ahead of now); ValueError saying why
    otherwise."""
    try:
        moment = parse_time(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    # A round trip, not just a parse: strptime also takes what the API never prints (one-digit
    # fields, years before 1000), and times are ordered as strings of the printed form.
    if moment is None or format_time(moment) != value:
        example = format_time(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
        raise ValueError(f"not a time as the API prints it (like {example})")
    latest = datetime.now(UTC) + LEEWAY
    if moment > latest:
        raise ValueError(f"later than this machine's clock allows ({format_time(latest)})")
    return moment


class Clock:
    """Strictly increasing timestamps in the API's format."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)

    def now(self) -> str:
        """The current time, a microsecond past the last answer if the clock has not moved."""
        # Strictly increasing, so that newest-first ordering never depends on the id tie-break.
        moment = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
        self._last = moment
        return format_time(moment)

    def catch_up(self, stamps: Iterable[str]) -> None:
        """Never answer a time before the latest of these (from a loaded state file)."""
        latest = max(stamps, default=None)
        if latest is not None:
            self._last = parse_time(latest)
