"""The Recall zoom-oauth-apps emulator, driven over HTTP with plain requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from recall_provider.emulator import Backend, EmulatorServer, Fault, RateLimits
from recall_provider.emulator.errors import StateFileError
from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, MAX_FIELD_LENGTH, MINUTE
from tests.helpers import APPS_PATH, LOGS_PATH, EmulatorFactory

AUTH = {"Authorization": "Token test-key"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NOT_FOUND = {"detail": "Not found."}
REQUIRED = ["This field is required."]
BLANK = ["This field may not be blank."]
TOO_LONG = [f"Ensure this field has no more than {MAX_FIELD_LENGTH} characters."]
OVER = MAX_FIELD_LENGTH + 1
NOT_STRING = ["Not a valid string."]
NULL = ["This field may not be null."]
ROOT = Path(__file__).resolve().parent.parent


def body(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "user_level",
        "client_id": "zoom-client",
        "client_secret": "client-secret",
        "webhook_secret": "webhook-secret",
    }
    data.update(overrides)
    return data


def create(server: EmulatorServer, **overrides: object) -> dict[str, Any]:
    response = requests.post(
        server.url + APPS_PATH, json=body(**overrides), headers=AUTH, timeout=5
    )
    assert response.status_code == 201, response.text
    app: dict[str, Any] = response.json()
    return app


def get(server: EmulatorServer, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    return requests.get(server.url + path, timeout=5, **kwargs)


def walk(server: EmulatorServer, path: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a list endpoint, following ``next``; returns the pages' bodies."""
    pages = [get(server, path, params=params).json()]
    while pages[-1]["next"] is not None:
        response = requests.get(pages[-1]["next"], headers=AUTH, timeout=5)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    return pages


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def post_webhook(
    server: EmulatorServer, app_id: str, raw: bytes, headers: dict[str, str]
) -> requests.Response:
    url = f"{server.url}{APPS_PATH}{app_id}/webhook"
    headers = {"Content-Type": "application/json", **headers}
    return requests.post(url, data=raw, headers=headers, timeout=5)


def signed_headers(secret: str, raw: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": sign(secret, timestamp, raw)}


# -- create and validation ---------------------------------------------------------------------


def test_create_returns_the_app_object(fresh_emulator: EmulatorServer) -> None:
    response = requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH, timeout=5)
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    app = response.json()
    assert set(app) == {
        "id",
        "kind",
        "client_id",
        "client_secret",
        "webhook_secret",
        "webhook_last_validation",
        "created_at",
    }
    assert str(uuid.UUID(app["id"])) == app["id"]
    assert TIMESTAMP.match(app["created_at"])
    assert app["webhook_last_validation"] is None
    assert (app["kind"], app["client_id"]) == ("user_level", "zoom-client")
    assert (app["client_secret"], app["webhook_secret"]) == ("client-secret", "webhook-secret")
    assert fresh_emulator.backend.get(app["id"]) == app
    other = requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH, timeout=5)
    assert other.headers["X-Request-Id"] != response.headers["X-Request-Id"]


def test_create_accepts_form_encoding_and_ignores_unknown_fields(
    fresh_emulator: EmulatorServer,
) -> None:
    form = {**body(kind="account_level"), "surprise": "ignored", "id": "not-mine"}
    response = requests.post(fresh_emulator.url + APPS_PATH, data=form, headers=AUTH, timeout=5)
    assert response.status_code == 201, response.text
    app = response.json()
    assert app["kind"] == "account_level"
    assert "surprise" not in app
    assert app["id"] != "not-mine"


def test_duplicate_client_ids_are_allowed(fresh_emulator: EmulatorServer) -> None:
    first, second = (
        create(fresh_emulator, client_id="same"),
        create(fresh_emulator, client_id="same"),
    )
    assert first["id"] != second["id"]
    assert len(fresh_emulator.backend.apps()) == 2


def test_the_longest_field_is_fine_and_strings_are_trimmed(
    fresh_emulator: EmulatorServer,
) -> None:
    longest = "x" * MAX_FIELD_LENGTH
    app = create(fresh_emulator, client_id=longest, client_secret="  padded  ", webhook_secret=42)
    assert app["client_id"] == longest
    assert app["client_secret"] == "padded"
    assert app["webhook_secret"] == "42"
    assert create(fresh_emulator, webhook_secret=1.5)["webhook_secret"] == "1.5"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        pytest.param(
            {},
            {"kind": REQUIRED, "client_id": REQUIRED, "client_secret": REQUIRED}
            | {"webhook_secret": REQUIRED},
            id="all-missing",
        ),
        pytest.param(body(client_id=""), {"client_id": BLANK}, id="blank"),
        pytest.param(body(client_secret="   "), {"client_secret": BLANK}, id="whitespace"),
        pytest.param(body(webhook_secret="w" * OVER), {"webhook_secret": TOO_LONG}, id="too-long"),
        pytest.param(body(kind="foo"), {"kind": ['"foo" is not a valid choice.']}, id="kind"),
        pytest.param(body(kind=""), {"kind": ['"" is not a valid choice.']}, id="kind-blank"),
        pytest.param(body(kind=None), {"kind": NULL}, id="kind-null"),
        pytest.param(body(client_id=True), {"client_id": NOT_STRING}, id="bool"),
        pytest.param(body(client_id=["a"]), {"client_id": NOT_STRING}, id="list"),
        pytest.param(body(client_secret={"a": 1}), {"client_secret": NOT_STRING}, id="dict"),
        pytest.param(body(webhook_secret=None), {"webhook_secret": NULL}, id="null"),
        pytest.param(
            body(client_id="a\x00b"), {"client_id": ["Null characters are not allowed."]}, id="nul"
        ),
        pytest.param(
            {"kind": "foo", "client_secret": "s" * OVER, "webhook_secret": ""},
            {
                "client_id": REQUIRED,
                "kind": ['"foo" is not a valid choice.'],
                "client_secret": TOO_LONG,
                "webhook_secret": BLANK,
            },
            id="all-at-once",
        ),
        pytest.param(
            ["not", "a", "dict"],
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
            id="list-body",
        ),
        pytest.param(
            "text",
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            id="string-body",
        ),
        pytest.param(
            3,
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
            id="int-body",
        ),
        pytest.param(None, {"non_field_errors": ["No data provided"]}, id="null-body"),
    ],
)
def test_create_validation(fresh_emulator: EmulatorServer, data: object, errors: object) -> None:
    raw = json.dumps(data).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    response = requests.post(fresh_emulator.url + APPS_PATH, data=raw, headers=headers, timeout=5)
    assert response.status_code == 400
    assert response.json() == errors
    assert fresh_emulator.backend.apps() == []


