"""A stack as the commands read it, through the user's Pulumi CLI: its outputs and its config.

The stack outputs are named here, once: the program exports them (for its first app, and for
each entry of ``apps``), the commands read them (``--stack``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "APPS_OUTPUT",
    "APP_ID_OUTPUT",
    "CHECKLIST_OUTPUT",
    "MANIFEST_OUTPUT",
    "SELF_CHECK_OUTPUT",
    "WEBHOOK_URL_OUTPUT",
    "CommandError",
    "stack_app",
    "stack_apps",
    "stack_setting",
]

PULUMI_INSTALL = "https://www.pulumi.com/docs/iac/download-install/"
APP_ID_OUTPUT = "zoom_oauth_app_id"
"""The app's Recall id."""
WEBHOOK_URL_OUTPUT = "webhook_url"
"""The app's webhook URL, to paste into Zoom."""
SELF_CHECK_OUTPUT = "webhook_self_check_at"
"""When the app's webhook self-check last passed."""
CHECKLIST_OUTPUT = "zoom_checklist"
"""The Zoom Marketplace settings for the app."""
MANIFEST_OUTPUT = "zoom_manifest"
"""The first app's Zoom manifest fragment."""
APPS_OUTPUT = "apps"
"""Each app of a stack of several, by name: the outputs above for each."""


class CommandError(Exception):
    """A problem worth one line to the user."""


def _pulumi(*args: str) -> str:
    cli = shutil.which("pulumi")
    if cli is None:
        raise CommandError(
            f"--stack needs the Pulumi CLI on PATH (install it: {PULUMI_INSTALL}); or pass "
            "the values directly (see --help)"
        )
    result = subprocess.run(  # noqa: S603 - the user's own Pulumi CLI
        [cli, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        said = "; ".join(line.strip() for line in result.stderr.splitlines() if line.strip())
        raise CommandError(f"`pulumi {' '.join(args)}` failed: {said}")
    return result.stdout


def _stack_outputs(stack: str) -> dict[str, Any]:
    outputs = json.loads(_pulumi("stack", "output", "--json", "--stack", stack))
    return outputs if isinstance(outputs, dict) else {}


def stack_app(stack: str, app: str | None) -> dict[str, Any]:
    """The id, webhook URL and checklist of one app of a stack, from its outputs."""
    outputs = _stack_outputs(stack)
    if app is not None:
        apps = outputs.get(APPS_OUTPUT) or {}
        if app not in apps:
            raise CommandError(f"stack {stack} has no app {app!r}; it has {sorted(apps)}")
        return dict(apps[app])
    return {k: outputs.get(k) for k in (APP_ID_OUTPUT, WEBHOOK_URL_OUTPUT, CHECKLIST_OUTPUT)}


def stack_apps(stack: str) -> dict[str, datetime | None]:
    """Every app id of a stack, with the time of its last webhook self-check (None: unknown)."""
    outputs = _stack_outputs(stack)
    found: dict[str, datetime | None] = {}
    for entry in (outputs, *(outputs.get(APPS_OUTPUT) or {}).values()):
        app_id = entry.get(APP_ID_OUTPUT) if isinstance(entry, dict) else None
        if isinstance(app_id, str) and app_id:
            found[app_id] = _time(entry.get(SELF_CHECK_OUTPUT)) or found.get(app_id)
    if not found:
        raise CommandError(f"stack {stack} exports no app id: run `pulumi up` first")
    return found


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)  # a trailing Z included, since Python 3.11
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stack_setting(stack: str, key: str) -> str | None:
    """The stack's config value of ``key``; None when the stack does not set it."""
    try:
        value = _pulumi("config", "get", key, "--stack", stack).strip()
    except CommandError as exc:
        # Only an unset key is "no value"; a wrong passphrase or backend must be seen.
        if re.search(r"configuration key '[^']*' not found", str(exc)):
            return None
        raise
    return value or None
