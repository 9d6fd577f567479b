"""Permissions, as a user sees them: root reads and writes whatever the modes say, and the tests run as root here
and in CI, so every command here runs without those powers (tests.helpers.Unprivileged)."""

from __future__ import annotations

import contextlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import Unprivileged


def _notes(folder: Path, names: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in names.items():
        (folder / name).write_text(text)
    return folder


@contextlib.contextmanager
def _mode(folder: Path, mode: int) -> Iterator[None]:
    """``folder`` with permissions ``mode`` for the block, then rwx for its owner again (so that pytest can clean
    up)."""
    folder.chmod(mode)
    try:
        yield
    finally:
        folder.chmod(0o700)


def _status(user: Unprivileged, index: Path) -> dict:
    result = user.run("status", "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_in_a_folder_that_cannot_be_entered_are_named_and_their_copies_kept(unprivileged: Unprivileged) -> None:
    """A folder with read but no execute permission can be listed, not entered: its files are named with that
    reason (they were skipped without a word), and what the index held of them stays until it can look again."""
    user = unprivileged
    docs = _notes(user.home / "docs", {"open.txt": "a note anyone may read about quokkas"})
    _notes(docs / "shut", {"inside.txt": "the wombat burrow note", "picture.bin": "not a document type"})
    index = user.home / "index"
    first = user.run("index", str(docs), "--index", str(index), "-q")
    assert first.returncode == 0, first.stderr
    assert _status(user, index)["documents"] == 2

    with _mode(docs / "shut", stat.S_IRUSR | stat.S_IWUSR):  # rw-: listed, not entered
        second = user.run("index", "--index", str(index), "-q")
        status = _status(user, index)
    assert second.returncode == 0, second.stderr
    reasons = {Path(f["path"]).name: f["reason"] for f in status["failed"]}
    assert set(reasons) == {"inside.txt"}  # picture.bin is no document type: not named
    assert reasons["inside.txt"].startswith("permission denied: the folder")
    assert reasons["inside.txt"].endswith("the copy indexed before is kept")
    assert status["documents"] == 2
    found = user.run("search", "wombat burrow", "--index", str(index), "--json")
    assert Path(json.loads(found.stdout.splitlines()[0])["path"]).name == "inside.txt"

    third = user.run("index", "--index", str(index), "-q")  # readable again
    assert third.returncode == 0, third.stderr
    status = _status(user, index)
    assert status["failed"] == []
    assert status["documents"] == 2


def test_a_folder_that_cannot_be_read_is_named_and_its_documents_kept(unprivileged: Unprivileged) -> None:
    user = unprivileged
    docs = _notes(user.home / "docs", {"open.txt": "a note about quokkas"})
    _notes(docs / "locked", {"x.txt": "the wombat note"})
    index = user.home / "index"
    assert user.run("index", str(docs), "--index", str(index), "-q").returncode == 0
    with _mode(docs / "locked", 0):
        result = user.run("index", "--index", str(index), "-q")
        status = _status(user, index)
    assert result.returncode == 0, result.stderr
    assert [(Path(f["path"]).name, f["reason"]) for f in status["failed"]] == [
        ("locked", "cannot read folder: Permission denied")
    ]
    assert status["documents"] == 2


def test_a_file_that_cannot_be_read_is_named(unprivileged: Unprivileged) -> None:
    user = unprivileged
    docs = _notes(user.home / "docs", {"open.txt": "a note about quokkas", "locked.txt": "nobody may read this"})
    (docs / "locked.txt").chmod(0)
    index = user.home / "index"
    result = user.run("index", str(docs), "--index", str(index), "-q")
    assert result.returncode == 0, result.stderr
    status = _status(user, index)
    assert [(Path(f["path"]).name, f["reason"]) for f in status["failed"]] == [("locked.txt", "permission denied")]
    assert status["documents"] == 1


def test_a_read_only_index_folder_can_be_searched_but_not_written(unprivileged: Unprivileged) -> None:
    """Someone's index on a read-only share or a folder they made read-only: search opens it read-only (no -wal or
    -shm to create), and a command that would write says why it cannot."""
    user = unprivileged
    docs = _notes(user.home / "docs", {"a.txt": "the quokka lives on Rottnest Island", "b.txt": "wombats dig"})
    index = user.home / "index"
    assert user.run("index", str(docs), "--index", str(index), "-q").returncode == 0
    before = sorted(p.name for p in index.iterdir())
    _notes(docs, {"c.txt": "a new note about echidnas"})
    with _mode(index, 0o500):
        found = user.run("search", "quokka island", "--index", str(index), "--json")
        keyword = user.run("search", "wombats", "--index", str(index), "--json", "--mode", "keyword")
        status = user.run("status", "--index", str(index))
        write = user.run("index", "--index", str(index), "-q")
        after = sorted(p.name for p in index.iterdir())
    assert found.returncode == 0, found.stderr
    assert Path(json.loads(found.stdout.splitlines()[0])["path"]).name == "a.txt"
    assert keyword.returncode == 0, keyword.stderr
    assert Path(json.loads(keyword.stdout.splitlines()[0])["path"]).name == "b.txt"
    assert status.returncode == 0, status.stderr
    assert "Documents: 2" in status.stdout
    assert write.returncode == 1
    assert "Traceback" not in write.stderr
    assert "read-only" in write.stderr or "cannot be written" in write.stderr, write.stderr
    assert after == before


def test_an_old_index_in_a_read_only_folder_says_it_needs_upgrading(unprivileged: Unprivileged) -> None:
    import shutil

    index = unprivileged.home / "index"
    index.mkdir(mode=0o700)
    shutil.copy(Path(__file__).parents[1] / "data" / "golden" / "schema-1.db", index / "docsense.db")
    with _mode(index, 0o500):
        result = unprivileged.run("search", "apt-cache policy", "--index", str(index))
    assert result.returncode == 1
    assert "was made by an older DocSense and must be upgraded" in result.stderr
    assert "Traceback" not in result.stderr
