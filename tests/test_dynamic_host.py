"""What the provider knows of the dynamic host: the engine's address among its arguments, our
errors as one line. In the host itself, tests/test_provider_host.py sees the one line and
tests/test_cli_e2e.py (an up killed while it creates) the engine gone."""

from __future__ import annotations

import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import pytest

from recall_provider import dynamic_host, engine_address
from recall_provider.engine_address import EngineWatch
from recall_provider.errors import ErrorCode, RecallConfigError


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["/x/pulumi/dynamic/__main__.py", "127.0.0.1:40123"], ("127.0.0.1", 40123)),
        (["main", "localhost:1"], ("localhost", 1)),
        (["main", "[::1]:5000"], ("::1", 5000)),
        (["main"], None),
        (["main", "http://127.0.0.1:9"], None),
        (["main", "127.0.0.1:40123", "--logtostderr"], None),
        (["main", "127.0.0.1:port"], None),
    ],
)
def test_the_engine_address_is_a_host_port_last_argument(
    argv: list[str], address: tuple[str, int] | None
) -> None:
    assert dynamic_host.engine_address(argv) == address


def test_outside_the_host_nothing_is_patched_and_the_engine_counts_as_alive() -> None:
    assert not dynamic_host.running_in_host()
    before = traceback.format_exc
    dynamic_host.install_one_line_errors()
    assert traceback.format_exc is before
    assert dynamic_host.engine_alive()


def test_an_error_is_one_line_with_its_class_and_code() -> None:
    error = RecallConfigError("recall:region is\nnot a region", hint="Use  us-east-1.")
    assert dynamic_host.one_line(error) == (
        "RecallConfigError[config]: recall:region is not a region. Use us-east-1."
    )
    error = RecallConfigError("no key", code=ErrorCode.API_KEY_MISSING)
    assert dynamic_host.one_line(error) == "RecallConfigError[api_key_missing]: no key"


def test_recalls_words_in_an_error_cannot_act_on_the_terminal() -> None:
    error = RecallConfigError("Recall said \x1b]0;owned\x07\x1b[2J\x1b[32mok\u202egnp.exe")
    shown = dynamic_host.one_line(error)
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\\x1b]0;owned\\x07" in shown


def _counting_engine() -> tuple[socket.socket, list[int], threading.Thread, threading.Event]:
    """A listener on 127.0.0.1 that counts the connections made to it."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            connection.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    return listener, accepted, server, stop


def test_the_engine_watch_says_whether_the_engine_listens() -> None:
    listener, accepted, server, stop = _counting_engine()
    port = listener.getsockname()[1]
    watch = EngineWatch(["main", f"127.0.0.1:{port}"])
    try:
        assert watch()
        assert watch()  # each call looks again: the engine may have gone since
        deadline = time.monotonic() + 5
        while len(accepted) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(accepted) == 2
    finally:
        stop.set()
        server.join()
        listener.close()
    assert not watch()  # gone: nobody listens on that port any more
    assert EngineWatch(["main"])()  # no engine named: it cannot be told


def test_callers_at_once_share_one_look_that_began_after_they_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looks: list[float] = []

    def slow_look(address: tuple[str, int]) -> bool:
        looks.append(time.monotonic())
        time.sleep(0.3)  # a look slower than the callers' arrival
        return True

    monkeypatch.setattr(engine_address, "_listens", slow_look)
    watch = EngineWatch(["main", "127.0.0.1:9"])
    started = threading.Barrier(32)
    asked: list[float] = []

    def ask(_: int) -> bool:
        started.wait()
        asked.append(time.monotonic())
        return watch()

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(ask, range(32)))
    assert all(answers)
    # Every caller is answered by a look that began after it asked: the first look, or one
    # for all who asked while it ran; not one look each.
    assert len(looks) <= 2
    assert all(any(look >= when for look in looks) for when in asked)
