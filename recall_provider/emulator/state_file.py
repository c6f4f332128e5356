"""The JSON state file that keeps apps and logs across emulator restarts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

from recall_provider.files import read_own, replace_file

from .clock import check_time
from .errors import StateFileError, ValidationError
from .validation import CREATE_FIELDS, SECRET_FIELDS, normalise_uuid, validate

Record = dict[str, Any]

_STATE_VERSION = 1
_STATE_KEYS = frozenset({"version", "apps", "logs"})
_APP_KEYS = frozenset({*CREATE_FIELDS, "id", "webhook_last_validation", "created_at"})
_LOG_KEYS = frozenset({"id", "oauth_app", "message", "created_at"})
_SHOWN_LENGTH = 60
_UNSET = object()


def save_state(path: Path, apps: Iterable[Record], logs: list[Record]) -> None:
    """Write every app and log to ``path``, readable by the owner only."""
    state = {"version": _STATE_VERSION, "apps": list(apps), "logs": logs}
    path.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all, 0600 (a file full of secrets), never through a planted link.
    replace_file(path, json.dumps(state, indent=1).encode())


def load_state(path: Path) -> tuple[list[Record], list[Record]]:
    """The apps and logs saved in ``path`` (none while there is no file), each record one the
    API could have stored and can answer; otherwise StateFileError, one line naming the file,
    the record and the field."""
    try:
        raw = _read(path)
        if raw is None:
            return [], []
        state = json.loads(raw.decode("utf-8"), object_pairs_hook=_JsonObject)
        return _check_state(state)
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text ({exc})"
    except json.JSONDecodeError as exc:
        problem = f"not JSON ({exc})"
    except RecursionError:
        problem = "nested too deeply to be a state file"
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL, or a bad record
        problem = str(exc)
    raise StateFileError(f"cannot load emulator state from {path}: {problem}")


def _read(path: Path) -> bytes | None:
    """The bytes at ``path``, None when nothing is there yet. What save_state would refuse to
    replace (a link, a file that is not regular or is another user's) is refused here, at
    start, rather than by the first request that saves."""
    try:
        return read_own(path)
    except FileNotFoundError:
        return None


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once (json keeps the
    last, so a hand-edited duplicate would silently win)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counts = Counter(key for key, _ in pairs)
        self.repeated = sorted(key for key, count in counts.items() if count > 1)


def _check_state(state: object) -> tuple[list[Record], list[Record]]:
    if not isinstance(state, dict):
        raise ValueError("not an emulator state file (a JSON object of version, apps and logs)")
    _check_keys(state, _STATE_KEYS, "")
    version = state["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version != _STATE_VERSION:
        _refuse("", "version", f"this emulator reads version {_STATE_VERSION}", version)
    return _check_records(state, "apps", _check_app), _check_records(state, "logs", _check_log)


def _check_records(state: Record, name: str, check: Callable[[Record, str], None]) -> list[Record]:
    records = state[name]
    if not isinstance(records, list):
        _refuse("", name, "not a list of records", records)
    seen: dict[str, str] = {}
    for index, record in enumerate(records):
        where = f"{name}[{index}]"
        if not isinstance(record, dict):
            raise ValueError(f"{where}: not an object")
        if isinstance(record.get("id"), str):
            where += f" (id {_shown(record['id'])})"
        check(record, where)
        # Ids are what lookups find and what breaks ties in an ordering: two records with one
        # id would leave one of them unreachable.
        if record["id"] in seen:
            _refuse(where, "id", f"already the id of {seen[record['id']]}", record["id"])
        seen[record["id"]] = where
    return [dict(record) for record in records]


def _check_app(app: Record, where: str) -> None:
    _check_keys(app, _APP_KEYS, where)
    _check_id(app, "id", where)
    try:
        clean = validate(app, CREATE_FIELDS, partial=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.body.items()))
        _refuse(where, field, " ".join(messages), app[field])
    for field in CREATE_FIELDS:
        # The API stores what its serializer cleaned: a string, trimmed (never 12 for "12").
        if clean[field] != app[field]:
            _refuse(where, field, "not as the API stores it (a string, trimmed)", app[field])
    _check_time(app, "created_at", where)
    if app["webhook_last_validation"] is not None:  # null: never validated
        _check_time(app, "webhook_last_validation", where)


def _check_log(log: Record, where: str) -> None:
    _check_keys(log, _LOG_KEYS, where)
    _check_id(log, "id", where)
    # An id, but of any app: the API keeps (and lists) the logs of an app deleted since.
    _check_id(log, "oauth_app", where)
    message = log["message"]
    if not isinstance(message, str):
        _refuse(where, "message", "not a string", message)
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate, which no UTF-8 answer can carry.
        _refuse(where, "message", "not text an answer can carry (UTF-8)", message)
    _check_time(log, "created_at", where)


def _check_keys(record: Record, keys: frozenset[str], where: str) -> None:
    for field in getattr(record, "repeated", []):
        _refuse(where, field, "given more than once")
    for field in sorted(keys - set(record)):
        _refuse(where, field, "missing")
    for field in sorted(set(record) - keys):
        _refuse(where, field, f"unknown (known: {', '.join(sorted(keys))})")


def _check_id(record: Record, field: str, where: str) -> None:
    value = record[field]
    # The one form the API writes, and so the only one its lookups and filters find.
    if not isinstance(value, str) or normalise_uuid(value) != value:
        _refuse(where, field, "not an id as the API writes it (a lower-case UUID)", value)


def _check_time(record: Record, field: str, where: str) -> None:
    try:
        check_time(record[field])
    except ValueError as exc:
        _refuse(where, field, str(exc), record[field])


def _refuse(where: str, field: str, problem: str, value: object = _UNSET) -> NoReturn:
    if value is _UNSET:
        shown = ""
    elif field in SECRET_FIELDS:
        shown = " (value not shown: a secret)"
    else:
        shown = f" ({_shown(value)})"
    raise ValueError(f"{where + ', ' if where else ''}field {field!r}{shown}: {problem}")


def _shown(value: object) -> str:
    """``value`` as the file spells it, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."
