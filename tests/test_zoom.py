"""Zoom's signature and URL-validation scheme, against values computed here with hmac directly."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from recall_provider import zoom
from recall_provider.models import KINDS

ROOT = Path(__file__).resolve().parent.parent

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


def test_one_default_scope_style() -> None:
    url = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/abc/webhook"
    for kind in zoom.APP_TYPES:
        default = list(zoom.SCOPES[zoom.DEFAULT_SCOPE_STYLE][kind])
        assert zoom.checklist(kind, url)["scopes"] == default
        assert [s["scope"] for s in zoom.manifest(kind, url)["oauth_information"]["scopes"]] == (
            default
        )
    # Pulumi.yaml cannot import it: the project's default must be the same one.
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["config"]["scopeStyle"]["default"] == zoom.DEFAULT_SCOPE_STYLE


def test_the_checklist_names_the_app_type_of_each_kind() -> None:
    url = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/abc/webhook"
    assert set(zoom.APP_TYPES) == set(KINDS)
    for style in zoom.SCOPES:
        assert set(zoom.SCOPES[style]) == set(KINDS)
    for kind, app_type in zoom.APP_TYPES.items():
        assert zoom.checklist(kind, url)["app_type"] == app_type


def test_a_signed_url_validation_verifies_with_its_secret() -> None:
    body, token, headers = zoom.signed_url_validation("signing-secret-1234", NOW)
    assert json.loads(body)["payload"]["plainToken"] == token
    assert headers[zoom.TIMESTAMP_HEADER] == str(int(NOW))
    expected = hmac.new(
        b"signing-secret-1234", f"v0:{int(NOW)}:".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers[zoom.SIGNATURE_HEADER] == f"v0={expected}"


def right(signature: str) -> str:
    return signature


def now_in_digits(zero: int) -> str:
    """NOW in another script's digits, which str.isdigit() takes and int() reads."""
    return str(int(NOW)).translate({ord("0") + d: zero + d for d in range(10)})


HOSTILE: list[tuple[str, str, Callable[[str], str]]] = [
    ("superscript digits", "¹⁸⁰⁰⁰⁰⁰⁰⁰⁰", right),
    ("one superscript digit", "²", right),
    ("latin-1 superscripts as WSGI decodes them", "18\xb2\xb3", right),
    ("Arabic-Indic digits of the right time", now_in_digits(0x0660), right),
    ("fullwidth digits of the right time", now_in_digits(0xFF10), right),
    ("5000 digits", "1" * 5000, right),
    ("13 digits: the right time, zero-padded", f"000{int(NOW)}", right),
    ("leading space", f" {int(NOW)}", right),
    ("trailing newline", f"{int(NOW)}\n", right),
    ("plus sign", f"+{int(NOW)}", right),
    ("negative", "-1", right),
    ("underscores", "1_800_000_000", right),
    ("a float", f"{int(NOW)}.0", right),
    ("non-ASCII signature", str(int(NOW)), lambda s: "v0=" + "é" * 64),
    ("signature with a non-ASCII tail", str(int(NOW)), lambda s: s + "é"),
    ("signature with an emoji", str(int(NOW)), lambda s: "v0=🔑"),
    ("non-ASCII in place of one hex digit", str(int(NOW)), lambda s: s[:-1] + "\xe9"),
    ("signature in capitals", str(int(NOW)), str.upper),
    ("signature without v0=", str(int(NOW)), lambda s: s.removeprefix("v0=")),
    ("signature with a trailing space", str(int(NOW)), lambda s: s + " "),
    ("a 100 kB signature", str(int(NOW)), lambda s: "v0=" + "0" * 100_000),
]
"""Hostile headers: a timestamp, and the signature as made from the correct one for it."""


@pytest.mark.parametrize(
    ("case", "timestamp", "signature_from"), HOSTILE, ids=[case for case, _, _ in HOSTILE]
)
def test_verify_refuses_hostile_headers_without_raising(
    case: str, timestamp: str, signature_from: Callable[[str], str]
) -> None:
    signature = signature_from(expected_signature(SECRET, timestamp, b"{}"))
    assert zoom.verify(SECRET, timestamp, b"{}", signature, now=NOW) is False, case
