"""The SQLite store's schema: numbered migrations, run once, whoever opens a new index first."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.index.store import _M001_CREATE_TABLES, MIGRATIONS, SCHEMA_VERSION, Store, _statements


def test_a_new_store_has_every_migration(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert {"meta", "documents", "chunks", "chunks_fts", "entities", "chunks_ai", "chunks_ad"} <= names
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(chunks)")}
        assert "views" in columns  # the last migration
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
    assert all(list(_statements(m)) for m in MIGRATIONS)
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
