"""Every error class, the retry/no-retry decisions on the wire, and no secret in any message."""

from __future__ import annotations

import json
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recall_provider import zoom
from recall_provider.client import RecallClient, RetryPolicy, Timeout, pages
from recall_provider.client.retry import RETRY_AFTER_LONGEST
from recall_provider.emulator import Backend, EmulatorServer, Fault
from recall_provider.errors import (
    ErrorCode,
    Outcome,
    RecallAPIError,
    RecallAuthenticationError,
    RecallConfigError,
    RecallConnectionError,
    RecallError,
    RecallNotFoundError,
    RecallRateLimitError,
    RecallResponseError,
    RecallServerError,
    RecallTimeoutError,
    RecallValidationError,
)
from recall_provider.models import ZoomOAuthAppCreate, ZoomOAuthAppUpdate
from tests.helpers import APPS_PATH, LOGS_PATH
from tests.scripted_server import RawServer, Reply, ScriptedServer, http_answer

API_KEY = "key-Abcdef0123456789-secret"
CLIENT_SECRET = "client-Secret-0123456789abcdef"
WEBHOOK_SECRET = "webhook-Secret-fedcba9876543210"
SECRETS = (API_KEY, CLIENT_SECRET, WEBHOOK_SECRET)
APP_ID = "7b0e3c1e-0000-4000-8000-00000000abcd"
FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)


def new_app(client_id: str = "zoomClientA") -> ZoomOAuthAppCreate:
    return ZoomOAuthAppCreate.model_validate(
        {
            "kind": "user_level",
            "client_id": client_id,
            "client_secret": CLIENT_SECRET,
            "webhook_secret": WEBHOOK_SECRET,
        }
    )


def settled_count(emulator: EmulatorServer, method: str, expected: int) -> int:
    """The request count once slow (delayed) requests have been logged, or after 5 s."""
    deadline = time.monotonic() + 5
    while emulator.app.count(method) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and nothing more arrives
    return emulator.app.count(method)


def assert_no_secret(error: BaseException) -> None:
    # The whole printed traceback, causes included: that is what the provider host sends.
    chain = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), str(error.args), str(vars(error)), chain):
        for secret in SECRETS:
            assert secret not in text


@pytest.fixture
def client(fresh_emulator: EmulatorServer) -> Iterator[RecallClient]:
    with RecallClient(API_KEY, base_url=fresh_emulator.url, retry=FAST) as c:
        yield c


def test_validation_error_lists_the_fields(client: RecallClient) -> None:
    # Bypass client-side validation to see how the server's 400 is reported.
    bad = ZoomOAuthAppCreate.model_construct(
        kind="user_level",
        client_id="x" * 201,
        client_secret=new_app().client_secret,
        webhook_secret=new_app().webhook_secret,
    )
    with pytest.raises(RecallValidationError) as info:
        client.create_app(bad)
    err = info.value
    assert err.code is ErrorCode.INVALID_REQUEST
    assert (err.method, err.path, err.status) == ("POST", APPS_PATH, 400)
    assert err.field_errors == {"client_id": ["Ensure this field has no more than 200 characters."]}
    assert "client_id" in str(err)
    assert "Ensure this field has no more than 200 characters" in str(err), "Recall's words"
    assert err.request_id
    assert err.request_id in str(err)
    assert_no_secret(err)


def test_unknown_key_is_an_authentication_error_that_mentions_regions() -> None:
    with EmulatorServer(Backend(api_keys=["the-only-valid-key"])) as server:
        url = server.url
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallAuthenticationError) as info:
            client.create_app(new_app())
        assert server.app.count() == 1, "401 is never retried"
    err = info.value
    assert err.code is ErrorCode.UNAUTHORIZED
    assert err.status == 401
    assert "Invalid token" in str(err), "Recall's words"
    assert "region" in str(err)
    assert url in str(err)
    assert_no_secret(err)


