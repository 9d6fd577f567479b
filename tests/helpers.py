"""Small helpers shared by tests: reading an index's database directly, holding its writer lock from elsewhere."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def db_rows(index: Path, sql: str) -> list[tuple]:
    """The rows ``sql`` gives on the index's database, read with a connection of its own."""
    conn = sqlite3.connect(index / "docsense.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def hold_writer_lock(index: Path, seconds: float) -> subprocess.Popen:
    """Another process that takes the index's writer lock (as a running indexer would) for ``seconds``.

    Returns once the lock is held; the caller waits for or kills the process.
    """
    code = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, str(os.getpid()).encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(index / "writer.lock"), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder
