"""What the commands print for a person: Recall's text (log messages, app fields, error
details) and Pulumi's never act on the terminal, and no secret the client knows is shown.

Every check runs the command as a user does and reads what reaches the terminal."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recall_provider.emulator import EmulatorServer
from tests.helpers import fake_pulumi, make_app, without_settings
from tests.scripted_server import Reply, ScriptedServer

# What a hostile answer may hold to take the terminal over, one way each.
HOSTILE = (
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "\x1b[32mok\x1b[0m"  # a green "ok"
    "\x1b]0;owned\x07"  # the window title
    "\x1b]52;c;b3duZWQ=\x1b\\"  # the clipboard (OSC 52, ended by ST)
    "\x9b2J"  # a C1 CSI: the screen again, in one byte
    "\rok\x08\x7f\t"  # back to the start of the line and over what it said
    "\nfaked line\u2028\u2029"  # lines of its own
    "\u202egnp.exe\u202c\u2066\u200f"  # bidi overrides, isolates and marks
)
# The bidi classes of the characters that reorder what follows them.
_BIDI_FORMATTING = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_BIDI_MARKS = {"\u200e", "\u200f", "\u061c"}
API_KEY = "terminal-test-api-key-0123"


def acted_on(printed: str) -> list[str]:
    """The characters of ``printed`` a terminal would act on rather than show, line ends
    apart: C0, DEL, C1, separators, surrogates, bidi controls."""
    return [
        c
        for line in printed.split("\n")
        for c in line
        if unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"}
        or unicodedata.bidirectional(c) in _BIDI_FORMATTING
        or c in _BIDI_MARKS
    ]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m recall_provider.cli ARGS`` as a user runs it, with the key in RECALL_*."""
    environment = without_settings()
    return subprocess.run(
        [sys.executable, "-m", "recall_provider.cli", *args],
        capture_output=True, text=True, timeout=120, check=False, errors="surrogateescape",
        env={**environment, "RECALL_API_KEY": API_KEY, **env},
    )  # fmt: skip


def hostile_app(emulator: EmulatorServer, **fields: str) -> str:
    """An app whose client id and latest log message carry ``HOSTILE``, recently validated
    (so that its verdict, "errors", quotes the message)."""
    made = make_app(emulator, client_id=f"zoomClient{HOSTILE}", **fields)
    now = datetime.now(UTC)
    emulator.backend.set_times(
        made["id"], created_at=now - timedelta(days=10), webhook_last_validation=now
    )
    emulator.backend.add_log(made["id"], f"bad signature {HOSTILE} end", now - timedelta(minutes=1))
    return str(made["id"])


@pytest.mark.parametrize(
    "args",
    [("logs", "--app-id"), ("health", "--app-id"), ("health", "--all")],
    ids=["logs", "health-table", "health-all-table"],
)
def test_recalls_text_never_acts_on_the_terminal(
    args: tuple[str, ...], fresh_emulator: EmulatorServer
) -> None:
    app_id = hostile_app(fresh_emulator)
    ids = (app_id,) if args[-1] == "--app-id" else ()
    result = run(*args, *ids, "--api-url", fresh_emulator.url)
    assert result.returncode in (0, 1), result.stderr
    assert acted_on(result.stdout + result.stderr) == []
    assert "\\x1b[2J" in result.stdout, "the text is still there to be read, escaped"
    if args[0] == "logs":
        assert len(result.stdout.splitlines()) == 1, "one entry, one line"
    else:
        header, row, action = result.stdout.splitlines()
        assert row.split()[:2] == ["errors", app_id]
        assert header.index("CLIENT ID") == row.index("zoomClient"), "the columns hold"
        assert action.lstrip().startswith("->")