def test_forbidden(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(status=403))
    with pytest.raises(RecallAuthenticationError) as info:
        client.get_app(APP_ID)
    assert info.value.status == 403
    assert fresh_emulator.app.count() == 1


def test_not_found_names_operation_path_status_and_request_id(client: RecallClient) -> None:
    with pytest.raises(RecallNotFoundError) as info:
        client.update_app(APP_ID, ZoomOAuthAppUpdate(client_secret=CLIENT_SECRET))
    err = info.value
    assert err.code is ErrorCode.NOT_FOUND
    assert (err.operation, err.method, err.status) == (
        f"update Zoom OAuth app {APP_ID}",
        "PATCH",
        404,
    )
    text = str(err)
    assert "update" in text
    assert "PATCH" in text
    assert f"/api/v2/zoom-oauth-apps/{APP_ID}/" in text
    assert "404" in text
    assert err.request_id
    assert err.request_id in text
    assert "region" in text
    assert_no_secret(err)


# -- retry decisions on the wire -----------------------------------------------------------------


@pytest.mark.parametrize("status", [409, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("op", ["get", "update", "delete"])
def test_idempotent_calls_retry_transient_statuses(
    client: RecallClient, fresh_emulator: EmulatorServer, op: str, status: int
) -> None:
    app = client.create_app(new_app())
    fresh_emulator.app.add_fault(Fault(path=app.id, status=status, times=2))
    if op == "get":
        assert client.get_app(app.id).id == app.id
    elif op == "update":
        client.update_app(app.id, ZoomOAuthAppUpdate(webhook_secret="another-webhook-secret"))
    else:
        client.delete_app(app.id)
        assert fresh_emulator.backend.get(app.id) is None
    assert fresh_emulator.app.count(path=app.id) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RecallServerError), (502, RecallServerError), (503, RecallServerError),
     (504, RecallServerError), (409, RecallAPIError), (400, RecallValidationError)],
)  # fmt: skip
def test_create_is_not_retried_on_ambiguous_statuses(
    client: RecallClient, fresh_emulator: EmulatorServer, status: int, error: type[RecallError]
) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", status=status))
    with pytest.raises(error) as info:
        client.create_app(new_app())
    assert info.value.status == status
    assert fresh_emulator.app.count("POST") == 1
    assert_no_secret(info.value)


