"""Commands around a stack's apps: the Zoom manifest fragment, Recall's logs of an app, and
whether Zoom is wired to each app. ``recall-zoom`` (``command``), ``python -m
recall_provider.cli`` and ``scripts/cli.py`` run them, each naming itself as the user typed it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from recall_provider import zoom
from recall_provider.client import (
    DEFAULT_REGION,
    REGION_URLS,
    RecallClient,
    check_webhook_url,
    resolve_base_url,
)
from recall_provider.client.pacing import CACHE_DIR_ENV
from recall_provider.commandline import (
    OneLineParser,
    at_least_one,
    environment_help,
    for_terminal,
    paragraph,
)
from recall_provider.errors import ErrorCode, RecallConfigError, RecallError, RecallNotFoundError
from recall_provider.exit_status import ExitStatus, exit_statuses
from recall_provider.files import replace_file
from recall_provider.health import LOG_WINDOW, Status, Verdict, judge
from recall_provider.models import DEFAULT_KIND, KINDS, ZoomOAuthApp, ZoomOAuthAppLog, iso
from recall_provider.settings import API_KEY, SETTINGS, Settings
from recall_provider.stack import (
    APP_ID_OUTPUT,
    CHECKLIST_OUTPUT,
    WEBHOOK_URL_OUTPUT,
    CommandError,
    stack_app,
    stack_apps,
    stack_setting,
)

__all__ = ["PROG", "build_parser", "main", "parse", "run"]

PROG = "python -m recall_provider.cli"
"""How this module names itself in its usage lines; ``recall-zoom`` and scripts/cli.py pass
their own."""


def _scope_style(checklist: dict[str, Any], kind: str) -> str:
    # The checklist lists the scopes of the style the stack chose for this app.
    for style, scopes in zoom.SCOPES.items():
        if list(scopes[kind]) == checklist.get("scopes"):
            return style
    return zoom.DEFAULT_SCOPE_STYLE


def _kind(checklist: dict[str, Any]) -> str | None:
    # The checklist names the Zoom app type of the stack's kind.
    types = {app_type: kind for kind, app_type in zoom.APP_TYPES.items()}
    return types.get(checklist.get("app_type", ""))


def manifest_command(args: argparse.Namespace) -> None:
    kind, url, style = args.kind, args.webhook_url, args.scope_style
    if args.stack:
        found = stack_app(args.stack, args.app)
        url = url or found.get(WEBHOOK_URL_OUTPUT)
        checklist = found.get(CHECKLIST_OUTPUT) or {}
        kind = kind or _kind(checklist)
        style = style or _scope_style(checklist, kind or DEFAULT_KIND)
    if not isinstance(url, str) or not url:
        raise CommandError("give --webhook-url, or --stack to read it from a stack's outputs")
    setting = "--webhook-url" if args.webhook_url else f"stack {args.stack}'s webhook_url"
    webhook = check_webhook_url(url, setting)
    manifest = zoom.manifest(kind or DEFAULT_KIND, webhook, style or zoom.DEFAULT_SCOPE_STYLE)
    text = json.dumps(manifest, indent=2) + "\n"
    if args.output:
        try:
            # Replaced whole, and never through a link planted where the file goes.
            replace_file(Path(args.output), text.encode(), mode=0o644)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(for_terminal(f"wrote the Zoom manifest fragment to {args.output}"))
    else:
        sys.stdout.write(text)


def command_settings(stack: str | None, api_url: str | None, region: str | None = None) -> Settings:
    """The provider's settings as the provider would read them: the stack's config (with
    ``--stack``) over ``RECALL_*``, and ``--api-url`` or ``--region`` over both."""

    def lookup(key: str) -> str | None:
        # Where Recall is, is one setting: an option names all of it, so that a stack's
        # recall:apiUrl cannot win over --region.
        if api_url or region:
            if key == "recall:apiUrl":
                return api_url
            if key == "recall:region":
                return region
        return stack_setting(stack, key) if stack else None

    if api_url:
        resolve_base_url(api_url=api_url, setting="--api-url")  # an error names the option
    return Settings.read(lookup)


def command_client(stack: str | None, api_url: str | None, region: str | None) -> RecallClient:
    """A client with ``command_settings``; without ``--stack`` a missing key is told the way
    a command's user sets it (no stack config to set)."""
    settings = command_settings(stack, api_url, region)
    if stack is None and not settings.api_key:
        raise RecallConfigError(
            f"the Recall API key is not set: export {SETTINGS[API_KEY].env} from your secret "
            f"store, or give --stack NAME to use that stack's {API_KEY}",
            code=ErrorCode.API_KEY_MISSING,
        )
    return settings.client()


