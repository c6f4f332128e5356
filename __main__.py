"""recall-zoom: the stack's Recall.ai Zoom OAuth apps, with their ids and webhook URLs as outputs.

Config (namespace ``recall-zoom``): ``kind``, ``clientId``, ``clientSecret`` (secret) and
``webhookSecret`` (secret) describe the stack's app; ``apps`` may list more, one per customer
workspace. ``placeholderCredentials: true`` (the local ``dev`` stack) makes up secret stand-ins
for Zoom credentials that are not configured. Provider settings live under ``recall:``. Any
other key of either namespace (or of one spelt close to them) stops the run, naming the key
meant: a misspelt key would otherwise be ignored in silence.
"""

from __future__ import annotations

import contextlib
import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.config import get_config, is_config_secret

from recall_provider import RecallZoomOAuthApp, RecallZoomOAuthAppArgs, zoom
from recall_provider.core.check import trim
from recall_provider.core.spec import DEFAULTS, NAMES, SECRETS, camel
from recall_provider.errors import RecallConfigError
from recall_provider.models import DEFAULT_KIND, KINDS, canonical_app_id, echoed
from recall_provider.placeholder import Placeholder
from recall_provider.resource import config_keys
from recall_provider.settings import NAMESPACE as PROVIDER
from recall_provider.settings import (
    SETTINGS,
    Settings,
    did_you_mean,
    refuse_unknown_settings,
)
from recall_provider.stack import (
    APP_ID_OUTPUT,
    APPS_OUTPUT,
    CHECKLIST_OUTPUT,
    MANIFEST_OUTPUT,
    SELF_CHECK_OUTPUT,
    WEBHOOK_URL_OUTPUT,
)

PROJECT = "recall-zoom"
TOP_LEVEL = "zoom"
"""The resource name of the app that the top-level keys describe."""
SECRET_KEYS = tuple(camel(name) for name in SECRETS)
ENTRY_KEYS = ("name", *(camel(name) for name in NAMES), "scopeStyle")
"""The keys of one app: an entry of ``recall-zoom:apps``, or the top-level keys."""
APPS = "apps"
"""The key of the list of apps."""
PLACEHOLDERS = "placeholderCredentials"
"""The key that lets placeholders stand in for unset Zoom credentials."""
PROGRAM_KEYS = (*(key for key in ENTRY_KEYS if key != "name"), APPS, PLACEHOLDERS)
"""Every key of the program's namespace that it reads: any other is a mistake."""
_BOOLEANS = {"true": True, "True": True, "false": False, "False": False}


@dataclass(frozen=True)
class AppConfig:
    """One app as configured: ``None`` where a credential was not given."""

    name: str
    kind: str
    client_id: pulumi.Input[str] | None
    client_secret: pulumi.Input[str] | None
    webhook_secret: pulumi.Input[str] | None
    adopt_app_id: str | None
    validate_webhook: bool
    scope_style: str
    where: str
    """Where the app is configured: ``recall-zoom`` or ``recall-zoom:apps[<index>]``."""

    def key(self, key: str) -> str:
        """The full config key of one of this app's settings, as ``pulumi config set`` takes it."""
        return full_key(self.where, key)


def full_key(where: str, key: str) -> str:
    """``recall-zoom:clientId`` for the top-level app, ``recall-zoom:apps[0].clientId`` else."""
    return f"{PROJECT}:{key}" if where == PROJECT else f"{where}.{key}"


def set_command(key: str, secret: bool) -> str:
    """The command that sets ``key`` (a full config key), in backquotes: a secret one without
    its value, which the CLI then prompts for (a value on the command line would stay in the
    shell's history and show in the process list)."""
    # A key inside a list is set with --path, and quoted for the shell's sake of its brackets.
    path = "[" in key
    flags = ("--path " if path else "") + ("--secret " if secret else "")
    target = f"'{key}'" if path else key
    return f"`pulumi config set {flags}{target}{'' if secret else ' <value>'}`"


def missing(key: str, secret: bool) -> pulumi.RunError:
    return pulumi.RunError(
        f"{key} is not set: run {set_command(key, secret)} "
        f"(or set {PROJECT}:{PLACEHOLDERS} to true for a stack against the emulator)"
    )


def plain_secret(key: str) -> pulumi.RunError:
    """The error for a Zoom secret kept in plain text under its full config key."""
    # A plain value would sit unencrypted in Pulumi.<stack>.yaml, usually in git.
    return pulumi.RunError(
        f"{key} is not a secret, so it is kept in plain text: run "
        f"{set_command(key, secret=True)} to encrypt it"
    )


