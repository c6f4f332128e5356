"""The webhook self-check: what Zoom's Validate button does, done against the app's webhook URL."""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime

from recall_provider import zoom
from recall_provider.client import RecallClient
from recall_provider.core.naming import argument
from recall_provider.errors import ErrorCode, RecallAPIError, RecallError, RecallWebhookCheckError
from recall_provider.models import iso

__all__ = ["self_check"]


def self_check(client: RecallClient, app_id: str, webhook_secret: str) -> str:
    """Send a signed ``endpoint.url_validation`` and check Recall's token; return when it
    passed (ISO 8601, UTC)."""
    now = time.time()
    body, plain_token, headers = zoom.signed_url_validation(webhook_secret, now)
    url = client.webhook_url(app_id)
    # Not str.capitalize(), which would lower-case the rest: validateWebhook, a config key.
    skip = f"{argument('validate_webhook')} to false to skip this check"
    advice = (
        "Zoom's Validate button would fail the same way. Recall's guide names two causes: "
        f"the app's {argument('webhook_secret')} in Recall is not the Zoom app's Secret Token, "
        f"or Zoom calls another URL than {url} (check the region). Set {skip}."
    )
    summary = f"webhook self-check of Recall app {app_id} failed"
    try:
        answer = client.send_zoom_webhook(app_id, body, headers, secret=webhook_secret)
    except RecallAPIError as exc:
        raise RecallWebhookCheckError(f"{summary}: {exc}", hint=advice) from None
    except RecallError as exc:
        # No answer at all (a dropped connection, a timeout): the webhook is unproven, and the
        # create must not end as if it had passed.
        raise RecallWebhookCheckError(
            f"{summary}: {exc}",
            hint=f"The webhook URL gave no answer, so it is unproven; run `pulumi up` again, or "
            f"set {skip}.",
            code=ErrorCode.WEBHOOK_UNANSWERED,
        ) from None
    expected = zoom.encrypted_token(webhook_secret, plain_token)
    got = answer.get("encryptedToken")
    if answer.get("plainToken") != plain_token or not (
        # As bytes: compare_digest refuses a str with characters outside ASCII.
        isinstance(got, str) and hmac.compare_digest(got.encode(), expected.encode())
    ):
        raise RecallWebhookCheckError(
            f"{summary}: {url} answered Zoom's URL validation with a token that does not "
            f"match the {argument('webhook_secret')}",
            hint=advice,
        )
    return iso(datetime.fromtimestamp(now, UTC))
