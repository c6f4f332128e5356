"""Files written in shared places: never through a link we did not make, never into a file
that is not a regular file of this user.

A planted symbolic link at a path we write (a pacing window, a create record, a lock, the
emulator's state, a manifest) would otherwise make us overwrite its target, or create the
target of a dangling one. Every writer of the product opens its files through here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import filelock

if sys.platform != "win32":
    import fcntl

__all__ = [
    "KeptLock",
    "UnsafeFileError",
    "exclusive_lock",
    "open_for_update",
    "read_own",
    "replace_file",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_POLL = 0.05


class UnsafeFileError(OSError):
    """A path to write is a link, not a regular file, or another user's: refused."""


def _refuse_unless_ours(info: os.stat_result, path: Path) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(f"{path} is a symbolic link: refused")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFileError(f"{path} is not a regular file: refused")
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        raise UnsafeFileError(f"{path} belongs to another user: refused")


def _open_no_link(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that never follows a link at ``path`` (a link is ``UnsafeFileError``)."""
    try:
        return os.open(path, flags | _NOFOLLOW | _BINARY | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFileError(f"{path} is a symbolic link: refused") from None
        raise


def open_for_update(path: Path, mode: int = 0o600) -> int:
    """A descriptor open read-write on ``path``, made when missing (with ``mode``); a link, a
    file that is not regular or one of another user is refused with ``UnsafeFileError``."""
    _refuse_open_folder(path.parent)
    fd = _open_no_link(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        _refuse_unless_ours(os.fstat(fd), path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_own(path: Path) -> bytes:
    """The bytes of ``path``, a regular file of this user reached without a link (what a
    planted link points at is no file of ours; a FIFO is refused, not waited on)."""
    fd = _open_no_link(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        _refuse_unless_ours(os.fstat(file.fileno()), path)
        return file.read()


def _refuse_open_folder(folder: Path) -> None:
    """A folder whose entries others may swap (writable by them, without the sticky bit that
    keeps each user's own), or a link in place of the folder, is no place to write in."""
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeFileError(f"{folder} is not a folder of its own (a link?): refused")
    open_to_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    getuid = getattr(os, "getuid", None)
    ours = getuid is None or info.st_uid == getuid()
    if open_to_others and not info.st_mode & stat.S_ISVTX and not ours:
        raise UnsafeFileError(f"{folder} is writable by others: refused")


def replace_file(path: Path, data: bytes, mode: int = 0o600, *, durable: bool = True) -> None:
    """Put ``data`` at ``path`` whole or not at all (a new file beside it, then a rename),
    refusing a ``path`` that exists as a link, a file that is not regular or another user's,
    and a folder others may swap entries in. ``durable``: on disk before the rename, so that
    it outlives a crash of the machine too (a killed process never sees half a file either
    way)."""
    _refuse_open_folder(path.parent)
    with contextlib.suppress(FileNotFoundError):
        _refuse_unless_ours(os.lstat(path), path)
    # mkstemp creates its file exclusively: it never opens what a link points at.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            # On the open file, not by name: the name may be swapped for a link meanwhile.
            if hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float) -> Iterator[bool]:
    """Hold this machine's lock ``path`` (a file of its own, never followed through a link),
    waiting at most ``timeout`` seconds; yields whether it had to wait. ``TimeoutError`` when
    it is not had in time."""
    if sys.platform == "win32":  # pragma: no cover - no flock: filelock's lock, as before
        lock = filelock.FileLock(str(path))
        try:
            lock.acquire(timeout=0)
            had_to_wait = False
        except filelock.Timeout:
            had_to_wait = True
            try:
                lock.acquire(timeout=timeout)
            except filelock.Timeout:
                raise TimeoutError(f"{path} is held by another process") from None
        try:
            yield had_to_wait
        finally:
            lock.release()
        return
    fd = open_for_update(path)
    try:
        yield _flock(fd, path, timeout)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _flock(fd: int, path: Path, timeout: float) -> bool:
    """Lock ``fd`` exclusively, waiting at most ``timeout`` seconds; whether it had to wait."""
    waited = False
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            waited = True
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{path} is held by another process") from None
            time.sleep(_POLL)


class KeptLock:
    """``exclusive_lock`` on a lock file kept open between holds, for a lock taken on every
    request: a hold is then one ``flock``, not an open, two stats and a close. Not for
    concurrent use: its holder serialises its own threads."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self, timeout: float) -> Iterator[bool]:
        """Hold the lock, waiting at most ``timeout`` seconds; yields whether it had to wait."""
        if sys.platform == "win32":  # pragma: no cover - no flock
            with exclusive_lock(self._path, timeout) as waited:
                yield waited
            return
        fd = self._open()
        waited = _flock(fd, self._path, timeout)
        try:
            yield waited
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Let the lock file go."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is not None and os.fstat(self._fd).st_nlink == 0:
            # The file was deleted (a cache cleared): the other processes lock a new one.
            self.close()
        if self._fd is None:
            self._fd = open_for_update(self._path)
        return self._fd
