"""The webhook self-check: what Zoom's Validate button does, done against the app's webhook URL."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recall_provider import zoom
from recall_provider.client import RecallClient
from recall_provider.errors import RecallAPIError, RecallError, RecallWebhookCheckError
from recall_provider.models import iso
from recall_provider.outputs import SELF_CHECK_AT

__all__ = ["self_check"]


def self_check(client: RecallClient, app_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Send a signed ``endpoint.url_validation`` and check Recall's token; return the output
    ``webhook_self_check_at`` (nothing when ``validate_webhook`` is off)."""
    if props.get("validate_webhook") is False:
        return {}
    secret = str(props["webhook_secret"])
    now = time.time()
    body, plain_token, headers = zoom.signed_url_validation(secret, now)
    url = client.webhook_url(app_id)
    advice = (
        "Zoom's Validate button would fail the same way. Recall's guide names two causes: "
        "the app's webhook_secret in Recall is not the Zoom app's Secret Token, or Zoom "
        f"calls another URL than {url} (check the region). Set validate_webhook to false "
        "to skip this check."
    )
    summary = f"webhook self-check of Recall app {app_id} failed"
    try:
        answer = client.send_zoom_webhook(app_id, body, headers, secret=secret)
    except RecallAPIError as exc:
        raise RecallWebhookCheckError(f"{summary}: {exc}", hint=advice) from None
    except RecallError as exc:
        # No answer at all (a dropped connection, a timeout): the webhook is unproven, and the
        # create must not end as if it had passed.
        raise RecallWebhookCheckError(
            f"{summary}: {exc}",
            hint="The webhook URL gave no answer, so it is unproven; run `pulumi up` again, or "
            "set validate_webhook to false to skip this check.",
        ) from None
    expected = zoom.encrypted_token(secret, plain_token)
    got = answer.get("encryptedToken")
    if answer.get("plainToken") != plain_token or not (
        # As bytes: compare_digest refuses a str with characters outside ASCII.
        isinstance(got, str) and hmac.compare_digest(got.encode(), expected.encode())
    ):
        raise RecallWebhookCheckError(
            f"{summary}: {url} answered Zoom's URL validation with a token that does not "
            "match the webhook_secret",
            hint=advice,
        )
    return {SELF_CHECK_AT: iso(datetime.fromtimestamp(now, UTC))}
