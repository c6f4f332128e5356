"""recall-zoom: the stack's Recall.ai Zoom OAuth apps, with their ids and webhook URLs as outputs.

Config (namespace ``recall-zoom``): ``kind``, ``clientId``, ``clientSecret`` (secret) and
``webhookSecret`` (secret) describe the stack's app; ``apps`` may list more, one per customer
workspace. ``placeholderCredentials: true`` (the local ``dev`` stack) makes up secret stand-ins
for Zoom credentials that are not configured. Provider settings live under ``recall:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random

from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs

PROJECT = "recall-zoom"
APP_KEYS = ("name", "kind", "clientId", "clientSecret", "webhookSecret", "adoptAppId")


@dataclass(frozen=True)
class AppConfig:
    """One app as configured: ``None`` where a value was not given."""

    name: str
    kind: str
    client_id: pulumi.Input[str] | None
    client_secret: pulumi.Input[str] | None
    webhook_secret: pulumi.Input[str] | None
    adopt_app_id: str | None
    where: str


def missing(key: str, secret: bool) -> pulumi.RunError:
    flag = "--secret " if secret else ""
    return pulumi.RunError(
        f"{key} is not set: run `pulumi config set {flag}{key} <value>` "
        f"(or set {PROJECT}:placeholderCredentials to true for a stack against the emulator)"
    )


def single_app(config: pulumi.Config) -> AppConfig | None:
    """The app described by the top-level keys, if any of them is set."""
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
        where=PROJECT,
    )


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
                where=where,
            )
        )
    return apps


def _secret(value: Any) -> pulumi.Output[Any] | None:
    return None if value is None else pulumi.Output.secret(value)


def resolve_credentials(app: AppConfig, placeholders: bool) -> RecallZoomOAuthAppArgs:
    """Args for the resource, filling unset credentials with placeholders where allowed."""
    values: dict[str, pulumi.Input[str]] = {}
    for attr, key, secret in (
        ("client_id", "clientId", False),
        ("client_secret", "clientSecret", True),
        ("webhook_secret", "webhookSecret", True),
    ):
        value = getattr(app, attr)
        if value is None:
            if not placeholders:
                raise missing(
                    f"{app.where}.{key}" if app.name != "zoom" else f"{PROJECT}:{key}", secret
                )
            value = _placeholder(app.name, attr)
        values[attr] = value
    return RecallZoomOAuthAppArgs(kind=app.kind, adopt_app_id=app.adopt_app_id, **values)


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
        app.name: RecallZoomOAuthApp(app.name, resolve_credentials(app, placeholders))
        for app in configured
    }
    first = next(iter(apps.values()))
    pulumi.export("zoom_oauth_app_id", first.id)
    pulumi.export("webhook_url", first.webhook_url)
    if len(apps) > 1 or config.get_object("apps"):
        pulumi.export(
            "apps",
            {
                name: {"zoom_oauth_app_id": app.id, "webhook_url": app.webhook_url}
                for name, app in apps.items()
            },
        )


main()