def test_json_keeps_recalls_text_exact(fresh_emulator: EmulatorServer) -> None:
    app_id = hostile_app(fresh_emulator)
    result = run("health", "--app-id", app_id, "--json", "--api-url", fresh_emulator.url)
    assert result.returncode == 1, result.stderr
    assert acted_on(result.stdout) == [], "JSON escapes them itself"
    (entry,) = json.loads(result.stdout)
    assert entry["client_id"] == f"zoomClient{HOSTILE}"
    assert entry["logs"][0]["message"] == f"bad signature {HOSTILE} end"


def hostile_pulumi(tmp_path: Path) -> dict[str, str]:
    """The environment of a Pulumi CLI that fails saying ``HOSTILE`` on stderr."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{HOSTILE}' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": str(bin_dir)}


@pytest.mark.parametrize(
    ("source", "args", "code"),
    [
        ("recall", ("logs", "--app-id", "32721c6e-0000-4000-8000-00000000c11a"), 2),
        ("recall", ("health", "--app-id", "32721c6e-0000-4000-8000-00000000c11a"), 2),
        ("pulumi", ("logs", "--stack", "prod"), 2),
        ("pulumi", ("health", "--stack", "prod"), 2),
        ("pulumi", ("manifest", "--stack", "prod"), 2),
        ("argv", ("logs", "--app-id", "x", HOSTILE), 2),
        ("argv", ("health", "--app-id", "x", "--nope", HOSTILE), 2),
    ],
)  # fmt: skip
def test_error_lines_never_act_on_the_terminal(
    source: str, args: tuple[str, ...], code: int, tmp_path: Path
) -> None:
    env: dict[str, str] = {}
    if source == "pulumi":
        env = hostile_pulumi(tmp_path)
    with ScriptedServer(Reply(400, {"detail": HOSTILE, "client_id": [HOSTILE]})) as recall:
        url = () if source == "pulumi" else ("--api-url", recall.url)
        result = run(*args, *url, **env)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert acted_on(result.stderr) == []
    assert result.stderr.count("\n") == 1, "one line"
    assert "\\x1b[2J" in result.stderr, "what was said is still there, escaped"


@pytest.mark.parametrize(
    "args",
    [("logs", "--app-id"), ("health", "--app-id"), ("health", "--all"),
     ("health", "--all", "--json")],
    ids=["logs", "health-table", "health-all", "health-json"],
)  # fmt: skip
def test_no_output_shows_a_secret_the_client_knows(
    args: tuple[str, ...], fresh_emulator: EmulatorServer
) -> None:
    # The emulator shows an app's secrets in plain, as Recall may: the client knows them then.
    client_secret, webhook_secret = "shown-client-secret-42", "shown-webhook-secret-42"
    made = make_app(fresh_emulator, client_secret=client_secret, webhook_secret=webhook_secret)
    now = datetime.now(UTC)
    fresh_emulator.backend.set_times(
        made["id"], created_at=now - timedelta(days=10), webhook_last_validation=now
    )
    quoted = f"sent {API_KEY} with {client_secret}, signed {webhook_secret}"
    fresh_emulator.backend.add_log(made["id"], quoted, now - timedelta(minutes=1))
    ids = (str(made["id"]),) if args[-1] == "--app-id" else ()
    result = run(*args, *ids, "--api-url", fresh_emulator.url)
    assert result.returncode in (0, 1), result.stderr
    printed = result.stdout + result.stderr
    for secret in (API_KEY, client_secret, webhook_secret):
        assert secret not in printed
    assert "sent [redacted] with [redacted], signed [redacted]" in printed


def test_plain_text_is_printed_as_it_is(
    tmp_path: Path, fresh_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Plain text is left as it was: accents, other scripts, emoji and backslashes.
    plain = "réseau: signature 署名 ✓ C:\\zoom"
    made = make_app(fresh_emulator)
    fresh_emulator.backend.add_log(made["id"], plain)
    fake_pulumi(tmp_path, {"zoom_oauth_app_id": made["id"]}, monkeypatch)
    result = run("logs", "--stack", "prod", "--api-url", fresh_emulator.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").endswith(f"  {plain}")
