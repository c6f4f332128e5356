"""The forwarder's command: the app under waitress, with limits fit for a public endpoint."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from recall_provider.client.urls import shown_url
from recall_provider.commandline import OneLineParser, at_least_one, environment_help, paragraph
from recall_provider.exit_status import ExitStatus, exit_statuses
from recall_provider.forwarder.endpoint import MAX_BODY, PATH
from recall_provider.forwarder.hooks import HOOK_QUEUE, STOP_GRACE

if TYPE_CHECKING:
    from recall_provider.forwarder.app import Forwarder

if sys.platform != "win32":
    import resource

__all__ = ["EVENTS_LOST", "PROG", "SECRET_ENV", "main"]

log = logging.getLogger("recall_provider.forwarder")

# waitress's defaults (100 connections, 120 s idle) let 100 silent sockets lock Zoom out; an
# honest client sends its request at once, so a few idle seconds is plenty.
CONNECTION_LIMIT = 1000
IDLE_TIMEOUT = 5
THREADS = 8
# Descriptors besides the connections: listening sockets, waitress's wake-up pipes, a
# connection to Recall per thread, and whatever a hook opens.
FD_HEADROOM = 64
PROG = "python -m recall_provider.forwarder"
"""How this module names itself in its usage lines; ``recall-zoom forwarder`` and
scripts/forwarder.py pass their own."""
SECRET_ENV = "ZOOM_WEBHOOK_SECRET"  # noqa: S105 - a variable's name, not a secret
"""The Zoom app's Secret Token: set, signatures are verified before anything is forwarded."""
# The exit status of a stop after which some verified event, acknowledged to Zoom (which will
# not send it again), did not go through the hook: a finding, in the rule of every command.
EVENTS_LOST = ExitStatus.FINDING
EXIT_STATUSES = exit_statuses(
    "stopped by SIGTERM or SIGINT, every verified event through the hook",
    "it could not start (bad usage or setup, waitress not installed, the port cannot be bound)",
    "stopped, but verified events did not go through the hook (the last log line counts them)",
)


