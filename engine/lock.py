"""One writer per index: an exclusive flock on ``writer.lock`` that names its holder's pid.

The kernel drops the lock when the process dies, however it dies, so a crash never leaves a stale lock.
Readers (searches) never take it: SQLite's WAL lets them read while the writer writes.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from engine.errors import IndexBusyError

LOCK_NAME = "writer.lock"


class WriterLock:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The pid written by whoever holds (or last held) the lock."""
        try:
            return int(self.path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def acquire(self, wait: bool = False, timeout: float | None = None) -> WriterLock:
        """Take the lock, or raise IndexBusyError naming the process that has it.

        Args:
            wait: block until the lock is free instead of failing at once.
            timeout: with ``wait``, give up after this many seconds.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)  # a planted link is not followed
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    os.close(fd)
                    raise IndexBusyError(str(self.path.parent), self.holder()) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        return self if self._fd is not None else self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
