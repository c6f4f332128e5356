"""What the provider records of an app: Recall's values, and ours where Recall hides them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from recall_provider.models import ZoomOAuthApp

__all__ = ["OUTPUT_ONLY", "PASSED_THROUGH", "SELF_CHECK_AT", "app_outputs", "iso", "same_secret"]

SELF_CHECK_AT = "webhook_self_check_at"
"""The output that holds when the webhook self-check last passed."""
OUTPUT_ONLY = ("created_at", "webhook_url", "webhook_last_validation", SELF_CHECK_AT)
"""Outputs that are no input: Recall's, or the provider's own."""
PASSED_THROUGH = ("adopt_app_id", "validate_webhook", SELF_CHECK_AT)
"""Properties the provider keeps as given, since Recall knows nothing of them."""


def app_outputs(app: ZoomOAuthApp, webhook_url: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of ``app`` as Recall shows it, with ``props``' values where it cannot."""
    outs: dict[str, Any] = {
        "kind": app.kind,
        "client_id": app.client_id,
        "client_secret": _live_secret(app.client_secret, props.get("client_secret")),
        "webhook_secret": _live_secret(app.webhook_secret, props.get("webhook_secret")),
        "created_at": iso(app.created_at),
        "webhook_last_validation": iso(app.webhook_last_validation),
        "webhook_url": webhook_url,
    }
    for key in PASSED_THROUGH:
        if props.get(key) is not None:
            outs[key] = props[key]
    return outs


def same_secret(returned: SecretStr | None, expected: str) -> bool | None:
    """Whether Recall's copy of a secret equals ours; None when the API does not show it."""
    shown = _shown(returned)
    return None if shown is None else shown == expected


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a ``Z``, as Recall writes it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _shown(returned: SecretStr | None) -> str | None:
    """A secret as Recall shows it; None when it omits or masks it."""
    if returned is None:
        return None
    value = returned.get_secret_value()
    return None if value and set(value) <= {"*", "•"} else value


def _live_secret(returned: SecretStr | None, stored: Any) -> Any:
    # Recall may omit or mask secrets; then the value we set is the best knowledge there is.
    shown = _shown(returned)
    return stored if shown is None else shown
