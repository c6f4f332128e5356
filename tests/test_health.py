"""Is Zoom wired? The health check's verdicts, from Recall's data, and its command's exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from recall_provider.client import RecallClient
from recall_provider.core.webhook_check import self_check
from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.health import GRACE, LOG_WINDOW, Status, judge
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppLog
from tests.helpers import (
    APPS_PATH,
    LOGS_PATH,
    EmulatorFactory,
    fake_pulumi,
    make_app,
    without_settings,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MADE = NOW - timedelta(days=30)
URL = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/x/webhook"


def app(validated: datetime | None, created: datetime = MADE) -> ZoomOAuthApp:
    return ZoomOAuthApp.model_validate(
        {"id": str(uuid.uuid4()), "kind": "user_level", "client_id": "zoomClientHealth",
         "created_at": created, "webhook_last_validation": validated}
    )  # fmt: skip


def log(ago: timedelta, message: str = "Zoom webhook signature did not match") -> ZoomOAuthAppLog:
    return ZoomOAuthAppLog(oauth_app="x", message=message, created_at=NOW - ago)


@pytest.mark.parametrize(
    ("validated", "self_check_at", "logs", "status", "says"),
    [
        (None, None, [], Status.UNVALIDATED, "never validated"),
        (MADE + timedelta(seconds=1), MADE, [], Status.UNVALIDATED, "provider's own self-check"),
        (NOW - timedelta(hours=1), MADE, [], Status.OK, "validated the URL 60 min ago"),
        (NOW - timedelta(hours=71), MADE, [], Status.OK, "71 h ago"),
        (NOW - timedelta(hours=72) - GRACE - timedelta(minutes=1), MADE, [], Status.STALE,
         "Zoom re-validates every 72 h"),
        (NOW - timedelta(hours=1), MADE, [log(timedelta(hours=2))], Status.ERRORS,
         "signature did not match"),
        (NOW - timedelta(hours=1), MADE, [log(LOG_WINDOW + timedelta(hours=1))], Status.OK,
         "no recent errors"),
    ],
    ids=["never", "only-the-self-check", "ok", "ok-near-the-window", "stale", "errors",
         "old-errors"],
)  # fmt: skip
def test_each_verdict(
    validated: datetime | None,
    self_check_at: datetime | None,
    logs: list[ZoomOAuthAppLog],
    status: Status,
    says: str,
) -> None:
    verdict = judge(app(validated), logs, NOW, self_check_at, webhook_url=URL)
    assert verdict.status is status
    assert says in verdict.reason
    assert bool(verdict.action) is (status is not Status.OK)


def test_an_unvalidated_app_is_told_the_urls_to_paste() -> None:
    verdict = judge(app(None), [], NOW, webhook_url=URL)
    assert URL in verdict.action
    assert "Validate" in verdict.action


def test_a_count_of_log_entries_is_of_all_of_the_last_day() -> None:
    entries = [log(timedelta(minutes=m)) for m in range(10, 60, 10)]
    verdict = judge(app(NOW - timedelta(hours=1)), entries, NOW, MADE, webhook_url=URL)
    assert verdict.reason.startswith("5 log entries in the last 24 h")
    assert len(verdict.logs) == 3, "the latest three shown"


def test_without_the_stack_an_old_first_validation_may_never_have_been_zooms() -> None:
    made = NOW - timedelta(days=10)
    verdict = judge(app(made + timedelta(seconds=2), created=made), [], NOW, webhook_url=URL)
    assert verdict.status is Status.STALE
    assert "Zoom may never have validated it" in verdict.reason


def test_without_the_stack_a_first_validation_right_after_the_create_cannot_be_told() -> None:
    # The self-check runs seconds after the create: without the stack's record of it, the
    # validation may be that check alone.
    made = NOW - timedelta(minutes=5)
    verdict = judge(app(made + timedelta(seconds=2), created=made), [], NOW, webhook_url=URL)
    assert verdict.status is Status.UNVALIDATED
    assert verdict.reason.startswith("cannot tell")
    assert "--stack" in verdict.action


# -- the command, against the emulator ---------------------------------------------------


def run_health(
    *args: str, key: str | None = "health-key", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = without_settings()
    if key is not None:
        environment["RECALL_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "recall_provider.cli", "health", *args],
        capture_output=True, text=True, timeout=120, check=False, env={**environment, **env},
    )  # fmt: skip


def dated(emulator: EmulatorServer, validated: datetime | None, **fields: str) -> str:
    made = make_app(emulator, **fields)
    emulator.backend.set_times(made["id"], created_at=datetime.now(UTC) - timedelta(days=10),
                               webhook_last_validation=validated)  # fmt: skip
    return str(made["id"])


def statuses(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in json.loads(result.stdout)}


def test_every_verdict_and_exit_1_when_any_app_is_not_ok(fresh_emulator: EmulatorServer) -> None:
    now = datetime.now(UTC)
    fresh = dated(fresh_emulator, now - timedelta(hours=3), client_id="fresh")
    never = dated(fresh_emulator, None, client_id="never")
    stale = dated(fresh_emulator, now - timedelta(days=5), client_id="stale")
    failing = dated(fresh_emulator, now - timedelta(hours=3), client_id="failing")
    fresh_emulator.backend.add_log(failing, "URL validation failed: bad signature",
                                   now - timedelta(hours=1))  # fmt: skip
    fresh_emulator.backend.add_log(fresh, "an old warning", now - timedelta(days=3))
    ids = [fresh, never, stale, failing]
    result = run_health(*(a for i in ids for a in ("--app-id", i)), "--json",
                        "--api-url", fresh_emulator.url)  # fmt: skip
    assert result.returncode == 1, result.stderr
    seen = statuses(result)
    assert {i: seen[i]["status"] for i in ids} == {
        fresh: "ok",
        never: "unvalidated",
        stale: "stale",
        failing: "errors",
    }
    for entry in seen.values():
        assert {"id", "client_id", "kind", "status", "reason", "created_at",
                "webhook_last_validation"} <= set(entry)  # fmt: skip
    assert "URL validation failed" in seen[failing]["reason"]
    assert seen[never]["webhook_last_validation"] is None


def test_exit_0_and_a_table_when_every_app_is_ok(fresh_emulator: EmulatorServer) -> None:
    ok = dated(fresh_emulator, datetime.now(UTC) - timedelta(hours=1), client_id="fine")
    result = run_health("--app-id", ok, "--api-url", fresh_emulator.url)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[:3] == ["STATUS", "APP", "ID"]
    assert row.split()[:2] == ["ok", ok]
    assert "\033[" not in result.stdout, "no colour off a terminal"


def test_all_walks_every_page_and_reads_the_logs_by_time_not_per_app(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(page_size=2)
    now = datetime.now(UTC)
    ids = [dated(emulator, now - timedelta(hours=2), client_id=f"all{i}") for i in range(5)]
    for app_id in (ids[0], ids[0], ids[1], ids[1], ids[1]):  # five entries: three pages
        emulator.backend.add_log(app_id, "a recent error", now - timedelta(minutes=30))
    emulator.backend.add_log(ids[2], "an old error", now - timedelta(days=2))
    emulator.app.clear_requests()
    result = run_health("--all", "--json", "--api-url", emulator.url)
    assert result.returncode == 1, result.stderr
    seen = statuses(result)
    assert sorted(seen) == sorted(ids)
    assert sorted(i for i, e in seen.items() if e["status"] == "errors") == sorted(ids[:2])
    assert seen[ids[1]]["reason"].startswith("3 log entries in the last 24 h")
    log_calls = [r for r in emulator.app.requests if r.path == LOGS_PATH]
    assert len(log_calls) == 3, "the last day's log pages, not a call per app"
    app_calls = [r for r in emulator.app.requests if r.path == APPS_PATH]
    assert len(app_calls) == 3, "the apps' three pages"


def test_many_named_apps_read_the_logs_by_time_too(fresh_emulator: EmulatorServer) -> None:
    now = datetime.now(UTC)
    ids = [dated(fresh_emulator, now - timedelta(hours=2), client_id=f"n{i}") for i in range(7)]
    fresh_emulator.backend.add_log(ids[3], "a recent error", now - timedelta(minutes=5))
    fresh_emulator.app.clear_requests()
    result = run_health(*(a for i in ids for a in ("--app-id", i)), "--json",
                        "--api-url", fresh_emulator.url)  # fmt: skip
    assert [i for i, e in statuses(result).items() if e["status"] == "errors"] == [ids[3]]
    assert len([r for r in fresh_emulator.app.requests if r.path == LOGS_PATH]) == 1


def test_an_app_only_the_self_check_validated_is_unvalidated_with_the_stack(
    tmp_path: Path, fresh_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = make_app(fresh_emulator, webhook_secret="health-webhook-secret")
    with RecallClient("health-key", base_url=fresh_emulator.url) as client:
        checked = self_check(client, made["id"], "health-webhook-secret")
    outputs = {"zoom_oauth_app_id": made["id"], "webhook_self_check_at": checked}
    config = {"recall:apiKey": "health-key", "recall:apiUrl": fresh_emulator.url}
    fake_pulumi(tmp_path, outputs, monkeypatch, config=config)
    result = run_health("--stack", "prod", "--json", PATH=os.environ["PATH"])
    assert result.returncode == 1, result.stderr
    (entry,) = json.loads(result.stdout)
    assert fresh_emulator.backend.get(made["id"])["webhook_last_validation"] is not None  # type: ignore[index]
    assert entry["status"] == "unvalidated"
    assert "self-check" in entry["reason"]


@pytest.mark.parametrize(
    ("args", "key", "says"),
    [
        ((), "k", "one of the arguments --stack --app-id --all is required"),
        (("--all",), None, "RECALL_API_KEY"),
        (("--app-id", "not-an-id"), "k", "expected a Recall app id"),
    ],
    ids=["no-apps-named", "no-key", "bad-id"],
)
def test_a_check_that_cannot_run_exits_2_with_one_line(
    args: tuple[str, ...], key: str | None, says: str, fresh_emulator: EmulatorServer
) -> None:
    result = run_health(*args, "--api-url", fresh_emulator.url, key=key)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert result.stdout == ""


def test_an_app_recall_does_not_have_exits_2(fresh_emulator: EmulatorServer) -> None:
    missing = str(uuid.uuid4())
    result = run_health("--app-id", missing, "--api-url", fresh_emulator.url)
    assert result.returncode == 2
    assert f"Recall has no app {missing}" in result.stderr


def test_recall_failing_mid_check_exits_2(fresh_emulator: EmulatorServer) -> None:
    first = dated(fresh_emulator, datetime.now(UTC), client_id="one")
    second = dated(fresh_emulator, datetime.now(UTC), client_id="two")
    # The second app's read fails for good: 500s past every retry.
    fresh_emulator.app.add_fault(Fault(method="GET", path=f"{second}/$", status=500, times=10))
    result = run_health("--app-id", first, "--app-id", second, "--api-url", fresh_emulator.url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "500" in result.stderr
    assert result.stdout == "", "no half a report"


def test_recall_failing_mid_all_exits_2(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(page_size=2)
    for i in range(5):
        dated(emulator, datetime.now(UTC), client_id=f"mid{i}")
    # The apps' second page fails for good: 500s past every retry.
    emulator.app.add_fault(Fault(method="GET", path=r"zoom-oauth-apps/$", status=500, skip=1,
                                 times=10))  # fmt: skip
    result = run_health("--all", "--json", "--api-url", emulator.url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_recall_unreachable_exits_2() -> None:
    result = run_health("--all", "--api-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_log_messages_never_show_a_secret_recall_showed(fresh_emulator: EmulatorServer) -> None:
    # The emulator shows the secrets in plain: the client knows them, and the report hides them.
    app_id = dated(fresh_emulator, datetime.now(UTC) - timedelta(hours=1),
                   webhook_secret="health-secret-to-hide")  # fmt: skip
    fresh_emulator.backend.add_log(app_id, "signature made with health-secret-to-hide failed",
                                   datetime.now(UTC) - timedelta(minutes=5))  # fmt: skip
    result = run_health("--app-id", app_id, "--json", "--api-url", fresh_emulator.url)
    assert "health-secret-to-hide" not in result.stdout
    assert "[redacted]" in result.stdout
