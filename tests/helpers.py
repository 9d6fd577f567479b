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


class Unprivileged:
    """Runs commands without root's power over file modes, for tests where permissions matter: the tests run as
    root here and in CI, and root reads and writes every file whatever its mode. As root, the commands run with
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from their capability bounding set (util-linux's setpriv), so
    the kernel checks modes for them as for any user who owns the files; otherwise they run as they are. (Another
    uid would not do: the interpreter lives under /root, which only root may enter.)"""

    def __init__(self, home: Path) -> None:
        import os
        import shutil

        self.prefix: list[str] = []
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            assert setpriv, "the permission tests need setpriv (util-linux) when they run as root"
            self.prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
        self.home = home
        home.mkdir(mode=0o700, exist_ok=True)

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        """``docsense ARGS`` with the fast test settings (fake encoder, no tagger), in ``home``."""
        import os

        full_env = {
            **os.environ,
            "DOCSENSE_HOME": str(self.home / "docsense"),
            "DOCSENSE_ENCODER": "hashing-bow-64",
            "DOCSENSE_TAGGER": "none",
            **(env or {}),
        }
        return subprocess.run(
            [*self.prefix, sys.executable, "-m", "desktop.cli", *args], env=full_env, capture_output=True, text=True,
            timeout=timeout, cwd=self.home,
        )  # fmt: skip

    def python(self, code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``code`` in Python (argv[1:] are ``args``)."""
        return subprocess.run(
            [*self.prefix, sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
            cwd=self.home,
        )  # fmt: skip
