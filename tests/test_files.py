"""Every file the product writes in a shared place, tried with a link planted at its path (to
an existing file, and dangling) and with a path that is no regular file: nothing is written
through the link, nothing is created at its target, and the writer refuses or carries on
without the file, as it does when the file cannot be written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from recall_provider.client.pacing import SlidingWindow, _File
from recall_provider.core.journal import CreateJournal
from recall_provider.emulator.state_file import save_state
from recall_provider.files import (
    KeptLock,
    UnsafeFileError,
    exclusive_lock,
    open_for_update,
    replace_file,
)
from tests.helpers import Clock
from tests.real_cli import ROOT

pytestmark = pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges there")

PRECIOUS = "the user's file, which no writer of ours may touch\n"


def pace(folder: Path) -> Path:
    """A window shared through a file (and its lock) in ``folder``."""
    clock = Clock()
    path = folder / "ws-crud-60.window"
    paced = SlidingWindow(2, 60.0, 0.0, _File(path), clock=clock, sleep=clock.sleep)
    # Paced all the same (alone, as when the file cannot be used).
    assert [paced.acquire(), paced.acquire()] == [0.0, 0.0]
    assert paced.acquire() == pytest.approx(60.0)
    return path


def emulator_state(folder: Path) -> Path:
    path = folder / "state.json"
    with pytest.raises(UnsafeFileError):
        save_state(path, [], [])
    return path


def manifest(folder: Path) -> Path:
    path = folder / "zoom-manifest.json"
    done = subprocess.run(
        [sys.executable, "-m", "recall_provider.cli", "manifest", "--kind", "user_level",
         "--webhook-url", "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/32721c6e-0000-4000-8000-000000000001/webhook",
         "--output", str(path)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1, done.stderr
    assert "symbolic link: refused" in done.stderr
    assert "Traceback" not in done.stderr
    return path


# Each writer, and where (relative to the folder it is given) it writes.
WRITERS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "pacing window": (pace, "ws-crud-60.window"),
    "pacing lock": (pace, "ws-crud-60.window.lock"),
    "emulator state": (emulator_state, "state.json"),
    "manifest": (manifest, "zoom-manifest.json"),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
@pytest.mark.parametrize("target", ["existing", "dangling"])
def test_a_link_planted_at_a_written_path_is_not_followed(
    tmp_path: Path, name: str, target: str
) -> None:
    writer, relative = WRITERS[name]
    folder = tmp_path / "shared"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    if target == "existing":
        victim.write_text(PRECIOUS)
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    (folder / relative).symlink_to(victim)
    writer(folder)
    if target == "existing":
        assert victim.read_text() == PRECIOUS
    else:
        assert not victim.exists(), "the dangling link's target was made"
    assert (folder / relative).is_symlink(), "the link is left as it was"


def test_the_create_journal_neither_writes_nor_locks_through_a_link(tmp_path: Path) -> None:
    journal = CreateJournal("workspace", tmp_path / "state")
    journal.directory.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text(PRECIOUS)
    record_path = journal._path("zoomClientLinked")
    record_path.symlink_to(victim)
    record_path.with_suffix(".lock").symlink_to(tmp_path / "dangling-target")
    with journal.creating("zoomClientLinked") as waited:
        assert waited is True, "unheld: the create asks Recall afresh"
        journal.begin("zoomClientLinked", "user_level", "org/project/stack/app")
    assert victim.read_text() == PRECIOUS
    assert not (tmp_path / "dangling-target").exists()
    assert journal.find("zoomClientLinked") is None, "a linked record is no record of ours"


def test_a_path_that_is_no_regular_file_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeFileError, match="not a regular file"):
        replace_file(fifo, b"x")
    with pytest.raises(UnsafeFileError, match="not a regular file"), exclusive_lock(fifo, 0):
        pass
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        open_for_update(folder)


def test_files_are_written_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    replace_file(path, json.dumps({"a": 1}).encode())
    assert json.loads(path.read_text()) == {"a": 1}
    assert path.stat().st_mode & 0o777 == 0o600
    replace_file(path, b"{}", mode=0o644)
    assert path.read_text() == "{}"
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"], "no temp file left"


def test_another_users_file_and_a_folder_others_may_swap_in_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "theirs.json"
    theirs.write_text(PRECIOUS)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    # Everything here is this test's: seen as another user, it is theirs.
    monkeypatch.setattr(os, "getuid", lambda: os.stat(tmp_path).st_uid + 1)
    with pytest.raises(UnsafeFileError, match="belongs to another user"):
        replace_file(theirs, b"x")
    with pytest.raises(UnsafeFileError, match="belongs to another user"):
        open_for_update(theirs)
    assert theirs.read_text() == PRECIOUS
    with pytest.raises(UnsafeFileError, match="writable by others"):
        replace_file(shared / "new.json", b"x")
    replace_file(sticky / "new.json", b"x")  # /tmp's rule: each keeps their own
    assert (sticky / "new.json").read_bytes() == b"x"


def test_the_create_journal_makes_its_folder_again_when_it_is_removed(tmp_path: Path) -> None:
    journal = CreateJournal("workspace", tmp_path / "state")
    with journal.creating("zoomClientA"):
        journal.begin("zoomClientA", "user_level")
    journal.done("zoomClientA")
    shutil.rmtree(tmp_path / "state")  # a user clearing the state folder between creates
    with journal.creating("zoomClientB") as waited:
        assert waited is False, "held: the folder was made again for the lock"
        journal.begin("zoomClientB", "user_level")
    entry = journal.find("zoomClientB")
    assert entry is not None
    assert entry.client_id == "zoomClientB"


def test_a_kept_lock_excludes_other_holders_and_follows_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "window.lock"
    mine, theirs = KeptLock(path), KeptLock(path)  # two descriptions: as two processes
    try:
        with mine.held(timeout=1) as waited:
            assert waited is False
            with pytest.raises(TimeoutError), theirs.held(timeout=0.1):
                pass
        with theirs.held(timeout=1):
            pass  # released by mine
        path.unlink()  # a cache cleared while both keep the old file open
        with theirs.held(timeout=1), pytest.raises(TimeoutError), mine.held(timeout=0.1):
            pass  # both moved to the new file: still one holder at a time
    finally:
        mine.close()
        theirs.close()


def test_a_kept_lock_never_opens_a_link(tmp_path: Path) -> None:
    path = tmp_path / "window.lock"
    path.symlink_to(tmp_path / "dangling-target")
    lock = KeptLock(path)
    with pytest.raises(UnsafeFileError), lock.held(timeout=0.1):
        pass
    assert not (tmp_path / "dangling-target").exists()
