"""The manifest and logs commands, and what every command shares: one line for a failure, exit
status 2 when a command could not run, --region beside --api-url."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from recall_provider import zoom
from recall_provider.cli import command_settings, main
from recall_provider.client import REGION_URLS
from recall_provider.emulator import EmulatorServer
from recall_provider.settings import Settings
from tests.helpers import APPS_PATH, LOGS_PATH, EmulatorFactory, fake_pulumi, make_app

APP_ID = "32721c6e-0000-4000-8000-00000000c11a"
URL = f"https://eu-central-1.recall.ai/api/v2/zoom-oauth-apps/{APP_ID}/webhook"


def test_manifest_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "zoom-manifest.json"
    main(["manifest", "--kind", "account_level", "--webhook-url", URL, "-o", str(out)])
    manifest = json.loads(out.read_text())
    assert manifest["oauth_information"]["usage"] == "ADMIN_MANAGEMENT"
    (events,) = manifest["features"]["event_subscription"]["events"]
    assert events["production_webhook_url"] == URL
    assert str(out) in capsys.readouterr().out


def test_manifest_from_a_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(
        tmp_path,
        {"zoom_oauth_app_id": "abc", "webhook_url": URL,
         "zoom_checklist": {"app_type": "admin-managed"}},
        monkeypatch,
    )  # fmt: skip
    main(["manifest", "--stack", "prod", "--scope-style", "legacy"])
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["oauth_information"]["usage"] == "ADMIN_MANAGEMENT"
    assert manifest["oauth_information"]["scopes"][0]["scope"] == "user:read:admin"


def cannot_run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What ``main(argv)`` said on stderr when it could not run: one line, exit status 2."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1, said
    return said


def test_manifest_without_a_url_explains(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")
    assert "--webhook-url" in cannot_run(capsys, "manifest")
    said = cannot_run(capsys, "manifest", "--stack", "prod")
    assert re.search(r"needs the Pulumi CLI.*install it: https://", said)


def test_logs_of_an_app(
    fresh_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app_id = logged_app(fresh_emulator)
    monkeypatch.setenv("RECALL_API_KEY", "k")
    main(["logs", "--app-id", app_id, "--api-url", fresh_emulator.url])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "signature" in lines[0]


def test_logs_need_a_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RECALL_API_KEY", raising=False)
    for command in (("logs", "--app-id", "abc"), ("health", "--all")):
        said = cannot_run(capsys, *command)
        # No stack named: its user sets the variable (or names a stack); no stack config.
        assert "export RECALL_API_KEY" in said
        assert "--stack" in said
        assert "pulumi config set" not in said


def test_manifest_from_a_stack_follows_its_scope_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = list(zoom.SCOPES["legacy"]["user_level"])
    checklist = {"app_type": "user-managed", "scopes": legacy}
    fake_pulumi(tmp_path, {"webhook_url": URL, "zoom_checklist": checklist}, monkeypatch)
    main(["manifest", "--stack", "prod"])
    manifest = json.loads(capsys.readouterr().out)
    assert [s["scope"] for s in manifest["oauth_information"]["scopes"]] == legacy


def test_manifest_without_a_style_takes_the_default_and_says_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    default = list(zoom.SCOPES[zoom.DEFAULT_SCOPE_STYLE]["account_level"])
    main(["manifest", "--kind", "account_level", "--webhook-url", URL])
    manifest = json.loads(capsys.readouterr().out)
    assert [s["scope"] for s in manifest["oauth_information"]["scopes"]] == default
    # A stack whose checklist lists no style's scopes: the default again, and its app type
    # gives the kind.
    checklist = {"app_type": zoom.APP_TYPES["account_level"], "scopes": []}
    fake_pulumi(tmp_path, {"webhook_url": URL, "zoom_checklist": checklist}, monkeypatch)
    main(["manifest", "--stack", "prod"])
    manifest = json.loads(capsys.readouterr().out)
    assert [s["scope"] for s in manifest["oauth_information"]["scopes"]] == default
    monkeypatch.setenv("COLUMNS", "400")  # one line per option, so each phrase stays whole
    with pytest.raises(SystemExit):
        main(["manifest", "--help"])
    assert f"(default: the stack's, else {zoom.DEFAULT_SCOPE_STYLE})" in capsys.readouterr().out


def logged_app(emulator: EmulatorServer) -> str:
    """An app with one entry in Recall's logs (an unsigned webhook, refused)."""
    app_id = str(make_app(emulator)["id"])
    requests.post(f"{emulator.url}{APPS_PATH}{app_id}/webhook", data=b"{}", timeout=5)
    return app_id