def test_create_is_retried_on_429_and_creates_one_app(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", status=429, times=2))
    app = client.create_app(new_app())
    assert fresh_emulator.app.count("POST") == 3
    assert [a["id"] for a in fresh_emulator.backend.apps()] == [app.id]


def test_retry_after_is_honoured(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(method="GET", status=429, retry_after=1))
    list(client.list_apps())
    first, second = fresh_emulator.app.requests
    assert second.started - first.started >= 0.95


@pytest.mark.parametrize("call", ["list", "create"])
def test_429s_are_waited_out_until_the_rate_limit_deadline(
    fresh_emulator: EmulatorServer, call: str
) -> None:
    # Every 429 is retried after its Retry-After, a create's too (Recall did nothing), apart
    # from the retries other failures get; past the deadline the error comes.
    policy = RetryPolicy(max_retries=0, rate_limit_deadline=2.5)
    client = RecallClient(API_KEY, base_url=fresh_emulator.url, retry=policy)
    fresh_emulator.app.add_fault(Fault(status=429, retry_after=1, times=10))
    started = time.monotonic()
    with pytest.raises(RecallRateLimitError) as info:
        list(client.list_apps()) if call == "list" else client.create_app(new_app())
    assert fresh_emulator.app.count() == 3, "at 0, 1 and 2 s; the next wait ends past 2.5 s"
    assert time.monotonic() - started < 3
    assert info.value.code is ErrorCode.RATE_LIMITED
    assert fresh_emulator.backend.apps() == []


def test_a_429_is_retried_after_its_retry_after_then_answered(
    fresh_emulator: EmulatorServer,
) -> None:
    client = RecallClient(API_KEY, base_url=fresh_emulator.url, retry=RetryPolicy(max_retries=0))
    fresh_emulator.app.add_fault(Fault(method="POST", status=429, retry_after=1, times=2))
    started = time.monotonic()
    app = client.create_app(new_app())
    assert time.monotonic() - started >= 2 - 0.1, "each Retry-After was waited out"
    assert [a["id"] for a in fresh_emulator.backend.apps()] == [app.id]
    assert [r.status for r in fresh_emulator.app.requests] == [429, 429, 201]


def test_server_error_after_retries(client: RecallClient, fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(status=503, times=10))
    with pytest.raises(RecallServerError) as info:
        client.get_app(APP_ID)
    assert fresh_emulator.app.count() == FAST.max_retries + 1
    assert info.value.code is ErrorCode.SERVER_ERROR
    assert info.value.status == 503
    assert "503" in str(info.value)
    assert "retry" in str(info.value)


def test_dropped_connection_is_retried_for_reads(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    app = client.create_app(new_app())
    fresh_emulator.app.add_fault(Fault(method="GET", drop=True, times=2))
    assert client.get_app(app.id).id == app.id
    assert fresh_emulator.app.count("GET") == 3


def test_create_whose_answer_is_lost_is_not_retried(
    client: RecallClient, fresh_emulator: EmulatorServer
) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", drop=True, after_processing=True))
    with pytest.raises(RecallConnectionError) as info:
        client.create_app(new_app())
    err = info.value
    assert err.may_have_reached_server
    assert err.outcome is Outcome.UNKNOWN
    assert err.code is ErrorCode.CONNECTION_FAILED
    assert "look for it" in str(err), "the next step: look before creating again"
    assert fresh_emulator.app.count("POST") == 1
    assert len(fresh_emulator.backend.apps()) == 1, "exactly one app, never a duplicate"
    assert_no_secret(err)


def test_create_timeout_is_ambiguous_and_not_retried(fresh_emulator: EmulatorServer) -> None:
    client = RecallClient(
        API_KEY, base_url=fresh_emulator.url, retry=FAST, timeout=Timeout(connect=2, read=0.3)
    )
    fresh_emulator.app.add_fault(Fault(method="POST", delay=1.0, after_processing=True))
    with pytest.raises(RecallTimeoutError) as info:
        client.create_app(new_app())
    assert info.value.may_have_reached_server
    assert info.value.outcome is Outcome.UNKNOWN
    assert info.value.code is ErrorCode.TIMEOUT
    assert "0.3 s" in str(info.value), "the timeout that ran out"
    assert "look for it" in str(info.value)
    assert settled_count(fresh_emulator, "POST", 1) == 1
    assert_no_secret(info.value)


def test_slow_reads_are_retried(fresh_emulator: EmulatorServer) -> None:
    client = RecallClient(
        API_KEY, base_url=fresh_emulator.url, retry=FAST, timeout=Timeout(connect=2, read=0.3)
    )
    fresh_emulator.app.add_fault(Fault(method="GET", delay=1.0))
    assert list(client.list_apps()) == []
    assert settled_count(fresh_emulator, "GET", 2) == 2


def test_slow_reads_give_up_with_a_timeout_error(fresh_emulator: EmulatorServer) -> None:
    client = RecallClient(
        API_KEY,
        base_url=fresh_emulator.url,
        retry=RetryPolicy(max_retries=1, backoff_base=0.01),
        timeout=Timeout(connect=2, read=0.2),
    )
    fresh_emulator.app.add_fault(Fault(method="GET", delay=0.6, times=5))
    with pytest.raises(RecallTimeoutError):
        client.get_app(APP_ID)
    assert settled_count(fresh_emulator, "GET", 2) == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("method", ["create", "get"])
def test_connection_refused_never_reached_recall(method: str) -> None:
    client = RecallClient(API_KEY, base_url=f"http://127.0.0.1:{_closed_port()}", retry=FAST)
    call = (
        (lambda: client.create_app(new_app()))
        if method == "create"
        else (lambda: client.get_app(APP_ID))
    )
    with pytest.raises(RecallConnectionError) as info:
        call()
    err = info.value
    assert not isinstance(err, RecallTimeoutError)
    assert not err.may_have_reached_server
    assert err.outcome is Outcome.NOT_SENT
    assert err.code is ErrorCode.CONNECTION_FAILED
    assert "region" in str(err)
    assert_no_secret(err)


# -- hostile or odd servers ----------------------------------------------------------------------


def test_secrets_echoed_by_the_server_are_redacted() -> None:
    echo = {
        "detail": f"bad key {API_KEY}",
        "client_secret": [f"{CLIENT_SECRET} is not allowed"],
        "webhook_secret": [f"{WEBHOOK_SECRET} is weak"],
    }
    with ScriptedServer(Reply(400, echo, {"X-Request-Id": "req-123"})) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallValidationError) as info:
            client.create_app(new_app())
    err = info.value
    assert_no_secret(err)
    assert "[redacted] is not allowed" in str(err)
    assert err.field_errors["webhook_secret"] == ["[redacted] is weak"]
    assert err.request_id == "req-123"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"<html>not json</html>"),
        Reply(200, {"unexpected": "shape"}),
        Reply(200, {"next": None, "results": "nope"}),
        Reply(302, b"", {"Location": "https://elsewhere.example/"}),
    ],
)
def test_unexpected_answers_become_response_errors(reply: Reply) -> None:
    with ScriptedServer(reply) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            list(client.list_apps())
    assert len(server.seen) == 1, "redirects are not followed"
    assert_no_secret(info.value)


