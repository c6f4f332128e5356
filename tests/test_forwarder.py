"""The Zoom webhook forwarder end to end: Zoom (this test) -> forwarder (waitress) -> emulator."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from recall_provider.emulator import EmulatorServer, Fault
from recall_provider.forwarder import Forwarder, ZoomEvent
from tests.helpers import make_app

SECRET = "zoom-secret-token-forwarder"
Start = Callable[..., tuple[str, Forwarder]]


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


def test_unreachable_recall_is_a_502(start: Start) -> None:
    url, _ = start(secret=SECRET, target="http://127.0.0.1:9/api/v2/zoom-oauth-apps/x/webhook")
    body = validation_body()
    assert requests.post(url, data=body, headers=signed(body), timeout=5).status_code == 502


def test_oversized_bodies_are_refused(
    start: Start, fresh_emulator: EmulatorServer, app_id: str
) -> None:
    url, _ = start(secret=SECRET, max_body=1024)
    body = b'{"event":"x","payload":{"pad":"' + b"a" * 2048 + b'"}}'
    resp = requests.post(url, data=body, headers=signed(body), timeout=5)
    assert resp.status_code == 413
    assert fresh_emulator.backend.webhook_deliveries(app_id) == []


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


def test_a_hook_needs_the_secret() -> None:
    with pytest.raises(ValueError, match="ZOOM_WEBHOOK_SECRET"):
        Forwarder("http://127.0.0.1:1/x", hook=print)


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


def test_the_command_serves_with_waitress_and_stops_on_sigterm(
    fresh_emulator: EmulatorServer, app_id: str
) -> None:
    target = f"{fresh_emulator.url}/api/v2/zoom-oauth-apps/{app_id}/webhook"
    process = subprocess.Popen(
        [sys.executable, "-m", "recall_provider.forwarder", "--port", "0", "--target", target],
        env={**os.environ, "ZOOM_WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "signature check on" in line
        url = line.split("listening on ")[1].split(",")[0]
        body = validation_body()
        resp = requests.post(url, data=body, headers=signed(body), timeout=5)
        assert resp.status_code == 200
        assert "encryptedToken" in resp.json()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert process.stderr is not None
    assert SECRET not in process.stderr.read()


def test_the_command_refuses_a_hook_without_the_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recall_provider.forwarder", "--port", "0",
         "--target", "http://127.0.0.1:1/x", "--hook", "json:dumps"],
        env={k: v for k, v in os.environ.items() if k != "ZOOM_WEBHOOK_SECRET"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "ZOOM_WEBHOOK_SECRET" in result.stderr
