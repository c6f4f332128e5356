"""Answers no Recall should give, through the commands and the provider: an answer about another
app than the one asked for, listings that never end, and times at or past the calendar's edges.
The client's own tests try each reader of an answer; these try the steps built on them."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from recall_provider.client import RecallClient, RetryPolicy
from recall_provider.core import creation
from recall_provider.core.journal import CreateJournal, Entry
from recall_provider.core.lookup import AppIndex
from recall_provider.errors import ErrorCode, RecallAppExistsError, RecallResponseError
from recall_provider.health import judge
from recall_provider.models import ZoomOAuthApp, ZoomOAuthAppCreate, ZoomOAuthAppLog
from recall_provider.provider import RecallZoomOAuthAppProvider
from tests.helpers import without_settings
from tests.scripted_server import Reply, ScriptedServer

API_KEY = "hostile-api-key-0123456789"
ASKED = "7b0e3c1e-0000-4000-8000-00000000abcd"
OTHER = "9f1d2c3b-0000-4000-8000-0000000000ff"
FAST = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_max=0.02)
WANT = ZoomOAuthAppCreate.model_validate(
    {"kind": "user_level", "client_id": "zoomClientH", "client_secret": "cs-hostile-0001",
     "webhook_secret": "ws-hostile-0001"}
)  # fmt: skip
PROPS = {**WANT.to_wire(), "created_at": "2026-01-01T00:00:00Z"}
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def app_json(app_id: str = ASKED, **fields: Any) -> dict[str, Any]:
    return {
        "id": app_id,
        "kind": "user_level",
        "client_id": "zoomClientH",
        "created_at": "2026-01-01T00:00:00Z",
        "webhook_last_validation": None,
        **fields,
    }


def page(*items: dict[str, Any], next_link: str | None = None) -> dict[str, Any]:
    return {"next": next_link, "previous": None, "results": list(items)}


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = without_settings()
    return subprocess.run(
        [sys.executable, "-m", "recall_provider.cli", *args, "--api-url", url],
        capture_output=True, text=True, timeout=120, check=False,
        env={**environment, "RECALL_API_KEY": API_KEY},
    )  # fmt: skip


def assert_another_app(error: RecallResponseError) -> None:
    """The error of an answer about another app than the one asked for: it names both."""
    assert error.code is ErrorCode.BAD_RESPONSE
    assert OTHER in str(error)
    assert ASKED in str(error)


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, *says: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for text in says:
        assert text in result.stderr


# -- 6: an answer about another app is never believed ---------------------------------------


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecallZoomOAuthAppProvider:
    monkeypatch.setenv("RECALL_API_KEY", API_KEY)
    return RecallZoomOAuthAppProvider()


def test_a_refresh_answered_with_another_app_fails_and_keeps_the_state(
    provider: RecallZoomOAuthAppProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedServer(Reply(200, app_json(OTHER))) as server:
        monkeypatch.setenv("RECALL_API_URL", server.url)
        with pytest.raises(RecallResponseError) as info:
            provider.read(ASKED, PROPS)
    assert_another_app(info.value)


def test_an_update_answered_with_another_app_fails(
    provider: RecallZoomOAuthAppProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = {**PROPS, "webhook_secret": "ws-hostile-0002"}
    with ScriptedServer(Reply(200, app_json(OTHER))) as server:
        monkeypatch.setenv("RECALL_API_URL", server.url)
        with pytest.raises(RecallResponseError) as info:
            provider.update(ASKED, PROPS, news)
    assert_another_app(info.value)
    assert [s.method for s in server.seen] == ["PATCH"], "no self-check of another app"


def test_an_adoption_answered_with_another_app_takes_nothing_over() -> None:
    # The other app has the kind and client id asked for: believed, it would get our secrets.
    with ScriptedServer(Reply(200, app_json(OTHER))) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            creation.adopt(client, ASKED, WANT)
    assert_another_app(info.value)
    assert [s.method for s in server.seen] == ["GET"], "no PATCH of the other app's secrets"


def test_the_logs_command_answered_with_another_app_stops() -> None:
    with ScriptedServer(Reply(200, app_json(OTHER)), Reply(200, page())) as server:
        result = run_cli(server.url, "logs", "--app-id", ASKED)
    assert_one_line(result, 2, OTHER, ASKED)
    assert result.stdout == ""


def test_health_answered_with_another_app_cannot_run() -> None:
    with ScriptedServer(Reply(200, app_json(OTHER)), Reply(200, page())) as server:
        result = run_cli(server.url, "health", "--app-id", ASKED)
    assert_one_line(result, 2, OTHER, ASKED)


# -- 8: a listing that never ends stops health --all ------------------------------------------


@pytest.mark.parametrize(
    ("items", "says"),
    [
        ([app_json(ASKED), app_json(OTHER)], "lists app"),
        ([], "is empty yet links to a next page"),
    ],
    ids=["the-same-page-again", "empty-pages"],
)
def test_health_all_stops_on_a_listing_that_never_ends(items: list[Any], says: str) -> None:
    count = itertools.count()

    def answer(_: bytes) -> dict[str, Any]:
        n = next(count)  # a new cursor each time; after fifty pages, an end
        link = f"http://127.0.0.1:1/api/v2/zoom-oauth-apps/?cursor=c{n}"
        return page(*items, next_link=link) if n < 50 else page()

    with ScriptedServer(Reply(200, answer)) as server:
        result = run_cli(server.url, "health", "--all")
    assert_one_line(result, 2, "list Zoom OAuth apps failed", says)
    assert len(server.seen) <= 2


# -- 9: every time Recall sends, at the boundary ------------------------------------------------

NOT_UTC = ["2026-01-02T03:04:05", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("sent", NOT_UTC)
@pytest.mark.parametrize("field", ["created_at", "webhook_last_validation", "log created_at"])
def test_health_exits_2_on_a_time_that_cannot_be_utc(field: str, sent: str) -> None:
    if field == "log created_at":
        log = {"oauth_app": ASKED, "message": "m", "created_at": sent}
        replies = [Reply(200, app_json()), Reply(200, page(log))]
    else:
        replies = [Reply(200, app_json(**{field: sent})), Reply(200, page())]
    with ScriptedServer(*replies) as server:
        result = run_cli(server.url, "health", "--app-id", ASKED)
    assert_one_line(result, 2, field.rsplit(maxsplit=1)[-1], "unexpected answer")
    assert result.stdout == ""


def test_health_judges_times_at_the_calendars_edges() -> None:
    log = {"oauth_app": ASKED, "message": "m", "created_at": "9999-12-31T23:59:59.999999Z"}
    edges = app_json(created_at="0001-01-01T00:00:00Z",
                     webhook_last_validation="9999-12-31T23:59:59.999999Z")  # fmt: skip
    with ScriptedServer(Reply(200, edges), Reply(200, page(log))) as server:
        result = run_cli(server.url, "health", "--app-id", ASKED, "--json")
    assert result.returncode in (0, 1), result.stderr
    assert "9999-12-31T23:59:59.999999Z" in result.stdout


@pytest.mark.parametrize("created", [EARLIEST, LATEST, None])
@pytest.mark.parametrize("validated", [EARLIEST, LATEST, None])
@pytest.mark.parametrize("self_check_at", [EARLIEST, LATEST, None])
@pytest.mark.parametrize("logged", [EARLIEST, LATEST])
def test_no_verdict_overflows_at_the_calendars_edges(
    created: datetime | None,
    validated: datetime | None,
    self_check_at: datetime | None,
    logged: datetime,
) -> None:
    app = ZoomOAuthApp.model_validate(
        app_json(created_at=created, webhook_last_validation=validated)
    )
    logs = [ZoomOAuthAppLog(oauth_app=ASKED, message="m", created_at=logged)]
    for now in (EARLIEST, LATEST, datetime.now(UTC)):
        verdict = judge(app, logs, now, self_check_at, webhook_url="https://x/")
        assert verdict.as_json()["id"] == ASKED


@pytest.mark.parametrize(
    ("started", "created", "taken"),
    [
        (LATEST, LATEST, True),
        (LATEST, LATEST - timedelta(minutes=20), False),
        (LATEST, EARLIEST, False),
        (EARLIEST, EARLIEST, False),  # a record that old is dropped
    ],
)
def test_a_record_at_the_calendars_edge_is_judged_without_overflow(
    started: datetime, created: datetime, taken: bool, tmp_path: Path
) -> None:
    # A hand-edited (or far-future) record of an interrupted create, and the one app Recall has,
    # holding our kind and secrets: it is taken over when Recall stamped it while the create
    # ran, else the create stops as for any app it cannot prove it made.
    made = app_json(created_at=created.isoformat(), client_secret="cs-hostile-0001",
                    webhook_secret="ws-hostile-0001")  # fmt: skip
    journal = CreateJournal("hostile", tmp_path)
    journal.made(Entry("zoomClientH", "user_level", started.isoformat()), ASKED, answered=False)
    with ScriptedServer(Reply(200, page(made))) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        if taken:
            assert creation.make(client, WANT, None, AppIndex(client), journal).app.id == ASKED
        else:
            with pytest.raises(RecallAppExistsError, match=ASKED) as info:
                creation.make(client, WANT, None, AppIndex(client), journal)
            assert info.value.code is ErrorCode.APP_EXISTS
    assert {s.method for s in server.seen} == {"GET"}, "nothing posted, nothing patched"


def test_a_create_after_an_interrupted_one_refuses_a_time_without_a_zone(tmp_path: Path) -> None:
    made = app_json(created_at="2026-01-01T00:00:00")
    journal = CreateJournal("hostile", tmp_path)
    journal.begin("zoomClientH", "user_level")
    with ScriptedServer(Reply(200, page(made))) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            creation.make(client, WANT, None, AppIndex(client), journal)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert "created_at" in str(info.value), "the field Recall sent"
    assert "timezone" in str(info.value)
    assert {s.method for s in server.seen} == {"GET"}, "nothing posted"


def test_a_refresh_refuses_a_time_that_cannot_be_utc(
    provider: RecallZoomOAuthAppProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = app_json(webhook_last_validation="0001-01-01T00:00:00+01:00")
    with ScriptedServer(Reply(200, answer)) as server:
        monkeypatch.setenv("RECALL_API_URL", server.url)
        with pytest.raises(RecallResponseError) as info:
            provider.read(ASKED, PROPS)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert "webhook_last_validation" in str(info.value), "the field Recall sent"
    assert "UTC" in str(info.value)


def test_every_time_of_a_refresh_is_written_in_utc(
    provider: RecallZoomOAuthAppProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = app_json(created_at="0001-01-01T00:30:00-01:00",
                      webhook_last_validation="2026-01-02T08:04:05+05:00")  # fmt: skip
    with ScriptedServer(Reply(200, answer)) as server:
        monkeypatch.setenv("RECALL_API_URL", server.url)
        outs = provider.read(ASKED, PROPS).outs
    assert outs is not None
    assert outs["created_at"] == "0001-01-01T01:30:00Z"
    assert outs["webhook_last_validation"] == "2026-01-02T03:04:05Z"