def test_server_errors_with_html_bodies_stay_readable() -> None:
    with ScriptedServer(Reply(502, b"<html><body>Bad gateway</body></html>")) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_retries=0))
        with pytest.raises(RecallServerError) as info:
            client.get_app(APP_ID)
    assert "<html>" not in str(info.value)
    assert info.value.code is ErrorCode.SERVER_ERROR
    assert "502" in str(info.value)


def test_a_pasted_key_with_a_line_break_is_refused_without_echoing_it() -> None:
    key = "first-half-of-the-key\nsecond-half-of-the-key"
    with pytest.raises(RecallConfigError) as info:
        RecallClient(key, base_url="http://127.0.0.1:1")
    chain = "".join(traceback.format_exception(info.value))
    assert "first-half-of-the-key" not in chain
    assert "second-half-of-the-key" not in chain
    assert info.value.code is ErrorCode.API_KEY_MALFORMED
    assert "API key" in str(info.value)


def test_a_secret_cut_by_truncation_is_still_redacted() -> None:
    # The secret straddles the 200th character of the detail text.
    detail = "x" * 190 + CLIENT_SECRET
    with ScriptedServer(Reply(400, {"detail": detail})) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallValidationError) as info:
            client.create_app(new_app())
    assert_no_secret(info.value)
    assert CLIENT_SECRET[:8] not in str(info.value)


def test_a_400_naming_no_field_says_so() -> None:
    with ScriptedServer(Reply(400, {"detail": "Bad request."})) as server:
        client = RecallClient("k-0123456789", base_url=server.url)
        with pytest.raises(RecallValidationError) as info:
            client.get_app("7b0e3c1e-0000-4000-8000-000000000001")
    assert info.value.field_errors == {}
    assert info.value.code is ErrorCode.INVALID_REQUEST
    assert "no field" in str(info.value)
    assert "named above" not in str(info.value), "no pointer to fields that are not there"


def app_json(app_id: str = APP_ID) -> dict[str, str]:
    return {"id": app_id, "kind": "user_level", "client_id": "zoomClientA",
            "client_secret": CLIENT_SECRET, "webhook_secret": WEBHOOK_SECRET}  # fmt: skip


