"""The forwarder's WSGI app: ``POST /zoom/webhook`` in, the same bytes out to Recall."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from recall_provider import zoom
from recall_provider.client.urls import shown_url
from recall_provider.forwarder.endpoint import MAX_BODY, PATH
from recall_provider.forwarder.hooks import (
    HOOK_QUEUE,
    STOP_GRACE,
    Hook,
    HookQueue,
    HookReport,
    ZoomEvent,
)
from recall_provider.forwarder.replay import SEEN_CAPACITY, SeenSignatures

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["MAX_BODY", "PATH", "Forwarder", "HookReport", "ZoomEvent", "load_hook"]

log = logging.getLogger("recall_provider.forwarder")

# Zoom waits 3 s for an answer; the relay must fit in that with room for our own work.
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.5
FORWARDED_HEADERS = ("Content-Type", "User-Agent")
# Recall answers a webhook with a few bytes of JSON (the URL validation's is the longest); the
# answer is held whole to be relayed, so a larger one is refused rather than buffered.
MAX_ANSWER = 64 * 1024


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
        seen_capacity: int = SEEN_CAPACITY,
        hook_queue: int = HOOK_QUEUE,
    ) -> None:
        try:
            parts = urlsplit(target)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:  # "http://[::1", a port out of range
            usable = False
        if not usable:
            # Never repeated whole: a URL may carry a password or a token.
            raise ValueError(f"--target must be an http(s) URL, got {shown_url(target)}")
        if hook is not None and not secret:
            raise ValueError("a hook only receives verified events: set ZOOM_WEBHOOK_SECRET")
        self.target = target
        self.secret = secret
        self.max_body = max_body
        self.timeout = timeout
        self.tolerance = tolerance
        self.clock = clock
        self.seen = SeenSignatures(seen_capacity)
        self._local = threading.local()
        self.hooks = HookQueue(hook, hook_queue) if hook is not None else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_body
        response = self._handle(request)
        return response(environ, start_response)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the hook has no event queued or running; TimeoutError after ``timeout``."""
        if self.hooks is not None and not self.hooks.wait_idle(timeout):
            raise TimeoutError(f"the hook was still busy after {timeout} s")

    def close(self, deadline: float | None = None) -> HookReport:
        """Give the hook no more events and until ``deadline`` (``time.monotonic()``; by default
        STOP_GRACE from now) for those it has; what the hook did not get or finish."""
        if self.hooks is None:
            return HookReport(dropped=0, left=0, abandoned=0)
        if deadline is None:
            deadline = time.monotonic() + STOP_GRACE
        return self.hooks.stop(deadline)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _handle(self, request: Request) -> Response:
        accepted = self._accept(request)
        if isinstance(accepted, Response):
            return accepted
        body, claimed = accepted
        delivered = False
        try:
            forwarded = {k: v for k, v in request.headers.items() if k.lower().startswith("x-zm-")}
            forwarded.update(
                {k: request.headers[k] for k in FORWARDED_HEADERS if k in request.headers}
            )
            answer, delivered = self._forward(body, forwarded)
        finally:
            if claimed is not None and not delivered:
                # Zoom retries what failed; its retry must not look like a replay.
                self.seen.release(claimed)
        if self.hooks is not None and delivered and answer.status_code < 300:
            self._run_hook(self.hooks, body, forwarded)
        return answer

    def _accept(self, request: Request) -> tuple[bytes, str | None] | Response:
        """The raw body of an acceptable webhook and the signature it claimed, or a refusal."""
        body = self._read(request)
        if isinstance(body, Response):
            return body
        if self.secret is None:
            return body, None
        timestamp = request.headers.get(zoom.TIMESTAMP_HEADER)
        signature = request.headers.get(zoom.SIGNATURE_HEADER)
        now = self.clock()
        if (
            timestamp is None
            or signature is None
            or not zoom.verify(
                self.secret, timestamp, body, signature, now=now, tolerance=self.tolerance
            )
        ):
            log.warning("rejected a webhook: bad or stale x-zm-signature")
            return _json(401, {"error": "invalid or stale x-zm-signature"})
        # Claimed before forwarding, so a copy sent while the first is in flight is refused too.
        if not self.seen.claim(signature, int(timestamp) + self.tolerance, now):
            log.warning("rejected a webhook: x-zm-signature already seen (a replay)")
            return _json(401, {"error": "x-zm-signature already seen"})
        return body, signature

    def _read(self, request: Request) -> bytes | Response:
        """The raw body of a ``POST /zoom/webhook`` within the size limit, or a refusal."""
        if request.path != PATH:
            return _json(404, {"error": f"not found; Zoom webhooks go to POST {PATH}"})
        if request.method != "POST":
            return _json(405, {"error": "only POST"}, {"Allow": "POST"})
        too_large = _json(413, {"error": f"body larger than {self.max_body} bytes"})
        # Judge the declared length before reading: reading is what an oversized body costs.
        if (request.content_length or 0) > self.max_body:
            return too_large
        try:
            return request.get_data(cache=False)
        except RequestEntityTooLarge:
            return too_large

    def _forward(self, body: bytes, headers: dict[str, str]) -> tuple[Response, bool]:
        """Recall's answer to the unchanged body and True, or a 5xx that makes Zoom retry later
        and False."""
        try:
            with self._session().post(
                self.target,
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            ) as answer:
                content = _read_at_most(answer, MAX_ANSWER)
        except requests.Timeout:
            log.error("Recall did not answer within %.1f s", self.timeout[1])
            return _json(504, {"error": "Recall did not answer in time"}), False
        except requests.RequestException as exc:
            log.error("could not reach Recall: %s", type(exc).__name__)
            return _json(502, {"error": "could not reach Recall"}), False
        log.info("forwarded a webhook: Recall answered %s", answer.status_code)
        if answer.status_code >= 500:
            # Zoom retries only on 5xx; keep it a 5xx so the event is not lost.
            return _json(502, {"error": f"Recall answered {answer.status_code}"}), False
        if content is None:
            log.error("Recall's answer was larger than %d bytes: not relayed", MAX_ANSWER)
            error = f"Recall's answer was larger than {MAX_ANSWER} bytes"
            return _json(502, {"error": error}), False
        relayed = Response(
            content,
            status=answer.status_code,
            content_type=answer.headers.get("Content-Type", "application/json"),
        )
        return relayed, True

    def _run_hook(self, hooks: HookQueue, body: bytes, headers: dict[str, str]) -> None:
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
        hooks.put(event)


def _read_at_most(answer: requests.Response, limit: int) -> bytes | None:
    """The answer's body, or None if it is longer than ``limit`` bytes (not read past that)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_content(chunk_size=16 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
