"""What the provider records of an app: Recall's values, and ours where Recall hides them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recall_provider.inputs import PROVIDER_ONLY
from recall_provider.models import ZoomOAuthApp, iso, shown_secret

__all__ = ["OUTPUT_ONLY", "PASSED_THROUGH", "SELF_CHECK_AT", "app_outputs"]

SELF_CHECK_AT = "webhook_self_check_at"
"""The output that holds when the webhook self-check last passed."""
OUTPUT_ONLY = ("created_at", "webhook_url", "webhook_last_validation", SELF_CHECK_AT)
"""Outputs that are no input: Recall's, or the provider's own."""
PASSED_THROUGH = (*PROVIDER_ONLY, SELF_CHECK_AT)
"""Properties the provider keeps as given, since Recall knows nothing of them."""


def app_outputs(app: ZoomOAuthApp, webhook_url: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of ``app`` as Recall shows it, with ``props``' values where it cannot."""
    outs: dict[str, Any] = {
        "kind": app.kind,
        "client_id": app.client_id,
        "created_at": iso(app.created_at),
        "webhook_last_validation": iso(app.webhook_last_validation),
        "webhook_url": webhook_url,
    }
    for name in ("client_secret", "webhook_secret"):
        # Recall may omit or mask secrets; then the value we set is the best knowledge there is.
        shown = shown_secret(getattr(app, name))
        outs[name] = props.get(name) if shown is None else shown
    for key in PASSED_THROUGH:
        if props.get(key) is not None:
            outs[key] = props[key]
    return outs
