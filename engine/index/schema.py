"""The index database's schema: numbered migrations, each a function run once in one transaction.

A new index runs them all; an older one runs those it lacks when it is opened (tests/engine/test_schema.py opens a
golden database of every earlier schema, tests/data/golden). Append; never edit a migration that has shipped. A
data migration is a migration too: m004 marks the documents embedded another way than today's views, so the next
run embeds them again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by engine.index.store only when a migration runs (80 ms of a cold search otherwise)
    import sqlite_utils

# How the keyword index splits and stems words (m001 spells it out; a query's words are stemmed the same way).
KEYWORD_TOKENIZER = "porter unicode61 remove_diacritics 2"

_M001_CREATE_TABLES = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE folders (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL UNIQUE,
            folder TEXT NOT NULL,
            type TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            pages INTEGER,
            title TEXT,
            indexed_at REAL NOT NULL
        );
        CREATE INDEX documents_folder ON documents(folder);
        CREATE TABLE texts (
            doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            page_starts TEXT,
            sections TEXT NOT NULL
        );
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            page_start INTEGER,
            page_end INTEGER,
            heading TEXT,
            text TEXT NOT NULL,
            n_tokens INTEGER NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE INDEX chunks_doc ON chunks(doc_id);
        CREATE TABLE failures (
            path TEXT PRIMARY KEY,
            folder TEXT NOT NULL,
            reason TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            at REAL NOT NULL
        );
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            text, heading, content='chunks', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)
                VALUES ('delete', old.id, old.text, old.heading);
        END;
        CREATE TRIGGER chunks_au AFTER UPDATE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)
                VALUES ('delete', old.id, old.text, old.heading);
            INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
"""

_M002_ENTITIES = """
        CREATE TABLE entities (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            chunk_id INTEGER REFERENCES chunks(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT NOT NULL,
            text TEXT NOT NULL,
            norm TEXT NOT NULL
        );
        CREATE INDEX entities_doc ON entities(doc_id);
        CREATE INDEX entities_chunk ON entities(chunk_id);
        CREATE INDEX entities_norm ON entities(norm, label);
"""