def _reserve_file_descriptors(needed: int) -> None:
    """Raise the soft open-files limit to ``needed``; ValueError if the hard limit is lower."""
    if sys.platform == "win32":
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise ValueError(
            f"--connection-limit needs about {needed} open files, but this process may open "
            f"only {hard} (ulimit -Hn): lower --connection-limit or raise the limit"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def main(argv: list[str] | None = None, prog: str = PROG) -> None:
    """Run the forwarder under waitress until SIGINT or SIGTERM; usage lines name ``prog``."""
    parser = OneLineParser(
        prog=prog,
        description=paragraph(
            "Receive Zoom webhooks on POST /zoom/webhook and forward them unchanged to a Recall "
            f"app's webhook URL. Set {SECRET_ENV} (the Zoom app's Secret Token) to verify "
            "x-zm-signature first."
        ),
        epilog=environment_help(
            {
                SECRET_ENV: "the Zoom app's Secret Token: set, each webhook's signature is "
                "verified before it is forwarded; not set, none is, and --hook is refused."
            }
        )
        + "\n\n"
        + paragraph(EXIT_STATUSES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--target", required=True, help="the app's Recall webhook URL")
    parser.add_argument("--hook", help="package.module:function to call with each verified event")
    parser.add_argument(
        "--max-body-bytes",
        type=at_least_one,
        default=MAX_BODY,
        metavar="N",
        help="largest body taken; a larger declared Content-Length is answered 413 before the "
        f"body is read (default {MAX_BODY})",
    )
    parser.add_argument(
        "--connection-limit",
        type=at_least_one,
        default=CONNECTION_LIMIT,
        metavar="N",
        help="most client connections open at once; further ones wait in the listen backlog "
        f"(default {CONNECTION_LIMIT})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=at_least_one,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close a connection after this many whole seconds with nothing received or sent, "
        f"unless one of its requests is being handled (default {IDLE_TIMEOUT})",
    )
    parser.add_argument(
        "--threads",
        type=at_least_one,
        default=THREADS,
        metavar="N",
        help=f"waitress worker threads (default {THREADS})",
    )
    parser.add_argument(
        "--hook-queue",
        type=at_least_one,
        default=HOOK_QUEUE,
        metavar="N",
        help="most verified events waiting for the hook; one that arrives when they are this "
        f"many is not given to the hook, and is logged with a count (default {HOOK_QUEUE})",
    )
    parser.add_argument(
        "--stop-grace",
        type=at_least_one,
        default=STOP_GRACE,
        metavar="SECONDS",
        help="on SIGTERM or SIGINT, how long the hook may take over its queued and running "
        "events before the forwarder exits without them; a second signal exits at once "
        f"(default {STOP_GRACE})",
    )
    args = parser.parse_args(argv)
    try:
        # Only now: --help and usage errors need neither.
        import waitress  # noqa: PLC0415

        from recall_provider.forwarder.app import Forwarder, load_hook  # noqa: PLC0415
    except ImportError as exc:
        parser.exit(
            ExitStatus.CANNOT_RUN,
            f"error: the forwarder needs {exc.name or 'its server'}, which is not installed "
            "here: pip install 'recall-zoom[forwarder]' (or run python3 scripts/forwarder.py "
            "from the repository)\n",
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    secret = os.environ.get(SECRET_ENV) or None
    try:
        _reserve_file_descriptors(args.connection_limit + args.threads + FD_HEADROOM)
        app = Forwarder(
            args.target,
            secret=secret,
            hook=load_hook(args.hook) if args.hook else None,
            max_body=args.max_body_bytes,
            hook_queue=args.hook_queue,
        )
    except (ValueError, ImportError, AttributeError) as exc:
        parser.exit(ExitStatus.CANNOT_RUN, f"error: {exc}\n")
    socket_map: dict[int, Any] = {}
    try:
        server = waitress.create_server(
            app,
            map=socket_map,
            host=args.host,
            port=args.port,
            threads=args.threads,
            connection_limit=args.connection_limit,
            channel_timeout=args.idle_timeout,
            # Idle connections are closed only when waitress looks for them; look every second.
            cleanup_interval=1,
            # waitress refuses a body of max_request_body_size bytes or more, right after the
            # headers; the forwarder takes up to max_body bytes inclusive.
            max_request_body_size=args.max_body_bytes + 1,
            # select() cannot watch descriptors past 1024; a thousand connections get there.
            asyncore_use_poll=True,
        )
    except (OSError, ValueError) as exc:
        app.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        parser.exit(
            ExitStatus.CANNOT_RUN, f"error: cannot listen on {args.host}:{args.port}: {reason}\n"
        )
    # waitress counts its own listening sockets and wake-up pipes against the limit; add them
    # so that --connection-limit counts client connections.
    server.adj.connection_limit = args.connection_limit + len(socket_map)
    # Several addresses (a name with IPv4 and IPv6) make a server without effective_port.
    port = getattr(server, "effective_port", None) or server.effective_listen[0][1]
    check = "on" if secret else f"off ({SECRET_ENV} not set)"
    banner = (
        f"Zoom webhook forwarder listening on http://{args.host}:{port}{PATH}, "
        f"forwarding to {shown_url(args.target)}; signature check {check}"
    )
    _serve(server, app, banner, _Stop(args.stop_grace))


def _serve(server: Any, app: Forwarder, banner: str, stop: _Stop) -> NoReturn:
    """Serve until a signal, then stop within its grace; exit with what happened."""
    try:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(banner, flush=True)
        # The first signal's KeyboardInterrupt, if it comes before waitress's loop; in it,
        # waitress takes it and waits for the deliveries being handled, so that Zoom gets
        # their answers: at most 5 s (its own limit), which Recall's timeout makes shorter.
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        server.close()
        # No deadline if waitress's loop ended by itself (it does not, short of a signal).
        deadline = stop.deadline if stop.deadline is not None else time.monotonic() + stop.grace
        report = app.close(deadline)
    except KeyboardInterrupt:
        # A second signal: whatever the hook has not done by now, it will not do.
        report = app.close(time.monotonic())
    if report.complete:
        log.info("stopped")
        _exit(ExitStatus.OK, abandoned=False)
    log.error("stopped: %s", report.summary())
    _exit(EVENTS_LOST, abandoned=report.abandoned > 0)


class _Stop:
    """The SIGTERM and SIGINT handler: the first signal starts the stop, with ``grace`` seconds
    for the work in hand; the second ends the waiting."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.deadline: float | None = None
        self.signals = 0

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals == 1:
            self.deadline = time.monotonic() + self.grace
            log.info(
                "stopping on %s: up to %g s for the work in hand (a second signal stops at once)",
                name,
                self.grace,
            )
            raise KeyboardInterrupt
        if self.signals == 2:
            # The deadline too: this exception may land where the first one is caught.
            self.deadline = time.monotonic()
            log.warning("stopping at once on a second signal (%s)", name)
            raise KeyboardInterrupt
        # Later ones are ignored: the stop is already under way, and an exception raised in the
        # middle of it would end it with a traceback. SIGKILL remains.


def _exit(status: int, *, abandoned: bool) -> NoReturn:
    """End the process with ``status``, even where a hook's call or threads still run."""
    user_threads = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.current_thread() and not thread.daemon and thread.is_alive()
    ]
    if abandoned or user_threads:
        # The interpreter's exit would wait for a hook's own threads, and its exit handlers may
        # need what an abandoned call holds; only _exit is sure to end the process now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
