"""The client's pacing: Recall's sliding window, its 429 rules, and one window per machine."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recall_provider.client import Pacing, RecallClient, RetryPolicy
from recall_provider.client.pacing import (
    CACHE_DIR_ENV,
    SlidingWindow,
    Trust,
    WindowTooLong,
    _File,
    _State,
    shared_bucket,
)
from recall_provider.emulator import Fault, RateLimits
from recall_provider.errors import ErrorCode, Outcome, RecallPacingError, RecallRateLimitError
from tests.helpers import Clock, make_app

ROOT = Path(__file__).resolve().parent.parent


def window(limit: int, period: float = 60.0, margin: float = 0.0) -> tuple[SlidingWindow, Clock]:
    clock = Clock()
    return SlidingWindow(limit, period, margin, clock=clock, sleep=clock.sleep), clock


def test_the_limit_goes_at_once_into_an_empty_window() -> None:
    paced, _ = window(300)
    assert [paced.acquire() for _ in range(300)] == [0.0] * 300


def test_the_next_request_waits_until_the_oldest_leaves() -> None:
    paced, clock = window(3, period=60, margin=0.5)
    start = clock.now
    for _ in range(3):
        paced.acquire()
    assert paced.acquire() == pytest.approx(60.5)
    assert clock.now == pytest.approx(start + 60.5)
    assert paced.acquire() == 0.0, "the second of the first three left with the first"


def test_no_window_ever_holds_more_than_the_limit() -> None:
    paced, clock = window(5, period=10, margin=0.2)
    sent = []
    for i in range(40):
        paced.acquire()
        sent.append(clock.now)
        if i % 7 == 0:
            clock.now += 1.3  # some think time now and then
    for t in sent:
        assert sum(1 for u in sent if t <= u < t + 10.2) <= 5


def test_a_refused_request_gives_its_slot_back() -> None:
    paced, _ = window(2, period=60)
    paced.acquire()
    paced.acquire()
    paced.release()  # Recall answered the second 429: it did not count it
    assert paced.acquire() == 0.0, "its slot was free again at once"
    assert paced.acquire() == pytest.approx(60.0)


def test_a_hold_stops_every_request_of_the_workspace() -> None:
    paced, clock = window(100, period=60, margin=0.5)
    start = clock.now
    paced.hold(7)
    assert paced.acquire() == pytest.approx(7.5)
    assert clock.now == pytest.approx(start + 7.5)
    assert paced.acquire() == 0.0, "the hold has passed"


def test_a_hold_overtaking_a_waiting_request_sends_it_to_the_back() -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            paced.hold(30)  # a 429 of another thread while this one waits for its slot
        clock.sleep(seconds)

    paced = SlidingWindow(1, 10, 0.0, clock=clock, sleep=sleep)
    start = clock.now
    paced.acquire()
    paced.acquire()
    assert slept == [pytest.approx(10), pytest.approx(20)], "woke at its slot, then queued again"
    assert clock.now == pytest.approx(start + 30), "went when the hold ended, not at its slot"


def test_two_windows_on_one_file_are_one_window(tmp_path: Path) -> None:
    # Two processes of one machine, as two stores over one file: their sum keeps the limit.
    clock = Clock()
    path = tmp_path / "window"
    a = SlidingWindow(4, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    b = SlidingWindow(4, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    assert [a.acquire(), b.acquire(), a.acquire(), b.acquire()] == [0.0] * 4
    # A third process, allowed five, finds the four recorded: room for one, then a wait.
    c = SlidingWindow(5, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    assert c.acquire() == 0.0
    assert b.acquire() == pytest.approx(60.0)


def test_a_damaged_or_deleted_file_is_an_empty_window(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "window"
    a = SlidingWindow(2, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    assert [a.acquire(), a.acquire()] == [0.0, 0.0]
    header = _File._HEADER
    damaged = [
        b"\x00garbage",  # shorter than a header
        header.pack(b"XXXX", 0.0, 0) + b"\x00" * 16,  # not our file
        header.pack(_File._MAGIC, 0.0, 5) + struct.pack("<d", clock.now),  # cut short
        header.pack(_File._MAGIC, math.nan, 1) + struct.pack("<d", clock.now),  # no time
        header.pack(_File._MAGIC, 0.0, 2) + struct.pack("<2d", clock.now, clock.now - 1),
    ]
    for content in damaged:
        path.write_bytes(content)
        assert [a.acquire(), a.acquire()] == [0.0, 0.0], f"nothing in {content!r}"
        assert a.acquire() > 0.0, "and its own two again after"
        clock.sleep(61)
    path.unlink()
    b = SlidingWindow(2, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    assert [b.acquire(), b.acquire()] == [0.0, 0.0], "a new file"
    assert a.acquire() > 0.0, "the first window follows the new file, full now"


def test_an_unusable_file_leaves_the_process_its_own_window(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    clock = Clock()
    paced = SlidingWindow(2, 60, 0.0, _File(blocker / "w.json"), clock=clock, sleep=clock.sleep)
    assert [paced.acquire(), paced.acquire()] == [0.0, 0.0]
    assert paced.acquire() == pytest.approx(60.0), "still paced, alone"


PROCESS = """
import json, sys, time
from recall_provider.client.pacing import Pacing, shared_bucket
window = shared_bucket("http://127.0.0.1:1", "the-same-key", "crud", Pacing(per_minute=6, period=1))
times = []
for _ in range(6):
    window.acquire()
    times.append(time.time())
