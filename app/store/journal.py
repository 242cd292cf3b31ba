"""STOPs the database could not take, kept in a local append-only file until it can.

Each line is one opt-out: "stop <number hash> <time>". A line is written and fsynced before the
person is told their STOP is recorded. Workers on the same machine share the file: appends and
removals take journal.lock (a separate file, never replaced); a replay also holds replay.lock
from reading to removing, so that two replays never apply the same STOP after a later START.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


class JournalError(OSError):
    """The journal could not be written: the STOP is recorded nowhere."""


@contextmanager
def _locked(path: Path, *, wait: float | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on `path`; with `wait`, give up after that many seconds (yields False)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if wait is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            got = True
        else:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    got = True
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        got = False
                        break
                    time.sleep(0.01)
        yield got
    finally:
        os.close(fd)  # closing releases the lock


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StopJournal:
    """The append-only file of STOPs waiting for the database."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._name = str(self.path)
        self._lock = self.path.with_name(self.path.name + ".lock")
        self._replay_lock = self.path.with_name(self.path.name + ".replay.lock")
        self._cache: tuple[tuple[int, int, int], frozenset[str]] | None = None

    def append(self, key: str) -> None:
        """Add one STOP, durably (written and fsynced) before returning; JournalError when that fails."""
        line = f"stop {key} {dt.datetime.now(dt.timezone.utc).isoformat()}\n".encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            with _locked(self._lock):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if os.write(fd, line) != len(line):
                        raise OSError("short write")
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if created:
                _fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        except OSError as error:
            raise JournalError(str(error)) from error

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""

    @staticmethod
    def _keys(data: bytes) -> list[str]:
        keys = []
        for line in data.decode(errors="replace").splitlines(keepends=True):
            fields = line.split()
            if line.endswith("\n") and len(fields) >= 2 and fields[0] == "stop":  # a torn last line was never confirmed
                keys.append(fields[1])
        return keys

    def pending(self) -> frozenset[str]:
        """The number hashes with a STOP waiting; one stat() when there are none."""
        try:
            stat = os.stat(self._name)  # every text asks: os.stat costs less than Path.stat
        except OSError:  # no journal (or no folder for one): nothing can be waiting in it
            return frozenset()
        if stat.st_size == 0:
            return frozenset()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, frozenset(self._keys(self._read())))
        return self._cache[1]

    def writable(self) -> bool:
        """Whether a STOP could be written here now (the folder exists or can be made, and is writable)."""
        folder = self.path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return os.access(folder, os.W_OK) and (not self.path.exists() or os.access(self.path, os.W_OK))

    def replay(self, apply: Callable[[list[str]], None], *, wait: float = 0) -> int:
        """Apply the waiting STOPs (apply may raise: they stay), then remove them; how many were applied.

        Returns -1 when another worker is replaying and did not finish within `wait` seconds.
        """
        if not self.pending():
            return 0
        with _locked(self._replay_lock, wait=wait) as got:
            if not got:
                return -1
            applied = self._read()
            keys = self._keys(applied)
            if keys:
                apply(keys)
            with _locked(self._lock):
                now = self._read()
                # Appends only add to the end; anything after what was applied stays for next time.
                rest = now[len(applied):] if now.startswith(applied) else now
                temporary = self.path.with_name(self.path.name + ".tmp")
                with open(temporary, "wb") as out:
                    out.write(rest)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
                _fsync_dir(self.path.parent)
            return len(keys)