def test_an_error_never_shows_a_secret_of_another_request() -> None:
    # Only the client secret is sent; Recall's answer echoes the webhook secret, which the
    # client sent earlier, with the create.
    echo = {"detail": f"webhook secret {WEBHOOK_SECRET} does not match"}
    with ScriptedServer(Reply(201, app_json()), Reply(400, echo)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        client.create_app(new_app())
        with pytest.raises(RecallValidationError) as info:
            client.update_app(APP_ID, ZoomOAuthAppUpdate(client_secret="rotated-client-0001"))
    assert_no_secret(info.value)
    assert "[redacted]" in str(info.value)


def test_an_error_never_shows_a_secret_recall_showed_before() -> None:
    echo = {"detail": f"cannot delete the app with client secret {CLIENT_SECRET}"}
    replies = (Reply(200, app_json()), Reply(409, echo))
    with ScriptedServer(*replies) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_retries=0))
        client.get_app(APP_ID)
        with pytest.raises(RecallAPIError) as info:
            client.delete_app(APP_ID)
    assert_no_secret(info.value)


def test_secrets_the_caller_knows_are_redacted_too() -> None:
    echo = {"detail": f"app {APP_ID} ({WEBHOOK_SECRET}) is broken"}
    with ScriptedServer(Reply(500, echo)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=RetryPolicy(max_retries=0))
        client.remember_secrets(WEBHOOK_SECRET, None)
        with pytest.raises(RecallServerError) as info:
            client.get_app(APP_ID)
    assert_no_secret(info.value)


# -- answers cut short or trickled ------------------------------------------------------------

APP_BODY = json.dumps(
    {"id": APP_ID, "kind": "user_level", "client_id": "zoomClientA",
     "webhook_last_validation": None, "created_at": "2026-01-01T00:00:00Z"}
).encode()  # fmt: skip
QUICK = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_max=0.05)


def test_a_trickled_answer_is_given_up_at_the_request_deadline() -> None:
    # A byte every 0.1 s: every read returns well within the 1 s timeout, the answer never.
    with RawServer(lambda _: http_answer(200, APP_BODY), interval=0.1) as server:
        client = RecallClient(
            API_KEY, base_url=server.url, retry=QUICK, timeout=Timeout(connect=1, read=1)
        )
        started = time.monotonic()
        with pytest.raises(RecallTimeoutError) as info:
            client.get_app(APP_ID)
        took = time.monotonic() - started
    assert info.value.code is ErrorCode.TIMEOUT
    assert "read timeout of 1 s" in str(info.value), "the timeout that ran out"
    assert info.value.outcome is Outcome.UNKNOWN
    assert server.connections == 3, "the first try and two retries, each cut at its deadline"
    assert took < 3 * 1 + 2, f"bounded by the deadlines, not by the trickle ({took:.1f} s)"


def test_a_trickled_create_is_given_up_once_and_may_have_reached_recall() -> None:
    with RawServer(lambda _: http_answer(201, APP_BODY), interval=0.1) as server:
        client = RecallClient(
            API_KEY, base_url=server.url, retry=QUICK, timeout=Timeout(connect=1, read=1)
        )
        with pytest.raises(RecallTimeoutError) as info:
            client.create_app(new_app())
    assert info.value.outcome is Outcome.UNKNOWN
    assert info.value.code is ErrorCode.TIMEOUT
    assert "look for it" in str(info.value)
    assert server.connections == 1, "a create is never repeated blindly"


@pytest.mark.parametrize("method", ["get", "update"])
def test_an_answer_cut_mid_body_is_retried_when_safe(method: str) -> None:
    answers = [http_answer(200, APP_BODY[:20], declared=len(APP_BODY)), http_answer(200, APP_BODY)]
    with RawServer(lambda i: answers[min(i, 1)]) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=QUICK)
        if method == "get":
            app = client.get_app(APP_ID)
        else:
            app = client.update_app(APP_ID, ZoomOAuthAppUpdate(client_secret=CLIENT_SECRET))
    assert app.id == APP_ID
    assert server.connections == 2, "the cut answer, then its retry"


