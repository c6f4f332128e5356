"""recall-zoom: the stack's Recall.ai Zoom OAuth apps, with their ids and webhook URLs as outputs.

Config (namespace ``recall-zoom``): ``kind``, ``clientId``, ``clientSecret`` (secret) and
``webhookSecret`` (secret) describe the stack's app; ``apps`` may list more, one per customer
workspace. ``placeholderCredentials: true`` (the local ``dev`` stack) makes up secret stand-ins
for Zoom credentials that are not configured. Provider settings live under ``recall:``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random
from pulumi.runtime.config import is_config_secret

from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs, zoom

PROJECT = "recall-zoom"
APP_KEYS = (
    "name",
    "kind",
    "clientId",
    "clientSecret",
    "webhookSecret",
    "adoptAppId",
    "validateWebhook",
    "scopeStyle",
)


@dataclass(frozen=True)
class AppConfig:
    """One app as configured: ``None`` where a value was not given."""

    name: str
    kind: str
    client_id: pulumi.Input[str] | None
    client_secret: pulumi.Input[str] | None
    webhook_secret: pulumi.Input[str] | None
    adopt_app_id: str | None
    validate_webhook: bool
    scope_style: str
    where: str


def missing(key: str, secret: bool) -> pulumi.RunError:
    flag = "--secret " if secret else ""
    return pulumi.RunError(
        f"{key} is not set: run `pulumi config set {flag}{key} <value>` "
        f"(or set {PROJECT}:placeholderCredentials to true for a stack against the emulator)"
    )


def plain_secret(key: str) -> pulumi.RunError:
    return pulumi.RunError(
        f"{PROJECT}:{key} is not a secret, so it is kept in plain text: run "
        f"`pulumi config set --secret {PROJECT}:{key} <value>` to encrypt it"
    )


def single_app(config: pulumi.Config) -> AppConfig | None:
    """The app described by the top-level keys, if any of them is set."""
    for key in ("clientSecret", "webhookSecret"):
        # A plain value would sit unencrypted in Pulumi.<stack>.yaml, usually in git.
        if config.get(key) is not None and not is_config_secret(f"{PROJECT}:{key}"):
            raise plain_secret(key)
    client_id = config.get("clientId")
    if client_id is None and config.get_object("apps"):
        return None  # the stack lists its apps instead
    return AppConfig(
        name="zoom",
        kind=config.get("kind") or "user_level",
        client_id=client_id,
        client_secret=config.get_secret("clientSecret"),
        webhook_secret=config.get_secret("webhookSecret"),
        adopt_app_id=config.get("adoptAppId"),
        validate_webhook=_validate_webhook(config),
        scope_style=_scope_style(config.get("scopeStyle"), f"{PROJECT}:scopeStyle"),
        where=PROJECT,
    )


def _validate_webhook(config: pulumi.Config) -> bool:
    value = config.get_bool("validateWebhook")
    return True if value is None else value


def _scope_style(value: Any, where: str) -> str:
    style = value or "granular"
    if style not in zoom.SCOPES:
        raise pulumi.RunError(f"{where} must be one of {', '.join(zoom.SCOPES)}, not {style!r}")
    return str(style)


def listed_apps(config: pulumi.Config) -> list[AppConfig]:
    """The apps of ``recall-zoom:apps``; secrets in it are wrapped as secrets at once."""
    raw = config.get_object("apps") or []
    if not isinstance(raw, list):
        raise pulumi.RunError(f"{PROJECT}:apps must be a list of objects")
    apps = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"{PROJECT}:apps[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise pulumi.RunError(f"{where} must be an object with a string `name`")
        unknown = sorted(set(entry) - set(APP_KEYS))
        if unknown:
            raise pulumi.RunError(f"{where} has unknown keys {unknown}; allowed: {APP_KEYS}")
        name = entry["name"]
        if name in seen or name == "zoom":
            raise pulumi.RunError(
                f"{where}.name {name!r} is used twice (or is the reserved 'zoom')"
            )
        seen.add(name)
        apps.append(
            AppConfig(
                name=name,
                kind=entry.get("kind") or "user_level",
                client_id=entry.get("clientId"),
                client_secret=_secret(entry.get("clientSecret")),
                webhook_secret=_secret(entry.get("webhookSecret")),
                adopt_app_id=entry.get("adoptAppId"),
                validate_webhook=_flag(entry.get("validateWebhook"), _validate_webhook(config)),
                scope_style=_scope_style(
                    entry.get("scopeStyle") or config.get("scopeStyle"), f"{where}.scopeStyle"
                ),
                where=where,
            )
        )
    return apps


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return value is True or str(value).lower() == "true"


def _secret(value: Any) -> pulumi.Output[Any] | None:
    return None if value is None else pulumi.Output.secret(value)


def resolve_credentials(app: AppConfig, placeholders: bool) -> RecallZoomOAuthAppArgs:
    """Args for the resource, filling unset credentials with placeholders where allowed."""

    def value(attr: str, key: str, secret: bool) -> pulumi.Input[str]:
        given: pulumi.Input[str] | None = getattr(app, attr)
        if given is not None:
            return given
        if not placeholders:
            raise missing(
                f"{app.where}.{key}" if app.name != "zoom" else f"{PROJECT}:{key}", secret
            )
        return _placeholder(app.name, attr)

    return RecallZoomOAuthAppArgs(
        kind=app.kind,
        client_id=value("client_id", "clientId", secret=False),
        client_secret=value("client_secret", "clientSecret", secret=True),
        webhook_secret=value("webhook_secret", "webhookSecret", secret=True),
        adopt_app_id=app.adopt_app_id,
        validate_webhook=app.validate_webhook,
    )


def _placeholder(app_name: str, attr: str) -> pulumi.Output[str]:
    # Random but stable: kept in state, so a second `pulumi up` changes nothing.
    if attr == "client_id":
        return random.RandomString(
            f"{app_name}-placeholder-client-id", length=22, special=False
        ).result
    return random.RandomPassword(
        f"{app_name}-placeholder-{attr.replace('_', '-')}", length=32, special=False
    ).result


def main() -> None:
    """Declare the stack's apps and export their ids and webhook URLs."""
    config = pulumi.Config(PROJECT)
    placeholders = config.get_bool("placeholderCredentials") or False
    configured = [a for a in (single_app(config), *listed_apps(config)) if a is not None]
    apps = {
        app.name: (app, RecallZoomOAuthApp(app.name, resolve_credentials(app, placeholders)))
        for app in configured
    }
    first_config, first = next(iter(apps.values()))
    pulumi.export("zoom_oauth_app_id", first.id)
    pulumi.export("webhook_url", first.webhook_url)
    pulumi.export("webhook_self_check_at", first.webhook_self_check_at)
    pulumi.export("zoom_checklist", _checklist(first_config, first))
    pulumi.export(
        "zoom_manifest",
        pulumi.Output.all(first.kind, first.webhook_url).apply(
            lambda v: json.dumps(zoom.manifest(v[0], v[1], first_config.scope_style), indent=2)
        ),
    )
    if len(apps) > 1 or config.get_object("apps"):
        pulumi.export(
            "apps",
            {
                name: {
                    "zoom_oauth_app_id": app.id,
                    "webhook_url": app.webhook_url,
                    "zoom_checklist": _checklist(settings, app),
                }
                for name, (settings, app) in apps.items()
            },
        )


def _checklist(settings: AppConfig, app: RecallZoomOAuthApp) -> pulumi.Output[dict[str, Any]]:
    """The Zoom Marketplace settings for one app: scopes, events and the URLs to paste."""
    return pulumi.Output.all(app.kind, app.webhook_url).apply(
        lambda v: zoom.checklist(v[0], v[1], settings.scope_style)
    )


main()
