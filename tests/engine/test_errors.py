"""The error boundary: conditions a user can act on become messages that say what to do; everything else is a bug."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.errors import DamagedIndexError, DocSenseError, explain


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/idx/vectors.faiss.tmp"), "the disk is full: /idx/vec"),
        (OSError(errno.EROFS, "Read-only file system", "/media/cd"), "read-only file system: /media/cd"),
        (PermissionError(errno.EACCES, "Permission denied", "/idx/docsense.db"), "permission denied: /idx/docs"),
        (sqlite3.OperationalError("database or disk is full"), "the disk holding the index is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "the index cannot be written"),
        (sqlite3.OperationalError("database is locked"), "locked by another program"),
    ],
)
def test_conditions_a_user_can_act_on_say_what_to_do(exc: Exception, says: str) -> None:
    error = explain(exc)
    assert isinstance(error, DocSenseError)
    assert says in str(error)
    assert "disk full, or" not in str(error)


def test_a_damaged_database_says_how_to_repair() -> None:
    error = explain(sqlite3.DatabaseError("database disk image is malformed"))
    assert isinstance(error, DamagedIndexError)
    assert "docsense verify --repair" in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("no such column: vector"),  # a bug in our SQL, not a full disk
        sqlite3.IntegrityError("UNIQUE constraint failed: documents.path"),
        OSError(errno.EBADF, "Bad file descriptor"),
        TypeError("unsupported operand"),
        KeyError("views"),
    ],
)
def test_everything_else_is_a_bug(exc: Exception) -> None:
    assert explain(exc) is None


BROKEN_SEARCH = textwrap.dedent(
    """
    import sqlite3, sys
    import engine.library

    def broken(self, *args, **kwargs):  # stands for a bug deep in search
        raise {exc}

    engine.library.Library.search = broken
    sys.argv = ["docsense", "search", "tea", "--index", sys.argv[1]]
    from desktop.cli import main
    main()
    """
)


@pytest.mark.parametrize(
    ("exc", "first_line"),
    [
        ('sqlite3.OperationalError("no such column: vector")', "docsense: internal error: OperationalError: no such"),
        ('sqlite3.OperationalError("database or disk is full")', "Error: the disk holding the index is full"),
        ('OSError(28, "No space left on device", "/x/vectors.faiss")', "Error: the disk is full: /x/vectors.faiss"),
    ],
)
def test_the_command_line_tells_bugs_from_user_errors(tmp_path: Path, exc: str, first_line: str) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Tea\n\nGreen tea.")
    env = {**os.environ, "DOCSENSE_ENCODER": "hashing-bow-64", "DOCSENSE_TAGGER": "none"}
    env.pop("DOCSENSE_DEBUG", None)
    index = str(tmp_path / "index")
    cli = [sys.executable, "-m", "desktop.cli"]
    assert subprocess.run([*cli, "index", str(folder), "--index", index, "-q"], env=env).returncode == 0
    script = BROKEN_SEARCH.format(exc=exc)
    run = subprocess.run([sys.executable, "-c", script, index], env=env, capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert lines[0].startswith(first_line), run.stderr
    assert "Traceback" not in run.stderr
    if "internal error" in first_line:
        assert lines[1] == "Run again with DOCSENSE_DEBUG=1 to see the traceback, and please report it."
        debug = subprocess.run([sys.executable, "-c", script, index], env={**env, "DOCSENSE_DEBUG": "1"},
                               capture_output=True, text=True)  # fmt: skip
        assert "Traceback (most recent call last)" in debug.stderr
        assert "in broken" in debug.stderr
    else:
        assert len(lines) == 1
        assert "is the disk full, or" not in run.stderr