# Where each view of a chunk stands in the document: JSON [[start, end], ...], NULL for chunks stored before views.
_M003_VIEW_SPANS = """
        ALTER TABLE chunks ADD COLUMN views TEXT;
"""


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script`` one by one (a trigger's body stays whole)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"an incomplete SQL statement ends the migration: {pending.strip()[:60]!r}")


def _script(sql: str) -> Callable[[sqlite3.Connection, sqlite_utils.Database], None]:
    def run(conn: sqlite3.Connection, _db: sqlite_utils.Database) -> None:
        for statement in _statements(sql):
            conn.execute(statement)

    return run


m001_create_tables = _script(_M001_CREATE_TABLES)
m002_entities = _script(_M002_ENTITIES)
m003_view_spans = _script(_M003_VIEW_SPANS)


def m004_views_title_128(conn: sqlite3.Connection, _db: sqlite_utils.Database) -> None:
    """Documents whose vectors were made before today's views (one vector a window, or views led by another
    context) are embedded again the next time a run sees them; until then their old vectors still answer."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'views'").fetchone()
    if row is None or row[0] != "title-128":
        # As Store.mark_all_stale: an mtime no file has and no hash, so the next run reads and embeds each again.
        conn.execute("UPDATE documents SET mtime_ns = -1, sha256 = ''")
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('views', 'title-128')")


def m005_folder_excludes(_conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """Each indexed folder remembers the exclude patterns it was indexed with (JSON list, NULL for none)."""
    db["folders"].add_column("exclude", str)  # type: ignore[union-attr]


def m006_failure_kinds(_conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """A failure says whether the file is to blame ("file": damaged, encrypted, empty ...) or DocSense is ("bug": an
    unexpected error), and which DocSense version recorded it: a bug's file is tried again after an upgrade."""
    db["failures"].add_column("kind", str)  # type: ignore[union-attr]
    db["failures"].add_column("version", str)  # type: ignore[union-attr]


def m007_document_warnings(_conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """What extraction noticed about a document it did index (pages that could not be read, pages without text):
    a JSON list of sentences, NULL for none."""
    db["documents"].add_column("warnings", str)  # type: ignore[union-attr]


def m008_document_container(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """A document may be one of several a file holds (a message of an mbox, a member of a zip): ``container`` is
    that file's path (its documents' paths lie below it, "inbox.mbox/12"), NULL for a document that is a file."""
    db["documents"].add_column("container", str)  # type: ignore[union-attr]
    conn.execute("CREATE INDEX documents_container ON documents(container)")


def m009_document_author_and_date(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """Who wrote a document and when, where the format says (a mail's From and Date, a PDF's or a DOCX's
    properties): ``author`` as written, ``date`` in seconds since 1970 (UTC); NULL where unknown."""
    db["documents"].add_column("author", str)  # type: ignore[union-attr]
    db["documents"].add_column("date", float)  # type: ignore[union-attr]
    conn.execute("CREATE INDEX documents_date ON documents(date)")


def m010_document_ocr_pages(_conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """How many of a document's pages were read by OCR (0 or NULL: none), for `docsense status`."""
    db["documents"].add_column("ocr_pages", int)  # type: ignore[union-attr]


def m011_entities_in_context(conn: sqlite3.Connection, _db: sqlite_utils.Database) -> None:
    """Entities stored before their context was judged (engine.tagger.kept: common words with a capital, TeX macros,
    code, field names) are judged now, from each document's text: what is not a name is deleted."""
    from engine.tagger import EntitySpan, kept

    documents = [r[0] for r in conn.execute("SELECT DISTINCT doc_id FROM entities")]
    for doc_id in documents:
        row = conn.execute("SELECT text FROM texts WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            continue
        rows = conn.execute('SELECT id, start, "end", label, text, norm FROM entities WHERE doc_id = ?', (doc_id,))
        spans = {r[0]: EntitySpan(*r[1:]) for r in rows}
        keep = {id(span) for span in kept(list(spans.values()), row[0])}
        gone = [(i,) for i, span in spans.items() if id(span) not in keep]
        conn.executemany("DELETE FROM entities WHERE id = ?", gone)


def m012_chunks_pending(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """Indexing runs in two phases: a chunk is stored with its text (searchable by keyword at once) and the token
    ids of its views in ``pending``, and an empty ``vector``; the second phase embeds it, stores its vectors and
    sets ``pending`` to NULL. The partial index finds what is left to embed."""
    db["chunks"].add_column("pending", bytes)  # type: ignore[union-attr]
    conn.execute("CREATE INDEX chunks_pending ON chunks(id) WHERE pending IS NOT NULL")


def m013_documents_untagged(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """The second phase tags documents too: ``untagged`` is 1 for a document stored before its entities were looked
    for, NULL once they were (or when no tagger runs). The partial index finds what is left to tag."""
    db["documents"].add_column("untagged", int)  # type: ignore[union-attr]
    conn.execute("CREATE INDEX documents_untagged ON documents(id) WHERE untagged IS NOT NULL")


def m014_document_recipients(_conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """Whom a document was sent to (a mail's To and Cc, as written), for the query's ``to:``; NULL where unknown,
    and for mails indexed before (their next indexing fills it)."""
    db["documents"].add_column("recipients", str)  # type: ignore[union-attr]


def m015_document_language(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """The language a document is written in (engine.language: an ISO 639-1 code; '' when it could not be told;
    NULL when not yet looked at: the next indexing run looks at those stored before, from their text)."""
    db["documents"].add_column("language", str)  # type: ignore[union-attr]
    conn.execute("CREATE INDEX documents_language ON documents(language)")


def m016_reference_pages_views(conn: sqlite3.Connection, _db: sqlite_utils.Database) -> None:
    """Reference pages (a NAME section among their first: man pages, git's and Perl's manual pages) now lead their
    views with their NAME line, and a page whose top-level heading is generic (DESCRIPTION, OPTIONS) with its title
    (engine.views): their vectors are made again the next time a run sees them, as m004 did; until then their old
    vectors still answer. (A NAME section whose first line is no "name - purpose" is marked too: its views come out
    as before.)"""
    import json

    from engine.views import GENERIC_HEADINGS, NAME_SECTION_BY

    def changed(sections: list[list[object]]) -> bool:
        headings = [str(heading) for _offset, heading in sections]
        if any(h.split(" > ")[-1].strip().lower() == "name" for h in headings[:NAME_SECTION_BY]):
            return True
        return any(h.split(" > ")[0].strip().rstrip(":").lower() in GENERIC_HEADINGS for h in headings)

    stale = [
        doc for doc, sections in conn.execute("SELECT doc_id, sections FROM texts") if changed(json.loads(sections))
    ]
    conn.executemany("UPDATE documents SET mtime_ns = -1, sha256 = '' WHERE id = ?", [(doc,) for doc in stale])


def m017_chunk_owners(conn: sqlite3.Connection, _db: sqlite_utils.Database) -> None:
    """Each window's document, looked up by the window's id in an index of its own: a search asks it of thousands
    of candidate windows, and a chunks row holds the window's text and vectors inline, so each lookup in the
    table read a page of a big B-tree (0.19 s a search at a million windows); the index is a few bytes a
    window and stays in the page cache."""
    conn.execute("CREATE INDEX IF NOT EXISTS chunks_owner ON chunks(id, doc_id)")


MIGRATIONS: list[Callable[[sqlite3.Connection, sqlite_utils.Database], None]] = [
    m001_create_tables,
    m002_entities,
    m003_view_spans,
    m004_views_title_128,
    m005_folder_excludes,
    m006_failure_kinds,
    m007_document_warnings,
    m008_document_container,
    m009_document_author_and_date,
    m010_document_ocr_pages,
    m011_entities_in_context,
    m012_chunks_pending,
    m013_documents_untagged,
    m014_document_recipients,
    m015_document_language,
    m016_reference_pages_views,
    m017_chunk_owners,
]
SCHEMA_VERSION = len(MIGRATIONS)
