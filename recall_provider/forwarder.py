"""Forward Zoom's webhooks, unchanged, from your own endpoint to the app's Recall webhook URL.

For setups where your server must see Zoom's webhooks too (Recall's guide: put your endpoint in
Zoom, forward every webhook to Recall with ``x-zm-request-timestamp`` and ``x-zm-signature``,
never modify the body). Recall's answer is relayed, so Zoom's URL validation passes through
within its 3 seconds.

    ZOOM_WEBHOOK_SECRET=... python -m recall_provider.forwarder --port 8080 --target URL

Served by waitress. With ``ZOOM_WEBHOOK_SECRET`` set, the signature and the timestamp (against
replay) are checked before anything is forwarded, and a ``--hook module:function`` receives
each verified event.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from recall_provider import zoom

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["Forwarder", "ZoomEvent", "main"]

log = logging.getLogger("recall_provider.forwarder")

PATH = "/zoom/webhook"
MAX_BODY = 1024 * 1024
# Zoom waits 3 s for an answer; the relay must fit in that with room for our own work.
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.5
FORWARDED_HEADERS = ("Content-Type", "User-Agent")


@dataclass(frozen=True)
class ZoomEvent:
    """A verified Zoom webhook, as handed to the user's hook."""

    event: str
    """The event type, e.g. ``meeting.created``."""
    payload: dict[str, Any]
    """The event's ``payload`` object."""
    body: bytes
    """The raw body exactly as Zoom sent it."""
    headers: dict[str, str]
    """Zoom's ``x-zm-*`` headers."""


Hook = Callable[[ZoomEvent], None]


class Forwarder:
    """A WSGI app: ``POST /zoom/webhook`` in, the same bytes out to Recall, Recall's answer back."""

    def __init__(
        self,
        target: str,
        *,
        secret: str | None = None,
        hook: Hook | None = None,
        max_body: int = MAX_BODY,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        tolerance: float = zoom.DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--target must be an http(s) URL, got {target!r}")
        if hook is not None and not secret:
            raise ValueError("a hook only receives verified events: set ZOOM_WEBHOOK_SECRET")
        self.target = target
        self.secret = secret
        self.hook = hook
        self.max_body = max_body
        self.timeout = timeout
        self.tolerance = tolerance
        self.clock = clock
        self._local = threading.local()
        self._hooks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="zoom-hook")
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_body
        response = self._handle(request)
        return response(environ, start_response)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for the hooks still running (for tests and shutdown)."""
        with self._pending_lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def close(self) -> None:
        """Stop accepting hook work and wait for what runs."""
        self._hooks.shutdown(wait=True)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _handle(self, request: Request) -> Response:
        accepted = self._accept(request)
        if isinstance(accepted, Response):
            return accepted
        forwarded = {k: v for k, v in request.headers.items() if k.lower().startswith("x-zm-")}
        forwarded.update({k: request.headers[k] for k in FORWARDED_HEADERS if k in request.headers})
        answer = self._forward(accepted, forwarded)
        if isinstance(answer, Response):
            return answer
        if self.secret is not None and self.hook is not None and answer.status_code < 300:
            self._run_hook(accepted, forwarded)
        return Response(
            answer.content,
            status=answer.status_code,
            content_type=answer.headers.get("Content-Type", "application/json"),
        )

    def _accept(self, request: Request) -> bytes | Response:
        """The raw body of an acceptable webhook, or the answer that refuses it."""
        if request.path != PATH:
            return _json(404, {"error": f"not found; Zoom webhooks go to POST {PATH}"})
        if request.method != "POST":
            return _json(405, {"error": "only POST"}, {"Allow": "POST"})
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _json(413, {"error": f"body larger than {self.max_body} bytes"})
        timestamp = request.headers.get(zoom.TIMESTAMP_HEADER)
        signature = request.headers.get(zoom.SIGNATURE_HEADER)
        if self.secret is not None and not zoom.verify(
            self.secret, timestamp, body, signature, now=self.clock(), tolerance=self.tolerance
        ):
            log.warning("rejected a webhook: bad or stale x-zm-signature")
            return _json(401, {"error": "invalid or stale x-zm-signature"})
        return body

    def _forward(self, body: bytes, headers: dict[str, str]) -> requests.Response | Response:
        """Recall's answer to the unchanged body, or a 5xx that makes Zoom retry later."""
        try:
            answer = self._session().post(
                self.target, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            log.error("Recall did not answer within %.1f s", self.timeout[1])
            return _json(504, {"error": "Recall did not answer in time"})
        except requests.RequestException as exc:
            log.error("could not reach Recall: %s", type(exc).__name__)
            return _json(502, {"error": "could not reach Recall"})
        log.info("forwarded a webhook: Recall answered %s", answer.status_code)
        if answer.status_code >= 500:
            # Zoom retries only on 5xx; keep it a 5xx so the event is not lost.
            return _json(502, {"error": f"Recall answered {answer.status_code}"})
        return answer

    def _run_hook(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict) or data.get("event") == zoom.URL_VALIDATION:
            return
        payload = data.get("payload")
        event = ZoomEvent(
            event=str(data.get("event", "")),
            payload=payload if isinstance(payload, dict) else {},
            body=body,
            headers={k: v for k, v in headers.items() if k.lower().startswith("x-zm-")},
        )
        future = self._hooks.submit(self._call_hook, event)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _call_hook(self, event: ZoomEvent) -> None:
        assert self.hook is not None
        try:
            self.hook(event)
        except Exception:  # the user's code must not take the forwarder down
            log.exception("the hook failed on a %s event", event.event)

    def _forget(self, future: Future[None]) -> None:
        with self._pending_lock:
            self._pending.discard(future)


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def load_hook(spec: str) -> Hook:
    """Import ``package.module:function``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"--hook must look like package.module:function, got {spec!r}")
    hook = getattr(importlib.import_module(module_name), attr)
    if not callable(hook):
        raise ValueError(f"--hook {spec} is not callable")
    return hook  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    """Run the forwarder under waitress until SIGINT or SIGTERM."""
    import waitress  # noqa: PLC0415 - only the command needs the server

    parser = argparse.ArgumentParser(
        prog="python -m recall_provider.forwarder",
        description="Receive Zoom webhooks on POST /zoom/webhook and forward them unchanged to "
        "a Recall app's webhook URL. Set ZOOM_WEBHOOK_SECRET (the Zoom app's Secret Token) to "
        "verify x-zm-signature first.",
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--target", required=True, help="the app's Recall webhook URL")
    parser.add_argument("--hook", help="package.module:function to call with each verified event")
    parser.add_argument("--max-body-bytes", type=int, default=MAX_BODY, help="largest body taken")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    secret = os.environ.get("ZOOM_WEBHOOK_SECRET") or None
    try:
        app = Forwarder(
            args.target,
            secret=secret,
            hook=load_hook(args.hook) if args.hook else None,
            max_body=args.max_body_bytes,
        )
    except (ValueError, ImportError, AttributeError) as exc:
        parser.exit(2, f"error: {exc}\n")
    server = waitress.create_server(app, host=args.host, port=args.port, threads=args.threads)
    check = "on" if secret else "off (ZOOM_WEBHOOK_SECRET not set)"
    print(
        f"Zoom webhook forwarder listening on http://{args.host}:{server.effective_port}{PATH}, "
        f"forwarding to {args.target}; signature check {check}",
        flush=True,
    )
    # SIGTERM stops it like Ctrl-C: the exception leaves waitress's loop in this thread.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