def logs_command(args: argparse.Namespace) -> None:
    app_id = args.app_id
    if args.stack:
        app_id = app_id or stack_app(args.stack, args.app).get(APP_ID_OUTPUT)
    if not app_id:
        raise CommandError("give --app-id, or --stack to read it from a stack's outputs")
    with command_client(args.stack, args.api_url, args.region) as client:
        _get(client, app_id)  # Recall lists no logs for an app it does not have either
        entries = _redacted(
            client, list(itertools.islice(client.list_app_logs(app_id), args.limit))
        )
    if not entries:
        print(for_terminal(f"no Recall logs for app {app_id}"))
    for entry in entries:
        stamp = entry.created_at.isoformat() if entry.created_at else "-"
        print(for_terminal(f"{stamp}  {entry.message}"))


def health_command(args: argparse.Namespace) -> None:
    """Judge each app; exit 0 when every one is ok, 1 (a finding) when any is not."""
    self_checks: dict[str, datetime | None] = (
        stack_apps(args.stack) if args.stack else dict.fromkeys(args.app_id or [])
    )
    progress = _Progress(sys.stderr)
    with command_client(args.stack, args.api_url, args.region) as client, progress:
        now = datetime.now(UTC)
        since = now - LOG_WINDOW
        if args.all:
            apps = list(progress.counting(client.list_apps(), "apps listed"))
        else:
            apps = [
                _get(client, app_id)
                for app_id in progress.counting(self_checks, f"of {len(self_checks)} apps read")
            ]
        if args.all or len(apps) > _APPS_A_LOGS_CALL_EACH:
            # One listing of the workspace's logs by time, rather than one call per app.
            logs = _by_app(client.list_app_logs(since=since))
        else:
            logs = {app.id: list(client.list_app_logs(app.id, since=since)) for app in apps}
        verdicts = [
            judge(app, _redacted(client, logs.get(app.id, [])), now, self_checks.get(app.id),
                  webhook_url=client.webhook_url(app.id))
            for app in apps
        ]  # fmt: skip
    if args.json:
        print(json.dumps([v.as_json() for v in verdicts], indent=2))
    else:
        _table(verdicts, sys.stdout)
    if any(v.status is not Status.OK for v in verdicts):
        sys.exit(ExitStatus.FINDING)


def _get(client: RecallClient, app_id: str) -> ZoomOAuthApp:
    try:
        return client.get_app(app_id)
    except RecallNotFoundError:
        raise CommandError(
            f"Recall has no app {app_id} (in this workspace and region); check the id, the API "
            "key and recall:region or RECALL_REGION"
        ) from None


def _by_app(entries: Iterable[ZoomOAuthAppLog]) -> dict[str, list[ZoomOAuthAppLog]]:
    grouped: dict[str, list[ZoomOAuthAppLog]] = defaultdict(list)
    for entry in entries:
        grouped[entry.oauth_app].append(entry)
    return grouped


def _redacted(client: RecallClient, entries: list[ZoomOAuthAppLog]) -> list[ZoomOAuthAppLog]:
    # Recall's messages may quote what it was sent; no secret the client knows is shown. Every
    # command that shows them reads them through here, after the apps (whose secrets Recall
    # may show) were read.
    return [e.model_copy(update={"message": client.redact(e.message)}) for e in entries]


NO_COLOR = "NO_COLOR"
"""Set (https://no-color.org): the health table has no colour."""
_COLOURS = {Status.OK: "32", Status.UNVALIDATED: "33", Status.STALE: "33", Status.ERRORS: "31"}


def _table(verdicts: list[Verdict], out: TextIO) -> None:
    """An aligned table, a line of what to do under each app that is not ok; colour only on
    a terminal (and not with NO_COLOR set)."""
    colour = out.isatty() and not os.environ.get(NO_COLOR)
    rows: list[tuple[str, ...]] = [
        ("STATUS", "APP ID", "CLIENT ID", "KIND", "LAST VALIDATION", "REASON")
    ]
    for v in verdicts:
        stamp = iso(v.app.webhook_last_validation) or "never"
        shown = (v.status.value, v.app.id, v.app.client_id, v.app.kind, str(stamp), v.reason)
        # Escaped before the widths are measured, so that the columns hold.
        rows.append(tuple(for_terminal(cell) for cell in shown))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        if index and colour:
            code = _COLOURS[verdicts[index - 1].status]
            cells[0] = f"\033[{code}m{cells[0]}\033[0m"
        out.write("  ".join([*cells, row[5]]).rstrip() + "\n")
        if index and verdicts[index - 1].action:
            out.write(f"{' ' * (widths[0] + 2)}-> {for_terminal(verdicts[index - 1].action)}\n")
    if not verdicts:
        out.write("no apps\n")


