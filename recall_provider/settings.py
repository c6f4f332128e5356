"""The provider's settings, parsed once into typed values, for the provider and the commands.

Each ``recall:*`` key has a ``RECALL_*`` environment fallback; explicit config wins. Where Recall
lives (``region``/``apiUrl``) is one setting: a stack whose config names either is never
redirected by a ``RECALL_REGION``/``RECALL_API_URL`` left in the shell.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from recall_provider.client import (
    DEFAULT_REGION,
    REGION_URLS,
    Pacing,
    RecallClient,
    Timeout,
    resolve_base_url,
)
from recall_provider.client.pacing import MODELS
from recall_provider.errors import ErrorCode, RecallConfigError
from recall_provider.limits import LIST_REQUESTS_PER_MINUTE, MINUTE, REQUESTS_PER_MINUTE
from recall_provider.models import echoed

__all__ = [
    "API_KEY",
    "ENGINE_KEYS",
    "ENVIRONMENT",
    "NAMESPACE",
    "SETTINGS",
    "Lookup",
    "Setting",
    "Settings",
    "did_you_mean",
    "refuse_unknown_settings",
    "unknown_setting",
    "unknown_settings",
]

_MAX_TIMEOUT = 600.0
_MIN_PER_MINUTE = 5


@dataclass(frozen=True)
class Setting:
    """One provider setting: the environment variable that fills it when config does not, and
    what it means (for the schema and the docs)."""

    env: str
    description: str
    secret: bool = False


API_KEY = "recall:apiKey"
"""The setting of the API key (the one secret setting)."""
SETTINGS: dict[str, Setting] = {
    API_KEY: Setting(
        "RECALL_API_KEY", "Recall API key, sent as `Authorization: Token <key>`.", secret=True
    ),
    "recall:region": Setting(
        "RECALL_REGION",
        f"Recall region: {', '.join(REGION_URLS)} (default {DEFAULT_REGION}). Keys and apps "
        "belong to one region.",
    ),
    "recall:apiUrl": Setting(
        "RECALL_API_URL",
        "Base URL of Recall's API, scheme, host and port with no path (the emulator, a proxy); "
        "wins over region. Plain http only on loopback.",
    ),
    "recall:requestTimeout": Setting(
        "RECALL_REQUEST_TIMEOUT",
        f"Seconds one attempt at a request may take, its whole answer included (default "
        f"{Timeout.read:g}, at most {_MAX_TIMEOUT:g}).",
    ),
    "recall:requestsPerMinute": Setting(
        "RECALL_REQUESTS_PER_MINUTE",
        f"The workspace's limit for creates, reads, updates and deletes that the provider paces "
        f"itself to (default Recall's {REQUESTS_PER_MINUTE}, at least {_MIN_PER_MINUTE}; lists "
        f"get the same share as Recall's {LIST_REQUESTS_PER_MINUTE}).",
    ),
    "recall:rateLimitPeriod": Setting(
        "RECALL_RATE_LIMIT_PERIOD",
        f"Seconds in Recall's rate-limit minute (default {MINUTE:g}; shorter only against an "
        "emulator whose minute is scaled).",
    ),
    "recall:pacing": Setting(
        "RECALL_PACING",
        f"How requests are paced: {' or '.join(MODELS)} (default {MODELS[0]}, Recall's own rule).",
    ),
}
"""Every provider setting, declared once."""
ENVIRONMENT: dict[str, str] = {key: setting.env for key, setting in SETTINGS.items()}
"""Each provider setting and the environment variable that fills it when config does not."""
NAMESPACE = next(iter(SETTINGS)).partition(":")[0]
"""The config namespace of the provider's settings: ``recall``."""
ENGINE_KEYS: tuple[str, ...] = ("version", "pluginDownloadURL", "pluginChecksums", "__internal")
"""Keys of a provider's config that the Pulumi engine itself adds or reads (the plugin's version
and where to get it: pulumi/pulumi ``pkg/resource/deploy/providers/registry.go``), which
arrive beside the settings and are no misspelling of one."""
_LOCATION = ("recall:region", "recall:apiUrl")
Lookup = Callable[[str], object]
"""Where settings are read: a setting's key to its value, None when it is not set."""


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """What to tell of ``key``, which is none of ``known``: the closest of them by spelling,
    whatever the case, or all of them when none is close."""
    choices = list(known)
    folded = [choice.casefold() for choice in choices]
    wrong = key.casefold()
    # Compared past what they all start with (``recall-zoom:``), which would make any close.
    start = next((i for i, c in enumerate(zip(wrong, *folded, strict=False)) if len(set(c)) > 1), 0)
    tails = {tail[start:]: choice for tail, choice in zip(folded, choices, strict=True)}
    closest = difflib.get_close_matches(wrong[start:], tails, n=1)
    if closest:
        return f"did you mean {tails[closest[0]]}?"
    return f"its settings are {', '.join(choices)}"


