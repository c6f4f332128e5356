"""The client against the emulator: every operation, pagination, URLs, threads, pickling."""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr

from recall_provider.client import (
    REGION_URLS,
    Pacing,
    RecallClient,
    RetryPolicy,
    resolve_base_url,
    webhook_url,
)
from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.errors import ErrorCode, Outcome, RecallConfigError, RecallNotFoundError
from recall_provider.models import ZoomOAuthAppCreate, ZoomOAuthAppUpdate
from tests.helpers import APPS
from tests.scripted_server import Reply, ScriptedServer

API_KEY = "test-api-key-0123456789"
APP_ID = "7b0e3c1e-0000-4000-8000-00000000abcd"
FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)


def new_app(client_id: str = "zoomClient1", kind: str = "user_level") -> ZoomOAuthAppCreate:
    return ZoomOAuthAppCreate.model_validate(
        {
            "kind": kind,
            "client_id": client_id,
            "client_secret": f"client-secret-of-{client_id}",
            "webhook_secret": f"webhook-secret-of-{client_id}",
        }
    )


@pytest.fixture
def client(fresh_emulator: EmulatorServer) -> Iterator[RecallClient]:
    with RecallClient(API_KEY, base_url=fresh_emulator.url, retry=FAST) as c:
        yield c


def test_create_get_update_delete(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    created = client.create_app(new_app())
    assert created.kind == "user_level"
    assert created.client_id == "zoomClient1"
    assert created.created_at is not None
    assert created.webhook_last_validation is None

    fetched = client.get_app(created.id)
    assert fetched.id == created.id
    assert fetched.created_at == created.created_at

    updated = client.update_app(
        created.id,
        ZoomOAuthAppUpdate(webhook_secret="rotated-webhook-secret"),
    )
    assert updated.id == created.id
    stored = fresh_emulator.backend.get(created.id)
    assert stored is not None
    assert stored["webhook_secret"] == "rotated-webhook-secret"
    assert stored["client_secret"] == "client-secret-of-zoomClient1", "PATCH sent only the change"

    client.delete_app(created.id)
    with pytest.raises(RecallNotFoundError):
        client.get_app(created.id)
    with pytest.raises(RecallNotFoundError):
        client.delete_app(created.id)


def test_requests_use_the_documented_paths_and_auth(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    app = client.create_app(new_app())
    client.get_app(app.id)
    client.update_app(app.id, ZoomOAuthAppUpdate(client_secret="new-client-secret"))
    list(client.list_apps())
    list(client.list_app_logs(app.id))
    client.delete_app(app.id)
    seen = [(r.method, r.path, r.status) for r in fresh_emulator.app.requests]
    assert seen == [
        ("POST", "/api/v2/zoom-oauth-apps/", 201),
        ("GET", f"/api/v2/zoom-oauth-apps/{app.id}/", 200),
        ("PATCH", f"/api/v2/zoom-oauth-apps/{app.id}/", 200),
        ("GET", "/api/v2/zoom-oauth-apps/", 200),
        ("GET", "/api/v2/zoom-oauth-app-logs/", 200),
        ("DELETE", f"/api/v2/zoom-oauth-apps/{app.id}/", 204),
    ]
    assert fresh_emulator.app.requests[4].query == {"oauth_app": app.id}


def test_headers_sent() -> None:
    reply = Reply(201, {"id": "a1", "kind": "user_level", "client_id": "zoomClient1"})
    with ScriptedServer(reply) as server:
        RecallClient(API_KEY, base_url=server.url).create_app(new_app())
    (seen,) = server.seen
    assert seen.headers["Authorization"] == f"Token {API_KEY}"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Accept"] == "application/json"
    assert json.loads(seen.body) == new_app().to_wire()


def test_a_netrc_entry_never_replaces_the_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would send a ~/.netrc entry as Basic auth over the session's own header.
    netrc = tmp_path / "netrc"
    netrc.write_text("default login someone password not-the-api-key\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    reply = Reply(200, {"id": APP_ID, "kind": "user_level", "client_id": "zoomClient1"})
    with ScriptedServer(reply) as server:
        RecallClient(API_KEY, base_url=server.url).get_app(APP_ID)
    (seen,) = server.seen
    assert seen.headers["Authorization"] == f"Token {API_KEY}"


def test_proxy_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = Reply(200, {"id": APP_ID, "kind": "user_level", "client_id": "zoomClient1"})
    with ScriptedServer(reply) as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        # Nothing listens there: only the proxy can answer.
        RecallClient(API_KEY, base_url="http://127.0.0.1:9").get_app(APP_ID)
    (seen,) = proxy.seen
    assert seen.path == f"http://127.0.0.1:9/api/v2/zoom-oauth-apps/{APP_ID}/"
    assert seen.headers["Authorization"] == f"Token {API_KEY}"


def test_list_follows_every_page(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    ids = {client.create_app(new_app(f"client{i:02d}")).id for i in range(25)}
    listed = [a.id for a in client.list_apps()]
    assert sorted(listed) == sorted(ids), "no app missed and none listed twice"
    assert fresh_emulator.app.count("GET", APPS) == 3  # 10 + 10 + 5


def test_list_filters_match_exactly(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    for i in range(12):
        client.create_app(new_app("sameClient", kind="account_level" if i % 2 else "user_level"))
    client.create_app(new_app("sameClientLonger"))
    client.create_app(new_app("other"))
    same = list(client.list_apps(client_id="sameClient"))
    assert len(same) == 12
    assert {a.client_id for a in same} == {"sameClient"}
    account = list(client.list_apps(client_id="sameClient", kind="account_level"))
    assert len(account) == 6
    assert {a.kind for a in account} == {"account_level"}
    # The filters travel to the server and stay on every page's link.
    pages = [
        r
        for r in fresh_emulator.app.requests
        if r.method == "GET" and r.path == "/api/v2/zoom-oauth-apps/"
    ]
    assert all(r.query.get("client_id") == "sameClient" for r in pages)
    assert any("cursor" in r.query for r in pages)


def test_next_links_never_leave_the_base_url() -> None:
    # A `next` link naming another host must not take the API key there.
    app = {"id": "a1", "kind": "user_level", "client_id": "c"}
    first = {
        "next": "https://elsewhere.example/api/v2/zoom-oauth-apps/?cursor=p2",
        "results": [app],
    }
    last = {"next": None, "results": [{**app, "id": "a2"}]}  # fmt: skip
    with ScriptedServer(Reply(200, first), Reply(200, last)) as server:
        c = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        assert [a.id for a in c.list_apps()] == ["a1", "a2"]
    assert [s.path for s in server.seen] == [
        "/api/v2/zoom-oauth-apps/",
        "/api/v2/zoom-oauth-apps/?cursor=p2",
    ]


def test_app_logs(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    app = client.create_app(new_app())
    resp = requests.post(client.webhook_url(app.id), data=b'{"event": "x"}', timeout=5)
    assert resp.status_code == 401  # unsigned: Recall logs a rejected webhook
    logs = list(client.list_app_logs(app.id))
    assert logs
    assert all(entry.oauth_app == app.id for entry in logs)
    assert "signature" in logs[0].message


def test_webhook_url_is_derived_in_one_place(client: RecallClient) -> None:
    assert webhook_url("https://us-west-2.recall.ai", APP_ID) == (
        f"https://us-west-2.recall.ai/api/v2/zoom-oauth-apps/{APP_ID}/webhook"
    )
    assert webhook_url("https://proxy.example/", APP_ID.upper()) == (
        f"https://proxy.example/api/v2/zoom-oauth-apps/{APP_ID}/webhook"
    )
    app = client.create_app(new_app())
    assert (
        client.webhook_url(app.id) == f"{client.base_url}/api/v2/zoom-oauth-apps/{app.id}/webhook"
    )


@pytest.mark.parametrize(
    ("region", "api_url", "expected"),
    [
        (None, None, "https://us-east-1.recall.ai"),
        ("us-west-2", None, "https://us-west-2.recall.ai"),
        ("eu-central-1", None, "https://eu-central-1.recall.ai"),
        ("ap-northeast-1", None, "https://ap-northeast-1.recall.ai"),
        ("us-west-2", "http://127.0.0.1:9999/", "http://127.0.0.1:9999"),
        (None, "https://proxy.example/", "https://proxy.example"),
        (None, "http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_base_url_resolution(region: str | None, api_url: str | None, expected: str) -> None:
    assert resolve_base_url(region, api_url) == expected


@pytest.mark.parametrize(
    ("region", "api_url", "facts"),
    [
        ("us-east-2", None, ("us-east-2", *REGION_URLS)),  # the value, and every region
        (None, "ftp://x", ("'ftp://x'", "http(s)")),
        (None, "http://recall.example.com", ("recall.example.com", "https")),
        (None, "https://x.example/?a=1", ("x.example", "query")),
        (None, "https://user:pass@x.example", ("x.example", "password")),
    ],
)
def test_bad_base_urls(region: str | None, api_url: str | None, facts: tuple[str, ...]) -> None:
    with pytest.raises(RecallConfigError) as info:
        resolve_base_url(region, api_url)
    assert info.value.code is (ErrorCode.BAD_REGION if region else ErrorCode.BAD_URL)
    for fact in facts:
        assert fact in str(info.value)
    assert "pass@" not in str(info.value)


def test_regions_are_the_documented_four() -> None:
    assert set(REGION_URLS) == {"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"}


@pytest.mark.parametrize("bad_id", ["", "   "])
def test_empty_ids_never_reach_the_collection(
    client: RecallClient, fresh_emulator: EmulatorServer, bad_id: str
) -> None:
    with pytest.raises(RecallConfigError) as info:
        client.delete_app(bad_id)
    assert info.value.code is ErrorCode.BAD_ID
    assert info.value.outcome is Outcome.NOT_SENT
    assert fresh_emulator.app.requests == []


@pytest.mark.parametrize(
    "bad_id", [".", "..", "../zoom-oauth-app-logs", "%2e%2e", "7b0e3c1e/../..", "x" * 500]
)
def test_only_recall_app_ids_reach_a_path(bad_id: str) -> None:
    # A corrupt state's id must not send a request to the collection or another endpoint.
    with ScriptedServer(Reply(404, {"detail": "Not found."})) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        for call in (client.get_app, client.delete_app, client.webhook_url):
            with pytest.raises(RecallConfigError) as info:
                call(bad_id)
            assert info.value.code is ErrorCode.BAD_ID
        with pytest.raises(RecallConfigError) as info:
            list(client.list_app_logs(bad_id))
        assert info.value.code is ErrorCode.BAD_ID
    assert server.seen == []


def test_an_app_id_is_sent_as_recall_spells_it() -> None:
    with ScriptedServer(Reply(404, {"detail": "Not found."})) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallNotFoundError):
            client.get_app("{" + APP_ID.upper() + "}")
    assert [s.path for s in server.seen] == [f"/api/v2/zoom-oauth-apps/{APP_ID}/"]


def test_empty_api_key_is_refused() -> None:
    with pytest.raises(RecallConfigError) as info:
        RecallClient("  ")
    assert info.value.code is ErrorCode.API_KEY_MISSING
    assert "API key" in str(info.value)


def test_one_session_per_thread(client: RecallClient) -> None:
    app = client.create_app(new_app())
    sessions: set[int] = set()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(5):
                assert client.get_app(app.id).id == app.id
            with lock:
                sessions.add(id(client.transport.session("crud")))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sessions) == 4


def test_pickling_keeps_settings_and_drops_sessions(client: RecallClient) -> None:
    client.create_app(new_app())  # opens a session
    blob = pickle.dumps(client)
    assert b"Session" not in blob
    clone = pickle.loads(blob)
    assert clone.base_url == client.base_url
    assert len(list(clone.list_apps())) == 1
    assert API_KEY not in repr(clone)


@pytest.mark.parametrize(("call", "bucket"), [("get", "crud"), ("patch", "crud"), ("list", "list")])
def test_every_retry_takes_its_turn_in_the_pacing_bucket(
    fresh_emulator: EmulatorServer, call: str, bucket: str
) -> None:
    pacing = Pacing(per_minute=6000, list_per_minute=6000)
    key = f"pacing-retries-{call}-0123456789"
    app_id = fresh_emulator.backend.create_app(new_app().to_wire())["id"]
    with RecallClient(key, base_url=fresh_emulator.url, retry=FAST, pacing=pacing) as c:
        paced = c.transport.bucket(bucket)
        assert paced is not None
        taken: list[float] = []
        original = paced.acquire

        def counting(max_wait: float | None = None) -> float:
            taken.append(time.monotonic())
            return original(max_wait)

        # Before the first request: the session's retries bind the bucket when it is made.
        paced.acquire = counting  # type: ignore[method-assign]
        method = "PATCH" if call == "patch" else "GET"
        fresh_emulator.app.add_fault(Fault(method=method, status=503, times=2))
        if call == "get":
            c.get_app(app_id)
        elif call == "patch":
            c.update_app(app_id, ZoomOAuthAppUpdate(webhook_secret=SecretStr("rotated-0001")))
        else:
            assert [app.id for app in c.list_apps()] == [app_id]
    assert fresh_emulator.app.count(method) == 3, "two 503s, then the answer"
    assert len(taken) == 3, "the first request and each retry took a token"
