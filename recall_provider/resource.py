"""The ``RecallZoomOAuthApp`` Pulumi resource and its arguments."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi.dynamic import Resource
from pulumi.runtime.config import CONFIG, get_config_env

from recall_provider.core.spec import DEFAULTS, OUTPUT_ONLY, SECRETS
from recall_provider.errors import RecallConfigError
from recall_provider.provider import ARGUMENT_KEYS, OWNER, RecallZoomOAuthAppProvider
from recall_provider.settings import NAMESPACE, refuse_unknown_settings

__all__ = ["RecallZoomOAuthApp", "RecallZoomOAuthAppArgs"]


@dataclass(frozen=True, kw_only=True)
class RecallZoomOAuthAppArgs:
    """Inputs of a Recall Zoom OAuth App (Recall's own field names)."""

    client_id: pulumi.Input[str]
    """The Zoom app's Client ID. Changing it replaces the app (Recall cannot change it)."""
    client_secret: pulumi.Input[str]
    """The Zoom app's Client Secret. Always secret; changing it updates the app in place."""
    webhook_secret: pulumi.Input[str]
    """The Zoom app's Secret Token (Features > Access). Always secret; updated in place."""
    kind: pulumi.Input[str] = DEFAULTS["kind"]
    """``user_level`` (Zoom user-managed app) or ``account_level`` (admin-managed). Replaces."""
    adopt_app_id: pulumi.Input[str] | None = None
    """Id of an app made outside Pulumi (by curl or the dashboard) to manage instead of creating
    one: create then checks its kind and client id, sets its secrets, and takes it over."""
    validate_webhook: pulumi.Input[bool] = DEFAULTS["validate_webhook"]
    """After each create or webhook-secret change, check the webhook URL as Zoom's Validate
    button does: a signed ``endpoint.url_validation`` whose answer must match ``webhook_secret``."""


class RecallZoomOAuthApp(Resource, module="recall", name="ZoomOAuthApp"):
    """A Recall.ai Zoom OAuth App: Recall's record of a Zoom app's credentials."""

    kind: pulumi.Output[str]
    """``user_level`` or ``account_level``."""
    client_id: pulumi.Output[str]
    """The Zoom app's Client ID."""
    client_secret: pulumi.Output[str]
    """The Zoom app's Client Secret (secret)."""
    webhook_secret: pulumi.Output[str]
    """The Zoom app's Secret Token (secret)."""
    created_at: pulumi.Output[str]
    """When Recall created the app (ISO 8601, UTC)."""
    webhook_url: pulumi.Output[str]
    """Paste into Zoom's Event notification endpoint URL (development and production) and
    Deauthorization endpoint URL: ``<base>/api/v2/zoom-oauth-apps/<id>/webhook``."""
    webhook_last_validation: pulumi.Output[str | None]
    """When Recall last answered Zoom's endpoint URL validation, or None if never."""
    adopt_app_id: pulumi.Output[str | None]
    """The adopted app's id, when the app was adopted rather than created."""
    validate_webhook: pulumi.Output[bool]
    """Whether the webhook self-check runs after each create or webhook-secret change."""
    webhook_self_check_at: pulumi.Output[str | None]
    """When the webhook self-check last passed (ISO 8601, UTC), or None when it is off."""

    def __init__(
        self,
        resource_name: str,
        args: RecallZoomOAuthAppArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        argument_keys: Mapping[str, str] | None = None,
    ) -> None:
        """``argument_keys``: where the program's user sets each argument (for example its
        config key, by argument name), for the provider's errors to name instead."""
        _refuse_unknown_provider_settings()
        props: dict[str, object] = {
            field.name: getattr(args, field.name) for field in dataclasses.fields(args)
        }
        for name in SECRETS:
            props[name] = pulumi.Output.secret(props[name])
        # Output-only properties must be named (as None) to exist on the resource.
        props.update(dict.fromkeys(OUTPUT_ONLY))
        # Who the app is for: only this resource may take over the app of its own interrupted
        # create (the provider host is told nothing of stacks or resource names).
        # (A program run without an organization, under mocks, is the DIY backends' default.)
        organization = pulumi.get_organization() or "organization"
        props[OWNER] = "/".join(
            (organization, pulumi.get_project(), pulumi.get_stack(), resource_name)
        )
        if argument_keys:
            props[ARGUMENT_KEYS] = dict(argument_keys)
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=list(SECRETS))
        super().__init__(
            RecallZoomOAuthAppProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret_opts),
        )


def config_keys() -> set[str]:
    """Every config key the program was given (``namespace:key``): by the CLI (the SDK reads
    ``PULUMI_CONFIG``), or in process (``set_all_config``, as under mocks). The SDK lists its
    keys nowhere public: these are its runtime's own reads of the two."""
    return {*get_config_env(), *CONFIG.get()}


def _refuse_unknown_provider_settings() -> None:
    """A ``recall:*`` key of the stack that names no setting stops the program (whichever
    program makes the resource): the provider would ignore it and use an environment variable
    or a default in silence."""
    try:
        refuse_unknown_settings(key for key in config_keys() if key.partition(":")[0] == NAMESPACE)
    except RecallConfigError as exc:
        # A RunError is shown as its one line, not a traceback.
        raise pulumi.RunError(str(exc)) from None