@pytest.mark.parametrize("raw", [b"{", b"nope", b'{"kind": NaN}', b"\xff\xfe"])
def test_non_json_body_is_a_parse_error(fresh_emulator: EmulatorServer, raw: bytes) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = requests.post(fresh_emulator.url + APPS_PATH, data=raw, headers=headers, timeout=5)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("JSON parse error - ")
    if raw == b"{":
        reason = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        assert detail == f"JSON parse error - {reason}"
    if b"NaN" in raw:
        assert "Out of range float values are not JSON compliant" in detail


def test_empty_json_body_reports_required_fields(fresh_emulator: EmulatorServer) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = requests.post(fresh_emulator.url + APPS_PATH, data=b"", headers=headers, timeout=5)
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "client_id", "client_secret", "webhook_secret"}


def test_unsupported_media_type(fresh_emulator: EmulatorServer) -> None:
    headers = {**AUTH, "Content-Type": "text/plain"}
    response = requests.post(
        fresh_emulator.url + APPS_PATH, data=b"kind=user_level", headers=headers
    )
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("", "Authentication credentials were not provided."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Bearer something", "Invalid token."),
    ],
)
def test_authentication_failures(
    fresh_emulator: EmulatorServer, authorization: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = get(fresh_emulator, APPS_PATH, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize("authorization", ["Token any-key", "token any-key", "any-key"])
def test_any_key_is_accepted_by_default(fresh_emulator: EmulatorServer, authorization: str) -> None:
    assert (
        get(fresh_emulator, APPS_PATH, headers={"Authorization": authorization}).status_code == 200
    )


def test_configured_api_keys_only(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory(api_keys=["good"])
    assert get(server, APPS_PATH, headers={"Authorization": "Token good"}).status_code == 200
    assert get(server, APPS_PATH, headers={"Authorization": "good"}).status_code == 200
    response = get(server, APPS_PATH, headers={"Authorization": "Token bad"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", APPS_PATH),
        ("GET", APPS_PATH + "{id}/"),
        ("PATCH", APPS_PATH + "{id}/"),
        ("DELETE", APPS_PATH + "{id}/"),
        ("GET", LOGS_PATH),
        ("PUT", APPS_PATH),  # authentication comes before the method check, as in DRF
    ],
)
def test_every_api_route_needs_credentials(
    fresh_emulator: EmulatorServer, method: str, path: str
) -> None:
    app = create(fresh_emulator)
    url = fresh_emulator.url + path.format(id=app["id"])
    response = requests.request(method, url, json={}, timeout=5)
    assert response.status_code == 401
    assert fresh_emulator.backend.get(app["id"]) == app


# -- retrieve, update, delete ------------------------------------------------------------------


def test_retrieve(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    assert get(fresh_emulator, f"{APPS_PATH}{app['id']}/").json() == app
    assert get(fresh_emulator, f"{APPS_PATH}{app['id'].upper()}/").json() == app


@pytest.mark.parametrize("app_id", ["0b7e4c1a-3f2d-4e5b-9a8c-7d6e5f4a3b2c", "not-a-uuid", "123"])
def test_unknown_ids_are_404(fresh_emulator: EmulatorServer, app_id: str) -> None:
    create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app_id}/"
    for method in ("GET", "PATCH", "DELETE"):
        response = requests.request(method, url, json={"client_secret": "x"}, headers=AUTH)
        assert response.status_code == 404, method
        assert response.json() == NOT_FOUND


def test_patch_updates_only_the_secrets(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app['id']}/"
    changes = {
        "client_secret": "new-secret",
        "client_id": "other-client",
        "kind": "account_level",
        "id": str(uuid.uuid4()),
        "created_at": "2000-01-01T00:00:00Z",
    }
    response = requests.patch(url, json=changes, headers=AUTH, timeout=5)
    assert response.status_code == 200
    assert response.json() == {**app, "client_secret": "new-secret"}
    assert fresh_emulator.backend.get(app["id"]) == {**app, "client_secret": "new-secret"}
    response = requests.patch(url, json={"webhook_secret": "w2"}, headers=AUTH, timeout=5)
    assert response.json() == {**app, "client_secret": "new-secret", "webhook_secret": "w2"}


def test_patch_ignores_an_invalid_kind(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app['id']}/"
    response = requests.patch(url, json={"kind": "foo"}, headers=AUTH, timeout=5)
    assert response.status_code == 200
    assert response.json() == app


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"client_secret": ""}, {"client_secret": BLANK}),
        ({"webhook_secret": "w" * OVER}, {"webhook_secret": TOO_LONG}),
        ({"client_secret": None}, {"client_secret": NULL}),
        ([1], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_patch_validation(
    fresh_emulator: EmulatorServer, data: object, errors: dict[str, Any]
) -> None:
    app = create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app['id']}/"
    response = requests.patch(url, json=data, headers=AUTH, timeout=5)
    assert response.status_code == 400
    assert response.json() == errors
    assert fresh_emulator.backend.get(app["id"]) == app


def test_patch_reports_every_invalid_field(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app['id']}/"
    data: dict[str, object] = {"client_secret": None, "webhook_secret": []}
    response = requests.patch(url, json=data, headers=AUTH, timeout=5)
    assert response.json() == {"client_secret": NULL, "webhook_secret": NOT_STRING}


def test_patch_on_unknown_id_is_404_before_the_body_is_read(fresh_emulator: EmulatorServer) -> None:
    url = f"{fresh_emulator.url}{APPS_PATH}{uuid.uuid4()}/"
    headers = {**AUTH, "Content-Type": "application/json"}
    response = requests.patch(url, data=b"{broken", headers=headers, timeout=5)
    assert response.status_code == 404


def test_delete_twice(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    url = f"{fresh_emulator.url}{APPS_PATH}{app['id']}/"
    first = requests.delete(url, headers=AUTH, timeout=5)
    assert first.status_code == 204
    assert first.content == b""
    assert "Content-Type" not in first.headers
    assert first.headers["X-Request-Id"]
    second = requests.delete(url, headers=AUTH, timeout=5)
    assert second.status_code == 404
    assert second.json() == NOT_FOUND
    assert get(fresh_emulator, f"{APPS_PATH}{app['id']}/").status_code == 404
    assert fresh_emulator.backend.apps() == []


# -- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/zoom-oauth-apps"),
        ("POST", "/api/v2/zoom-oauth-apps"),
        ("GET", "/api/v2/zoom-oauth-apps/{id}"),
        ("DELETE", "/api/v2/zoom-oauth-apps/{id}"),
        ("GET", "/api/v2/zoom-oauth-app-logs"),
        ("POST", "/api/v2/zoom-oauth-apps/{id}/webhook/"),
        ("GET", "/api/v2/nothing-here/"),
        ("GET", "/"),
    ],
)
def test_wrong_paths_are_404_never_redirects(
    fresh_emulator: EmulatorServer, method: str, path: str
) -> None:
    app = create(fresh_emulator)
    url = fresh_emulator.url + path.format(id=app["id"])
    response = requests.request(method, url, headers=AUTH, allow_redirects=False, timeout=5)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert fresh_emulator.backend.get(app["id"]) is not None


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", APPS_PATH, "GET, POST, HEAD"),
        ("DELETE", APPS_PATH, "GET, POST, HEAD"),
        ("POST", APPS_PATH + "{id}/", "GET, PATCH, DELETE, HEAD"),
        ("PUT", APPS_PATH + "{id}/", "GET, PATCH, DELETE, HEAD"),
        ("POST", LOGS_PATH, "GET, HEAD"),
        ("GET", APPS_PATH + "{id}/webhook", "POST"),
    ],
)
def test_wrong_method_is_405(
    fresh_emulator: EmulatorServer, method: str, path: str, allow: str
) -> None:
    app = create(fresh_emulator)
    url = fresh_emulator.url + path.format(id=app["id"])
    response = requests.request(method, url, headers=AUTH, timeout=5)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["Allow"] == allow


