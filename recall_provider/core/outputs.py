"""What the provider records of an app: Recall's values, and ours where Recall hides them."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from recall_provider.core.spec import AppInputs, AppState
from recall_provider.models import ZoomOAuthApp, iso, shown_secret

__all__ = ["Known", "app_state"]


@dataclass(frozen=True)
class Known:
    """What the provider knows of an app that Recall may not show: the secrets it set, and
    its own inputs."""

    client_secret: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    adopt_app_id: str | None = None
    validate_webhook: bool | None = None

    @classmethod
    def of(cls, values: AppInputs | AppState | None) -> Known:
        """What ``values`` (the inputs, or the last recorded state) tell."""
        if values is None:
            return cls()
        return cls(
            values.client_secret,
            values.webhook_secret,
            values.adopt_app_id,
            values.validate_webhook,
        )


def app_state(
    app: ZoomOAuthApp, webhook_url: str, known: Known, self_check_at: str | None = None
) -> AppState:
    """``app`` as Recall shows it, with ``known``'s values where Recall cannot show them."""
    return AppState(
        id=app.id,
        kind=app.kind,
        client_id=app.client_id,
        # Recall may omit or mask secrets; then the value we set is the best knowledge there is.
        client_secret=_shown(app.client_secret, known.client_secret),
        webhook_secret=_shown(app.webhook_secret, known.webhook_secret),
        created_at=iso(app.created_at),
        webhook_last_validation=iso(app.webhook_last_validation),
        webhook_url=webhook_url,
        adopt_app_id=known.adopt_app_id,
        validate_webhook=known.validate_webhook,
        webhook_self_check_at=self_check_at,
    )


def _shown(returned: SecretStr | None, ours: SecretStr | None) -> SecretStr | None:
    shown = shown_secret(returned)
    return ours if shown is None else SecretStr(shown)
