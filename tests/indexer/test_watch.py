"""The watcher on the real file system (inotify), with the fake encoder: add, change, rename, delete, folder moves,
a burst; and no thread left behind."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer.watch import Watcher, WatchEvent
from tests.helpers import db_rows

TIMEOUT = 30.0


def paths(index: Path) -> set[str]:
    return {r[0] for r in db_rows(index, "SELECT path FROM documents")}


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {TIMEOUT} s: {what}")


@pytest.fixture
def watched(make_indexer, docs: Path, tmp_path: Path) -> Iterator[tuple[Watcher, Path, list[WatchEvent]]]:
    (docs / "first.txt").write_text("the first document, about apples")
    events: list[WatchEvent] = []
    before = set(threading.enumerate())
    watcher = Watcher(make_indexer(), [docs], debounce_s=0.2, on_event=events.append)
    watcher.start()
    assert watcher.wait_ready(TIMEOUT)
    assert watcher.ready, events
    yield watcher, tmp_path / "index", events
    watcher.stop()
    time.sleep(0.2)
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == [], f"threads left running: {leftover}"


def test_catch_up_then_add_change_delete(watched, docs: Path) -> None:
    watcher, index, _events = watched
    assert paths(index) == {str(docs / "first.txt")}
    new = docs / "sub" / "new.md"
    new.parent.mkdir()
    new.write_text("# Pears\n\npears are green")
    eventually(lambda: str(new) in paths(index), "a new file is indexed")
    new.write_text("# Plums\n\nplums are purple")
    eventually(
        lambda: db_rows(index, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'plums'") == [(1,)],
        "a changed file is re-indexed",
    )
    assert db_rows(index, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'pears'") == [(0,)]
    (docs / "first.txt").unlink()
    eventually(lambda: str(docs / "first.txt") not in paths(index), "a deleted file is removed")
    # The watcher counts a batch after its run commits, so the count can trail what a reader already sees.
    eventually(lambda: watcher.batches >= 3, "three batches counted: the add, the change and the delete")


def test_rename_keeps_the_chunks(watched, docs: Path) -> None:
    _watcher, index, events = watched
    before = db_rows(index, "SELECT id FROM chunks ORDER BY id")
    (docs / "first.txt").rename(docs / "renamed.txt")
    eventually(lambda: paths(index) == {str(docs / "renamed.txt")}, "a renamed file shows its new path")
    assert db_rows(index, "SELECT id FROM chunks ORDER BY id") == before  # nothing re-embedded
    eventually(
        lambda: any(e.summary is not None and e.summary.renamed == 1 for e in events), "the batch reports a rename"
    )


def test_folder_move_and_delete(watched, docs: Path) -> None:
    _watcher, index, _events = watched
    folder = docs / "project"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_text(f"project note number {i}")
    eventually(lambda: len(paths(index)) == 4, "a new folder is indexed")
    ids = db_rows(index, "SELECT id FROM chunks ORDER BY id")
    folder.rename(docs / "archive")
    expected = {str(docs / "first.txt")} | {str(docs / "archive" / f"{i}.txt") for i in range(3)}
    eventually(lambda: paths(index) == expected, "a moved folder's files show their new paths")
    assert db_rows(index, "SELECT id FROM chunks ORDER BY id") == ids
    shutil.rmtree(docs / "archive")
    eventually(lambda: paths(index) == {str(docs / "first.txt")}, "a deleted folder's files are removed")


def test_burst_is_coalesced(watched, docs: Path) -> None:
    watcher, index, events = watched
    batches_before = watcher.batches
    burst = docs / "unpacked"
    burst.mkdir()
    for i in range(300):
        (burst / f"{i:03d}.txt").write_text(f"file {i} of the archive")
    eventually(lambda: len(paths(index)) == 301, "every file of a burst is indexed")

    def indexed() -> int:
        return sum(e.summary.indexed for e in events if e.summary is not None and e.kind == "batch")

    eventually(lambda: indexed() >= 301, "the batches' reports count every file")  # reports trail the commit
    time.sleep(0.5)
    assert indexed() == 301  # the catch-up's one file and each of the 300 once
    assert watcher.batches - batches_before <= 10  # coalesced, not one run per event


def test_a_slow_copy_ends_up_indexed_whole(watched, docs: Path) -> None:
    _watcher, index, _events = watched
    growing = docs / "growing.txt"
    with open(growing, "w") as fh:
        for i in range(8):
            fh.write(f"part {i} of a slow copy\n")
            fh.flush()
            time.sleep(0.1)
    sql = f"SELECT t.text FROM texts t JOIN documents d ON d.id = t.doc_id WHERE d.path = '{growing}'"
    eventually(lambda: any("part 7" in r[0] for r in db_rows(index, sql)), "the whole of a slow copy is indexed")


def test_a_path_is_due_only_once_it_stops_changing(tmp_path: Path, make_indexer) -> None:
    watcher = Watcher(make_indexer(), [tmp_path], debounce_s=0.1)
    path = tmp_path / "copy.txt"
    path.write_text("part 1")
    watcher.notice(str(path))
    assert watcher._due() == []  # not quiet yet
    time.sleep(0.12)
    assert watcher._due() == []  # quiet: its size and mtime are noted, to be looked at again
    with open(path, "a") as fh:
        fh.write(", part 2")
    time.sleep(0.06)
    assert watcher._due() == []  # it changed since the last look: wait again
    time.sleep(0.12)
    assert watcher._due() == [str(path)]  # the same at two looks: due
    assert watcher._due() == []
    gone = tmp_path / "gone.txt"
    watcher.notice(str(gone), str(tmp_path / ".hidden.txt"), str(tmp_path / "x.txt~"))
    time.sleep(0.12)
    assert watcher._due() == []
    time.sleep(0.06)
    assert watcher._due() == [str(gone)]  # a deleted path is due too; hidden and backup files never are


def test_a_file_closed_after_writing_is_due_at_once(tmp_path: Path, make_indexer) -> None:
    watcher = Watcher(make_indexer(), [tmp_path], debounce_s=60)
    saved, renamed, reopened = (str(tmp_path / name) for name in ("saved.txt", "renamed.txt", "reopened.txt"))
    watcher.notice(saved, complete=True)
    watcher.notice(reopened, complete=True)
    watcher.notice(reopened)  # written again after it was closed: waits to be quiet
    watcher.notice(str(tmp_path / "old.txt"), renamed, complete=True)  # both names of a rename, together
    assert watcher._due() == [str(tmp_path / "old.txt"), renamed, saved]
    assert watcher._due() == []


def test_a_saved_file_is_indexed_without_waiting_for_the_debounce(make_indexer, docs: Path, tmp_path: Path) -> None:
    watcher = Watcher(make_indexer(), [docs], debounce_s=3 * TIMEOUT)
    watcher.start()
    try:
        assert watcher.wait_ready(TIMEOUT)
        index = tmp_path / "index"
        with open(docs / "open.txt", "w") as fh:
            fh.write("still being written")
            fh.flush()
            (docs / "saved.md").write_text("# Quinces\n\nquinces are yellow")
            eventually(lambda: str(docs / "saved.md") in paths(index), "a file closed after writing is indexed")
            time.sleep(0.5)
            assert str(docs / "open.txt") not in paths(index)  # open for writing: it waits for the debounce
    finally:
        watcher.stop()


def test_inotify_limit_falls_back_to_polling(make_indexer, docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from watchdog.observers import Observer

    def out_of_watches(self: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "start", out_of_watches)
    events: list[WatchEvent] = []
    watcher = Watcher(make_indexer(), [docs], debounce_s=0.2, on_event=events.append)
    watcher.start()
    try:
        assert watcher.wait_ready(TIMEOUT)
        notices = [e.message for e in events if e.kind == "notice"]
        assert len(notices) == 1
        assert "fs.inotify.max_user_watches" in notices[0]
        assert "polling" in notices[0]
        (docs / "polled.txt").write_text("found by polling")
        index = docs.parent / "index"
        eventually(lambda: str(docs / "polled.txt") in paths(index), "polling sees a new file")
    finally:
        watcher.stop()


def test_first_run_failure_ends_the_watcher(make_indexer, tmp_path: Path) -> None:
    events: list[WatchEvent] = []
    watcher = Watcher(make_indexer(), [tmp_path / "missing"], on_event=events.append)
    watcher.start()
    watcher.wait_ready(TIMEOUT)
    watcher.stop()
    assert not watcher.ready
    assert [e.kind for e in events] == ["error"]
    assert "does not exist" in events[0].message


def test_a_file_indexed_on_its_own_is_watched_and_its_neighbours_are_not(make_indexer, docs: Path, tmp_path: Path):
    paper = docs / "paper.txt"
    paper.write_text("the paper, about apples")
    (docs / "neighbour.txt").write_text("not asked for")
    watcher = Watcher(make_indexer(), [paper], debounce_s=0.2)
    watcher.start()
    try:
        assert watcher.wait_ready(TIMEOUT)
        index = tmp_path / "index"
        assert paths(index) == {str(paper)}
        paper.write_text("the paper, now about quinces")
        eventually(
            lambda: db_rows(index, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'quinces'") == [(1,)],
            "the watched file is indexed again when it changes",
        )
        (docs / "neighbour.txt").write_text("still not asked for, changed")
        (docs / "another.txt").write_text("a new neighbour")
        time.sleep(1.0)
        assert paths(index) == {str(paper)}
    finally:
        watcher.stop()
