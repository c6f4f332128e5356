"""The Zoom webhook forwarder end to end: Zoom (this test) -> forwarder (waitress) -> emulator."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.forwarder import Forwarder, SeenSignatures, ZoomEvent
from recall_provider.forwarder.app import MAX_ANSWER
from recall_provider.forwarder.command import EVENTS_LOST
from recall_provider.forwarder.hooks import HOOK_THREADS, HookReport
from tests.helpers import make_app

SECRET = "zoom-secret-token-forwarder"
Start = Callable[..., tuple[str, Forwarder]]
# Zoom gives up on an answer after 3 s; a delivery must be answered well within it.
ZOOM_WAITS = 3.0


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/json; charset=utf-8",
    }


def validation_body(token: str = "qgg8vlvZRS6UYooatFL8Aw") -> bytes:
    # Deliberately odd spacing and key order: the bytes must reach Recall exactly as sent.
    head = '{"payload": {"plainToken": "' + token + '"},  "event_ts":1654503849680,'
    return (head + '"event":"endpoint.url_validation"}').encode()


@pytest.fixture
def app_id(fresh_emulator: EmulatorServer) -> str:
    return str(make_app(fresh_emulator, webhook_secret=SECRET)["id"])


@pytest.fixture
def start(fresh_emulator: EmulatorServer, app_id: str) -> Iterator[Start]:
    servers: list[Any] = []

    def run(**options: Any) -> tuple[str, Forwarder]:
        target = options.pop(
            "target", f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/webhook"
        )
        forwarder = Forwarder(target, **options)
        # The app in a stoppable in-process server; the command test below covers waitress.
        server = make_server("127.0.0.1", 0, forwarder, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append((server, thread, forwarder))
        return f"http://127.0.0.1:{server.port}/zoom/webhook", forwarder

    yield run
    for server, thread, forwarder in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        forwarder.close()


def test_url_validation_passes_through_byte_for_byte(
    start: Start, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    url, _ = start(secret=SECRET)
    body = validation_body()
    headers = signed(body)
    resp = requests.post(url, data=body, headers=headers, timeout=5)
    assert resp.status_code == 200
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert resp.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    (delivery,) = fresh_emulator.backend.webhook_deliveries(app_id)
    assert delivery.body == body
    assert delivery.headers["x-zm-signature"] == headers["x-zm-signature"]
    assert delivery.headers["x-zm-request-timestamp"] == headers["x-zm-request-timestamp"]
    assert delivery.accepted


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("tampered body", lambda b: (b.replace(b"qgg8", b"QGG8"), signed(b))),
        ("bad signature", lambda b: (b, signed(b, secret="not-the-secret"))),
        ("stale timestamp", lambda b: (b, signed(b, at=time.time() - 3600))),
        ("no signature", lambda b: (b, {"Content-Type": "application/json"})),
    ],
)
def test_rejected_webhooks_are_not_forwarded(
    start: Start,
    fresh_emulator: EmulatorServer,
    app_id: str,
    case: str,
    make: Callable[[bytes], tuple[bytes, dict[str, str]]],
) -> None:
    url, _ = start(secret=SECRET)
    body, headers = make(validation_body())
    resp = requests.post(url, data=body, headers=headers, timeout=5)
    assert resp.status_code == 401, case
    assert fresh_emulator.backend.webhook_deliveries(app_id) == []


def test_without_a_secret_recall_is_the_judge(
    start: Start, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    url, _ = start()
    body = validation_body()
    bad = requests.post(url, data=body, headers=signed(body, secret="wrong-secret"), timeout=5)
    assert bad.status_code == 401, "Recall's own rejection, relayed"
    good = requests.post(url, data=body, headers=signed(body), timeout=5)
    assert good.status_code == 200
    assert [d.accepted for d in fresh_emulator.backend.webhook_deliveries(app_id)] == [False, True]


def test_recall_5xx_becomes_a_5xx_so_zoom_retries(
    start: Start, fresh_emulator: EmulatorServer
) -> None:
    url, _ = start(secret=SECRET)
    fresh_emulator.app.add_fault(Fault(path="/webhook$", status=503))
    body = validation_body()
    assert requests.post(url, data=body, headers=signed(body), timeout=5).status_code == 502


def test_slow_recall_becomes_a_504_within_zoom_s_window(
    start: Start, fresh_emulator: EmulatorServer
) -> None:
    url, _ = start(secret=SECRET, timeout=(1.0, 0.3))
    fresh_emulator.app.add_fault(Fault(path="/webhook$", delay=1.0))
    body = validation_body()
    started = time.monotonic()
    resp = requests.post(url, data=body, headers=signed(body), timeout=5)
    assert resp.status_code == 504
    assert time.monotonic() - started < 1.0


def test_unreachable_recall_is_a_502_and_zoom_s_retry_is_no_replay(start: Start) -> None:
    url, _ = start(secret=SECRET, target="http://127.0.0.1:9/api/v2/zoom-oauth-apps/x/webhook")
    body = validation_body()
    headers = signed(body)
    statuses = [requests.post(url, data=body, headers=headers, timeout=5).status_code for _ in "ab"]
    assert statuses == [502, 502]


def test_oversized_bodies_are_refused(
    start: Start, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    url, _ = start(secret=SECRET, max_body=1024)
    body = b'{"event":"x","payload":{"pad":"' + b"a" * 2048 + b'"}}'
    resp = requests.post(url, data=body, headers=signed(body), timeout=5)
    assert resp.status_code == 413
    assert fresh_emulator.backend.webhook_deliveries(app_id) == []


def test_a_declared_oversize_is_refused_without_reading_the_body() -> None:
    class Unreadable(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise AssertionError("the body was read")

    forwarder = Forwarder("http://127.0.0.1:9/x", secret=SECRET, max_body=1024)
    body = validation_body()
    environ = EnvironBuilder(
        path="/zoom/webhook", method="POST", data=body, headers=list(signed(body).items())
    ).get_environ()
    environ["CONTENT_LENGTH"] = str(10**9)
    environ["wsgi.input"] = Unreadable()
    try:
        _, status, _ = run_wsgi_app(forwarder, environ, buffered=True)
    finally:
        forwarder.close()
    assert status.startswith("413")


def test_wrong_path_and_method(start: Start) -> None:
    url, _ = start(secret=SECRET)
    assert (
        requests.post(url.replace("/zoom/webhook", "/other"), data=b"{}", timeout=5).status_code
        == 404
    )
    assert requests.get(url, timeout=5).status_code == 405


def test_the_hook_gets_each_verified_event_and_nothing_else(start: Start) -> None:
    seen: list[ZoomEvent] = []
    url, forwarder = start(secret=SECRET, hook=seen.append)
    event = b'{"event":"meeting.created","payload":{"object":{"id":42}},"event_ts":1}'
    assert requests.post(url, data=event, headers=signed(event), timeout=5).status_code == 200
    validation = validation_body()
    requests.post(url, data=validation, headers=signed(validation), timeout=5)
    requests.post(url, data=event, headers=signed(event, secret="bad"), timeout=5)
    forwarder.drain()
    assert [(e.event, e.payload, e.body) for e in seen] == [
        ("meeting.created", {"object": {"id": 42}}, event)
    ]


def test_a_failing_hook_does_not_fail_the_webhook(start: Start) -> None:
    def explode(_: ZoomEvent) -> None:
        raise RuntimeError("user code broke")

    url, forwarder = start(secret=SECRET, hook=explode)
    event = b'{"event":"user.updated","payload":{}}'
    assert requests.post(url, data=event, headers=signed(event), timeout=5).status_code == 200
    forwarder.drain()


def zoom_event(n: int) -> bytes:
    """A distinct event (its own signature), numbered in its payload."""
    return b'{"event":"meeting.created","payload":{"object":{"id":%d}}}' % n


class BlockingHook:
    """A hook whose calls block until released, counting the calls that began."""

    def __init__(self) -> None:
        self.got: list[int] = []
        self.entered = threading.Semaphore(0)
        self.released = threading.Event()

    def __call__(self, event: ZoomEvent) -> None:
        self.got.append(event.payload["object"]["id"])
        self.entered.release()
        self.released.wait(timeout=60)

    def deliver(self, url: str, count: int) -> None:
        """``count`` events, each acknowledged; the first calls have begun before more come."""
        for n in range(1, count + 1):
            body = zoom_event(n)
            resp = requests.post(url, data=body, headers=signed(body), timeout=5)
            assert resp.status_code == 200, "Zoom's delivery is acknowledged, hook or not"
            if n <= HOOK_THREADS:
                assert self.entered.acquire(timeout=10), "the hook was not called"


def drop_counts(messages: str) -> list[int]:
    return [int(n) for n in re.findall(r"\((\d+) dropped so far\)", messages)]


def test_a_blocked_hook_holds_at_most_its_queue_and_counts_what_it_drops(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hook = BlockingHook()
    url, forwarder = start(secret=SECRET, hook=hook, hook_queue=3)
    try:
        hook.deliver(url, HOOK_THREADS + 3 + 2)
    finally:
        hook.released.set()
    forwarder.drain()
    assert sorted(hook.got) == list(range(1, HOOK_THREADS + 3 + 1)), "the running and the queued"
    drops = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert drops == [
        f"hook queue full (--hook-queue 3): dropped a 'meeting.created' event ({n} dropped so far)"
        for n in (1, 2)
    ]
    assert forwarder.close() == HookReport(dropped=2, left=0, abandoned=0)


def test_a_stop_gives_up_on_a_blocked_hook_at_its_deadline(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hook = BlockingHook()
    url, forwarder = start(secret=SECRET, hook=hook, hook_queue=2)
    reports: list[HookReport] = []
    try:
        hook.deliver(url, HOOK_THREADS + 2 + 1)
        stopping = threading.Thread(
            target=lambda: reports.append(forwarder.close(time.monotonic() + 0.1))
        )
        stopping.start()
        stopping.join(timeout=10)
        assert not stopping.is_alive(), "the stop waited for the hook past its deadline"
        late = zoom_event(99)
        resp = requests.post(url, data=late, headers=signed(late), timeout=5)
        assert resp.status_code == 200, "still relayed to Recall, only not given to the hook"
    finally:
        hook.released.set()
    (report,) = reports
    assert report == HookReport(dropped=1, left=2, abandoned=HOOK_THREADS)
    assert not report.complete
    assert report.summary() == (
        "verified events that did not go through the hook: 5 (1 dropped, the queue full or "
        "the stop begun; 2 left queued at the stop; 2 in calls abandoned while still running)"
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "stopping: dropped a 'meeting.created' event instead of queueing it" in text
    assert drop_counts(text) == [1, 2]
    assert sorted(hook.got) == [1, 2], "what was queued at the stop never reaches the hook"


@pytest.fixture
def sized_recall() -> Iterator[str]:
    """A Recall whose answer to ``POST /N`` is N bytes, streamed without a Content-Length."""

    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        size = int(environ["PATH_INFO"].strip("/"))
        start_response("200 OK", [("Content-Type", "application/json")])
        chunk = b"x" * 65536
        while size > 0:
            yield chunk[:size]
            size -= len(chunk)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_recall_s_answer_is_relayed_up_to_its_bound_and_never_buffered_beyond(
    start: Start, sized_recall: str
) -> None:
    def status(size: int) -> int:
        url, _ = start(secret=SECRET, target=f"{sized_recall}/{size}")
        body = validation_body()
        return requests.post(url, data=body, headers=signed(body), timeout=5).status_code

    assert status(MAX_ANSWER) == 200
    assert status(MAX_ANSWER + 1) == 502
    assert status(64 * 1024 * 1024) == 502, "refused once past the bound, not read to the end"


def test_a_hook_needs_the_secret() -> None:
    with pytest.raises(ValueError, match="ZOOM_WEBHOOK_SECRET"):
        Forwarder("http://127.0.0.1:1/x", hook=print)


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> bool:
    return not any(r.exc_info or "Traceback" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "hostile",
    [
        # WSGI decodes header bytes as latin-1: b"\xb2" arrives as "²", which isdigit() takes.
        pytest.param((b"17\xb9\xb2\xb3", None), id="superscript digits"),
        pytest.param((b"1" * 5000, None), id="5000 digits"),
        pytest.param((None, b"v0=" + b"\xe9" * 64), id="non-ASCII signature"),
        pytest.param((None, "v0=🔑".encode()), id="UTF-8 in the signature"),
        pytest.param((b"\xb2", b"v0=\xff"), id="non-ASCII both"),
    ],
)
def test_hostile_signature_headers_are_a_401_without_a_traceback(
    start: Start,
    fresh_emulator: EmulatorServer,
    app_id: str,
    caplog: pytest.LogCaptureFixture,
    hostile: tuple[bytes | None, bytes | None],
) -> None:
    caplog.set_level(logging.DEBUG)
    timestamp, signature = hostile
    url, _ = start(secret=SECRET)
    body = validation_body()
    headers: dict[str, str | bytes] = {**signed(body)}
    if timestamp is not None:
        headers["x-zm-request-timestamp"] = timestamp
        # Signed over the hostile timestamp, so only the header's form can refuse it.
        digest = hmac.new(SECRET.encode(), b"v0:" + timestamp + b":" + body, hashlib.sha256)
        headers["x-zm-signature"] = f"v0={digest.hexdigest()}"
    if signature is not None:
        headers["x-zm-signature"] = signature
    resp = requests.post(url, data=body, headers=headers, timeout=5)
    assert resp.status_code == 401
    assert fresh_emulator.backend.webhook_deliveries(app_id) == []
    assert no_tracebacks(caplog)


def test_a_replayed_delivery_is_refused(
    start: Start, fresh_emulator: EmulatorServer, app_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, _ = start(secret=SECRET)
    body = validation_body()
    headers = signed(body)
    assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 200
    replay = requests.post(url, data=body, headers=headers, timeout=5)
    assert replay.status_code == 401
    assert "already seen" in replay.json()["error"]
    assert len(fresh_emulator.backend.webhook_deliveries(app_id)) == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "replay" in text
    assert headers["x-zm-signature"] not in text


@pytest.mark.parametrize(
    "fault", [Fault(path="/webhook$", status=503), Fault(path="/webhook$", drop=True)]
)
def test_a_delivery_recall_failed_is_taken_again_with_its_signature(
    start: Start, fresh_emulator: EmulatorServer, app_id: str, fault: Fault
) -> None:
    url, _ = start(secret=SECRET)
    fresh_emulator.app.add_fault(fault)  # once: Recall fails the first attempt only
    body = validation_body()
    headers = signed(body)
    statuses = [
        requests.post(url, data=body, headers=headers, timeout=5).status_code for _ in "abc"
    ]
    assert statuses == [502, 200, 401], "failed, retried and taken, then a replay"
    assert [d.accepted for d in fresh_emulator.backend.webhook_deliveries(app_id)] == [True]


def test_copies_sent_at_once_are_forwarded_once(
    start: Start, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    url, _ = start(secret=SECRET)
    body = validation_body()
    headers = signed(body)
    copies = 8
    barrier = threading.Barrier(copies)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait(timeout=5)
        statuses.append(requests.post(url, data=body, headers=headers, timeout=5).status_code)

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(statuses) == [200] + [401] * (copies - 1)
    assert len(fresh_emulator.backend.webhook_deliveries(app_id)) == 1


def test_a_signature_is_remembered_only_while_its_timestamp_is_fresh(start: Start) -> None:
    now = [time.time()]
    url, forwarder = start(secret=SECRET, clock=lambda: now[0])
    first = validation_body("first")
    assert requests.post(url, data=first, headers=signed(first), timeout=5).status_code == 200
    assert len(forwarder.seen) == 1
    now[0] += 301
    second = validation_body("second")
    headers = signed(second, at=now[0])
    assert requests.post(url, data=second, headers=headers, timeout=5).status_code == 200
    assert len(forwarder.seen) == 1, "the first signature left with its window"


def test_seen_signatures_are_bounded_and_expire() -> None:
    seen = SeenSignatures(capacity=3)
    assert seen.claim("a", expires=10, now=0)
    assert not seen.claim("a", expires=10, now=5), "a replay"
    assert seen.claim("b", expires=30, now=0)
    assert seen.claim("c", expires=20, now=0)
    assert seen.claim("d", expires=40, now=0), "full: the soonest to expire (a) is forgotten"
    assert len(seen) == 3
    assert not seen.claim("b", expires=30, now=0)
    assert not seen.claim("c", expires=20, now=0)
    seen.release("c")
    assert seen.claim("c", expires=20, now=0), "a released signature is taken again"
    assert seen.claim("e", expires=50, now=25), "b is kept, c expired"
    assert len(seen) == 3
    assert not seen.claim("b", expires=30, now=25)
    churn = SeenSignatures(capacity=2)
    for n in range(100):  # failed deliveries, each released
        assert churn.claim(f"x{n}", expires=60, now=0)
        churn.release(f"x{n}")
    assert len(churn) == 0
    assert len(churn._heap) <= 2 * churn.capacity, "released entries must not pile up"


def test_nothing_secret_is_logged(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url, _ = start(secret=SECRET)
    body = validation_body("tok")
    requests.post(url, data=body, headers=signed(body), timeout=5)
    requests.post(url, data=body, headers=signed(body, secret="bad"), timeout=5)
    assert caplog.records
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET not in text
    assert "x-zm-signature" in text  # the rejection is logged, without its values
    assert signed(body)["x-zm-signature"] not in text


FORWARDER = (sys.executable, "-m", "recall_provider.forwarder")


def forwarder_under(prelude: str) -> tuple[str, ...]:
    """The command, run after ``prelude`` (Python) in the same process."""
    code = f"{prelude}\nimport runpy\nrunpy.run_module('recall_provider.forwarder', "
    return (sys.executable, "-c", code + "run_name='__main__', alter_sys=True)")


@dataclass
class Command:
    """A running forwarder command: where it listens and, once stopped, what it wrote."""

    banner: str
    url: str
    port: int
    pid: int
    errors: int
    """The descriptor of the file its stderr goes to."""
    returncode: int | None = None
    stderr: str = ""

    def stderr_so_far(self) -> str:
        # pread: the offset is shared with the writer, which a seek would move.
        return os.pread(self.errors, 1 << 20, 0).decode(errors="replace")

    def wait_for_log(self, text: str) -> None:
        """Wait until the command logs ``text``, failing after ten seconds."""
        for _ in range(100):
            if text in self.stderr_so_far():
                return
            time.sleep(0.1)
        pytest.fail(f"the forwarder never logged {text!r}: {self.stderr_so_far()}")


@contextlib.contextmanager
def serving(target: str, *options: str, command: tuple[str, ...] = FORWARDER) -> Iterator[Command]:
    """The command on a free port with the secret set, stopped by SIGTERM on leaving."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [*command, "--port", "0", "--target", target, *options],
            env={**os.environ, "ZOOM_WEBHOOK_SECRET": SECRET},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            if "listening on" not in banner:
                process.wait(timeout=10)
                errors.seek(0)
                pytest.fail(f"the forwarder did not start: {errors.read()}")
            url = banner.split("listening on ")[1].split(",")[0]
            port = int(url.split(":")[2].split("/")[0])
            running = Command(banner, url, port, process.pid, errors.fileno())
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            finally:
                process.kill()
                process.stdout.close()  # type: ignore[union-attr]
        running.returncode = process.returncode
        errors.seek(0)
        running.stderr = errors.read()