def unknown_setting(key: str) -> RecallConfigError:
    """The error for ``key`` (``recall:<name>``), which names no setting of the provider."""
    return RecallConfigError(
        f"{key} is not a setting of the {NAMESPACE} provider: {did_you_mean(key, SETTINGS)}",
        code=ErrorCode.UNKNOWN_SETTING,
    )


def unknown_settings(keys: Iterable[str]) -> list[str]:
    """Those of ``keys`` (each ``recall:<name>``) that are neither a setting nor a key of the
    engine's, in order: a misspelt setting would otherwise be ignored, and its environment
    variable or default used in silence."""
    known = {*SETTINGS, *(f"{NAMESPACE}:{key}" for key in ENGINE_KEYS)}
    return sorted(key for key in set(keys) if key not in known)


def refuse_unknown_settings(keys: Iterable[str]) -> None:
    """Raise ``unknown_setting``'s error for the first of ``unknown_settings(keys)``."""
    if unknown := unknown_settings(keys):
        raise unknown_setting(unknown[0])


@dataclass(frozen=True)
class Settings:
    """Where Recall is, the key to use, and how to pace and wait for it."""

    api_key: str | None
    base_url: str
    timeout: Timeout
    pacing: Pacing

    @classmethod
    def read(cls, config: Lookup, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse ``config(key)`` (None or empty: unset) over the environment; raises
        ``RecallConfigError`` naming the setting that cannot be used."""

        def get(key: str) -> str | None:
            value = config(key)
            # A number a program sets (requestTimeout: 10) may come as a float: 10, not 10.0,
            # which a whole-number setting would refuse.
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return str(value).strip() if value not in (None, "") else None

        values = {key: get(key) for key in ENVIRONMENT}
        # A URL that cannot be used is named as the user set it: the stack's key, or the variable.
        url_setting = "recall:apiUrl"
        if all(values[key] is None for key in _LOCATION):
            for key in _LOCATION:
                values[key] = env.get(ENVIRONMENT[key]) or None
            url_setting = ENVIRONMENT[url_setting]
        for key in ENVIRONMENT.keys() - _LOCATION:
            values[key] = values[key] or env.get(ENVIRONMENT[key]) or None
        return cls(
            api_key=values[API_KEY],
            base_url=resolve_base_url(
                values["recall:region"], values["recall:apiUrl"], setting=url_setting
            ),
            timeout=_timeout(values["recall:requestTimeout"]),
            pacing=_pacing(
                values["recall:requestsPerMinute"],
                values["recall:rateLimitPeriod"],
                values["recall:pacing"],
            ),
        )

    def client(self) -> RecallClient:
        """A client with these settings; raises ``RecallConfigError`` when no key is set."""
        if not self.api_key:
            raise RecallConfigError(
                f"the Recall API key is not set: run `pulumi config set --secret {API_KEY}` "
                "(it prompts for the key, which so stays off the command line) or set "
                f"{SETTINGS[API_KEY].env}",
                code=ErrorCode.API_KEY_MISSING,
            )
        return RecallClient(
            self.api_key, base_url=self.base_url, timeout=self.timeout, pacing=self.pacing
        )

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, api_key={'set' if self.api_key else None})"


def _timeout(value: str | None) -> Timeout:
    if value is None:
        return Timeout()
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= _MAX_TIMEOUT:
        raise RecallConfigError(
            f"recall:requestTimeout must be a number of seconds from 0 to {_MAX_TIMEOUT:g}, "
            f"not {echoed(value)}",
            code=ErrorCode.BAD_SETTING,
        )
    return Timeout(connect=min(Timeout.connect, seconds), read=seconds)


def _pacing(value: str | None, period: str | None, model: str | None) -> Pacing:
    pacing = Pacing()
    if value is not None:
        try:
            limit = int(value)
        except ValueError:
            limit = 0
        if limit < _MIN_PER_MINUTE:
            raise RecallConfigError(
                f"recall:requestsPerMinute must be a whole number of at least "
                f"{_MIN_PER_MINUTE}, not {echoed(value)}",
                code=ErrorCode.BAD_SETTING,
            )
        # Recall's list endpoints allow a fraction of the others: keep the same share.
        share = max(1, limit * LIST_REQUESTS_PER_MINUTE // REQUESTS_PER_MINUTE)
        pacing = replace(pacing, per_minute=limit, list_per_minute=share)
    if period is not None:
        try:
            seconds = float(period)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 3600:
            raise RecallConfigError(
                "recall:rateLimitPeriod must be a number of seconds above 0 and at most "
                f"3600, not {echoed(period)}",
                code=ErrorCode.BAD_SETTING,
            )
        pacing = replace(pacing, period=seconds)
    if model is not None:
        if model not in MODELS:
            raise RecallConfigError(
                f"recall:pacing must be one of {', '.join(MODELS)}, not {echoed(model)}",
                code=ErrorCode.BAD_SETTING,
            )
        pacing = replace(pacing, model=model)
    return pacing