def test_a_create_cut_mid_body_is_not_retried() -> None:
    cut = http_answer(201, APP_BODY[:20], declared=len(APP_BODY))
    with RawServer(lambda _: cut) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=QUICK)
        with pytest.raises(RecallConnectionError) as info:
            client.create_app(new_app())
    assert info.value.outcome is Outcome.UNKNOWN
    assert server.connections == 1
    assert_no_secret(info.value)


# -- listings that never end: every walk of Recall's pages stops ------------------------------

LINK = "http://127.0.0.1:1{path}?cursor={cursor}"
GUARD = Reply(404, {"detail": "the walk went on: no fix stopped it"})
"""The answer after a test's hostile pages: a walk that is not stopped ends on this 404."""


def app_item(i: int) -> dict[str, Any]:
    return {"id": str(uuid.UUID(int=i + 1)), "kind": "user_level", "client_id": "zoomClientA"}


def log_item(i: int) -> dict[str, Any]:
    # Newest first, as Recall lists them: a larger i is older.
    stamp = datetime(2026, 1, 2, tzinfo=UTC) - timedelta(minutes=i)
    return {"oauth_app": APP_ID, "message": f"entry {i}", "created_at": stamp.isoformat()}


Walk = tuple[str, Callable[[int], dict[str, Any]], Callable[[RecallClient], object]]
"""A listing's path, how its items look, and a walk of it by the client."""
A_DAY_AGO = datetime(2026, 1, 1, tzinfo=UTC)
WALKS: dict[str, Walk] = {
    "apps": (APPS_PATH, app_item, lambda c: list(c.list_apps())),
    "apps of a client id": (APPS_PATH, app_item,
                            lambda c: list(c.list_apps(client_id="zoomClientA"))),
    "app pages": (APPS_PATH, app_item, lambda c: list(c.app_pages())),
    "logs of an app": (LOGS_PATH, log_item, lambda c: list(c.list_app_logs(APP_ID))),
    "logs of a day": (LOGS_PATH, log_item, lambda c: list(c.list_app_logs(since=A_DAY_AGO))),
}  # fmt: skip


def endless(path: str, item: Callable[[int], dict[str, Any]], how: str) -> list[Reply]:
    """Ten pages of a listing that does not end, in one of the ways a server can loop."""
    pages = []
    for n in range(10):
        cursor = "same" if how == "same cursor" else f"c{n}"
        if how == "empty pages":
            results = []
        elif how == "first page again":
            results = [item(0), item(1)]
        else:  # the same cursor, or new pages that never end
            results = [item(2 * n), item(2 * n + 1)]
        pages.append({"next": LINK.format(path=path, cursor=cursor), "results": results})
    return [*(Reply(200, page) for page in pages), GUARD]