def test_logs_of_a_stack_use_its_settings_over_the_environment(
    tmp_path: Path,
    emulator_factory: EmulatorFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = emulator_factory(api_keys=["stack-key"])  # the shell's key would get a 401
    app_id = logged_app(emulator)
    fake_pulumi(
        tmp_path,
        {"zoom_oauth_app_id": app_id},
        monkeypatch,
        config={"recall:apiKey": "stack-key", "recall:apiUrl": emulator.url},
    )
    # Left over from another stack: neither may win over the stack's own settings.
    monkeypatch.setenv("RECALL_API_KEY", "shell-key")
    monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:9")
    main(["logs", "--stack", "prod"])
    assert "signature" in capsys.readouterr().out
    assert {r.path for r in emulator.app.requests} >= {LOGS_PATH}


def test_the_commands_read_a_stacks_settings_as_the_provider_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = {"recall:apiKey": "stack-key", "recall:region": "eu-central-1",
             "recall:requestTimeout": "7", "recall:requestsPerMinute": "100"}  # fmt: skip
    fake_pulumi(tmp_path, {}, monkeypatch, config=stack)
    monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:9")
    settings = command_settings("prod", None)
    assert settings == Settings.read(stack.get, {"RECALL_API_URL": "http://127.0.0.1:9"})
    assert settings.base_url == "https://eu-central-1.recall.ai"
    assert (settings.timeout.read, settings.pacing.per_minute) == (7.0, 100)
    assert command_settings("prod", "http://127.0.0.1:8").base_url == "http://127.0.0.1:8"


def test_region_names_where_recall_is_over_the_stack_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = {"recall:apiKey": "stack-key", "recall:apiUrl": "http://127.0.0.1:9"}
    fake_pulumi(tmp_path, {}, monkeypatch, config=stack)
    monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:8")
    assert command_settings("prod", None).base_url == "http://127.0.0.1:9"
    with_region = command_settings("prod", None, "eu-central-1")
    assert with_region.base_url == REGION_URLS["eu-central-1"], "not the stack's recall:apiUrl"
    assert with_region.api_key == "stack-key", "the rest still the stack's"
    assert command_settings(None, None, "us-west-2").base_url == REGION_URLS["us-west-2"]
    assert command_settings(None, "http://127.0.0.1:7").base_url == "http://127.0.0.1:7"


def test_a_region_reaches_the_recall_it_names(
    fresh_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The region's URL, here the emulator's, is the client's own declaration of it.
    monkeypatch.setitem(REGION_URLS, "eu-central-1", fresh_emulator.url)
    monkeypatch.setenv("RECALL_API_KEY", "k")
    monkeypatch.setenv("RECALL_API_URL", "http://127.0.0.1:9")  # --region wins over it
    app_id = logged_app(fresh_emulator)
    main(["logs", "--app-id", app_id, "--region", "eu-central-1"])
    assert "signature" in capsys.readouterr().out


def test_logs_of_a_stack_report_a_config_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, {"zoom_oauth_app_id": "abc"}, monkeypatch)
    script = tmp_path / "bin" / "pulumi"
    text = script.read_text().replace("not found for stack", "could not decrypt; passphrase?")
    script.write_text(text)
    monkeypatch.delenv("RECALL_API_KEY", raising=False)
    assert "passphrase" in cannot_run(capsys, "logs", "--stack", "prod")


def command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m recall_provider.cli ARGS`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "recall_provider.cli", *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("usage:")]
    assert [line for line in lines if not line.startswith(" ")] == lines[:1], result.stderr
    assert says in lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("manifest", "--webhook-url", URL, "-o", "/nonexistent/dir/zoom.json"),
         "cannot write /nonexistent/dir/zoom.json: No such file or directory"),
        (("logs", "--app-id", APP_ID, "--limit", "-1"), "--limit: must be at least 1"),
        (("logs", "--app-id", APP_ID, "--limit", "x"), "--limit: not a whole number"),
        (("manifest", "--webhook-url", "https://example.com/hook"), "is not a Recall webhook URL"),
        (("manifest", "--webhook-url", URL.replace("https", "http")), "use https"),
        (("manifest", "--webhook-url", URL.replace(APP_ID, "..")), "is not a Recall webhook URL"),
        (("logs", "--app-id", APP_ID, "--region", "mars"), "argument --region: invalid choice"),
        (("health", "--all", "--region", "eu-central-1", "--api-url", "http://127.0.0.1:9"),
         "argument --api-url: not allowed with argument --region"),
    ],
)  # fmt: skip
def test_a_wrong_argument_is_one_line_and_exit_status_2(args: tuple[str, ...], says: str) -> None:
    # Whether argparse or the command refuses it: the command could not run.
    assert_one_line(command(*args), 2, says)


def test_a_webhook_url_is_written_in_recalls_spelling(tmp_path: Path) -> None:
    out = tmp_path / "zoom.json"
    loopback = f"http://127.0.0.1:8111/api/v2/zoom-oauth-apps/{APP_ID.upper()}/webhook"
    main(["manifest", "--webhook-url", loopback, "-o", str(out)])
    (events,) = json.loads(out.read_text())["features"]["event_subscription"]["events"]
    assert events["production_webhook_url"] == loopback.replace(APP_ID.upper(), APP_ID)


def test_logs_of_an_app_recall_does_not_have_fail(
    fresh_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = str(uuid.uuid4())
    env = {**os.environ, "RECALL_API_KEY": "k"}
    result = command("logs", "--app-id", missing, "--api-url", fresh_emulator.url, env=env)
    assert_one_line(result, 2, f"Recall has no app {missing}")
    assert result.stdout == ""


def test_help_is_plain_text_naming_the_command_as_typed() -> None:
    result = command("--help")
    assert result.returncode == 0
    assert "``" not in result.stdout
    assert result.stdout.startswith("usage: python -m recall_provider.cli [-h] COMMAND")
    assert "    python -m recall_provider.cli manifest --stack prod" in result.stdout
    assert "%(prog)" not in result.stdout


WEBHOOK_PATH = f"/api/v2/zoom-oauth-apps/{APP_ID}/webhook"
SECRET = "hunter2-password"


@pytest.mark.parametrize(
    "args",
    [
        ("logs", "--app-id", APP_ID, "--api-url", "http://[::1"),
        ("logs", "--app-id", APP_ID, "--api-url", f"http://u:{SECRET}@[::1]x:8"),
        ("logs", "--app-id", APP_ID, "--api-url", "https://recall..example"),
        ("health", "--all", "--api-url", f"http://u:{SECRET}@[::1"),
        ("health", "--all", "--api-url", "http://127.0.0.1:99999"),
        ("health", "--all", "--api-url", f"https://proxy.example/?token={SECRET}"),
        ("health", "--all", "--api-url", f"ftp://u:{SECRET}@proxy.example"),
        ("manifest", "--webhook-url", f"http://[::1{WEBHOOK_PATH}"),
        ("manifest", "--webhook-url", f"http://u:{SECRET}@[::1{WEBHOOK_PATH}"),
        ("manifest", "--webhook-url", f"https://recall..example{WEBHOOK_PATH}"),
        ("manifest", "--webhook-url", f"{URL}?token={SECRET}"),
        ("manifest", "--webhook-url", f"https://u:{SECRET}@eu-central-1.recall.ai{WEBHOOK_PATH}"),
        ("manifest", "--webhook-url", f"https://x.example/hook?token={SECRET}"),
        ("manifest", "--webhook-url", f"ftp://u:{SECRET}@x.example{WEBHOOK_PATH}"),
        ("manifest", "--webhook-url", WEBHOOK_PATH),  # no host: not us-east-1's
    ],
)  # fmt: skip
def test_every_url_option_that_cannot_be_used_is_one_line_naming_it_without_credentials(
    args: tuple[str, ...],
) -> None:
    option = next(a for a in args if a.endswith("-url"))
    result = command(*args, env={**os.environ, "RECALL_API_KEY": "k"})
    assert_one_line(result, 2, f"error: {option} ")
    assert SECRET not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command_args", [("logs", "--app-id", APP_ID), ("health", "--all")])
def test_an_api_url_from_the_environment_is_named_as_the_variable(
    command_args: tuple[str, ...],
) -> None:
    env = {**os.environ, "RECALL_API_KEY": "k", "RECALL_API_URL": f"http://u:{SECRET}@[::1"}
    env.pop("RECALL_REGION", None)
    result = command(*command_args, env=env)
    assert_one_line(result, 2, "error: RECALL_API_URL ")
    assert SECRET not in result.stderr


def test_a_stacks_webhook_url_that_cannot_be_used_is_named_as_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, {"webhook_url": f"http://u:{SECRET}@[::1{WEBHOOK_PATH}"}, monkeypatch)
    said = cannot_run(capsys, "manifest", "--stack", "prod")
    assert said.startswith("error: stack prod's webhook_url ")
    assert SECRET not in said
