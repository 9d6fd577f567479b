"""Incremental indexing on real files with the fake encoder: adds, changes, renames, deletions, failures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine import Library
from engine.errors import DocSenseError, EncoderMismatchError
from engine.index.vectors import VectorIndex
from tests.helpers import db_rows


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def faiss_ids(index: Path) -> list[int]:
    loaded = VectorIndex.load(index, 64)
    assert loaded is not None
    return sorted(loaded[0].ids().tolist())


def chunk_ids(index: Path) -> list[int]:
    return [r[0] for r in db_rows(index, "SELECT id FROM chunks ORDER BY id")]


def test_first_run_indexes_and_second_run_does_nothing(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "a.txt", "apples and oranges")
    write(docs / "b.md", "# Fruit\n\nbananas are yellow")
    summary = make_indexer().run([docs])
    assert (summary.indexed, summary.unchanged, summary.removed, summary.failed) == (2, 0, 0, ())
    assert summary.chunks == 2
    index = tmp_path / "index"
    assert faiss_ids(index) == chunk_ids(index)
    again = make_indexer().run()  # no folders: the ones already indexed
    assert (again.indexed, again.unchanged, again.chunks) == (0, 2, 0)
    assert faiss_ids(index) == chunk_ids(index)


def test_the_encoder_a_run_loaded_is_kept_for_the_next(make_indexer, docs: Path) -> None:
    indexer = make_indexer(encoder="hashing-bow-64")  # by name: the first run that embeds loads it
    (docs / "first.txt").write_text("a first note about apples and pears")
    indexer.run([docs])
    encoder = indexer.encoder
    assert encoder._cache  # the very encoder that run embedded with, not a new one
    (docs / "later.txt").write_text("a later note about quinces and medlars")
    assert indexer.run([docs]).indexed == 1
    assert indexer.encoder is encoder


def test_a_watchers_runs_keep_their_tagging_processes(make_indexer, docs: Path, tmp_path: Path) -> None:
    indexer = make_indexer(workers=2, tagger="en_core_web_sm")
    indexer.keep_pools = True  # as a watcher sets it
    (docs / "a.txt").write_text("Leslie Lamport wrote LaTeX while he worked in California.")
    indexer.run([docs])
    ((_width, pool, _log),) = indexer._kept_pools  # one pool: none was started wider for no document
    processes = list(pool._processes.values())
    (docs / "b.txt").write_text("Donald Knuth wrote TeX at Stanford University.")
    indexer.run([docs])
    assert [p for _w, p, _l in indexer._kept_pools] == [pool]
    assert list(pool._processes.values()) == processes  # the same processes tagged it: spaCy was loaded once
    found = db_rows(tmp_path / "index", "SELECT e.text FROM entities e JOIN documents d ON d.id = e.doc_id "
                    "WHERE d.path LIKE '%b.txt' AND e.label = 'PERSON'")  # fmt: skip
    assert ("Donald Knuth",) in found
    indexer.close_pools()
    assert indexer._kept_pools == []
    assert not any(p.is_alive() for p in processes)


def test_each_chunk_stores_one_vector_per_view(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "long.txt", "words about orchards and the apples that grow in them " * 120)
    make_indexer().run([docs])
    index = tmp_path / "index"
    rows = db_rows(index, "SELECT length(vector) / (4 * 64) FROM chunks ORDER BY id")
    assert len(rows) > 1
    assert all(2 <= n <= 6 for (n,) in rows)  # 512-token windows as 128-token views
    loaded = VectorIndex.load(index, 64)
    assert loaded is not None
    assert len(loaded[0]) == sum(n for (n,) in rows)


def test_an_index_from_before_views_is_embedded_again(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "a.txt", "apples and oranges " * 200)
    write(docs / "b.txt", "pears")
    make_indexer().run([docs])
    index = tmp_path / "index"
    import sqlite3

    with sqlite3.connect(index / "docsense.db") as conn:  # as the view migration (schema m004) marks them
        conn.execute("UPDATE documents SET mtime_ns = -1, sha256 = ''")
    again = make_indexer().run()
    assert (again.indexed, again.unchanged) == (2, 0)
    assert db_rows(index, "SELECT value FROM meta WHERE key = 'views'") == [("title-128",)]
    assert faiss_ids(index) == chunk_ids(index)
    assert (make_indexer().run().indexed, make_indexer().run().unchanged) == (0, 2)


def test_changed_file_is_reembedded_and_others_are_not(make_indexer, docs: Path, tmp_path: Path, fake_encoder) -> None:
    a = write(docs / "a.txt", "apples and oranges")
    write(docs / "b.txt", "bananas are yellow")
    make_indexer().run([docs])
    index = tmp_path / "index"
    before = dict(db_rows(index, "SELECT d.path, c.id FROM chunks c JOIN documents d ON d.id = c.doc_id"))
    a.write_text("cherries are red")
    summary = make_indexer().run([docs])
    assert (summary.indexed, summary.unchanged) == (1, 1)
    after = dict(db_rows(index, "SELECT d.path, c.id FROM chunks c JOIN documents d ON d.id = c.doc_id"))
    assert after[str(docs / "b.txt")] == before[str(docs / "b.txt")]  # untouched row
    assert after[str(a)] != before[str(a)]
    assert faiss_ids(index) == chunk_ids(index)
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.search("cherries", limit=1)[0].path == str(a)
        assert all(h.path != str(a) for h in lib.search("apples", modes=("keyword",)))


def test_touched_but_same_content_is_not_reembedded(make_indexer, docs: Path, tmp_path: Path) -> None:
    a = write(docs / "a.txt", "apples and oranges")
    make_indexer().run([docs])
    ids = chunk_ids(tmp_path / "index")
    os.utime(a, ns=(1, 1))
    summary = make_indexer().run([docs])
    assert (summary.indexed, summary.unchanged, summary.chunks) == (0, 1, 0)
    assert chunk_ids(tmp_path / "index") == ids
    assert db_rows(tmp_path / "index", "SELECT mtime_ns FROM documents") == [(1,)]


def test_deleted_files_leave_both_stores(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "a.txt", "apples")
    b = write(docs / "sub/b.txt", "bananas")
    make_indexer().run([docs])
    b.unlink()
    summary = make_indexer().run([docs])
    assert summary.removed == 1
    index = tmp_path / "index"
    assert db_rows(index, "SELECT path FROM documents") == [(str(docs / "a.txt"),)]
    assert faiss_ids(index) == chunk_ids(index)
    assert db_rows(index, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'bananas'") == [(0,)]


def test_failures_are_recorded_and_retried_when_fixed(make_indexer, docs: Path, tmp_path: Path) -> None:
    bad = write(docs / "empty.txt", "")
    write(docs / "ok.txt", "fine")
    summary = make_indexer().run([docs])
    assert [(Path(f.path).name, f.reason) for f in summary.failed] == [("empty.txt", "empty file")]
    again = make_indexer().run([docs])
    assert [(Path(f.path).name, f.reason) for f in again.failed] == [("empty.txt", "empty file")]
    bad.write_text("now it has text")
    fixed = make_indexer().run([docs])
    assert (fixed.indexed, fixed.failed) == (1, ())
    assert db_rows(tmp_path / "index", "SELECT count(*) FROM failures") == [(0,)]


def test_file_that_becomes_broken_is_removed_and_recorded(make_indexer, docs: Path, tmp_path: Path) -> None:
    a = write(docs / "a.txt", "apples")
    make_indexer().run([docs])
    a.write_bytes(os.urandom(4096) + b"\x00" * 100)
    summary = make_indexer().run([docs])
    assert [f.reason for f in summary.failed] == ["binary data, not text"]
    index = tmp_path / "index"
    assert db_rows(index, "SELECT count(*) FROM documents") == [(0,)]
    assert faiss_ids(index) == []


def test_whole_corpus_with_broken_files(make_indexer, corpus_copy: Path, tmp_path: Path) -> None:
    summary = make_indexer().run([corpus_copy])
    reasons = {Path(f.path).name: f.reason for f in summary.failed}
    assert reasons == {
        "binary-garbage.txt": "binary data, not text",
        "empty.txt": "empty file",
        "not-really.pdf": "not a PDF: the file is an HTML page",
        "password-protected.pdf": "encrypted, no password",
        "truncated.pdf": "damaged PDF: the file is cut off before its end (truncated download?)",
    }
    readable = [p for p in corpus_copy.rglob("*") if p.is_file() and p.parent.name != "broken" and p.suffix != ""]
    readable = [p for p in readable if p.name != "README.md"]
    assert summary.indexed == len(readable) + 1  # + corpus README.md, a Markdown file too
    assert summary.pages == 8 + 1 + 7 + 2 + 2 + 2  # the six PDFs


def test_remove_folder(make_indexer, docs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(docs / "a.txt", "apples")
    write(other / "b.txt", "bananas")
    make_indexer().run([docs, other])
    assert make_indexer().remove_folder(docs) == 1
    index = tmp_path / "index"
    assert db_rows(index, "SELECT path FROM folders") == [(str(other),)]
    assert db_rows(index, "SELECT path FROM documents") == [(str(other / "b.txt"),)]
    assert faiss_ids(index) == chunk_ids(index)
    with pytest.raises(DocSenseError, match="not an indexed folder"):
        make_indexer().remove_folder(docs)


def test_missing_folder_is_a_clear_error(make_indexer, tmp_path: Path) -> None:
    with pytest.raises(DocSenseError, match="does not exist"):
        make_indexer().run([tmp_path / "nope"])
    with pytest.raises(DocSenseError, match=r"no index at .*: index a folder first"):
        make_indexer().run()
    assert not (tmp_path / "index").exists()


def test_stale_faiss_file_is_rebuilt_from_sqlite(make_indexer, docs: Path, tmp_path: Path, fake_encoder) -> None:
    write(docs / "a.txt", "apples")
    write(docs / "b.txt", "bananas")
    make_indexer().run([docs])
    index = tmp_path / "index"
    # Simulate a crash after a SQLite commit and before the FAISS save: an older FAISS file.
    stale = VectorIndex(64)
    stale.add([999], np.ones((1, 64), dtype=np.float32) / 8)
    stale.save(index, version=0)
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.verify().ok is False
        assert lib.search("bananas", limit=1, modes=("meaning",))[0].path == str(docs / "b.txt")
    make_indexer().run()  # a writer saves the rebuilt vectors
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.verify().ok
    assert faiss_ids(index) == chunk_ids(index)


def test_other_encoder_is_refused(make_indexer, docs: Path, tmp_path: Path, tokenizer) -> None:
    from engine.encoder import HashingEncoder

    write(docs / "a.txt", "apples")
    make_indexer().run([docs])
    with pytest.raises(EncoderMismatchError, match="hashing-bow-64"):
        make_indexer(encoder=HashingEncoder(dim=32, tokenizer=tokenizer)).run([docs])


def test_process_pool_gives_the_same_index(make_indexer, corpus_copy: Path, tmp_path: Path) -> None:
    inline = make_indexer(index_path=tmp_path / "inline").run([corpus_copy / "html", corpus_copy / "pdf"])
    pooled = make_indexer(index_path=tmp_path / "pooled", workers=2).run([corpus_copy / "html", corpus_copy / "pdf"])
    assert (pooled.indexed, pooled.chunks, pooled.tokens) == (inline.indexed, inline.chunks, inline.tokens)
    sql = (
        'SELECT d.path, c.start, c."end", c.page_start FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY 1, 2'
    )
    assert db_rows(tmp_path / "inline", sql) == db_rows(tmp_path / "pooled", sql)


def test_progress_events(make_indexer, docs: Path) -> None:
    for i in range(5):
        write(docs / f"{i}.txt", f"document number {i}")
    events = list(make_indexer().iter_run([docs]))
    assert events[0].phase == "scan"
    assert events[-1].phase == "done"
    assert events[-1].summary is not None
    assert events[-1].files_done == events[-1].files_total == 5
    done = [e.files_done for e in events if e.phase == "index"]
    assert done == sorted(done)


def test_cancel_stops_early_and_keeps_what_was_stored(make_indexer, docs: Path, tmp_path: Path) -> None:
    for i in range(40):
        write(docs / f"{i:02d}.txt", f"document number {i} " * 300)
    seen = []

    def stop() -> bool:
        seen.append(1)
        return len(seen) >= 3

    summary = make_indexer().run([docs], should_stop=stop)
    assert summary.cancelled
    # the three files read before the cancel are kept, searchable by keyword and waiting to be embedded, and
    # nothing after them is read
    assert db_rows(tmp_path / "index", "SELECT path FROM documents ORDER BY path") == [
        (str(docs / f"{i:02d}.txt"),) for i in range(3)
    ]
    waiting = db_rows(tmp_path / "index", "SELECT id FROM chunks WHERE pending IS NOT NULL ORDER BY id")
    assert [r[0] for r in waiting] == chunk_ids(tmp_path / "index")
    assert faiss_ids(tmp_path / "index") == []
    resumed = make_indexer().run([docs])
    assert resumed.indexed == 37
    assert db_rows(tmp_path / "index", "SELECT count(*) FROM documents") == [(40,)]
    assert faiss_ids(tmp_path / "index") == chunk_ids(tmp_path / "index")  # those that waited embedded too
    assert db_rows(tmp_path / "index", "SELECT count(*) FROM chunks WHERE pending IS NOT NULL") == [(0,)]


def test_every_file_is_found_by_keyword_before_any_is_embedded(
    make_indexer, fake_encoder, docs: Path, tmp_path: Path
) -> None:
    """Two phases: every file is stored (and found by keyword) first, then the windows are embedded. A run stopped
    in the second phase keeps its files searchable by keyword, marks their hits, and the next run embeds the rest."""
    for i in range(40):
        write(docs / f"{i:02d}.txt", f"This is note {i} about walrus{i}. Leslie Lamport wrote it in California. " * 40)
    phases: list[tuple[str, int, int]] = []
    tagged = make_indexer(tagger="en_core_web_sm")
    for p in tagged.iter_run([docs], should_stop=lambda: any(ph == "embed" for ph, *_rest in phases)):
        phases.append((p.phase, p.files_done, p.embedded))  # the run stops after the first batch it embeds
    embedding = [i for i, (phase, *_rest) in enumerate(phases) if phase == "embed"]
    assert embedding, phases
    # the first embed event comes after the last file was read and nothing was embedded before
    assert phases[embedding[0]][1] == 40
    assert phases[embedding[0]][2] == 0
    assert all(phase != "index" for phase, *_rest in phases[embedding[0] :])
    index = tmp_path / "index"
    waiting = db_rows(index, "SELECT count(*) FROM chunks WHERE pending IS NOT NULL")[0][0]
    assert 0 < waiting < len(chunk_ids(index))
    with Library(index, encoder=fake_encoder) as library:
        status = library.status()
        waiting_docs = db_rows(index, "SELECT count(DISTINCT doc_id) FROM chunks WHERE pending IS NOT NULL")[0][0]
        assert (status.pending_chunks, status.pending_documents) == (waiting, waiting_docs)
        assert status.untagged_documents == 40 - 1  # one document tagged a batch, in this process
        hit = next(h for h in library.search("walrus39", limit=50) if h.path == str(docs / "39.txt"))
        assert hit.matched == "keyword"
        assert not hit.embedded
    resumed = make_indexer(tagger="en_core_web_sm").run([docs])
    assert resumed.indexed == 0
    assert not resumed.cancelled
    assert db_rows(index, "SELECT count(*) FROM chunks WHERE pending IS NOT NULL") == [(0,)]
    assert faiss_ids(index) == chunk_ids(index)
    with Library(index, encoder=fake_encoder) as library:
        assert library.status().pending_chunks == 0
        assert library.status().untagged_documents == 0
        assert [e.text for e in library.entities(label="PERSON")] == ["Leslie Lamport"]
        hit = next(h for h in library.search("walrus39", limit=50) if h.path == str(docs / "39.txt"))
        assert hit.matched == "both"
        assert hit.embedded


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="one core")
def test_threads_bound_the_cores_a_run_uses(make_indexer, docs: Path, monkeypatch) -> None:
    """threads = 1: the run (and the workers and threads it starts) stays on one CPU, which it gives back after."""
    for i in range(3):
        write(docs / f"{i}.txt", f"note {i} " * 50)
    monkeypatch.setenv("DOCSENSE_THREADS", "1")
    cores_seen: list[int] = []
    indexer = make_indexer(workers=None)
    assert indexer.workers == 1
    indexer.run([docs], on_progress=lambda _p: cores_seen.append(len(os.sched_getaffinity(0))))
    assert set(cores_seen) == {1}
    assert len(os.sched_getaffinity(0)) >= 2


def test_excludes_given_once_are_remembered_per_folder(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "keep.txt", "plain words to keep")
    write(docs / "debug.log.txt", "noise that was excluded")
    other = tmp_path / "other"
    write(other / "debug.log.txt", "noise in a folder without excludes")
    first = make_indexer(exclude=["*.log.txt"]).run([docs])
    assert first.indexed == 1
    make_indexer().run([other])
    # The next plain run (as `docsense index`, the window's Index now and watch make it) still honours them ...
    again = make_indexer().run()
    assert (again.indexed, again.removed) == (0, 0)
    index = tmp_path / "index"
    assert db_rows(index, "SELECT path FROM documents ORDER BY path") == [
        (str(docs / "keep.txt"),),
        (str(other / "debug.log.txt"),),  # ... for the folder they were given for only
    ]
    # A watcher's targeted run too.
    write(docs / "more.log.txt", "more noise")
    assert make_indexer().run(paths=[docs / "more.log.txt"]).indexed == 0
    # Given again, they replace the remembered ones.
    assert make_indexer(exclude=["nothing-matches"]).run([docs]).indexed == 2


def test_the_config_file_excludes_per_folder(make_indexer, docs: Path, tmp_path: Path) -> None:
    write(docs / "keep.txt", "plain words to keep")
    write(docs / "drafts" / "draft.txt", "a draft")
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[folders."{docs}"]\nexclude = ["drafts"]\n')
    assert make_indexer().run([docs]).indexed == 1
    assert db_rows(tmp_path / "index", "SELECT path FROM documents") == [(str(docs / "keep.txt"),)]


@pytest.mark.parametrize(
    ("kind", "version", "retried"),
    [("bug", "0.0.1", True), ("bug", "current", False), ("file", "0.0.1", False)],
)
def test_a_file_that_met_a_bug_is_tried_again_after_an_upgrade(
    make_indexer, docs: Path, tmp_path: Path, kind: str, version: str, retried: bool
) -> None:
    """A failure records whether the file or DocSense was to blame, and which version said so. A damaged file stays
    failed until it changes; one that met a bug is read again by the next DocSense version."""
    import sqlite3

    from engine import __version__

    note = write(docs / "note.txt", "a note that an older DocSense could not index")
    make_indexer().run([docs])
    index = tmp_path / "index"
    st = note.stat()
    with sqlite3.connect(index / "docsense.db") as conn:  # as that older run left it: no document, a failure
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM documents")
        conn.execute(
            "INSERT INTO failures(path, folder, reason, size, mtime_ns, at, kind, version) "
            "VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            (str(note), str(docs), "unexpected error: IndexError: boom", st.st_size, st.st_mtime_ns, kind,
             __version__ if version == "current" else version),
        )  # fmt: skip
    summary = make_indexer().run()
    assert summary.indexed == (1 if retried else 0)
    assert db_rows(index, "SELECT count(*) FROM failures") == [(0 if retried else 1,)]


def test_a_failure_records_its_kind_and_the_version(make_indexer, docs: Path, tmp_path: Path):
    from engine import __version__

    write(docs / "fine.txt", "words")
    (docs / "bomb.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00" * 64)  # not a PDF any library reads: a "file" failure
    make_indexer().run([docs])
    assert db_rows(tmp_path / "index", "SELECT path, kind, version FROM failures") == [
        (str(docs / "bomb.pdf"), "file", __version__)
    ]