def refuse_unknown_keys(keys: Iterable[str]) -> None:
    """Stop at a key of the program's or the provider's namespace that neither reads (or of a
    namespace spelt close to one of them): it would be ignored, and a default or an
    environment variable used in silence."""
    program = [full_key(PROJECT, key) for key in PROGRAM_KEYS]
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == PROVIDER:
            try:
                refuse_unknown_settings([key])
            except RecallConfigError as exc:
                raise pulumi.RunError(str(exc)) from None
        elif namespace == PROJECT and name not in PROGRAM_KEYS:
            if name.startswith(f"{APPS}["):
                # `pulumi config set 'recall-zoom:apps[0].clientId' x`, without --path.
                secret = name.rpartition(".")[2] in SECRET_KEYS
                raise pulumi.RunError(
                    f"{key} is not a setting of this program: a value inside "
                    f"{full_key(PROJECT, APPS)} is set with --path; run `pulumi config rm "
                    f"'{key}'`, then {set_command(key, secret)}"
                )
            if name in ENTRY_KEYS:
                # `name` names an entry of the apps list; the single app needs none.
                raise pulumi.RunError(
                    f"{key} is not a setting of this program: {name} is set for an app of "
                    f"{full_key(PROJECT, APPS)}, with --path (`pulumi config set --path "
                    f"'{full_key(PROJECT, APPS)}[0].{name}' <value>`)"
                )
            raise pulumi.RunError(
                f"{key} is not a setting of this program: {did_you_mean(key, program)}"
            )
        elif namespace != PROJECT and _close_to_ours(namespace):
            raise pulumi.RunError(
                f"{key} is not a setting of this program or of the {PROVIDER} provider: "
                f"{did_you_mean(key, [*program, *SETTINGS])}"
            )


def check_settings() -> None:
    """Read the provider's settings as it will: one that cannot be used (an ``apiUrl`` with a
    path, a region that is none) stops the preview too, not only the first call to Recall."""
    try:
        Settings.read(get_config)
    except RecallConfigError as exc:
        raise pulumi.RunError(str(exc)) from None


def _close_to_ours(namespace: str) -> bool:
    # recall_zoom, recallzoom, recal, reacll: a typo, not another package's namespace (aws,
    # pulumi, zoom); 0.7 holds one swapped or missing letter of "recall" as ours.
    ours = (PROJECT, PROVIDER)
    folded = namespace.casefold()
    return folded in ours or bool(difflib.get_close_matches(folded, ours, n=1, cutoff=0.7))


def stack_defaults(config: pulumi.Config) -> dict[str, Any]:
    """What an app leaves unset: the default kind, and the stack's ``validateWebhook`` and
    ``scopeStyle``."""
    return {
        "kind": DEFAULT_KIND,
        "validateWebhook": _flag(
            config.get("validateWebhook"), full_key(PROJECT, "validateWebhook")
        ),
        "scopeStyle": _one_of(
            config.get("scopeStyle") or zoom.DEFAULT_SCOPE_STYLE,
            full_key(PROJECT, "scopeStyle"),
            tuple(zoom.SCOPES),
        ),
    }


def parse_app(raw: Mapping[str, Any], where: str, defaults: Mapping[str, Any]) -> AppConfig:
    """One app from its keys (``ENTRY_KEYS``), the same way wherever it is configured."""
    if unknown := sorted(set(raw) - set(ENTRY_KEYS)):
        known = [full_key(where, k) for k in ENTRY_KEYS]
        raise pulumi.RunError(
            f"{full_key(where, unknown[0])} is not a setting of this program: "
            f"{did_you_mean(full_key(where, unknown[0]), known)}"
        )
    values = {**defaults, **{k: v for k, v in raw.items() if v not in (None, "")}}
    return AppConfig(
        name=values["name"],
        kind=_one_of(values["kind"], full_key(where, "kind"), KINDS),
        client_id=values.get("clientId"),
        client_secret=_secret(values.get("clientSecret")),
        webhook_secret=_secret(values.get("webhookSecret")),
        adopt_app_id=values.get("adoptAppId"),
        validate_webhook=_flag(values["validateWebhook"], full_key(where, "validateWebhook")),
        scope_style=_one_of(
            values["scopeStyle"], full_key(where, "scopeStyle"), tuple(zoom.SCOPES)
        ),
        where=where,
    )


