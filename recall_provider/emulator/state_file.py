"""The JSON state file that keeps apps and logs across emulator restarts."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .clock import parse_time
from .errors import StateFileError
from .validation import CREATE_FIELDS

Record = dict[str, Any]

_STATE_VERSION = 1
_APP_KEYS = frozenset({*CREATE_FIELDS, "id", "webhook_last_validation", "created_at"})
_LOG_KEYS = frozenset({"id", "oauth_app", "message", "created_at"})


def save_state(path: Path, apps: Iterable[Record], logs: list[Record]) -> None:
    """Write every app and log to ``path``, readable by the owner only."""
    state = {"version": _STATE_VERSION, "apps": list(apps), "logs": logs}
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    # Write-then-rename, so a crash never leaves a half-written state file behind; mkstemp's
    # 0600 mode suits a file full of secrets.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_state(path: Path) -> tuple[list[Record], list[Record]]:
    """The apps and logs saved in ``path``, or StateFileError when it is not a state file."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(f"not an emulator state file (version {_STATE_VERSION})")
        apps = _records(state.get("apps"), _APP_KEYS, "apps")
        logs = _records(state.get("logs"), _LOG_KEYS, "logs")
        for record in (*apps, *logs):
            parse_time(record["created_at"])
    except (OSError, ValueError, TypeError) as exc:
        raise StateFileError(f"cannot load emulator state from {path}: {exc}") from exc
    return apps, logs


def _records(value: object, keys: frozenset[str], name: str) -> list[Record]:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and set(item) == keys for item in value
    ):
        raise ValueError(f"{name!r} must be a list of objects with keys {sorted(keys)}")
    return value
