"""Zoom's side of an app's webhook endpoint: the signature check and URL validation.

Fidelity gap: the endpoint checks no timestamp freshness and answers a signed non-JSON body,
or a url_validation event without ``payload.plainToken``, with an invented 400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import EmulatorError, json_parse_error


@dataclass(frozen=True)
class WebhookDelivery:
    """One request that reached an app's Zoom webhook endpoint, exactly as received."""

    app_id: str
    headers: dict[str, str] = field(repr=False)  # keys lower-cased
    body: bytes
    accepted: bool


def signature_valid(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether lower-cased ``headers`` carry Zoom's ``v0`` signature of ``body``."""
    timestamp = headers.get("x-zm-request-timestamp", "")
    signature = headers.get("x-zm-signature", "")
    # Headers arrive latin-1 decoded; encoding back gives the bytes Zoom signed.
    message = b"v0:" + timestamp.encode("latin-1", "replace") + b":" + body
    expected = "v0=" + _hmac_hex(secret, message)
    return bool(
        timestamp and hmac.compare_digest(expected.encode(), signature.encode("latin-1", "replace"))
    )


def plain_token(body: bytes) -> str | None:
    """The ``plainToken`` of a url_validation event; None for any other event."""
    try:
        event = json.loads(body.decode("utf-8"))
    except ValueError as exc:
        raise json_parse_error(exc) from None
    if not isinstance(event, dict) or event.get("event") != "endpoint.url_validation":
        return None
    payload = event.get("payload")
    plain = payload.get("plainToken") if isinstance(payload, dict) else None
    if not isinstance(plain, str) or not plain:
        raise EmulatorError(400, {"detail": "payload.plainToken is missing."})
    return plain


def url_validation_answer(secret: str, plain: str) -> dict[str, str]:
    """What the endpoint answers Zoom's url_validation challenge with."""
    return {"plainToken": plain, "encryptedToken": _hmac_hex(secret, plain)}


def _hmac_hex(secret: str, message: str | bytes) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
