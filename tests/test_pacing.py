"""The client's pacing: Recall's sliding window, its 429 rules, and one window per machine."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from recall_provider.client import Pacing, RecallClient, RetryPolicy
from recall_provider.client.pacing import CACHE_DIR_ENV, SlidingWindow, _File, shared_bucket
from recall_provider.emulator import Fault, RateLimits
from recall_provider.errors import RecallRateLimitError
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
    # Recall asks for 2 s, more than the client waits: the request fails at once. The next ones
    # of the scope wait the 2 s out rather than draw another 429, and then find the window of
    # two with room for both: Recall did not count the refused one.
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