# -- listing and pagination --------------------------------------------------------------------


def test_list_pages_newest_first_without_duplicates_or_misses(
    fresh_emulator: EmulatorServer,
) -> None:
    created = [create(fresh_emulator, client_id=f"c{i}")["id"] for i in range(23)]
    pages = walk(fresh_emulator, APPS_PATH)
    assert [len(page["results"]) for page in pages] == [10, 10, 3]
    listed = [app["id"] for page in pages for app in page["results"]]
    assert listed == created[::-1]
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    for page in pages[:-1]:
        assert page["next"].startswith(fresh_emulator.url + APPS_PATH + "?cursor=")
    previous = requests.get(pages[2]["previous"], headers=AUTH, timeout=5).json()
    assert previous["results"] == pages[1]["results"]
    back_to_first = requests.get(previous["previous"], headers=AUTH, timeout=5).json()
    assert back_to_first["results"] == pages[0]["results"]
    assert back_to_first["previous"] is None


def test_empty_list(fresh_emulator: EmulatorServer) -> None:
    assert get(fresh_emulator, APPS_PATH).json() == {"next": None, "previous": None, "results": []}


def test_page_size_is_configurable(fresh_emulator: EmulatorServer) -> None:
    for i in range(5):
        create(fresh_emulator, client_id=f"c{i}")
    fresh_emulator.app.set_page_size(2)
    assert [len(page["results"]) for page in walk(fresh_emulator, APPS_PATH)] == [2, 2, 1]
    with pytest.raises(ValueError, match="page_size"):
        fresh_emulator.app.set_page_size(0)


def test_next_links_keep_the_filters(fresh_emulator: EmulatorServer) -> None:
    for i in range(17):
        create(fresh_emulator, client_id=f"c{i}", kind="user_level" if i % 3 else "account_level")
    fresh_emulator.app.set_page_size(4)
    pages = walk(fresh_emulator, APPS_PATH, kind="user_level", unknown="kept")
    results = [app for page in pages for app in page["results"]]
    assert len(results) == 11
    assert len({app["id"] for app in results}) == 11
    assert {app["kind"] for app in results} == {"user_level"}
    query = parse_qs(urlsplit(pages[0]["next"]).query)
    assert query["kind"] == ["user_level"]
    assert query["unknown"] == ["kept"]
    assert len(query["cursor"]) == 1
    assert query["cursor"][0]