print(json.dumps(times))
"""


def test_processes_of_one_machine_share_the_workspaces_window(tmp_path: Path) -> None:
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    times = sorted(t for proc in procs for t in json.loads(proc.communicate(timeout=30)[0]))
    assert len(times) == 12
    # Each time is taken just after its turn came: allow for a busy machine's scheduling. Two
    # windows of their own would have let all twelve go at once.
    span, slack = Pacing(period=1).period + Pacing(period=1).margin, 0.25
    for t in times:
        assert sum(1 for u in times if t <= u < t + span - slack) <= 6, "6 a second, together"
    assert times[-1] - times[0] >= span - slack, "the second six waited for the first to leave"


def test_the_window_is_one_per_process_and_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    pacing = Pacing()
    assert shared_bucket("http://a", "k", "crud", pacing) is shared_bucket(
        "http://a", "k", "crud", pacing
    )
    assert shared_bucket("http://a", "k", "crud", pacing) is not shared_bucket(
        "http://a", "k", "list", pacing
    )
    assert shared_bucket("http://a", "k", "crud", pacing) is not shared_bucket(
        "http://a", "other-key", "crud", pacing
    )


def test_a_run_at_the_limit_meets_no_429(emulator_factory: object) -> None:
    # Against the emulator's DRF window (a minute of 1.2 s here): 30 requests, a limit of 10,
    # paced to the same rule, never refused.
    emulator = emulator_factory()  # type: ignore[operator]
    emulator.app.set_rate_limits(RateLimits(per_minute=10, list_per_minute=10, time_scale=50))
    app_id = make_app(emulator)["id"]
    pacing = Pacing(per_minute=10, list_per_minute=10, period=1.2)
    with RecallClient(
        "pacing-key-0123", base_url=emulator.url, pacing=pacing, retry=RetryPolicy(max_retries=0)
    ) as client:
        for _ in range(30):
            client.get_app(app_id)
    assert emulator.app.throttled_count == 0
    assert emulator.app.count("GET") == 30


def test_a_file_that_fails_mid_run_leaves_the_window_as_last_seen(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "window"
    paced = SlidingWindow(2, 60, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    assert [paced.acquire(), paced.acquire()] == [0.0, 0.0]
    path.unlink()
    path.mkdir()  # the file can no longer be opened: this process paces alone from here
    assert paced.acquire() == pytest.approx(60), "the two requests it saw still count"


def test_a_429_given_up_on_holds_the_scope_and_gives_its_slot_back(
    emulator_factory: object,
) -> None:
    # Recall asks for 2 s, more than the client waits: the request fails at once. The next one
    # of the scope, held as long, fails at once too without being sent (the window's wait is
    # bounded as the 429's is); once the 2 s are out, the window of two has room for two:
    # Recall did not count the refused one.
    emulator = emulator_factory()  # type: ignore[operator]
    app_id = make_app(emulator)["id"]
    emulator.app.add_fault(Fault(method="GET", status=429, retry_after=2))
    pacing = Pacing(per_minute=2, list_per_minute=2, period=60, shared=False)
    policy = RetryPolicy(max_retries=0, rate_limit_deadline=0.5)
    with RecallClient(
        "pacing-key-0430", base_url=emulator.url, pacing=pacing, retry=policy
    ) as client:
        with pytest.raises(RecallRateLimitError):
            client.get_app(app_id)
        with pytest.raises(RecallPacingError) as held:
            client.get_app(app_id)
        assert held.value.code is ErrorCode.PACED_OUT
        assert held.value.outcome is Outcome.NOT_SENT
        assert 1.0 < held.value.wait <= 2 + Pacing().margin
        time.sleep(held.value.wait)
        client.get_app(app_id)
        client.get_app(app_id)
    refused, *answered = [r for r in emulator.app.requests if r.method == "GET"]
    assert (refused.status, [r.status for r in answered]) == (429, [200, 200])
    assert answered[0].started - refused.started >= 2 - 0.1, "held for the Retry-After"
    assert answered[1].started - refused.started < 10, "not a minute for the refused one's slot"


def test_the_margin_is_five_hundredths_and_a_hundredth_of_the_period() -> None:
    # README's rate-limit rule: the window is widened by 0.05 s plus 1 % of Recall's minute.
    assert Pacing().margin == pytest.approx(0.65)
    assert Pacing(period=12).margin == pytest.approx(0.17)
    paced, _ = window(2, period=60, margin=Pacing().margin)
    paced.acquire()
    paced.acquire()
    assert paced.acquire() == pytest.approx(60.65), "the third waits the minute and the margin"


# -- what the window may make a command wait (issue 19, class 3) ------------------------------


TRUST = Trust(ahead=300.0, hold=6 * 3600.0)
"""What the transport tells its windows: a request waits 300 s at most, a hold is 6 h at most."""


def filed_window(tmp_path: Path, clock: Clock, times: list[float], hold: float) -> SlidingWindow:
    """A window whose shared file another process left with ``times`` and ``hold``."""
    path = tmp_path / "ws-crud-60.window"
    path.write_bytes(_File._encode(_State(times, hold)))
    return SlidingWindow(3, 60.0, 0.5, _File(path), clock=clock, sleep=clock.sleep, trust=TRUST)


def test_a_hold_longer_than_a_request_waits_fails_at_once_without_sleeping(
    tmp_path: Path,
) -> None:
    clock = Clock()
    paced = filed_window(tmp_path, clock, [], hold=clock.now + 3600)
    with pytest.raises(WindowTooLong) as held:
        paced.acquire(max_wait=300)
    assert held.value.wait == pytest.approx(3600)
    assert held.value.until == pytest.approx(clock.now + 3600)
    assert clock.now == 1000.0, "nothing slept"
    # The refused turn was given back: within the limit, the scope's next turns are the hold's.
    assert paced.acquire() == pytest.approx(3600)


def test_times_no_request_of_ours_could_write_are_not_waited_for(tmp_path: Path) -> None:
    # A run with the clock an hour ahead, and a well-formed time far in the future.
    clock = Clock()
    ahead = [clock.now + 3600 + i for i in range(3)]
    assert filed_window(tmp_path, clock, ahead, hold=0.0).acquire(max_wait=300) == 0.0
    far = filed_window(tmp_path, clock, [], hold=1e300)
    assert far.acquire(max_wait=300) == 0.0
    # A hold past the longest Retry-After read is no 429's of ours either.
    assert filed_window(tmp_path, clock, [], hold=clock.now + 7 * 3600).acquire() == 0.0
    assert clock.now == 1000.0


def test_a_caller_in_a_hurry_leaves_the_turns_others_took(tmp_path: Path) -> None:
    # Another process queued turns well ahead (each within its own 300 s); a request that may
    # not wait at all must neither take them nor drop them from the shared window.
    clock = Clock()
    queued = [clock.now, clock.now, clock.now + 60.5, clock.now + 60.5, clock.now + 121]
    hurried = filed_window(tmp_path, clock, queued, hold=0.0)
    with pytest.raises(WindowTooLong):
        hurried.acquire(max_wait=0)
    state = _File._decode((tmp_path / "ws-crud-60.window").read_bytes())
    assert state.times == queued, "the others' turns are all still there"


def test_a_long_wait_is_said_on_stderr(caplog: pytest.LogCaptureFixture) -> None:
    paced, _ = window(1, period=60, margin=0.0)
    paced.acquire()
    with caplog.at_level("WARNING", logger="recall_provider.client.pacing"):
        assert paced.acquire(max_wait=300) == pytest.approx(60)
    (said,) = [r.getMessage() for r in caplog.records]
    assert said.startswith("waiting 60 s for Recall's rate limit")
    short, _ = window(2, period=5, margin=0.0)
    caplog.clear()
    with caplog.at_level("WARNING", logger="recall_provider.client.pacing"):
        short.acquire()
        short.acquire()
        short.acquire()  # 5 s: under the threshold, said nowhere
    assert caplog.records == []


def test_a_later_command_is_not_stalled_by_an_hour_long_retry_after(
    emulator_factory: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first command's request draws a 429 asking for an hour and fails at once; the next
    # command, a process sharing the window file, fails at once too, not sending anything.
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    emulator = emulator_factory()  # type: ignore[operator]
    app_id = make_app(emulator)["id"]
    emulator.app.add_fault(Fault(method="GET", status=429, retry_after=3600))
    pacing = Pacing(period=60.0)
    started = time.monotonic()
    for command in ("first", "next"):
        # One workspace (the same key and URL), a client per command.
        with RecallClient("pacing-key-stall", base_url=emulator.url, pacing=pacing) as c:
            expected = RecallRateLimitError if command == "first" else RecallPacingError
            with pytest.raises(expected) as info:
                c.get_app(app_id)
        assert "Traceback" not in str(info.value)
    assert time.monotonic() - started < 30, "nobody slept the hour"
    assert [r.status for r in emulator.app.requests] == [429], "the next one was not sent"
    assert info.value.code is ErrorCode.PACED_OUT
    assert "until" in str(info.value), "it says when to run again"
