"""Zoom-side facts and helpers: webhook signatures, URL validation, scopes, events, manifest.

Pure functions, no I/O. Zoom signs each webhook with the app's Secret Token:
``x-zm-signature: v0=hex(HMAC-SHA256(token, "v0:{x-zm-request-timestamp}:{raw body}"))``, and
answers its endpoint URL validation with ``hex(HMAC-SHA256(token, plainToken))``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

__all__ = [
    "APP_TYPES",
    "DEFAULT_SCOPE_STYLE",
    "EVENT_TYPES",
    "FAILED_VALIDATIONS_TO_DISABLE",
    "REVALIDATION_INTERVAL",
    "SCOPES",
    "checklist",
    "encrypted_token",
    "manifest",
    "sign",
    "signed_url_validation",
    "url_validation_event",
    "verify",
]

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
URL_VALIDATION = "endpoint.url_validation"
# Zoom gives no replay window; five minutes is the common choice for HMAC-timestamped webhooks.
DEFAULT_TOLERANCE = 300
# Unix seconds have ten digits until 2286; a longer "timestamp" is hostile, and int() of thousands
# of digits is slow or raises.
MAX_TIMESTAMP_DIGITS = 12
# Zoom re-validates every event notification URL this often, and disables the subscription
# after this many failed validations in a row.
REVALIDATION_INTERVAL = timedelta(hours=72)
FAILED_VALIDATIONS_TO_DISABLE = 6

SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    "granular": {
        "user_level": (
            "meeting:read:local_recording_token",
            "meeting:read:list_meetings",
            "meeting:read:meeting",
            "user:read:user",
        ),
        "account_level": (
            "meeting:read:local_recording_token:admin",
            "meeting:read:list_meetings:admin",
            "user:read:list_users:admin",
        ),
    },
    "legacy": {
        "user_level": (
            "meeting:read",
            "meeting_token:read:local_recording",
            "user:read",
            "user_zak:read",
        ),
        "account_level": (
            "user:read:admin",
            "meeting:read:admin",
            "meeting_token:read:admin:local_recording",
        ),
    },
}
"""The Zoom scopes Recall's guides ask for, by scope style and app kind (the default first)."""
DEFAULT_SCOPE_STYLE: str = next(iter(SCOPES))
"""``granular`` (the scopes of Zoom apps made since 2024): the scope style used when none is
given."""

APP_TYPES: dict[str, str] = {"user_level": "user-managed", "account_level": "admin-managed"}
"""The Zoom app type (how the Marketplace calls its management) of each Recall app kind."""

EVENT_TYPES: tuple[str, ...] = ("meeting.created", "user.updated")
"""The event subscriptions Recall needs: "Meeting has been created" and "User's profile info
has been updated"."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``x-zm-signature`` value Zoom sends for ``body`` at ``timestamp``."""
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """Whether a webhook is genuinely Zoom's and recent: a constant-time signature check and a
    timestamp within ``tolerance`` seconds of ``now``, so a captured request cannot be replayed
    later (a replay inside that window is the caller's to refuse)."""
    if not timestamp or not signature or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    # str.isdigit() also takes superscripts and other scripts' digits, which int() rejects or
    # reads; only the ASCII digits Zoom sends are a timestamp.
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature.isascii():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    # Bytes, so a header of any content compares instead of raising.
    expected = sign(secret, timestamp, body).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("ascii"))


def encrypted_token(secret: str, plain_token: str) -> str:
    """The ``encryptedToken`` that proves knowledge of the Secret Token in URL validation."""
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def url_validation_event(now: float, plain_token: str | None = None) -> tuple[bytes, str]:
    """A Zoom ``endpoint.url_validation`` body and its plainToken, as Zoom's Validate sends."""
    token = plain_token or secrets.token_urlsafe(16)
    body = {"payload": {"plainToken": token}, "event_ts": int(now * 1000), "event": URL_VALIDATION}
    return json.dumps(body, separators=(",", ":")).encode(), token


def signed_url_validation(secret: str, now: float) -> tuple[bytes, str, dict[str, str]]:
    """A signed ``endpoint.url_validation`` as Zoom sends it: body, plainToken and headers."""
    body, token = url_validation_event(now)
    stamp = str(int(now))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)}
    return body, token, headers


def checklist(
    kind: str, webhook_url: str, scope_style: str = DEFAULT_SCOPE_STYLE
) -> dict[str, Any]:
    """What to set in the Zoom Marketplace for one app, as Recall's guide lists it."""
    return {
        "scopes": list(SCOPES[scope_style][kind]),
        "event_types": list(EVENT_TYPES),
        "event_notification_url_development": webhook_url,
        "event_notification_url_production": webhook_url,
        "deauthorization_url": webhook_url,
        "app_type": APP_TYPES[kind],
    }


def manifest(kind: str, webhook_url: str, scope_style: str = DEFAULT_SCOPE_STYLE) -> dict[str, Any]:
    """A Zoom app manifest fragment: OAuth usage, scopes and the event subscription.

    Zoom's manifest has no field for the Secret Token; it stays a manual step in the UI.
    """
    return {
        "oauth_information": {
            "usage": "USER_OPERATION" if kind == "user_level" else "ADMIN_MANAGEMENT",
            "scopes": [{"scope": s, "optional": False} for s in SCOPES[scope_style][kind]],
        },
        "features": {
            "event_subscription": {
                "enable": True,
                "events": [
                    {
                        "subscription_name": "Recall.ai",
                        "event_types": list(EVENT_TYPES),
                        "development_webhook_url": webhook_url,
                        "production_webhook_url": webhook_url,
                    }
                ],
            }
        },
    }