@pytest.mark.parametrize("walk", list(WALKS))
@pytest.mark.parametrize(
    ("how", "pages", "says"),
    [
        ("same cursor", 2, "page 2 "),
        ("first page again", 2, "page 2 "),
        ("empty pages", 1, "page 1 "),
    ],
)
def test_a_listing_that_repeats_itself_stops_the_walk(
    walk: str, how: str, pages: int, says: str
) -> None:
    path, item, run = WALKS[walk]
    with ScriptedServer(*endless(path, item, how)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            run(client)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert says in str(info.value), "it names the page that looped"
    assert (info.value.method, info.value.path, info.value.status) == ("GET", path, 200)
    assert path in str(info.value), "it names the request that looped"
    assert len(server.seen) == pages, "stopped at the first page that repeats"


@pytest.mark.parametrize("walk", list(WALKS))
def test_a_listing_longer_than_the_ceiling_stops_the_walk(
    walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "MAX_PAGES", 3)
    path, item, run = WALKS[walk]
    with ScriptedServer(*endless(path, item, "never ends")) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            run(client)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert "3 pages" in str(info.value), "it names the ceiling"
    assert len(server.seen) == 3


def test_the_ceiling_is_far_above_any_workspace() -> None:
    # 60 list calls a minute: the ceiling is a quarter of an hour of pages, no real limit.
    assert pages.MAX_PAGES >= 1000


def test_log_entries_alike_are_not_taken_for_a_repeat() -> None:
    # Entries have no id: two alike (one app, one message, one time) are two entries.
    same = log_item(0)
    pages: list[dict[str, Any]] = [
        {"next": LINK.format(path=LOGS_PATH, cursor="p2"), "results": [same, same]},
        {"next": None, "results": [same, log_item(1)]},
    ]
    with ScriptedServer(*(Reply(200, p) for p in pages)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        assert len(list(client.list_app_logs(APP_ID))) == 4


# -- answers about another app: every answer about an app is the one asked for --------------

OTHER_ID = "9f1d2c3b-0000-4000-8000-0000000000ff"


def about(app_id: str, client_id: str = "zoomClientA", kind: str = "user_level") -> Reply:
    return Reply(200, {"id": app_id, "kind": kind, "client_id": client_id},
                 {"X-Request-Id": "req-other"})  # fmt: skip


ASKING: dict[str, Callable[[RecallClient, str], object]] = {
    "get": lambda c, app_id: c.get_app(app_id),
    "update": lambda c, app_id: c.update_app(
        app_id, ZoomOAuthAppUpdate(webhook_secret=WEBHOOK_SECRET)
    ),
}


@pytest.mark.parametrize("call", list(ASKING))
def test_an_answer_about_another_app_fails_naming_both_ids(call: str) -> None:
    with ScriptedServer(about(OTHER_ID)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            ASKING[call](client, APP_ID)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    text = str(info.value)
    assert OTHER_ID in text
    assert APP_ID in text
    assert "req-other" in text
    assert "\n" not in text
    assert info.value.outcome is Outcome.UNKNOWN, "whatever it did, it did not say"
    assert len(server.seen) == 1, "a wrong answer is no reason to ask again"
    assert_no_secret(info.value)


@pytest.mark.parametrize("call", list(ASKING))
@pytest.mark.parametrize(
    ("asked", "answered"),
    [(APP_ID.upper(), APP_ID), (APP_ID, APP_ID.upper()),
     ("{" + APP_ID + "}", APP_ID.replace("-", ""))],
    ids=["asked-upper", "answered-upper", "braces-and-no-dashes"],
)  # fmt: skip
def test_ids_compare_in_recalls_spelling(call: str, asked: str, answered: str) -> None:
    with ScriptedServer(about(answered)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        assert ASKING[call](client, asked) is not None


@pytest.mark.parametrize("call", list(ASKING))
@pytest.mark.parametrize("answered", ["", "not-a-uuid", "\x1b]0;evil\x07" + "x" * 500])
def test_an_answer_whose_id_is_no_app_id_is_another_app(call: str, answered: str) -> None:
    with ScriptedServer(about(answered)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            ASKING[call](client, APP_ID)
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert APP_ID in str(info.value)
    assert "\x1b" not in str(info.value)
    assert len(str(info.value)) < 600


@pytest.mark.parametrize(
    ("client_id", "kind"), [("zoomClientB", "user_level"), ("zoomClientA", "account_level")]
)
def test_a_create_answered_with_another_app_may_have_made_ours(client_id: str, kind: str) -> None:
    with ScriptedServer(Reply(201, about(OTHER_ID, client_id, kind).body)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        with pytest.raises(RecallResponseError) as info:
            client.create_app(new_app())
    assert info.value.code is ErrorCode.BAD_RESPONSE
    assert client_id in str(info.value), "the app Recall answered about"
    assert "zoomClientA" in str(info.value), "the app posted"
    assert info.value.outcome is Outcome.UNKNOWN
    assert info.value.outcome.may_have_acted, "the caller looks before it creates again"
    assert "look for it" in str(info.value)
    assert len(server.seen) == 1


def test_one_apps_logs_never_hold_another_apps_entries() -> None:
    ours, theirs = log_item(0), {**log_item(1), "oauth_app": OTHER_ID}
    upper = {**log_item(2), "oauth_app": APP_ID.upper()}
    with ScriptedServer(Reply(200, {"next": None, "results": [ours, theirs, upper]})) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=FAST)
        shown = [entry.message for entry in client.list_app_logs(APP_ID)]
    assert shown == ["entry 0", "entry 2"]


# -- Retry-After as Recall (or anything on the way) may send it -------------------------------

# On the wire: the bytes of other scripts' digits (which str.isdigit() and int() take), a byte
# that is a digit in latin-1 (as http.client decodes headers), a date off the calendar, and
# more ASCII digits than int() reads.
RETRY_AFTERS = [
    "\u0663".encode(),
    "\uff11\uff12".encode(),
    b"\xb3",
    b"Wed, 21 Oct 99999 07:28:00 GMT",
    b"9" * 5000,
]
ONE_RETRY = RetryPolicy(
    max_retries=1, backoff_base=0.01, backoff_max=0.02, retry_after_max=0, rate_limit_deadline=0
)


def retry_after_answer(status: int, value: bytes) -> bytes:
    body = b'{"detail": "not now"}'
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nRetry-After: "
    )
    return head.encode() + value + b"\r\n\r\n" + body


CALLS: dict[str, Callable[[RecallClient], object]] = {
    "get": lambda c: c.get_app(APP_ID),
    "create": lambda c: c.create_app(new_app()),
    "list": lambda c: list(c.list_apps()),
}


Case = tuple[int, str, type[RecallAPIError], Outcome, int]
"""A status, the call that gets it, the error and outcome it ends in, and its attempts."""
CASES: list[Case] = [
    (429, "get", RecallRateLimitError, Outcome.REFUSED, 1),
    (429, "create", RecallRateLimitError, Outcome.REFUSED, 1),
    (429, "list", RecallRateLimitError, Outcome.REFUSED, 1),
    (503, "get", RecallServerError, Outcome.FAILED, 2),  # urllib3's retry reads it
    (503, "list", RecallServerError, Outcome.FAILED, 2),
    (503, "create", RecallServerError, Outcome.FAILED, 1),
    (400, "get", RecallValidationError, Outcome.REFUSED, 1),
]


@pytest.mark.parametrize("value", RETRY_AFTERS, ids=lambda v: repr(v[:12]))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_every_reader_of_retry_after_takes_ascii_digits_or_a_date_only(
    value: bytes, case: Case
) -> None:
    status, call, error, outcome, attempts = case
    with RawServer(lambda _: retry_after_answer(status, value)) as server:
        client = RecallClient(API_KEY, base_url=server.url, retry=ONE_RETRY)
        with pytest.raises(error) as info:
            CALLS[call](client)
    assert info.value.outcome is outcome, "an answered request was sent"
    assert server.connections == attempts
    ascii_digits = value.isdigit()
    assert info.value.retry_after == (RETRY_AFTER_LONGEST if ascii_digits else None)


def test_a_webhook_signed_with_another_secret_is_a_refused_signature_not_a_refused_key(
    fresh_emulator: EmulatorServer,
) -> None:
    app = fresh_emulator.backend.create_app(
        {"kind": "user_level", "client_id": "zc", "client_secret": "cs-0001",
         "webhook_secret": "the-real-secret-token"}
    )  # fmt: skip
    body, _, headers = zoom.signed_url_validation("another-secret-token", time.time())
    with (
        RecallClient("k", base_url=fresh_emulator.url) as client,
        pytest.raises(RecallAPIError) as info,
    ):
        client.send_zoom_webhook(app["id"], body, headers, secret="another-secret-token")
    assert info.value.status == 401
    assert info.value.code is ErrorCode.SIGNATURE_REFUSED
    assert "x-zm-signature" in str(info.value)
    assert "another-secret-token" not in str(info.value)
