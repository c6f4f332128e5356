"""The emulator's state file is checked whole at load: a record the API could not have stored
or cannot answer is refused at start, in one line naming the file, the record and the field,
instead of making later requests fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from recall_provider.emulator import Backend, EmulatorApp
from recall_provider.emulator.clock import format_time
from recall_provider.emulator.errors import StateFileError
from tests.helpers import APPS_PATH, LOGS_PATH

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Token test-key"}
BODY = {
    "kind": "user_level",
    "client_id": "zoom-client",
    "client_secret": "client-secret",
    "webhook_secret": "webhook-secret",
}
DELETE = object()  # a mutation that removes the field
Edit = Callable[[Any], object]


def saved_state(tmp_path: Path) -> Path:
    """A state file the emulator itself wrote: two apps (one validated), two logs."""
    path = tmp_path / "state.json"
    backend = Backend(path)
    first = backend.create_app(BODY)
    backend.create_app({**BODY, "client_id": "other"})
    backend.set_times(first["id"], webhook_last_validation=datetime.now(UTC))
    backend.add_log(first["id"], "Zoom webhook rejected: invalid x-zm-signature")
    backend.add_log(first["id"], "another")
    return path


def edited(path: Path, where: tuple[str | int, ...], value: object) -> None:
    """Set (or, with DELETE, remove) one value of the saved file; a callable maps the old one."""
    state = json.loads(path.read_text())
    *parents, last = where
    holder = state
    for key in parents:
        holder = holder[key]
    if value is DELETE:
        del holder[last]
    else:
        holder[last] = value(holder[last]) if callable(value) else value
    path.write_text(json.dumps(state))


def refusal(path: Path) -> str:
    with pytest.raises(StateFileError) as caught:
        Backend(path)
    message = str(caught.value)
    assert message.isprintable(), f"not one printable line: {message!r}"
    assert str(path) in message
    return message


def future(**delta: float) -> str:
    return format_time(datetime.now(UTC) + timedelta(**delta))


# Edits of an old value, named for the tests' ids (which must not change between collections).
def upper(old: str) -> str:
    return old.upper()


def braced(old: str) -> str:
    return "{" + old + "}"


def unhyphenated(old: str) -> str:
    return old.replace("-", "")


def urn(old: str) -> str:
    return "urn:uuid:" + old


def two_days_ahead(old: object) -> str:
    return future(days=2)


APP_TIMES = ["created_at", "webhook_last_validation"]
BAD_TIMES: list[object] = [
    "9999-12-31T23:59:59.999999Z",  # the clock cannot answer a time after it
    "9999-01-01T00:00:00.000000Z",
    two_days_ahead,  # later than any clock of this machine could have written it
    "2024-01-01T00:00:00Z",  # not as the API prints it: no microseconds
    "2024-01-01T00:00:00.000000+00:00",
    "2024-1-1T0:0:0.0Z",  # strptime takes it, the API never prints it
    "0999-01-01T00:00:00.000000Z",
    "2024-02-30T00:00:00.000000Z",
    "yesterday",
    "",
    1700000000,
    [],
]
BAD_IDS: list[object] = [
    12,
    upper,
    braced,
    unhyphenated,
    urn,
    "not-a-uuid",
    None,
]
BAD_CASES: list[tuple[tuple[str | int, ...], object]] = [
    *[(("apps", 0, field), time) for field in APP_TIMES for time in BAD_TIMES],
    (("apps", 0, "created_at"), None),  # only a validation may be null (never validated)
    *[(("apps", 1, "id"), bad) for bad in BAD_IDS],
    (("apps", 0, "kind"), "admin"),
    (("apps", 0, "kind"), "USER_LEVEL"),
    (("apps", 0, "kind"), None),
    (("apps", 0, "kind"), "\x1b]0;owned\x07\n"),
    (("apps", 0, "client_id"), 12),
    (("apps", 0, "client_id"), 1.5),
    (("apps", 0, "client_id"), " padded "),
    (("apps", 0, "client_id"), ""),
    (("apps", 0, "client_id"), "x" * 201),
    (("apps", 0, "client_id"), None),
    (("apps", 0, "client_id"), ["zoom-client"]),
    (("apps", 0, "client_id"), "a\ud800"),
    (("apps", 0, "client_secret"), 12345678),
    (("apps", 0, "client_secret"), "S" * 201),
    (("apps", 1, "webhook_secret"), True),
    (("apps", 1, "webhook_secret"), "nul\x00"),
    (("apps", 0, "kind"), DELETE),
    (("apps", 0, "webhook_last_validation"), DELETE),
    (("apps", 0, "name"), "an unknown field"),
    *[(("logs", 1, "id"), bad) for bad in BAD_IDS],
    *[(("logs", 0, "oauth_app"), bad) for bad in BAD_IDS],
    *[(("logs", 0, "created_at"), time) for time in BAD_TIMES],
    (("logs", 0, "message"), 5),
    (("logs", 0, "message"), None),
    (("logs", 0, "message"), "\ud800"),
    (("logs", 0, "message"), DELETE),
    (("logs", 0, "level"), "error"),
    (("version",), 2),
    (("version",), "1"),
    (("version",), True),
    (("version",), 1.0),
    (("apps",), {}),
    (("logs",), None),
    (("logs",), DELETE),
    (("notes",), "an unknown field"),
]


def case_id(case: object) -> str:
    where, value = case if isinstance(case, tuple) else ((), case)
    shown = "deleted" if value is DELETE else getattr(value, "__name__", None) or repr(value)
    return f"{'.'.join(map(str, where))}={shown}"[:60]


@pytest.mark.parametrize(("where", "value"), BAD_CASES, ids=map(case_id, BAD_CASES))
def test_a_bad_record_is_refused_naming_its_field(
    tmp_path: Path, where: tuple[str | int, ...], value: object
) -> None:
    path = saved_state(tmp_path)
    edited(path, where, value)
    message = refusal(path)
    field = where[-1]
    if len(where) == 3:
        assert f"{where[0]}[{where[1]}]" in message
    assert f"field {field!r}" in message


@pytest.mark.parametrize("secret", ["client_secret", "webhook_secret"])
@pytest.mark.parametrize("bad", ["hunter2-" * 30, 12345678, "  hunter2  "])
def test_a_refused_secret_is_not_shown(tmp_path: Path, secret: str, bad: object) -> None:
    path = saved_state(tmp_path)
    edited(path, ("apps", 0, secret), bad)
    message = refusal(path)
    assert "hunter2" not in message
    assert "12345678" not in message


@pytest.mark.parametrize("records", ["apps", "logs"])
def test_two_records_with_one_id_are_refused(tmp_path: Path, records: str) -> None:
    path = saved_state(tmp_path)
    state = json.loads(path.read_text())
    state[records][1]["id"] = state[records][0]["id"]
    path.write_text(json.dumps(state))
    assert f"{records}[1]" in refusal(path)


def test_a_field_given_twice_is_refused(tmp_path: Path) -> None:
    # json keeps the last of repeated keys: the file would silently mean something else.
    path = saved_state(tmp_path)
    text = path.read_text()
    path.write_text(text.replace('"kind": "user_level"', '"kind": "user_level", "kind": "x"', 1))
    assert "apps[0]" in refusal(path)
    assert "field 'kind'" in refusal(path)


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000, b"\xff\xfe{}", "{not json", "[]", "null", '{"version": 1, "apps": ["x"]}'],
)
def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "state.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    refusal(path)


def test_a_link_is_refused_as_its_first_save_would_be(tmp_path: Path) -> None:
    # Loading through a link would start an emulator whose every write then fails.
    target = saved_state(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert "symbolic link" in refusal(link)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    assert "symbolic link" in refusal(dangling)
    assert not (tmp_path / "nowhere.json").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_another_users_file_is_refused(tmp_path: Path) -> None:
    path = saved_state(tmp_path)
    os.chown(path, 65534, -1)
    assert "another user" in refusal(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    os.mkfifo(path)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            Backend(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        # Let the blocked open go: a writer that closes at once.
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("loading a FIFO waited for a writer")
    (error,) = outcome
    assert isinstance(error, StateFileError)
    assert "not a regular file" in str(error)


def test_a_directory_or_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    refusal(tmp_path / "dir.json")
    assert Backend(tmp_path / "not" / "yet.json").apps() == []


def test_odd_but_possible_files_load_and_answer_every_request(tmp_path: Path) -> None:
    """What the API can hold loads, and then no request fails: the check refuses no more than
    it must."""
    path = tmp_path / "state.json"
    gone = str(uuid.uuid4())
    apps: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            **BODY,
            # One client id for all, with a control character: the API takes both.
            "client_id": "shared \u00e9\x1b",
            "webhook_last_validation": validation,
            "created_at": created,
        }
        for validation, created in [
            (None, "2024-01-02T03:04:05.000000Z"),
            ("2024-01-03T03:04:05.000000Z", "2024-01-02T03:04:05.000001Z"),
            (future(hours=20), future(hours=23)),  # a clock set back since
            ("1000-01-01T00:00:00.000000Z", "1000-01-01T00:00:00.000000Z"),
        ]
    ]
    logs = [
        {"id": str(uuid.uuid4()), "oauth_app": app_id, "message": message, "created_at": created}
        for app_id, message, created in [
            (gone, "a log of an app deleted since", "2024-01-05T00:00:00.000000Z"),
            (apps[0]["id"], "", future(hours=23)),
            (apps[1]["id"], "\u2603 \x1b[2J", "2024-01-04T00:00:00.000000Z"),
        ]
    ]
    path.write_text(json.dumps({"version": 1, "apps": apps, "logs": logs}))
    backend = Backend(path, page_size=2)
    client = Client(EmulatorApp(backend))

    def walk(url: str) -> list[dict[str, Any]]:
        seen = []
        while url:
            response = client.get(url, headers=AUTH)
            assert response.status_code == 200, response.text
            page = json.loads(response.get_data(as_text=True))
            seen.extend(page["results"])
            url = page["next"]
        return seen

    for order in [
        "created_at",
        "-created_at",
        "webhook_last_validation",
        "-webhook_last_validation",
    ]:
        assert len(walk(f"{APPS_PATH}?ordering={order}")) == len(apps)
    after = walk(
        f"{APPS_PATH}?webhook_last_validation_after=2024-01-01&created_at_before=2024-12-31"
    )
    assert [app["id"] for app in after] == [apps[1]["id"]]
    assert len(walk(LOGS_PATH)) == len(logs)
    assert [log["message"] for log in walk(f"{LOGS_PATH}?oauth_app={gone.upper()}")] == [
        "a log of an app deleted since"
    ]
    for app in apps:
        assert client.get(f"{APPS_PATH}{app['id'].upper()}/", headers=AUTH).status_code == 200
        patched = client.patch(
            f"{APPS_PATH}{app['id']}/", json={"client_secret": "x"}, headers=AUTH
        )
        assert patched.status_code == 200
    made = client.post(APPS_PATH, json=BODY, headers=AUTH)
    assert made.status_code == 201
    assert json.loads(made.get_data(as_text=True))["created_at"] > max(
        app["created_at"] for app in apps
    )
    assert Backend(path).apps() == backend.apps()  # and what it saves loads again


def run_cli(state: str) -> subprocess.CompletedProcess[str]:
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return subprocess.run(
        [sys.executable, "-m", "recall_provider.emulator", "--port", "0", "--state", state],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        timeout=30,
    )


@pytest.mark.parametrize("problem", ["year 9999", "a path too long"])
def test_the_command_refuses_a_bad_file_in_one_line(tmp_path: Path, problem: str) -> None:
    if problem == "year 9999":
        path = saved_state(tmp_path)
        edited(path, ("apps", 1, "created_at"), "9999-12-31T23:59:59.999999Z")
        state = str(path)
    else:
        state = str(tmp_path / ("x" * 300) / "state.json")
    failed = run_cli(state)
    assert failed.returncode == 2
    assert failed.stdout == ""
    (line,) = failed.stderr.splitlines()
    assert line.startswith(f"error: cannot load emulator state from {state}: ")
    if problem == "year 9999":
        assert "apps[1]" in line
        assert "field 'created_at'" in line
