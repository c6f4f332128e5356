"""Zoom's signature and URL-validation scheme, against values computed here with hmac directly."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from recall_provider import zoom

SECRET = "zoomSecretToken123"
NOW = 1_800_000_000.0


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"event":"meeting.created","payload":{"x":"\xc3\xa9"}}', b" spaced \n body "],
)
def test_sign_matches_zooms_scheme(body: bytes) -> None:
    assert zoom.sign(SECRET, "1700000000", body) == expected_signature(SECRET, "1700000000", body)


def test_url_validation_answer_matches_zooms_example() -> None:
    plain = "qgg8vlvZRS6UYooatFL8Aw"  # the plainToken of Zoom's documentation example
    expected = hmac.new(SECRET.encode(), plain.encode(), hashlib.sha256).hexdigest()
    assert zoom.encrypted_token(SECRET, plain) == expected


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature_of", "ok"),
    [
        (SECRET, str(int(NOW)), b"{}", b"{}", True),
        (SECRET, str(int(NOW) - 299), b"{}", b"{}", True),
        ("another-secret", str(int(NOW)), b"{}", b"{}", False),
        (SECRET, str(int(NOW)), b'{"x":1}', b"{}", False),  # tampered body
        (SECRET, str(int(NOW) - 301), b"{}", b"{}", False),  # stale: a replay
        (SECRET, str(int(NOW) + 301), b"{}", b"{}", False),  # from the future
        (SECRET, "", b"{}", b"{}", False),
        (SECRET, "12ab", b"{}", b"{}", False),
    ],
)
def test_verify_table(
    secret: str, timestamp: str, body: bytes, signature_of: bytes, ok: bool
) -> None:
    signature = expected_signature(SECRET, timestamp, signature_of)
    assert zoom.verify(secret, timestamp, body, signature, now=NOW) is ok


def test_verify_without_headers_fails() -> None:
    assert not zoom.verify(SECRET, None, b"{}", None, now=NOW)
    assert not zoom.verify(SECRET, str(int(NOW)), b"{}", None, now=NOW)


def test_url_validation_event_is_what_zoom_sends() -> None:
    body, token = zoom.url_validation_event(NOW)
    data = json.loads(body)
    assert data["event"] == "endpoint.url_validation"
    assert data["payload"] == {"plainToken": token}
    assert data["event_ts"] == int(NOW * 1000)
    assert zoom.url_validation_event(NOW)[1] != token, "a fresh token each time"


@pytest.mark.parametrize(
    ("kind", "style", "first_scope", "usage"),
    [
        ("user_level", "granular", "meeting:read:local_recording_token", "USER_OPERATION"),
        (
            "account_level",
            "granular",
            "meeting:read:local_recording_token:admin",
            "ADMIN_MANAGEMENT",
        ),
        ("user_level", "legacy", "meeting:read", "USER_OPERATION"),
        ("account_level", "legacy", "user:read:admin", "ADMIN_MANAGEMENT"),
    ],
)
def test_checklist_and_manifest(kind: str, style: str, first_scope: str, usage: str) -> None:
    url = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/abc/webhook"
    checklist = zoom.checklist(kind, url, style)
    assert checklist["scopes"][0] == first_scope
    assert checklist["event_types"] == ["meeting.created", "user.updated"]
    assert {checklist[k] for k in checklist if k.endswith("_url") or "_url_" in k} == {url}
    manifest = zoom.manifest(kind, url, style)
    assert manifest["oauth_information"]["usage"] == usage
    scopes = [s["scope"] for s in manifest["oauth_information"]["scopes"]]
    assert scopes == checklist["scopes"]
    json.dumps(manifest)  # the manifest must be plain JSON


def test_a_signed_url_validation_verifies_with_its_secret() -> None:
    body, token, headers = zoom.signed_url_validation("signing-secret-1234", NOW)
    assert json.loads(body)["payload"]["plainToken"] == token
    assert headers[zoom.TIMESTAMP_HEADER] == str(int(NOW))
    expected = hmac.new(
        b"signing-secret-1234", f"v0:{int(NOW)}:".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers[zoom.SIGNATURE_HEADER] == f"v0={expected}"
