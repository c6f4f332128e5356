"""Commands around a stack's apps: the Zoom manifest fragment and Recall's logs of an app.

    python3 scripts/cli.py manifest --stack prod --output zoom-manifest.json
    python3 scripts/cli.py manifest --kind user_level --webhook-url URL
    python3 scripts/cli.py logs --stack prod [--app acme] [--limit 20]
    python3 scripts/cli.py logs --app-id ID        # key and region from RECALL_* variables

(scripts/cli.py makes the project's virtualenv first; in an environment where recall-zoom is
installed, python -m recall_provider.cli is the same command.)

With --stack, values come from `pulumi stack output` and `pulumi config get` of that stack, so
the Pulumi CLI must be on PATH. The Recall settings are read as the provider reads them: the
stack's recall:* settings win over the RECALL_* environment variables, which fill in what the
stack does not set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from recall_provider import zoom
from recall_provider.client import check_webhook_url
from recall_provider.commandline import OneLineParser, at_least_one
from recall_provider.errors import RecallError, RecallNotFoundError
from recall_provider.models import DEFAULT_KIND, KINDS
from recall_provider.settings import Settings

__all__ = ["main"]

PULUMI_INSTALL = "https://www.pulumi.com/docs/iac/download-install/"


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
        raise CommandError(f"`pulumi {' '.join(args)}` failed: {result.stderr.strip()}")
    return result.stdout


def stack_app(stack: str, app: str | None) -> dict[str, Any]:
    """The id, webhook URL and checklist of one app of a stack, from its outputs."""
    outputs = json.loads(_pulumi("stack", "output", "--json", "--stack", stack))
    if app is not None:
        apps = outputs.get("apps") or {}
        if app not in apps:
            raise CommandError(f"stack {stack} has no app {app!r}; it has {sorted(apps)}")
        return dict(apps[app])
    return {k: outputs.get(k) for k in ("zoom_oauth_app_id", "webhook_url", "zoom_checklist")}


def _stack_setting(stack: str, key: str) -> str | None:
    try:
        value = _pulumi("config", "get", key, "--stack", stack).strip()
    except CommandError as exc:
        # Only an unset key is "no value"; a wrong passphrase or backend must be seen.
        if re.search(r"configuration key '[^']*' not found", str(exc)):
            return None
        raise
    return value or None


def _scope_style(checklist: dict[str, Any], kind: str) -> str:
    # The checklist lists the scopes of the style the stack chose for this app.
    for style, scopes in zoom.SCOPES.items():
        if list(scopes[kind]) == checklist.get("scopes"):
            return style
    return "granular"


def manifest_command(args: argparse.Namespace) -> None:
    kind, url, style = args.kind, args.webhook_url, args.scope_style
    if args.stack:
        found = stack_app(args.stack, args.app)
        url = url or found.get("webhook_url")
        checklist = found.get("zoom_checklist") or {}
        kind = kind or ("account_level" if checklist.get("app_type") == "admin-managed" else None)
        style = style or _scope_style(checklist, kind or DEFAULT_KIND)
    if not url:
        raise CommandError("give --webhook-url, or --stack to read it from a stack's outputs")
    manifest = zoom.manifest(kind or DEFAULT_KIND, check_webhook_url(url), style or "granular")
    text = json.dumps(manifest, indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote the Zoom manifest fragment to {args.output}")
    else:
        sys.stdout.write(text)


def command_settings(stack: str | None, api_url: str | None) -> Settings:
    """The provider's settings as the provider would read them: the stack's config (with
    ``--stack``) over ``RECALL_*``, and ``--api-url`` over both."""

    def lookup(key: str) -> str | None:
        if key == "recall:apiUrl" and api_url:
            return api_url
        return _stack_setting(stack, key) if stack else None

    return Settings.read(lookup)


def logs_command(args: argparse.Namespace) -> None:
    app_id = args.app_id
    if args.stack:
        app_id = app_id or stack_app(args.stack, args.app).get("zoom_oauth_app_id")
    if not app_id:
        raise CommandError("give --app-id, or --stack to read it from a stack's outputs")
    with command_settings(args.stack, args.api_url).client() as client:
        try:
            client.get_app(app_id)  # Recall lists no logs for an app it does not have either
        except RecallNotFoundError:
            raise CommandError(
                f"Recall has no app {app_id} (in this workspace and region); check the id, "
                "the API key and recall:region or RECALL_REGION"
            ) from None
        entries = list(itertools.islice(client.list_app_logs(app_id), args.limit))
    if not entries:
        print(f"no Recall logs for app {app_id}")
    for entry in entries:
        stamp = entry.created_at.isoformat() if entry.created_at else "-"
        print(f"{stamp}  {entry.message}")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run one command; errors become one line and exit code 1."""
    parser = OneLineParser(
        prog="python -m recall_provider.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    manifest = commands.add_parser("manifest", help="write the Zoom app manifest fragment")
    manifest.add_argument("--stack", help="read the webhook URL and kind from this stack")
    manifest.add_argument("--app", help="with --stack: the app's name in recall-zoom:apps")
    manifest.add_argument(
        "--kind",
        choices=KINDS,
        help=f"the Recall app's kind (default: the stack's, else {DEFAULT_KIND})",
    )
    manifest.add_argument(
        "--webhook-url",
        help="the app's Recall webhook URL, as the stack output webhook_url gives it "
        "(https, or http on loopback)",
    )
    manifest.add_argument(
        "--scope-style",
        choices=tuple(zoom.SCOPES),
        help="granular or legacy (default: the stack's, else granular)",
    )
    manifest.add_argument("--output", "-o", help="file to write (default: standard output)")
    manifest.set_defaults(run=manifest_command)
    logs = commands.add_parser("logs", help="print Recall's recent logs of an app")
    logs.add_argument("--stack", help="read the app id and Recall settings from this stack")
    logs.add_argument("--app", help="with --stack: the app's name in recall-zoom:apps")
    logs.add_argument("--app-id", help="the Recall app id")
    logs.add_argument("--api-url", help="Recall base URL (default: RECALL_API_URL or region)")
    logs.add_argument(
        "--limit", type=at_least_one, default=20, help="newest entries to print (default 20)"
    )
    logs.set_defaults(run=logs_command)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (CommandError, RecallError) as exc:
        sys.exit(f"error: {exc}")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