def test_pages_stay_stable_while_apps_come_and_go(fresh_emulator: EmulatorServer) -> None:
    created = [create(fresh_emulator, client_id=f"c{i}")["id"] for i in range(15)]
    newest_first = created[::-1]
    first = get(fresh_emulator, APPS_PATH).json()
    assert [app["id"] for app in first["results"]] == newest_first[:10]
    # Between page fetches: one seen app and one unseen app go away, new apps arrive.
    for app_id in (newest_first[0], newest_first[12]):
        assert (
            requests.delete(f"{fresh_emulator.url}{APPS_PATH}{app_id}/", headers=AUTH).status_code
            == 204
        )
    fresh = [create(fresh_emulator, client_id="fresh")["id"] for _ in range(3)]
    second = requests.get(first["next"], headers=AUTH, timeout=5).json()
    remaining = [app_id for app_id in newest_first[10:] if app_id != newest_first[12]]
    assert [app["id"] for app in second["results"]] == remaining
    assert second["next"] is None
    before = requests.get(second["previous"], headers=AUTH, timeout=5).json()
    seen = [app["id"] for app in before["results"]]
    assert newest_first[0] not in seen
    assert seen == (fresh[::-1] + newest_first[1:10])[-10:]


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", base64.b64encode(b"r=1").decode(), base64.b64encode(b"p=x&r=no").decode()],
)
def test_invalid_cursor(fresh_emulator: EmulatorServer, cursor: str) -> None:
    response = get(fresh_emulator, APPS_PATH, params={"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_filters(fresh_emulator: EmulatorServer) -> None:
    apps = [
        create(
            fresh_emulator,
            client_id=f"c{i % 2}",
            kind="account_level" if i % 3 == 0 else "user_level",
        )
        for i in range(6)
    ]

    def ids(**params: str) -> list[str]:
        response = get(fresh_emulator, APPS_PATH, params=params)
        assert response.status_code == 200, response.text
        return [app["id"] for app in response.json()["results"]]

    def expected(apps_: list[dict[str, Any]]) -> list[str]:
        return [app["id"] for app in apps_][::-1]

    assert ids(client_id="c1") == expected([a for a in apps if a["client_id"] == "c1"])
    assert ids(kind="account_level") == expected([a for a in apps if a["kind"] == "account_level"])
    assert ids(kind="") == expected(apps)
    assert ids(client_id="c") == []
    middle = apps[2]["created_at"]
    assert ids(created_at_after=middle) == expected(apps[2:])
    assert ids(created_at_before=middle) == expected(apps[:3])
    both = {"created_at_after": apps[1]["created_at"], "created_at_before": apps[3]["created_at"]}
    assert ids(**both) == expected(apps[1:4])
    assert ids(created_at_after="2999-01-01") == []
    assert ids(created_at_before="2000-01-01T00:00:00+00:00") == []
    # page_size is no parameter of Recall's (it is ignored); ordering is (oldest first here).
    assert ids(page_size="1", ordering="created_at") == [app["id"] for app in apps]
    assert ids(ordering="no_such_field") == expected(apps), "an unknown ordering is ignored"


def stamped(server: EmulatorServer, hours_ago: list[float | None]) -> list[str]:
    """Apps whose last URL validation was that many hours ago (None: never)."""
    now = datetime.now(UTC)
    ids = []
    for i, ago in enumerate(hours_ago):
        app_id = create(server, client_id=f"v{i}")["id"]
        validated = None if ago is None else now - timedelta(hours=ago)
        server.backend.set_times(app_id, webhook_last_validation=validated)
        ids.append(app_id)
    return ids


def test_apps_filter_by_their_last_validation(fresh_emulator: EmulatorServer) -> None:
    fresh, old, never = stamped(fresh_emulator, [1, 100, None])
    since = (datetime.now(UTC) - timedelta(hours=72)).isoformat()

    def ids(**params: str) -> set[str]:
        response = get(fresh_emulator, APPS_PATH, params=params)
        assert response.status_code == 200, response.text
        return {app["id"] for app in response.json()["results"]}

    assert ids(webhook_last_validation_after=since) == {fresh}
    assert ids(webhook_last_validation_before=since) == {old}, "never validated matches no bound"
    assert ids() == {fresh, old, never}
    bad = get(fresh_emulator, APPS_PATH, params={"webhook_last_validation_after": "soon"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"webhook_last_validation_after": ["Enter a valid date/time."]},
    )


@pytest.mark.parametrize("descending", [True, False])
def test_apps_order_by_last_validation_across_pages(
    fresh_emulator: EmulatorServer, descending: bool
) -> None:
    fresh_emulator.backend.page_size = 2
    ids = stamped(fresh_emulator, [5, 1, 3, 4, 2])  # hours ago
    newest_first = [ids[1], ids[4], ids[2], ids[3], ids[0]]
    order = "-webhook_last_validation" if descending else "webhook_last_validation"
    pages = walk(fresh_emulator, APPS_PATH, ordering=order)
    listed = [app["id"] for page in pages for app in page["results"]]
    assert listed == (newest_first if descending else newest_first[::-1])
    assert all("ordering=" in page["next"] for page in pages[:-1])
    back = requests.get(pages[-1]["previous"], headers=AUTH, timeout=5).json()
    assert back["results"] == pages[-2]["results"]


def test_an_apps_times_can_be_set_for_a_test(fresh_emulator: EmulatorServer) -> None:
    app_id = create(fresh_emulator)["id"]
    made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    fresh_emulator.backend.set_times(app_id, created_at=made, webhook_last_validation=made)
    shown = get(fresh_emulator, f"{APPS_PATH}{app_id}/").json()
    assert shown["created_at"] == shown["webhook_last_validation"] == "2026-01-02T03:04:05.000000Z"
    fresh_emulator.backend.set_times(app_id, webhook_last_validation=None)
    assert get(fresh_emulator, f"{APPS_PATH}{app_id}/").json()["webhook_last_validation"] is None


def test_filter_errors(fresh_emulator: EmulatorServer) -> None:
    response = get(fresh_emulator, APPS_PATH, params={"kind": "foo"})
    assert response.status_code == 400
    assert response.json() == {
        "kind": ["Select a valid choice. foo is not one of the available choices."]
    }
    params = {"created_at_after": "yesterday", "created_at_before": "2023-13-01"}
    response = get(fresh_emulator, APPS_PATH, params=params)
    assert response.status_code == 400
    assert response.json() == {
        "created_at_after": ["Enter a valid date/time."],
        "created_at_before": ["Enter a valid date/time."],
    }


@pytest.mark.parametrize("mode", ["plain", "masked", "omit"])
def test_secrets_in_responses(emulator_factory: EmulatorFactory, mode: str) -> None:
    server = emulator_factory(secrets_in_responses=mode)
    app = create(server)
    url = f"{server.url}{APPS_PATH}{app['id']}/"
    responses = [
        app,
        get(server, f"{APPS_PATH}{app['id']}/").json(),
        get(server, APPS_PATH).json()["results"][0],
        requests.patch(url, json={"client_secret": "rotated"}, headers=AUTH, timeout=5).json(),
    ]
    for shown in responses:
        if mode == "plain":
            assert shown["webhook_secret"] == "webhook-secret"
            assert shown["client_secret"] in ("client-secret", "rotated")
        elif mode == "masked":
            assert (shown["client_secret"], shown["webhook_secret"]) == ("********", "********")
        else:
            assert "client_secret" not in shown
            assert "webhook_secret" not in shown
        assert shown["client_id"] == "zoom-client"
    stored = server.backend.get(app["id"])
    assert stored is not None
    assert (stored["client_secret"], stored["webhook_secret"]) == ("rotated", "webhook-secret")


def test_secrets_mode_is_validated() -> None:
    with pytest.raises(ValueError, match="secrets_in_responses"):
        Backend(secrets_in_responses="hidden")  # type: ignore[arg-type]


# -- app logs ----------------------------------------------------------------------------------


def test_logs_filter_and_paginate(fresh_emulator: EmulatorServer) -> None:
    one, two = create(fresh_emulator), create(fresh_emulator)
    for i in range(12):
        fresh_emulator.backend.add_log(one["id"], f"one {i}")
    fresh_emulator.backend.add_log(two["id"], "two")
    pages = walk(fresh_emulator, LOGS_PATH, oauth_app=one["id"])
    logs = [log for page in pages for log in page["results"]]
    assert [log["message"] for log in logs] == [f"one {i}" for i in reversed(range(12))]
    assert all(set(log) == {"oauth_app", "message", "created_at"} for log in logs)
    assert all(log["oauth_app"] == one["id"] and TIMESTAMP.match(log["created_at"]) for log in logs)
    assert "oauth_app=" in pages[0]["next"]
    everything = [log for page in walk(fresh_emulator, LOGS_PATH) for log in page["results"]]
    assert len(everything) == 13
    assert everything[0]["message"] == "two"
    assert (
        get(fresh_emulator, LOGS_PATH, params={"oauth_app": str(uuid.uuid4())}).json()["results"]
        == []
    )


def test_logs_filter_and_order_by_time(fresh_emulator: EmulatorServer) -> None:
    app_id = create(fresh_emulator)["id"]
    now = datetime.now(UTC)
    for hours in (30, 2, 10):
        fresh_emulator.backend.add_log(app_id, f"{hours} h ago", now - timedelta(hours=hours))
    since = (now - timedelta(hours=24)).isoformat()

    def messages(**params: str) -> list[str]:
        pages = walk(fresh_emulator, LOGS_PATH, **params)
        return [log["message"] for page in pages for log in page["results"]]

    assert messages(created_at_after=since) == ["2 h ago", "10 h ago"]
    assert messages(created_at_before=since) == ["30 h ago"]
    assert messages(ordering="created_at") == ["30 h ago", "10 h ago", "2 h ago"]


def test_logs_reject_a_non_uuid_filter(fresh_emulator: EmulatorServer) -> None:
    response = get(fresh_emulator, LOGS_PATH, params={"oauth_app": "nope"})
    assert response.status_code == 400
    assert response.json() == {"oauth_app": ["Enter a valid UUID."]}


# -- Zoom webhook ------------------------------------------------------------------------------


def test_webhook_url_validation(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator, webhook_secret="zoom-hook-secret")
    # Odd spacing and non-ASCII: the signature covers these exact bytes, not re-serialised JSON.
    raw = '{"event":  "endpoint.url_validation", "payload": {"plainToken": "päin-123"}}'.encode()
    response = post_webhook(fresh_emulator, app["id"], raw, signed_headers("zoom-hook-secret", raw))
    assert response.status_code == 200, response.text
    token = hmac.new(b"zoom-hook-secret", "päin-123".encode(), hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "päin-123", "encryptedToken": token}
    validated = get(fresh_emulator, f"{APPS_PATH}{app['id']}/").json()["webhook_last_validation"]
    assert TIMESTAMP.match(validated)
    assert validated > app["created_at"]
    (delivery,) = fresh_emulator.backend.webhook_deliveries(app["id"])
    assert delivery.body == raw
    assert delivery.accepted is True
    assert delivery.headers["x-zm-signature"] == sign(
        "zoom-hook-secret", delivery.headers["x-zm-request-timestamp"], raw
    )
    # Recall's logs hold warnings and errors: an answered validation is neither.
    assert get(fresh_emulator, LOGS_PATH, params={"oauth_app": app["id"]}).json()["results"] == []


def test_webhook_other_events_are_acknowledged(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    raw = json.dumps({"event": "meeting.started", "payload": {"object": {"id": 1}}}).encode()
    response = post_webhook(fresh_emulator, app["id"], raw, signed_headers("webhook-secret", raw))
    assert response.status_code == 200
    assert response.json() == {}
    stored = fresh_emulator.backend.get(app["id"])
    assert stored is not None
    assert stored["webhook_last_validation"] is None
    assert [d.accepted for d in fresh_emulator.backend.webhook_deliveries(app["id"])] == [True]


def test_webhook_rejects_bad_signatures(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    raw = b'{"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}'
    good = signed_headers("webhook-secret", raw)
    attempts = [
        (raw, signed_headers("wrong-secret", raw)),
        (raw.replace(b"abc", b"abd"), good),
        (raw, {"x-zm-request-timestamp": good["x-zm-request-timestamp"]}),
        (raw, {"x-zm-signature": good["x-zm-signature"]}),
        (raw, {**good, "x-zm-request-timestamp": str(int(good["x-zm-request-timestamp"]) + 1)}),
        (raw, {}),
    ]
    for sent, headers in attempts:
        response = post_webhook(fresh_emulator, app["id"], sent, headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid signature."}
    deliveries = fresh_emulator.backend.webhook_deliveries(app["id"])
    assert [(d.body, d.accepted) for d in deliveries] == [(sent, False) for sent, _ in attempts]
    stored = fresh_emulator.backend.get(app["id"])
    assert stored is not None
    assert stored["webhook_last_validation"] is None
    logs = get(fresh_emulator, LOGS_PATH, params={"oauth_app": app["id"]}).json()["results"]
    assert [log["message"] for log in logs] == ["Zoom webhook rejected: invalid x-zm-signature"] * 6
    assert post_webhook(fresh_emulator, app["id"], raw, good).status_code == 200


def test_webhook_needs_no_recall_credentials_and_knows_its_apps(
    fresh_emulator: EmulatorServer,
) -> None:
    app = create(fresh_emulator)
    raw = b'{"event": "x"}'
    response = post_webhook(fresh_emulator, app["id"], raw, signed_headers("webhook-secret", raw))
    assert response.status_code == 200
    unknown = str(uuid.uuid4())
    response = post_webhook(fresh_emulator, unknown, raw, signed_headers("webhook-secret", raw))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert [d.accepted for d in fresh_emulator.backend.webhook_deliveries(unknown)] == [False]


def test_webhook_deliveries_over_http(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    raw = b'{"event": "x"}\n'
    post_webhook(fresh_emulator, app["id"], raw, signed_headers("webhook-secret", raw))
    url = fresh_emulator.url + "/_emulator/webhook-deliveries"
    (delivery,) = requests.get(url, params={"app_id": app["id"]}, timeout=5).json()
    assert base64.b64decode(delivery["body_base64"]) == raw
    assert delivery["accepted"] is True
    assert delivery["app_id"] == app["id"]
    assert requests.get(url, params={"app_id": str(uuid.uuid4())}, timeout=5).json() == []


# -- persistence -------------------------------------------------------------------------------


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = tmp_path / "nested" / "state.json"
    backend = Backend(state)
    app = backend.create_app(body())
    backend.add_log(app["id"], "hello")
    backend.update_app(app["id"], {"client_secret": "rotated"})
    reloaded = Backend(state)
    assert reloaded.apps() == backend.apps()
    assert reloaded.logs() == backend.logs()
    assert [p.name for p in state.parent.iterdir()] == ["state.json"]  # no temp files left
    newer = reloaded.create_app(body())
    assert newer["created_at"] > app["created_at"]
    reloaded.reset()
    assert Backend(state).apps() == []


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 1, "apps": [{}], "logs": []}'])
def test_corrupt_state_file_names_the_file(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(StateFileError, match=re.escape(str(state))):
        Backend(state)


def test_concurrent_creates_are_all_kept(tmp_path: Path, emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory(state_file=tmp_path / "state.json")

    def worker(i: int) -> None:
        create(server, client_id=f"c{i}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.backend.apps()) == 16
    assert len(Backend(tmp_path / "state.json").apps()) == 16


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "recall_provider.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"Recall emulator listening on (http://127\.0\.0\.1:\d+)\n", line)
    if match is None:
        proc.kill()
        pytest.fail(f"unexpected first line {line!r}; stderr: {proc.communicate()[1]}")
    return proc, match.group(1)


def stop_cli(proc: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


def test_cli_persists_apps_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc, url = start_cli("--port", "0", "--state", str(state))
    try:
        ids = []
        for i in range(3):
            response = requests.post(url + APPS_PATH, json=body(client_id=f"c{i}"), headers=AUTH)
            assert response.status_code == 201
            ids.append(response.json()["id"])
    finally:
        stop_cli(proc)
    proc, url = start_cli("--port", "0", "--state", str(state), "--page-size", "2")
    try:
        pages = [requests.get(url + APPS_PATH, headers=AUTH, timeout=5).json()]
        pages.append(requests.get(pages[0]["next"], headers=AUTH, timeout=5).json())
        assert [app["id"] for page in pages for app in page["results"]] == ids[::-1]
        assert pages[1]["next"] is None
    finally:
        stop_cli(proc)


def test_cli_options_reach_the_backend(tmp_path: Path) -> None:
    proc, url = start_cli(
        "--port", "0", "--api-key", "k1", "--api-key", "k2", "--secrets-in-responses", "masked"
    )
    try:
        assert requests.get(url + APPS_PATH, headers={"Authorization": "k3"}).status_code == 401
        response = requests.post(
            url + APPS_PATH, json=body(), headers={"Authorization": "Token k2"}
        )
        assert response.json()["client_secret"] == "********"
    finally:
        stop_cli(proc, signal.SIGINT)
    proc, url = start_cli("--port", "0", "--per-minute", "1", "--burst", "1")
    try:
        limits = requests.get(url + "/_emulator/rate-limits", timeout=5).json()
        assert limits == {
            "per_minute": 1,
            "list_per_minute": LIST_REQUESTS_PER_MINUTE,
            "burst": 1,
            "time_scale": 1.0,
            "algorithm": "sliding",
        }
        assert requests.post(url + APPS_PATH, json=body(), headers=AUTH).status_code == 201
        assert requests.post(url + APPS_PATH, json=body(), headers=AUTH).status_code == 429
    finally:
        stop_cli(proc)


def test_cli_help_and_bad_state(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "recall_provider.emulator"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run(
        [*command, "--help"], check=False, capture_output=True, text=True, env=env
    )
    assert shown.returncode == 0
    assert "--secrets-in-responses" in shown.stdout
    state = tmp_path / "broken.json"
    state.write_text("{")
    failed = subprocess.run(
        [*command, "--port", "0", "--state", str(state)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert failed.returncode == 2
    assert str(state) in failed.stderr
    assert "Traceback" not in failed.stderr


# -- faults ------------------------------------------------------------------------------------


def test_fault_status_with_retry_after_is_used_up(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(
        Fault(method="POST", path="zoom-oauth-apps/$", status=503, retry_after=7, times=2)
    )
    assert get(fresh_emulator, APPS_PATH).status_code == 200  # GET does not match the fault
    for _ in range(2):
        response = requests.post(
            fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH, timeout=5
        )
        assert response.status_code == 503
        assert response.json() == {"detail": "Service Unavailable (injected)"}
        assert response.headers["Retry-After"] == "7"
        assert response.headers["X-Request-Id"]
    assert (
        fresh_emulator.backend.apps() == []
    )  # an injected status is answered instead of processing
    assert fresh_emulator.app.faults == []
    create(fresh_emulator)
    assert [r.faulted for r in fresh_emulator.app.requests] == [False, True, True, False]


def test_fault_delay(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(delay=0.3))
    started = time.perf_counter()
    assert get(fresh_emulator, APPS_PATH).status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    get(fresh_emulator, APPS_PATH)
    assert time.perf_counter() - started < 0.3
    assert fresh_emulator.app.requests[0].duration >= 0.3


def test_fault_drop_resets_the_connection(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(drop=True))
    with pytest.raises(requests.ConnectionError):
        get(fresh_emulator, APPS_PATH)
    assert fresh_emulator.app.requests[-1].status is None
    assert fresh_emulator.app.requests[-1].faulted is True
    assert get(fresh_emulator, APPS_PATH).status_code == 200


def test_drop_after_processing_loses_the_answer_not_the_app(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", drop=True, after_processing=True))
    with pytest.raises(requests.ConnectionError):
        requests.post(
            fresh_emulator.url + APPS_PATH, json=body(client_id="ghost"), headers=AUTH, timeout=5
        )
    (app,) = fresh_emulator.backend.apps()
    assert app["client_id"] == "ghost"


def test_status_after_processing(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", status=502, after_processing=True))
    response = requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH, timeout=5)
    assert response.status_code == 502
    assert len(fresh_emulator.backend.apps()) == 1


def test_delay_after_processing_times_the_client_out(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(method="POST", delay=0.5, after_processing=True))
    with pytest.raises(requests.Timeout):
        requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH, timeout=0.2)
    assert len(fresh_emulator.backend.apps()) == 1


def test_faults_spare_the_control_endpoints(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.add_fault(Fault(status=500, times=5))
    assert requests.get(fresh_emulator.url + "/_emulator/health", timeout=5).json() == {"ok": True}
    assert len(fresh_emulator.app.faults) == 1
    assert fresh_emulator.app.faults[0].times == 5
    assert fresh_emulator.app.requests == []
    fresh_emulator.app.clear_faults()
    assert get(fresh_emulator, APPS_PATH).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {"times": 0},
        {"status": 200},
        {"retry_after": 3},
        {"drop": True, "status": 500},
        {"path": "("},
        {"delay": "slow"},
        {"colour": "red"},
    ],
)
def test_invalid_faults_are_refused(
    fresh_emulator: EmulatorServer, fault: dict[str, object]
) -> None:
    response = requests.post(fresh_emulator.url + "/_emulator/faults", json=fault, timeout=5)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert fresh_emulator.app.faults == []


def test_faults_over_http(fresh_emulator: EmulatorServer) -> None:
    url = fresh_emulator.url + "/_emulator/faults"
    fault = {"method": "GET", "path": "app-logs", "status": 429, "retry_after": 2}
    response = requests.post(url, json=fault, timeout=5)
    assert response.status_code == 201
    assert response.json()["status"] == 429
    assert requests.get(url, timeout=5).json()[0]["path"] == "app-logs"
    assert get(fresh_emulator, APPS_PATH).status_code == 200
    throttled = get(fresh_emulator, LOGS_PATH)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2")
    requests.post(url, json={"status": 500, "times": 3}, timeout=5)
    assert requests.delete(url, timeout=5).status_code == 204
    assert requests.get(url, timeout=5).json() == []
    assert get(fresh_emulator, APPS_PATH).status_code == 200


# -- rate limits -------------------------------------------------------------------------------


def test_rate_limits_throttle_bursts(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    # 1 per "minute" of 0.5 s: a token every half second, three in the bucket.
    fresh_emulator.app.set_rate_limits(
        RateLimits(per_minute=1, list_per_minute=1, burst=3, time_scale=120, algorithm="bucket")
    )
    statuses = [get(fresh_emulator, f"{APPS_PATH}{app['id']}/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = get(fresh_emulator, f"{APPS_PATH}{app['id']}/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"detail": "Request was throttled. Expected available in 1 second."}
    assert fresh_emulator.app.throttled_count == 3
    # Other buckets and other keys are separate; the webhook is never throttled.
    assert get(fresh_emulator, APPS_PATH).status_code == 200
    other_key = {"Authorization": "Token other-key"}
    assert get(fresh_emulator, f"{APPS_PATH}{app['id']}/", headers=other_key).status_code == 200
    raw = b"{}"
    for _ in range(5):
        assert post_webhook(
            fresh_emulator, app["id"], raw, signed_headers("webhook-secret", raw)
        ).ok
    time.sleep(0.6)
    assert get(fresh_emulator, f"{APPS_PATH}{app['id']}/").status_code == 200
    assert fresh_emulator.app.count(path="zoom-oauth-apps/[^/]+/$") == 8
    fresh_emulator.app.set_rate_limits(None)
    assert all(get(fresh_emulator, APPS_PATH).ok for _ in range(5))


def test_retry_after_is_a_whole_number_of_seconds(fresh_emulator: EmulatorServer) -> None:
    fresh_emulator.app.set_rate_limits(RateLimits(per_minute=1, burst=1))
    assert (
        requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH).status_code == 201
    )
    response = requests.post(fresh_emulator.url + APPS_PATH, json=body(), headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] in (f"{MINUTE - 1:g}", f"{MINUTE:g}")
    wait = response.headers["Retry-After"]
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {wait} seconds."
    }
    assert len(fresh_emulator.backend.apps()) == 1


def test_rate_limits_over_http(fresh_emulator: EmulatorServer) -> None:
    url = fresh_emulator.url + "/_emulator/rate-limits"
    assert requests.get(url, timeout=5).json() is None
    response = requests.put(url, json={"list_per_minute": 1, "burst": 1}, timeout=5)
    assert response.json() == {
        "per_minute": 300,
        "list_per_minute": 1,
        "burst": 1,
        "time_scale": 1.0,
        "algorithm": "sliding",
    }
    assert get(fresh_emulator, APPS_PATH).status_code == 200
    assert get(fresh_emulator, APPS_PATH).status_code == 429
    assert requests.put(url, json={"burst": 0}, timeout=5).status_code == 400
    null = {"Content-Type": "application/json"}
    assert requests.put(url, data=b"null", headers=null, timeout=5).json() is None
    assert get(fresh_emulator, APPS_PATH).status_code == 200


# -- request log and controls ------------------------------------------------------------------


def test_request_log(fresh_emulator: EmulatorServer) -> None:
    app = create(fresh_emulator)
    get(fresh_emulator, APPS_PATH, params={"kind": "user_level", "extra": "x"})
    get(fresh_emulator, f"{APPS_PATH}{app['id']}/", headers={})
    requests.get(fresh_emulator.url + "/_emulator/health", timeout=5)
    records = fresh_emulator.app.requests
    assert [(r.method, r.path, r.status) for r in records] == [
        ("POST", APPS_PATH, 201),
        ("GET", APPS_PATH, 200),
        ("GET", f"{APPS_PATH}{app['id']}/", 401),
    ]
    assert records[1].query == {"kind": "user_level", "extra": "x"}
    assert all(r.started > 0 and r.duration >= 0 and not r.faulted for r in records)
    assert fresh_emulator.app.count() == 3
    assert fresh_emulator.app.count(method="get") == 2
    assert fresh_emulator.app.count(path=r"/$") == 3
    assert fresh_emulator.app.count(method="GET", path=app["id"]) == 1
    dumped = requests.get(fresh_emulator.url + "/_emulator/requests", timeout=5).json()
    assert dumped[0] == {
        "method": "POST",
        "path": APPS_PATH,
        "query": {},
        "status": 201,
        "faulted": False,
        "started": records[0].started,
        "duration": records[0].duration,
        "request_id": records[0].request_id,
    }
    assert "test-key" not in json.dumps(dumped)
    # Each answer's X-Request-Id is in the log, so a test can match an error to its request.
    answer = requests.get(f"{fresh_emulator.url}{APPS_PATH}{app['id']}/", timeout=5)
    assert fresh_emulator.app.requests[-1].request_id == answer.headers["X-Request-Id"]
    assert len({r.request_id for r in fresh_emulator.app.requests}) == 4
    assert requests.delete(fresh_emulator.url + "/_emulator/requests", timeout=5).status_code == 204
    assert fresh_emulator.app.requests == []


def test_reset_and_health(fresh_emulator: EmulatorServer) -> None:
    create(fresh_emulator)
    fresh_emulator.app.add_fault(Fault(status=500, path="nothing"))
    fresh_emulator.app.set_rate_limits(RateLimits())
    response = requests.post(fresh_emulator.url + "/_emulator/reset", timeout=5)
    assert response.status_code == 204
    assert fresh_emulator.backend.apps() == []
    assert fresh_emulator.app.faults == []
    assert fresh_emulator.app.rate_limits is None
    assert fresh_emulator.app.requests == []
    health = requests.get(fresh_emulator.url + "/_emulator/health", timeout=5)
    assert (health.status_code, health.json()) == (200, {"ok": True})
    assert health.headers["X-Request-Id"]


def test_settings_and_unknown_controls(fresh_emulator: EmulatorServer) -> None:
    url = fresh_emulator.url + "/_emulator/settings"
    response = requests.put(url, json={"page_size": 3, "secrets_in_responses": "omit"}, timeout=5)
    assert response.json() == {"page_size": 3, "secrets_in_responses": "omit", "latency": 0.0}
    assert "client_secret" not in create(fresh_emulator)
    assert requests.put(url, json={"page_size": 0}, timeout=5).status_code == 400
    assert requests.put(url, json={"colour": 1}, timeout=5).status_code == 400
    assert requests.get(fresh_emulator.url + "/_emulator/nothing", timeout=5).status_code == 404
    assert requests.put(fresh_emulator.url + "/_emulator/health", timeout=5).status_code == 405


# -- server ------------------------------------------------------------------------------------


def test_server_lifecycle() -> None:
    started = time.perf_counter()
    server = EmulatorServer().start()
    assert time.perf_counter() - started < 1
    url = server.url
    try:
        assert url == f"http://127.0.0.1:{server.port}"
        assert requests.get(server.url + "/_emulator/health", timeout=5).ok
        with pytest.raises(OSError, match="in use"):
            EmulatorServer(port=server.port).start()
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_emulator/health", timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    server.stop()  # stopping twice is harmless


def test_a_fault_can_let_the_first_matching_requests_through(
    fresh_emulator: EmulatorServer,
) -> None:
    fresh_emulator.app.add_fault(Fault(method="GET", path=APPS_PATH, status=404, skip=2))
    statuses = [get(fresh_emulator, APPS_PATH).status_code for _ in range(4)]
    assert statuses == [200, 200, 404, 200]
    response = requests.post(
        fresh_emulator.url + "/_emulator/faults", json={"status": 503, "skip": -1}, timeout=5
    )
    assert response.status_code == 400
    assert "skip" in response.json()["detail"]


def test_the_default_limit_is_drfs_sliding_window(fresh_emulator: EmulatorServer) -> None:
    # Three a "minute" of 0.6 s: as many as the limit go at once into an empty window.
    fresh_emulator.app.set_rate_limits(RateLimits(per_minute=3, list_per_minute=2, time_scale=100))
    assert fresh_emulator.app.rate_limits is not None
    assert fresh_emulator.app.rate_limits.algorithm == "sliding"
    app_path = f"{APPS_PATH}{create(fresh_emulator)['id']}/"  # the first of the three
    statuses = [get(fresh_emulator, app_path).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429], "two more fit; refusals are not counted"
    refused = get(fresh_emulator, app_path)
    assert refused.headers["Retry-After"] == "1", "the oldest leaves within the second"
    assert refused.json() == {"detail": "Request was throttled. Expected available in 1 second."}
    # Lists have their own window.
    assert [get(fresh_emulator, APPS_PATH).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.65)  # the whole window has passed: three again, however many were refused
    assert [get(fresh_emulator, app_path).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_sliding_window_frees_one_slot_as_each_request_leaves_it(
    fresh_emulator: EmulatorServer,
) -> None:
    fresh_emulator.app.set_rate_limits(RateLimits(per_minute=2, time_scale=100))  # 0.6 s
    app_path = f"{APPS_PATH}{create(fresh_emulator)['id']}/"
    time.sleep(0.3)
    assert get(fresh_emulator, app_path).status_code == 200  # the window: create, this GET
    assert get(fresh_emulator, app_path).status_code == 429
    time.sleep(0.35)  # the create has left the window, the GET has not
    assert [get(fresh_emulator, app_path).status_code for _ in range(2)] == [200, 429]


def test_the_command_takes_the_algorithm(tmp_path: Path) -> None:
    from recall_provider.emulator.__main__ import _rate_limits, build_parser

    args = build_parser().parse_args(["--port", "0", "--algorithm", "bucket", "--burst", "4"])
    assert _rate_limits(args) == RateLimits(burst=4, algorithm="bucket")
    assert _rate_limits(build_parser().parse_args(["--port", "0", "--rate-limit"])) == RateLimits()


def test_the_commands_help_says_recalls_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_provider.emulator.__main__ import build_parser
    from recall_provider.limits import REQUESTS_PER_MINUTE

    monkeypatch.setenv("COLUMNS", "400")  # one line per option, so each phrase stays whole
    text = build_parser().format_help()
    assert f"create/retrieve/update/delete per minute (default {REQUESTS_PER_MINUTE})" in text
    assert f"list requests per minute (default {LIST_REQUESTS_PER_MINUTE})" in text
    assert f"Recall's minute lasts {MINUTE:g}/X real seconds" in text
    assert f"items per list page (default {Backend().page_size})" in text


def test_connections_are_kept_alive_between_requests(fresh_emulator: EmulatorServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fresh_emulator.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", APPS_PATH, headers=AUTH)
            response = conn.getresponse()
            assert response.status == 200
            response.read()
            assert response.getheader("Connection") != "close"
        sock = conn.sock
        conn.request("GET", APPS_PATH, headers=AUTH)
        conn.getresponse().read()
        assert conn.sock is sock, "the same connection served every request"
    finally:
        conn.close()


def test_a_latency_slows_every_api_answer_and_no_control(fresh_emulator: EmulatorServer) -> None:
    url = fresh_emulator.url + "/_emulator/settings"
    assert requests.put(url, json={"latency": 0.2}, timeout=5).json()["latency"] == 0.2
    started = time.monotonic()
    assert get(fresh_emulator, APPS_PATH).status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    requests.get(fresh_emulator.url + "/_emulator/health", timeout=5)
    assert time.monotonic() - started < 0.2, "controls answer at once"
    assert requests.put(url, json={"latency": -1}, timeout=5).status_code == 400


# The emulator's command where its extra (werkzeug) is not installed.
WITHOUT_WERKZEUG = (
    sys.executable,
    "-c",
    "import runpy, sys; sys.modules['werkzeug'] = None; "
    "runpy.run_module('recall_provider.emulator', run_name='__main__', alter_sys=True)",
)


def test_its_help_runs_without_werkzeug_and_a_run_says_what_to_install() -> None:
    shown = subprocess.run([*WITHOUT_WERKZEUG, "--help"], capture_output=True, text=True,
                           timeout=60, check=False)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "--time-scale" in shown.stdout
    run = subprocess.run([*WITHOUT_WERKZEUG, "--port", "0"], capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1
    assert "pip install 'recall-zoom[emulator]'" in run.stderr


def test_a_request_in_flight_when_the_log_is_cleared_is_not_logged(
    fresh_emulator: EmulatorServer,
) -> None:
    # A request is logged when it ends: a slow one that began before a clear (a test's client
    # long gone) must not turn up in the next test's log.
    fresh_emulator.app.add_fault(Fault(method="GET", path=APPS_PATH, delay=3))
    slow = threading.Thread(
        target=requests.get, args=(fresh_emulator.url + APPS_PATH,), kwargs={"headers": AUTH}
    )
    slow.start()
    time.sleep(1)  # the GET arrived and is held
    fresh_emulator.app.clear_requests()
    slow.join(10)
    requests.get(fresh_emulator.url + APPS_PATH, headers=AUTH, timeout=5)
    assert [(r.method, r.faulted) for r in fresh_emulator.app.requests] == [("GET", False)]