# Up to this many apps, their logs cost a call each; beyond, one listing of the workspace's
# logs of the last day (lists have the smaller of Recall's limits: LIST_REQUESTS_PER_MINUTE).
_APPS_A_LOGS_CALL_EACH = 5


class _Progress:
    """A progress line on a terminal, once a check has taken more than a few seconds; cleared
    when the check ends, whichever way."""

    _AFTER = 3.0

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._started = time.monotonic()
        self._shown = False

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()

    def counting(self, items: Iterable[Any], what: str) -> Iterable[Any]:
        """``items``, showing how many have gone by."""
        for count, item in enumerate(items, 1):
            if self._out.isatty() and time.monotonic() - self._started > self._AFTER:
                self._out.write(f"\rhealth: {count} {what}")
                self._out.flush()
                self._shown = True
            yield item

    def done(self) -> None:
        """Clear the line."""
        if self._shown:
            self._out.write("\r\033[K")
            self._out.flush()


_EXAMPLES = """\
    %(prog)s manifest --stack prod --output zoom-manifest.json
    %(prog)s manifest --kind user_level --webhook-url URL
    %(prog)s logs --stack prod [--app acme] [--limit 20]
    %(prog)s logs --app-id ID        # key and region from RECALL_* variables
    %(prog)s health --stack prod [--json]
    %(prog)s health --all            # every app of the workspace"""
_APP_HELP = "with --stack: the app's name in recall-zoom:apps"
_PULUMI_READS = (
    "the Pulumi CLI reads its own (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE or "
    "PULUMI_CONFIG_PASSPHRASE_FILE, PULUMI_ACCESS_TOKEN)"
)
_LOCATION_WINS = "wins over the stack's and the environment's region and URL"


def _description(servers: Mapping[str, str]) -> str:
    """The commands' help: what they do, an example of each (``%(prog)s``: how the user ran
    them), where their values come from; ``servers``: the serving commands beside them."""
    served = (
        f"; and, where their extras are installed, {' and '.join(servers)} (each one's --help "
        "says what it serves)"
        if servers
        else ""
    )
    examples = "\n".join((_EXAMPLES, *(f"    %(prog)s {name} --help" for name in servers)))
    return "\n\n".join(
        (
            paragraph(
                "Commands around a stack's apps: the Zoom manifest fragment, Recall's logs of "
                f"an app, and whether Zoom is wired to each app{served}."
            ),
            examples,
            paragraph(
                "With --stack, values come from `pulumi stack output` and `pulumi config get` "
                "of that stack, so the Pulumi CLI must be on PATH. The Recall settings are read "
                "as the provider reads them: the stack's recall:* settings win over the "
                "RECALL_* environment variables, which fill in what the stack does not set; "
                "--region or --api-url win over both. Each command's --help names its options "
                "and the environment variables it reads."
            ),
        )
    )


def _recall_environment() -> dict[str, str]:
    """What the commands that call Recall read from the environment: the provider's settings
    (which a stack's config, with --stack, overrides), and where the pacing is shared."""
    read = {f"{s.env} ({key})": s.description for key, s in SETTINGS.items()}
    read[CACHE_DIR_ENV] = (
        "the folder of the pacing windows that processes on this machine share (default: the "
        "user's cache folder)."
    )
    return read


def _add_location(command: argparse.ArgumentParser) -> None:
    """--api-url and --region: where Recall is, one or the other."""
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--region",
        choices=tuple(REGION_URLS),
        metavar="REGION",
        help=f"Recall region, one of {', '.join(REGION_URLS)}; {_LOCATION_WINS} (default: "
        f"theirs, else {DEFAULT_REGION})",
    )
    where.add_argument(
        "--api-url",
        metavar="URL",
        help=f"Recall's base URL (the emulator, a proxy); {_LOCATION_WINS}",
    )


def _epilog(*sections: str) -> str:
    return "\n\n".join(sections)