def run_to_the_end(
    *args: str, command: tuple[str, ...] = FORWARDER
) -> subprocess.CompletedProcess[str]:
    """The command run with ``args`` until it exits by itself."""
    return subprocess.run(
        [*command, *args],
        env={**os.environ, "ZOOM_WEBHOOK_SECRET": SECRET},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@contextlib.contextmanager
def idle_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """Connections that never send a byte, as a hostile client or a vanished peer leaves them."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def target(fresh_emulator: EmulatorServer, app_id: str) -> str:
    return f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/webhook"


def test_the_command_serves_with_waitress_and_stops_on_sigterm(target: str) -> None:
    with serving(target) as running:
        assert "signature check on" in running.banner
        body = validation_body()
        resp = requests.post(running.url, data=body, headers=signed(body), timeout=5)
        assert resp.status_code == 200
        assert "encryptedToken" in resp.json()
    assert running.returncode == 0
    assert SECRET not in running.stderr


BLOCKING_HOOK = ("--hook", "tests.forwarder_hooks:block")


def test_sigterm_ends_the_command_while_its_hook_blocks(target: str) -> None:
    # serving() fails the test if the command has not ended ten seconds after SIGTERM.
    with serving(target, *BLOCKING_HOOK, "--hook-queue", "1", "--stop-grace", "1") as running:
        for n in range(1, 7):
            body = zoom_event(n)
            resp = requests.post(running.url, data=body, headers=signed(body), timeout=5)
            assert resp.status_code == 200
    assert running.returncode == EVENTS_LOST
    assert "Traceback" not in running.stderr
    assert "stopping on SIGTERM" in running.stderr
    last = running.stderr.strip().splitlines()[-1]
    # However the race between the calls and the queue went, none of the six went through.
    assert "stopped: verified events that did not go through the hook: 6 (" in last
    counts = drop_counts(running.stderr)
    assert len(counts) >= 6 - HOOK_THREADS - 1, "at most the running calls and one queued"
    assert counts == list(range(1, len(counts) + 1)), "a running count"
    assert "hook queue full (--hook-queue 1)" in running.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_ends_the_command_at_once(target: str, first: signal.Signals) -> None:
    with serving(target, *BLOCKING_HOOK, "--stop-grace", "600") as running:
        body = zoom_event(1)
        assert requests.post(running.url, data=body, headers=signed(body), timeout=5).ok
        os.kill(running.pid, first)
        running.wait_for_log(f"stopping on {first.name}")
        # Leaving sends SIGTERM, the second signal, and waits ten seconds, not 600.
    assert running.returncode == EVENTS_LOST
    assert "stopping at once on a second signal" in running.stderr
    assert "Traceback" not in running.stderr
    # Abandoned in its call, or still queued if the signal came first.
    last = running.stderr.strip().splitlines()[-1]
    assert "stopped: verified events that did not go through the hook: 1 (1 " in last


def test_threads_a_hook_leaves_behind_do_not_keep_the_command_alive(target: str) -> None:
    with serving(target, "--hook", "tests.forwarder_hooks:leave_a_thread") as running:
        body = zoom_event(1)
        assert requests.post(running.url, data=body, headers=signed(body), timeout=5).ok
    assert running.returncode == 0, "the hook went through every event"
    assert running.stderr.strip().splitlines()[-1].endswith("stopped")


def test_many_idle_connections_do_not_lock_zoom_out(target: str) -> None:
    # More than waitress's default limit of 100, which idle sockets used to fill for 120 s.
    with serving(target) as running, idle_connections(running.port, 150):
        body = validation_body()
        started = time.monotonic()
        resp = requests.post(running.url, data=body, headers=signed(body), timeout=ZOOM_WAITS)
        assert resp.status_code == 200
        assert time.monotonic() - started < ZOOM_WAITS


def test_idle_connections_are_dropped_so_a_delivery_gets_through(target: str) -> None:
    options = ("--connection-limit", "3", "--idle-timeout", "1")
    with serving(target, *options) as running, idle_connections(running.port, 3) as idle:
        body = validation_body()
        # Queued behind the three idle connections until the forwarder drops them.
        resp = requests.post(running.url, data=body, headers=signed(body), timeout=10)
        assert resp.status_code == 200
        for sock in idle:
            assert sock.recv(1) == b"", "closed by the forwarder"
    assert "connection limit" in running.stderr, "the limit, not luck, held the delivery back"


@pytest.mark.skipif(sys.platform == "win32", reason="open-file limits are POSIX")
def test_the_command_raises_its_open_files_limit_to_hold_its_connections(target: str) -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("the hard open-files limit is too low to raise the soft one")
    low = f"import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (256, {hard}))"
    with (
        serving(target, command=forwarder_under(low)) as running,
        idle_connections(running.port, 300),
    ):
        body = validation_body()
        resp = requests.post(running.url, data=body, headers=signed(body), timeout=ZOOM_WAITS)
        assert resp.status_code == 200
    assert "Traceback" not in running.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="open-file limits are POSIX")
def test_a_connection_limit_beyond_the_open_files_limit_is_one_line() -> None:
    low = "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))"
    result = run_to_the_end(
        "--port", "0", "--target", "http://127.0.0.1:1/x", command=forwarder_under(low)
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--connection-limit" in result.stderr


def test_the_command_refuses_a_huge_declared_body_before_it_is_sent(
    target: str, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    # Under waitress's own 1 GiB limit, which it used to buffer before the app could refuse.
    head = (
        "POST /zoom/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n\r\n"
    )
    with (
        serving(target) as running,
        socket.create_connection(("127.0.0.1", running.port), timeout=ZOOM_WAITS) as sock,
    ):
        sock.sendall(head.encode() + b'{"event":')
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1:2] == [b"413"]
    assert fresh_emulator.backend.webhook_deliveries(app_id) == []


def padded_event(size: int) -> bytes:
    head, tail = b'{"event":"meeting.created","payload":{"pad":"', b'"}}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def test_the_command_takes_a_body_of_exactly_the_limit(target: str) -> None:
    with serving(target, "--max-body-bytes", "100") as running:
        statuses = [
            requests.post(running.url, data=body, headers=signed(body), timeout=5).status_code
            for body in (padded_event(100), padded_event(101))
        ]
    assert statuses == [200, 413]


def test_a_port_in_use_is_one_line_and_a_failure() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_to_the_end("--port", port, "--target", "http://127.0.0.1:1/x")
    assert result.returncode == 2, "it could not start"
    assert result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(
    "option",
    [
        ("--idle-timeout", "0"),
        ("--connection-limit", "many"),
        ("--max-body-bytes", "-1"),
        ("--threads", "0"),
        ("--hook-queue", "0"),
        ("--stop-grace", "soon"),
    ],
)
def test_a_bad_option_is_one_line(option: tuple[str, str]) -> None:
    result = run_to_the_end("--port", "0", "--target", "http://127.0.0.1:1/x", *option)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert option[0] in result.stderr


def test_the_command_refuses_a_hook_without_the_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recall_provider.forwarder", "--port", "0",
         "--target", "http://127.0.0.1:1/x", "--hook", "json:dumps"],
        env={k: v for k, v in os.environ.items() if k != "ZOOM_WEBHOOK_SECRET"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "ZOOM_WEBHOOK_SECRET" in result.stderr


# The forwarder's command where its extra is not installed: neither werkzeug nor waitress.
WITHOUT_ITS_SERVER = (
    sys.executable,
    "-c",
    "import runpy, sys; sys.modules['waitress'] = sys.modules['werkzeug'] = None; "
    "runpy.run_module('recall_provider.forwarder', run_name='__main__', alter_sys=True)",
)


def test_its_help_runs_without_its_server_installed() -> None:
    result = run_to_the_end("--help", command=WITHOUT_ITS_SERVER)
    assert result.returncode == 0, result.stderr
    assert "--connection-limit" in result.stdout
    assert "(default 1000)" in " ".join(result.stdout.split())
    words = " ".join(result.stdout.split())
    assert "--hook-queue N" in words
    assert "--stop-grace SECONDS" in words
    assert "1 stopped, but verified events did not go through the hook" in words


def test_without_its_server_it_says_what_to_install() -> None:
    result = run_to_the_end("--port", "0", "--target", "http://127.0.0.1:1/x",
                            command=WITHOUT_ITS_SERVER)  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "pip install 'recall-zoom[forwarder]'" in result.stderr


@pytest.mark.parametrize(
    "target",
    [
        "http://[::1",
        "ftp://user:pa55word@example.invalid/?token=t0ken-value",
        "https://user:pa55word@[::1/x?token=t0ken-value",
        "http://127.0.0.1:99999/x",
    ],
)
def test_a_target_that_cannot_be_used_is_one_line_without_its_credentials(target: str) -> None:
    with pytest.raises(ValueError, match=r"^--target must be an http") as info:
        Forwarder(target)
    shown = str(info.value)
    assert "\n" not in shown
    assert "pa55word" not in shown
    assert "t0ken-value" not in shown
