"""Command line: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import shutil
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import get_args

from recall_provider.exit_status import ExitStatus, exit_statuses
from recall_provider.limits import MINUTE

from .backend import DEFAULT_PAGE_SIZE, DEFAULT_SECRETS_MODE, MASK, Backend, SecretsMode
from .errors import StateFileError
from .throttle import ALGORITHMS, RateLimits

PROG = "python -m recall_provider.emulator"
"""How this module names itself in its usage lines; ``recall-zoom emulator`` and
scripts/emulator.py pass their own."""
EXIT_STATUSES = exit_statuses(
    "stopped by SIGINT or SIGTERM",
    "it could not start (bad usage, a state file it cannot use, werkzeug not installed, the "
    "port cannot be bound)",
)


def _filled(*paragraphs: str) -> str:
    # argparse's own width, as the options above are wrapped.
    width = max(shutil.get_terminal_size().columns - 2, 40)
    return "\n\n".join(textwrap.fill(text, width) for text in paragraphs)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The CLI's argument parser, naming itself ``prog``."""
    defaults = RateLimits()
    parser = argparse.ArgumentParser(
        prog=prog,
        description=_filled(
            "Serve a local emulator of the Recall.ai zoom-oauth-apps API (/api/v2/...) plus "
            "test controls under /_emulator/. Runs until SIGINT or SIGTERM."
        ),
        epilog=_filled("environment: none read.", EXIT_STATUSES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default %(default)s); the emulator serves secrets, keep it local",
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="JSON file keeping apps and logs across restarts (default: memory only)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help="items per list page (default %(default)s)",
    )
    parser.add_argument(
        "--secrets-in-responses",
        choices=get_args(SecretsMode),
        default=DEFAULT_SECRETS_MODE,
        help=f"show app secrets in responses as given, as {MASK} or not at all "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds every API answer takes, as a distant server's would (default %(default)g)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this API key (repeatable; default: any non-empty key)",
    )
    limits = parser.add_argument_group(
        "rate limits",
        "Recall's per-minute limits per API key, CRUD and lists apart; off unless --rate-limit "
        "or a value is given",
    )
    limits.add_argument("--rate-limit", action="store_true", help="turn rate limiting on")
    limits.add_argument(
        "--per-minute",
        type=int,
        metavar="N",
        help=f"create/retrieve/update/delete per minute (default {defaults.per_minute})",
    )
    limits.add_argument(
        "--list-per-minute",
        type=int,
        metavar="N",
        help=f"list requests per minute (default {defaults.list_per_minute})",
    )
    limits.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        help="sliding: DRF's trailing-window log, as Recall throttles; bucket: a token bucket "
        f"of --burst (default {defaults.algorithm})",
    )
    limits.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help=f"the token bucket's capacity, with --algorithm bucket (default {defaults.burst})",
    )
    limits.add_argument(
        "--time-scale",
        type=float,
        metavar="X",
        help=f"Recall's minute lasts {MINUTE:g}/X real seconds (default {defaults.time_scale:g})",
    )
    return parser


def _rate_limits(args: argparse.Namespace) -> RateLimits | None:
    values = {
        name: getattr(args, name)
        for name in ("per_minute", "list_per_minute", "burst", "time_scale", "algorithm")
        if getattr(args, name) is not None
    }
    return RateLimits(**values) if args.rate_limit or values else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Run the emulator; returns the exit status: 0 stopped by a signal, 2 could not start."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        limits = _rate_limits(args)
        backend = Backend(
            args.state,
            page_size=args.page_size,
            secrets_in_responses=args.secrets_in_responses,
            api_keys=args.api_keys,
        )
    except ValueError as exc:
        parser.error(str(exc))
    except StateFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.CANNOT_RUN
    if not _is_loopback(args.host):
        print(
            f"warning: binding {args.host}, not loopback: the emulator serves app secrets "
            "to anyone who can reach it",
            file=sys.stderr,
        )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        # Only now: --help and usage errors run without the server's werkzeug.
        from .server import EmulatorServer  # noqa: PLC0415
    except ImportError as exc:
        missing = (exc.name or "its server").split(".")[0]  # the package, not its module
        print(
            f"error: the emulator needs {missing}, which is not installed "
            "here: pip install 'recall-zoom[emulator]' (or run python3 scripts/emulator.py "
            "from the repository)",
            file=sys.stderr,
        )
        return ExitStatus.CANNOT_RUN
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = EmulatorServer(backend, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return ExitStatus.CANNOT_RUN
    server.app.set_rate_limits(limits)
    try:
        server.app.latency = args.latency
    except ValueError as exc:
        server.stop()
        parser.error(str(exc))
    print(f"Recall emulator listening on {server.url}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    return ExitStatus.OK


if __name__ == "__main__":
    sys.exit(main())