def build_parser(prog: str = PROG, passthrough: Mapping[str, str] | None = None) -> OneLineParser:
    """The commands' parser, naming itself ``prog``; ``passthrough``: further commands (name:
    help) whose arguments are theirs to parse, left over by ``parse_known_args``."""
    parser = OneLineParser(
        prog=prog,
        description=_description(passthrough or {}),
        epilog=paragraph(
            exit_statuses(
                "all well", "the command could not run", "a finding (an app that is not ok)"
            )
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    manifest = commands.add_parser(
        "manifest",
        help="write the Zoom app manifest fragment",
        description="Write the Zoom app manifest fragment of an app: its scopes, event "
        "subscription and webhook URL.",
        epilog=_epilog(
            environment_help({}, f"None of its own; with --stack, {_PULUMI_READS}."),
            paragraph(
                exit_statuses(
                    "written",
                    "it could not be made (bad arguments, the stack cannot be read, "
                    "the file cannot be written)",
                )
            ),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    manifest.add_argument("--stack", help="read the webhook URL and kind from this stack")
    manifest.add_argument("--app", help=_APP_HELP)
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
        help=f"{' or '.join(zoom.SCOPES)} (default: the stack's, else {zoom.DEFAULT_SCOPE_STYLE})",
    )
    manifest.add_argument("--output", "-o", help="file to write (default: standard output)")
    manifest.set_defaults(run=manifest_command, command_parser=manifest)
    recall_environment = environment_help(
        _recall_environment(),
        f"With --stack, the stack's recall:* settings win over these, and {_PULUMI_READS}.",
    )
    logs = commands.add_parser(
        "logs",
        help="print Recall's recent logs of an app",
        description="Print Recall's recent warnings and errors about an app, newest first.",
        epilog=_epilog(
            recall_environment,
            paragraph(
                exit_statuses(
                    "printed (no entries is no error)",
                    "it could not run (bad arguments, no key, an app id Recall does not have, "
                    "Recall unreachable or failing)",
                )
            ),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    logs.add_argument("--stack", help="read the app id and Recall settings from this stack")
    logs.add_argument("--app", help=_APP_HELP)
    logs.add_argument("--app-id", help="the Recall app id")
    _add_location(logs)
    logs.add_argument(
        "--limit",
        type=at_least_one,
        default=20,
        help="newest entries to print (default %(default)s)",
    )
    logs.set_defaults(run=logs_command, command_parser=logs)
    health = commands.add_parser(
        "health",
        help="judge whether Zoom is wired to each app (exit 0 all well, 1 a finding, 2 could "
        "not run)",
        description=paragraph(
            "One verdict per app, from Recall's data: ok, unvalidated, stale or errors."
        ),
        epilog=_epilog(
            environment_help(
                {**_recall_environment(), NO_COLOR: "when set, the table has no colour."},
                f"With --stack, the stack's recall:* settings win over the RECALL_* ones, and "
                f"{_PULUMI_READS}.",
            ),
            paragraph(
                exit_statuses(
                    "every app ok",
                    "the check could not run (bad arguments, no key, an app id Recall does not "
                    "have, Recall unreachable or failing)",
                    "any app not ok",
                )
            ),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = health.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="the apps of this stack (its outputs and settings)")
    which.add_argument(
        "--app-id", action="append", metavar="ID", help="a Recall app id (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="every app of the workspace")
    health.add_argument("--json", action="store_true", help="print a JSON list, one per app")
    _add_location(health)
    health.set_defaults(run=health_command, command_parser=health)
    for name, said in (passthrough or {}).items():
        # Its own parser reads its arguments, --help included.
        commands.add_parser(name, help=said, add_help=False)
    return parser


def parse(
    parser: argparse.ArgumentParser, argv: list[str] | None, passthrough: Collection[str] = ()
) -> tuple[argparse.Namespace, list[str]]:
    """``argv`` parsed, and what is left for a ``passthrough`` command to parse; anything left
    for another command is a usage error of that command's."""
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in passthrough:
        args.command_parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args, rest


def run(args: argparse.Namespace) -> None:
    """Run the parsed command; a failure is one line on stderr and exit status 2."""
    try:
        args.run(args)
    except (CommandError, RecallError) as exc:
        # Recall's words and Pulumi's may be in it.
        print(for_terminal(f"error: {exc}"), file=sys.stderr)
        sys.exit(ExitStatus.CANNOT_RUN)
    except KeyboardInterrupt:
        # The shell's convention for a command stopped by Ctrl-C.
        sys.exit(130)


def main(argv: list[str] | None = None, prog: str = PROG) -> None:
    """Parse the command line and run one command: exit 0 all well, 1 a finding (an app not
    ok), 2 the command could not run."""
    run(parse(build_parser(prog), argv)[0])


if __name__ == "__main__":
    main()