def top_level_app(config: pulumi.Config, defaults: Mapping[str, Any]) -> AppConfig | None:
    """The app of the top-level keys, named ``zoom``, unless the stack lists its apps instead."""
    for key in SECRET_KEYS:
        if config.get(key) is not None and not is_config_secret(f"{PROJECT}:{key}"):
            raise plain_secret(f"{PROJECT}:{key}")
    raw: dict[str, Any] = {
        key: config.get_secret(key) if key in SECRET_KEYS else config.get(key)
        for key in ENTRY_KEYS
        if key != "name"
    }
    if raw["clientId"] is None and config.get_object(APPS):
        return None
    return parse_app({**raw, "name": TOP_LEVEL}, PROJECT, defaults)


def listed_apps(config: pulumi.Config, defaults: Mapping[str, Any]) -> list[AppConfig]:
    """The apps of ``recall-zoom:apps``; secrets in it are wrapped as secrets at once."""
    raw = config.get_object(APPS) or []
    if not isinstance(raw, list):
        raise pulumi.RunError(f"{full_key(PROJECT, APPS)} must be a list of objects")
    apps = []
    seen: set[str] = set()
    stored = stored_apps()
    for index, entry in enumerate(raw):
        where = f"{full_key(PROJECT, APPS)}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise pulumi.RunError(f"{where} must be an object with a string `name`")
        name = entry["name"]
        if name in seen or name == TOP_LEVEL:
            raise pulumi.RunError(
                f"{where}.name {name!r} is used twice (or is the reserved {TOP_LEVEL!r})"
            )
        seen.add(name)
        for key in SECRET_KEYS:
            if entry.get(key) is not None and _plain(stored, index, key):
                raise plain_secret(f"{where}.{key}")
        apps.append(parse_app(entry, where, defaults))
    return apps


def _plain(stored: list[Any] | None, index: int, key: str) -> bool:
    """Whether entry ``index``'s ``key`` is kept in plain text."""
    if not is_config_secret(full_key(PROJECT, APPS)):
        return True
    # Pulumi marks the whole list secret once any value in it is set with --secret: only the
    # stack's file tells which values are (a secret one is stored as {secure: ...}).
    entry = stored[index] if stored is not None and index < len(stored) else None
    if not isinstance(entry, dict) or entry.get(key) is None:
        return False  # the file does not hold what the program was given: nothing to tell
    value = entry[key]
    # A number or a boolean is as plain as a string; only {secure: ...} is encrypted.
    return not (isinstance(value, dict) and "secure" in value)


def stored_apps() -> list[Any] | None:
    """``recall-zoom:apps`` as the stack's config file stores it, or None when the file does
    not hold it (the config came another way)."""
    root = Path(_root_directory() or Path(__file__).resolve().parent)
    try:
        project = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        directory = root / str(project.get("stackConfigDir") or ".")
        path = directory / f"Pulumi.{pulumi.get_stack()}.yaml"
        stack = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        apps = (stack.get("config") or {}).get(full_key(PROJECT, APPS))
    except (OSError, yaml.YAMLError, AttributeError):
        return None
    return apps if isinstance(apps, list) else None


def _root_directory() -> str | None:
    # Where Pulumi.yaml is, as the CLI tells the program; older CLIs (and mocks) do not.
    with contextlib.suppress(AttributeError):
        return pulumi.get_root_directory() or None
    return None


def refuse_duplicates(apps: list[AppConfig]) -> None:
    """Two apps for one Zoom app, or two resources for one Recall app, stop the run."""
    for key, attr, what in (
        (
            "clientId",
            "client_id",
            "the Zoom Client ID {value!r}: one Zoom app needs one Recall app",
        ),
        ("adoptAppId", "adopt_app_id", "Recall app {value}: two resources would manage one app"),
    ):
        first: dict[str, AppConfig] = {}
        for app in apps:
            value = getattr(app, attr)
            if not isinstance(value, str):
                continue  # a placeholder, unknown until apply and unique by construction
            same = _same_key(attr, value)
            if same in first:
                raise pulumi.RunError(
                    f"{first[same].key(key)} and {app.key(key)} both name "
                    f"{what.format(value=value.strip())}; remove or change one of them"
                )
            first[same] = app


def _same_key(attr: str, value: str) -> str:
    # As the provider compares them: trimmed, and Recall ids in Recall's spelling.
    trimmed = trim(value)
    if attr == "adopt_app_id":
        return canonical_app_id(trimmed) or trimmed
    return trimmed


def _flag(value: Any, key: str) -> bool:
    # What `pulumi config set` writes for a boolean, and what the SDK's get_bool reads.
    if value is None:
        return bool(DEFAULTS["validate_webhook"])
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _BOOLEANS:
        return _BOOLEANS[value]
    raise pulumi.RunError(f"{key} must be true or false, not {value!r}")


def _one_of(value: Any, key: str, allowed: tuple[str, ...]) -> str:
    # A value of another type (a number in the list of apps) is as wrong as a misspelt one.
    if value not in allowed:
        shown = echoed(value) if isinstance(value, str) else repr(value)
        raise pulumi.RunError(f"{key} must be one of {', '.join(allowed)}, not {shown}")
    return str(value)


def _secret(value: Any) -> pulumi.Output[Any] | None:
    if value is None or isinstance(value, pulumi.Output):
        return value
    return pulumi.Output.secret(value)


def resolve_credentials(app: AppConfig, placeholders: bool) -> RecallZoomOAuthAppArgs:
    """Args for the resource, filling unset credentials with placeholders where allowed."""

    def value(name: str) -> pulumi.Input[str]:
        given: pulumi.Input[str] | None = getattr(app, name)
        if given is not None:
            return given
        if not placeholders:
            raise missing(app.key(camel(name)), secret=name in SECRETS)
        return _placeholder(app.name, name)

    return RecallZoomOAuthAppArgs(
        kind=app.kind,
        client_id=value("client_id"),
        client_secret=value("client_secret"),
        webhook_secret=value("webhook_secret"),
        adopt_app_id=app.adopt_app_id,
        validate_webhook=app.validate_webhook,
    )


def _placeholder(app_name: str, attr: str) -> pulumi.Output[str]:
    # Random but stable: kept in state, so a second `pulumi up` changes nothing.
    name = f"{app_name}-placeholder-{attr.replace('_', '-')}"
    if attr == "client_id":
        return Placeholder(name, 22, secret=False).result
    return Placeholder(name, 32).result


def main() -> None:
    """Declare the stack's apps and export their ids and webhook URLs."""
    refuse_unknown_keys(config_keys())
    check_settings()
    config = pulumi.Config(PROJECT)
    placeholders = config.get_bool(PLACEHOLDERS) or False
    defaults = stack_defaults(config)
    listed = listed_apps(config, defaults)
    configured = [a for a in (top_level_app(config, defaults), *listed) if a is not None]
    refuse_duplicates(configured)
    apps = {
        app.name: (
            app,
            RecallZoomOAuthApp(
                app.name,
                resolve_credentials(app, placeholders),
                # The provider's errors then name the config keys this stack's user sets.
                argument_keys={name: app.key(camel(name)) for name in NAMES},
            ),
        )
        for app in configured
    }
    first_config, first = next(iter(apps.values()))
    pulumi.export(APP_ID_OUTPUT, first.id)
    pulumi.export(WEBHOOK_URL_OUTPUT, first.webhook_url)
    pulumi.export(SELF_CHECK_OUTPUT, first.webhook_self_check_at)
    pulumi.export(CHECKLIST_OUTPUT, _checklist(first_config, first))
    pulumi.export(
        MANIFEST_OUTPUT,
        pulumi.Output.all(first.kind, first.webhook_url).apply(
            lambda v: json.dumps(zoom.manifest(v[0], v[1], first_config.scope_style), indent=2)
        ),
    )
    if len(apps) > 1 or config.get_object(APPS):
        pulumi.export(
            APPS_OUTPUT,
            {
                name: {
                    APP_ID_OUTPUT: app.id,
                    WEBHOOK_URL_OUTPUT: app.webhook_url,
                    SELF_CHECK_OUTPUT: app.webhook_self_check_at,
                    CHECKLIST_OUTPUT: _checklist(settings, app),
                }
                for name, (settings, app) in apps.items()
            },
        )


def _checklist(settings: AppConfig, app: RecallZoomOAuthApp) -> pulumi.Output[dict[str, Any]]:
    """The Zoom Marketplace settings for one app: scopes, events and the URLs to paste."""
    return pulumi.Output.all(app.kind, app.webhook_url).apply(
        lambda v: zoom.checklist(v[0], v[1], settings.scope_style)
    )


# The language host runs the program as __main__ (pulumi/pulumi
# sdk/python/cmd/pulumi-language-python-exec: runpy.run_path(..., run_name="__main__")); the
# docs' generator imports its declarations under another name.
if __name__ == "__main__":
    main()
