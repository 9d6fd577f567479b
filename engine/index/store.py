"""The SQLite half of an index: documents, their text, chunks with their vectors, failures, and FTS5 for BM25.

SQLite is the source of truth. Every chunk's vector is kept here too, so the FAISS file is a cache that can always
be rebuilt; ``vectors_version`` counts write transactions that touched vectors, and the FAISS file records the
version it was saved at, so a stale FAISS file is detected on open rather than trusted.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.fts import quoted
from engine.index.schema import KEYWORD_TOKENIZER, MIGRATIONS, SCHEMA_VERSION
from engine.settings import SERVER_FILE
from engine.tagger import EntitySpan

if TYPE_CHECKING:
    from engine.errors import DocSenseError

DB_NAME = "docsense.db"
CACHE_KB = 65_536  # each connection's page cache (SQLite's default is 2 MB)


def _use_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Put the database in WAL mode (a no-op once it is). Switching a new file fails at once, without SQLite's busy
    wait, while another connection is opening it too, so it is tried again for up to ``wait_s`` seconds. (A file
    system that cannot do WAL keeps the old mode, as before.)"""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _has_log(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database at ``path`` to this DocSense's schema, one migration a transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    if version > SCHEMA_VERSION:
        from engine.errors import IndexAccessError

        raise IndexAccessError(
            f"{path} has schema version {version}, newer than this DocSense ({SCHEMA_VERSION}): "
            "update DocSense to open it"
        )
    for number in range(version, SCHEMA_VERSION):
        with _transaction(conn):
            # Another process opening the same new index may have run it while this one waited for the lock.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) > number:
                continue
            MIGRATIONS[number](conn, db)
            conn.execute(f"PRAGMA user_version = {number + 1}")


def _create(path: Path) -> None:
    """A new database at ``path``, complete with its schema before it bears the name: so an empty (0-byte)
    docsense.db is always damage, never a new index.

    It is built under a name of its own, readable by its owner only (SQLite gives the -wal and -shm files the same
    mode), closed (which folds the log into it) and linked into place, which fails if another process (the window
    and a command starting at once) got there first: then theirs is used.
    """
    for stale in path.parent.glob(path.name + ".new-*"):  # a crash's leftovers
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 3600:
                stale.unlink()
    building = path.with_name(f"{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    os.close(os.open(building, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    try:
        conn = sqlite3.connect(building, isolation_level=None)
        try:
            _use_wal(conn)
            _upgrade(conn, building)
        finally:
            conn.close()
        if building.stat().st_size == 0 or _has_log(building):  # its log could not be folded in (a full disk?)
            raise sqlite3.OperationalError("database or disk is full: the new index could not be written")
        try:
            os.link(building, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(building, path)
    finally:
        building.unlink(missing_ok=True)


STALE_MTIME_NS = -1  # a document's mtime when it must be read and embedded again (see Store.mark_all_stale)


@dataclass(frozen=True)
class DocumentRow:
    id: int
    path: str
    folder: str
    type: str
    size: int
    mtime_ns: int
    sha256: str
    container: str | None = None  # the file holding it, when it is one of a file's documents (see m008)


@dataclass(frozen=True)
class FailureRow:
    """What the index remembers of a file it could not index."""

    size: int | None
    mtime_ns: int | None
    kind: str  # "file" (damaged, encrypted, empty ...) or "bug" (an unexpected error in DocSense)
    version: str  # the DocSense version that recorded it


@dataclass(frozen=True)
class NewChunk:
    """A chunk ready to store: its place in the document and its vectors, one per view ((views, dim)); or, for the
    second phase to embed (``vector`` None), the token ids of its views in ``pending``."""

    ord: int
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    heading: str | None
    text: str
    n_tokens: int
    vector: np.ndarray | None
    view_spans: tuple[tuple[int, int], ...] = ()
    pending: Sequence[Sequence[int]] = ()


def pack_views(views: Sequence[Sequence[int]]) -> bytes:
    """The token ids of a chunk's views as one blob: the number of views and each one's length (uint32), then the
    ids, two bytes each where every id fits (a BERT vocabulary's do), else four; the count's top bit says which."""
    ids = [i for v in views for i in v]
    wide = bool(ids) and max(ids) >= 1 << 16
    head = np.asarray([len(views) | (wide << 31), *(len(v) for v in views)], dtype="<u4").tobytes()
    return head + np.asarray(ids, dtype="<u4" if wide else "<u2").tobytes()


def unpack_views(blob: bytes) -> list[list[int]]:
    """The views ``pack_views`` packed."""
    first = int(np.frombuffer(blob, dtype="<u4", count=1)[0])
    n, wide = first & 0x7FFFFFFF, bool(first >> 31)
    lengths = np.frombuffer(blob, dtype="<u4", count=n, offset=4)
    flat = np.frombuffer(blob, dtype="<u4" if wide else "<u2", offset=4 * (1 + n))
    bounds = np.cumsum([0, *lengths])
    if bounds[-1] != len(flat):
        raise ValueError("the views' lengths do not add up to the ids stored")
    return [flat[bounds[i] : bounds[i + 1]].tolist() for i in range(n)]


@dataclass(frozen=True)
class NewDocument:
    path: str
    folder: str
    type: str
    size: int
    mtime_ns: int
    sha256: str
    pages: int | None
    title: str | None
    text: str
    page_starts: list[int] | None
    sections: list[tuple[int, str]]
    chunks: list[NewChunk]
    entities: list[EntitySpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    container: str | None = None  # the file that holds it (an mbox, a zip), when it is one of several
    author: str | None = None  # who wrote it, where the format says (a mail's From)
    recipients: str | None = None  # whom it was sent to (a mail's To and Cc)
    date: float | None = None  # when, in seconds since 1970 (UTC), where the format says
    ocr_pages: int = 0  # how many of its pages OCR read
    untagged: bool = False  # its entities are to be looked for by the second phase (``entities`` is empty)
    language: str | None = None  # engine.language's code; '' when it could not be told


_DOCUMENT_ROW = "id, path, folder, type, size, mtime_ns, sha256, container"


def _under(column: str, path: str, prefix: bool = False) -> tuple[str, list[object]]:
    """A WHERE clause: ``column`` equals ``path`` or, with ``prefix``, lies below it as a folder."""
    if not prefix:
        return f"{column} = ?", [path]
    below = path.rstrip("/") + "/"
    return f"({column} = ? OR substr({column}, 1, ?) = ?)", [path, len(below), below]


class Store:
    """An open ``docsense.db``. Not shared between threads: open one per thread."""

    def __init__(self, folder: Path, readonly: bool = False, frozen: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        if readonly:
            # In a folder that cannot be written (or on a full disk: ``frozen``), a clean index (no -wal left) is
            # read as immutable: SQLite then needs no -shm file, which it could not create there.
            wal = self.path.with_name(DB_NAME + "-wal")
            frozen = (frozen or not os.access(self.folder, os.W_OK)) and not (wal.exists() and wal.stat().st_size)
            uri = f"file:{self.path}?mode=ro" + ("&immutable=1" if frozen else "")
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30, isolation_level=None)
        else:
            if not self.path.exists():
                _create(self.path)
            elif self.path.stat().st_size == 0 and not _has_log(self.path):
                from engine.errors import FIX_DAMAGE, DamagedIndexError

                raise DamagedIndexError(f"{self.path} is empty (0 bytes): the index is damaged; {FIX_DAMAGE}")
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            _use_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Search reads a few thousand rows of a big index at random (the windows' documents, vectors, places): its
        # own page cache keeps their b-tree pages where SQLite's default 2 MB does not (documents_of -25 %).
        conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        conn.row_factory = sqlite3.Row
        self.conn = conn
        self._vocabulary = False
        self._owners: bool | None = None  # whether the chunks_owner index is there
        if not readonly:
            self._migrate()

    def close(self) -> None:
        self.conn.close()

    # -- schema -------------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        _upgrade(self.conn, self.path)

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One atomic write: everything inside is committed together or not at all."""
        return _transaction(self.conn)

    # -- meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def vectors_version(self) -> int:
        return int(self.get_meta("vectors_version", "0") or 0)

    def _bump_vectors_version(self) -> None:
        self.set_meta("vectors_version", str(self.vectors_version() + 1))

    # -- folders ------------------------------------------------------------------------------------------

    def folders(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM folders ORDER BY path")]

    def add_folder(self, path: str) -> None:
        sql = "INSERT INTO folders(path, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING"  # SQLite's and PostgreSQL's
        self.conn.execute(sql, (path, time.time()))

    def set_folder_excludes(self, path: str, patterns: Sequence[str]) -> None:
        """Remember the exclude patterns of an indexed folder (an empty list: none)."""
        self.conn.execute("UPDATE folders SET exclude = ? WHERE path = ?", (json.dumps(list(patterns)), path))

    def folder_excludes(self) -> dict[str, tuple[str, ...]]:
        """Each indexed folder's remembered exclude patterns."""
        rows = self.conn.execute("SELECT path, exclude FROM folders WHERE exclude IS NOT NULL")
        return {r[0]: tuple(json.loads(r[1])) for r in rows}

    # -- documents ----------------------------------------------------------------------------------------

    def documents_under(self, folder: str, nested: bool = False) -> dict[str, DocumentRow]:
        """Documents recorded as found under the indexed folder ``folder``, by path; with ``nested``, the documents
        at or below the path ``folder``, whichever indexed folder found them."""
        where, params = _under("folder", folder) if not nested else _under("path", folder, prefix=True)
        rows = self.conn.execute(f"SELECT {_DOCUMENT_ROW} FROM documents WHERE {where}", params)
        return {r["path"]: DocumentRow(*r) for r in rows}

    def document_by_path(self, path: str) -> DocumentRow | None:
        row = self.conn.execute(f"SELECT {_DOCUMENT_ROW} FROM documents WHERE path = ?", (path,)).fetchone()
        return DocumentRow(*row) if row else None

    def failures_under(self, folder: str, nested: bool = False) -> dict[str, FailureRow]:
        where, params = _under("folder", folder) if not nested else _under("path", folder, prefix=True)
        rows = self.conn.execute(f"SELECT path, size, mtime_ns, kind, version FROM failures WHERE {where}", params)
        return {r[0]: FailureRow(r[1], r[2], r[3] or "file", r[4] or "") for r in rows}

    def rename_document(self, old: str, new: str, folder: str, size: int, mtime_ns: int) -> None:
        """Give a stored document a new path (a rename or move with the same content); nothing else changes."""
        self.conn.execute("DELETE FROM failures WHERE path = ?", (new,))
        self.conn.execute(
            "UPDATE documents SET path = ?, folder = ?, size = ?, mtime_ns = ? WHERE path = ?",
            (new, folder, size, mtime_ns, old),
        )

    def put_document(self, doc: NewDocument) -> tuple[list[int], list[int]]:
        """Replace whatever is stored for ``doc.path`` with ``doc``; returns (removed chunk ids, new chunk ids).

        Call inside ``transaction()``.
        """
        removed = self._delete_document_rows(doc.path)
        self.conn.execute("DELETE FROM failures WHERE path = ?", (doc.path,))
        cur = self.conn.execute(
            "INSERT INTO documents(path, folder, type, size, mtime_ns, sha256, pages, title, indexed_at, warnings, "
            "container, author, date, ocr_pages, untagged, recipients, language) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.path,
                doc.folder,
                doc.type,
                doc.size,
                doc.mtime_ns,
                doc.sha256,
                doc.pages,
                doc.title,
                time.time(),
                json.dumps(doc.warnings) if doc.warnings else None,
                doc.container,
                doc.author,
                doc.date,
                doc.ocr_pages or None,
                1 if doc.untagged else None,
                doc.recipients,
                doc.language,
            ),
        )
        doc_id = int(cur.lastrowid or 0)
        self.conn.execute(
            "INSERT INTO texts(doc_id, text, page_starts, sections) VALUES (?, ?, ?, ?)",
            (
                doc_id,
                doc.text,
                json.dumps(doc.page_starts) if doc.page_starts is not None else None,
                json.dumps(doc.sections),
            ),
        )
        added: list[int] = []
        for c in doc.chunks:
            cur = self.conn.execute(
                'INSERT INTO chunks(doc_id, ord, start, "end", page_start, page_end, heading, text, n_tokens, vector, '
                "views, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_id,
                    c.ord,
                    c.start,
                    c.end,
                    c.page_start,
                    c.page_end,
                    c.heading,
                    c.text,
                    c.n_tokens,
                    b"" if c.vector is None else np.ascontiguousarray(c.vector, dtype=np.float32).tobytes(),
                    json.dumps(c.view_spans) if c.view_spans else None,
                    pack_views(c.pending) if c.vector is None else None,
                ),
            )
            added.append(int(cur.lastrowid or 0))
        self._insert_entities(
            doc_id, [(i, c.start, c.end) for i, c in zip(added, doc.chunks, strict=True)], doc.entities
        )
        self._bump_vectors_version()
        return removed, added

    def _insert_entities(
        self, doc_id: int, chunks: Sequence[tuple[int, int, int]], entities: Sequence[EntitySpan]
    ) -> None:
        """Store a document's entities; ``chunks``: its (id, start, end) in order. Each entity belongs to the first
        chunk whose span holds its start (chunks overlap; one is enough)."""
        starts = [start for _id, start, _end in chunks]
        rows = []
        for e in entities:
            i = bisect.bisect_right(starts, e.start) - 1
            chunk_id = chunks[i][0] if i >= 0 and e.start < chunks[i][2] else None
            rows.append((doc_id, chunk_id, e.start, e.end, e.label, e.text, e.norm))
        self.conn.executemany(
            'INSERT INTO entities(doc_id, chunk_id, start, "end", label, text, norm) VALUES (?, ?, ?, ?, ?, ?, ?)', rows
        )

    def untagged_documents(self) -> list[int]:
        """The ids of the documents whose entities the second phase has still to look for, oldest first."""
        return [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE untagged IS NOT NULL ORDER BY id")]

    def untagged_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents WHERE untagged IS NOT NULL").fetchone()[0])

    def path_and_text(self, doc_id: int) -> tuple[str, str] | None:
        """The path and the text of the document with this id."""
        row = self.conn.execute(
            "SELECT d.path, t.text FROM documents d JOIN texts t ON t.doc_id = d.id WHERE d.id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def put_entities(self, doc_id: int, entities: Sequence[EntitySpan], warnings: Sequence[str] = ()) -> bool:
        """Store the second phase's entities of a document (and what tagging noticed, with its warnings); False when
        the document is gone or was tagged meanwhile. Call inside ``transaction()``."""
        row = self.conn.execute(
            "SELECT warnings FROM documents WHERE id = ? AND untagged IS NOT NULL", (doc_id,)
        ).fetchone()
        if row is None:
            return False
        chunks = self.conn.execute('SELECT id, start, "end" FROM chunks WHERE doc_id = ? ORDER BY ord', (doc_id,))
        self._insert_entities(doc_id, [tuple(r) for r in chunks], entities)
        noted = [*(json.loads(row[0]) if row[0] else []), *warnings]
        self.conn.execute(
            "UPDATE documents SET untagged = NULL, warnings = ? WHERE id = ?",
            (json.dumps(noted) if noted else None, doc_id),
        )
        return True

    def chunk_ids_of(self, path: str) -> list[int]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ? ORDER BY c.id",
                (path,),
            )
        ]

    def _delete_document_rows(self, path: str) -> list[int]:
        row = self.conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if row is None:
            return []
        ids = [r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (row[0],))]
        self.conn.execute("DELETE FROM entities WHERE doc_id = ?", (row[0],))
        self.conn.execute("DELETE FROM chunks WHERE doc_id = ?", (row[0],))
        self.conn.execute("DELETE FROM texts WHERE doc_id = ?", (row[0],))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (row[0],))
        return ids

    def delete_documents(self, paths: Iterable[str]) -> list[int]:
        """Forget these documents (and any failure recorded for them); returns the chunk ids removed."""
        removed: list[int] = []
        for path in paths:
            removed += self._delete_document_rows(path)
            self.conn.execute("DELETE FROM failures WHERE path = ?", (path,))
        if removed:
            self._bump_vectors_version()
        return removed

    def members_of(self, container: str) -> list[str]:
        """The paths of the documents the file ``container`` holds (messages of an mbox, members of a zip)."""
        return [r[0] for r in self.conn.execute("SELECT path FROM documents WHERE container = ?", (container,))]

    def touch_members(self, container: str, size: int, mtime_ns: int) -> None:
        """Record a new size and mtime for the documents of a file whose content hash did not change."""
        self.conn.execute(
            "UPDATE documents SET size = ?, mtime_ns = ? WHERE container = ?", (size, mtime_ns, container)
        )

    def touch_document(self, doc_id: int, size: int, mtime_ns: int) -> None:
        """Record a new size and mtime for a file whose content hash did not change."""
        self.conn.execute("UPDATE documents SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, doc_id))

    def record_failure(
        self,
        path: str,
        folder: str,
        reason: str,
        size: int | None,
        mtime_ns: int | None,
        kind: str = "file",
        version: str = "",
        keep_document: bool = False,
    ) -> list[int]:
        """Note that ``path`` could not be indexed (``kind``: "file" when the file is to blame, "bug" when DocSense is,
        recorded by DocSense ``version``); a stale copy of it, if any, is removed unless ``keep_document``."""
        removed = [] if keep_document else self.delete_documents([path])
        self.conn.execute(
            "INSERT INTO failures(path, folder, reason, size, mtime_ns, at, kind, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET folder = excluded.folder, "
            "reason = excluded.reason, size = excluded.size, mtime_ns = excluded.mtime_ns, at = excluded.at, "
            "kind = excluded.kind, version = excluded.version",
            (path, folder, reason, size, mtime_ns, time.time(), kind, version),
        )
        return removed

    def remove_folder(self, folder: str) -> list[int]:
        paths = [r[0] for r in self.conn.execute("SELECT path FROM documents WHERE folder = ?", (folder,))]
        removed = self.delete_documents(paths)
        self.conn.execute("DELETE FROM failures WHERE folder = ?", (folder,))
        self.conn.execute("DELETE FROM folders WHERE path = ?", (folder,))
        return removed

    def mark_all_stale(self) -> None:
        """Make every document look changed (an mtime no file has, no hash), so that the next run reads and embeds
        each again: for vectors made another way than the index now makes them."""
        self.conn.execute("UPDATE documents SET mtime_ns = ?, sha256 = ''", (STALE_MTIME_NS,))

    # -- reading ------------------------------------------------------------------------------------------

    def stale_count(self) -> int:
        """Documents marked by ``mark_all_stale`` that no run has embedded again yet."""
        return int(
            self.conn.execute("SELECT count(*) FROM documents WHERE mtime_ns = ?", (STALE_MTIME_NS,)).fetchone()[0]
        )

    def entity_groups(
        self, where: str, params: Sequence[object], limit: int, sample: int
    ) -> list[tuple[str, str, str, int, int, list[str]]]:
        """The entities of the documents ``d`` matching ``where`` (over ``entities e`` and ``documents d``), grouped
        by normalised form and label, most mentioned first, in one query.

        Each group: (norm, label, its most frequent surface form, mentions, documents mentioning it, the first
        ``sample`` of those documents' paths in path order).
        """
        rows = self.conn.execute(
            f"""
            WITH m AS (
                SELECT e.norm, e.label, e.text, d.path FROM entities e JOIN documents d ON d.id = e.doc_id
                WHERE {where}
            ),
            g AS (
                SELECT norm, label, count(*) AS n, count(DISTINCT path) AS docs FROM m
                GROUP BY norm, label ORDER BY n DESC, norm LIMIT ?
            ),
            forms AS (
                SELECT m.norm, m.label, m.text,
                       row_number() OVER (PARTITION BY m.norm, m.label ORDER BY count(*) DESC, m.text) AS r
                FROM m JOIN g ON g.norm = m.norm AND g.label = m.label GROUP BY m.norm, m.label, m.text
            ),
            paths AS (
                SELECT DISTINCT m.norm, m.label, m.path FROM m JOIN g ON g.norm = m.norm AND g.label = m.label
            ),
            firsts AS (
                SELECT norm, label, path, row_number() OVER (PARTITION BY norm, label ORDER BY path) AS r FROM paths
            )
            SELECT g.norm, g.label, f.text, g.n, g.docs,
                   (SELECT json_group_array(path) FROM (
                        SELECT path FROM firsts p WHERE p.norm = g.norm AND p.label = g.label AND p.r <= ? ORDER BY r))
            FROM g JOIN forms f ON f.norm = g.norm AND f.label = g.label AND f.r = 1
            ORDER BY g.n DESC, g.norm
            """,
            [*params, limit, sample],
        ).fetchall()
        return [(norm, label, text, n, docs, json.loads(paths)) for norm, label, text, n, docs, paths in rows]

    def entity_document_count(self, where: str, params: Sequence[object], label: str, norms: Sequence[str]) -> int:
        """How many documents ``d`` matching ``where`` mention an entity ``e`` of ``label`` in one of ``norms``."""
        sql = (
            "SELECT count(DISTINCT e.doc_id) FROM entities e JOIN documents d ON d.id = e.doc_id "
            f"WHERE {where} AND e.label = ? AND e.norm IN ({','.join('?' * len(norms))})"
        )
        return int(self.conn.execute(sql, [*params, label, *norms]).fetchone()[0])

    def document_text(self, path: str) -> str | None:
        row = self.conn.execute(
            "SELECT t.text FROM texts t JOIN documents d ON d.id = t.doc_id WHERE d.path = ?", (path,)
        ).fetchone()
        return row[0] if row else None

    def document_pages(self, path: str) -> list[int] | None:
        """Where each page starts in the document's text (PDFs), or None."""
        row = self.conn.execute(
            "SELECT t.page_starts FROM texts t JOIN documents d ON d.id = t.doc_id WHERE d.path = ?", (path,)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def document_content(self, path: str) -> tuple[str, str, list[int] | None] | None:
        """A document's (type, text, page starts), or None if it is not indexed."""
        row = self.conn.execute(
            "SELECT d.type, t.text, t.page_starts FROM documents d JOIN texts t ON t.doc_id = d.id WHERE d.path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return row["type"], row["text"], json.loads(row["page_starts"]) if row["page_starts"] else None

    def document_text_and_sections(self, path: str) -> tuple[int, str, tuple[int, ...]] | None:
        """A document's (id, text, the offsets where its sections start), or None if it is not indexed."""
        row = self.conn.execute(
            "SELECT d.id, t.text, t.sections FROM documents d JOIN texts t ON t.doc_id = d.id WHERE d.path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return row["id"], row["text"], tuple(offset for offset, _heading in json.loads(row["sections"]))

    def document_sections(self, path: str) -> tuple[str, list[tuple[int, str]]] | None:
        """A document's text and its sections (offset, heading path), or None if it is not indexed."""
        row = self.conn.execute(
            "SELECT t.text, t.sections FROM documents d JOIN texts t ON t.doc_id = d.id WHERE d.path = ?", (path,)
        ).fetchone()
        if row is None:
            return None
        return row["text"], [(int(offset), str(heading)) for offset, heading in json.loads(row["sections"])]

    def entity_spans(self, doc_id: int, start: int, end: int) -> list[EntitySpan]:
        """The entities of document ``doc_id`` that lie within [start, end), in text order."""
        rows = self.conn.execute(
            'SELECT start, "end", label, text, norm FROM entities WHERE doc_id = ? AND start >= ? AND "end" <= ? '
            "ORDER BY start",
            (doc_id, start, end),
        )
        return [EntitySpan(*r) for r in rows]

    def document_entities(self, path: str) -> list[EntitySpan]:
        rows = self.conn.execute(
            'SELECT e.start, e."end", e.label, e.text, e.norm FROM entities e JOIN documents d ON d.id = e.doc_id '
            "WHERE d.path = ? ORDER BY e.start",
            (path,),
        )
        return [EntitySpan(*r) for r in rows]

    def ocr_pages(self) -> int:
        """How many pages of the indexed documents were read by OCR."""
        return int(self.conn.execute("SELECT coalesce(sum(ocr_pages), 0) FROM documents").fetchone()[0])

    def unsupported(self) -> tuple[tuple[str, int], ...]:
        """The files of types DocSense does not read that the last whole run found: (suffix, count), most first."""
        try:
            counts = json.loads(self.get_meta("unsupported") or "{}")
            return tuple((str(k), int(v)) for k, v in counts.items())
        except (ValueError, TypeError, AttributeError):
            return ()

    def quick_check(self) -> str:
        """SQLite's own check of the database file: "ok", or what is wrong."""
        return str(self.conn.execute("PRAGMA quick_check").fetchone()[0])

    def rebuild_keyword_index(self) -> None:
        """Rebuild FTS5 from the chunk rows; call inside ``transaction()``."""
        self.conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")

    def forget_failure(self, path: str) -> None:
        self.conn.execute("DELETE FROM failures WHERE path = ?", (path,))

    # -- the reads of search -------------------------------------------------------------------------------

    def keyword_matches(
        self, match: str, where: str, params: Sequence[object], k: int, after: int = 0
    ) -> list[tuple[int, float, int]]:
        """The best ``k`` chunks for the FTS5 query ``match`` among the documents ``d`` matching ``where`` (when
        nothing is filtered, "1": those of id above ``after``): (chunk id, FTS5 bm25 with the heading at double
        weight (lower is better), document id), best first.

        Raises:
            QueryError: FTS5 refused the query (the query builders in engine.fts should make this impossible).
        """
        if after and where != "1":
            raise ValueError("a range of chunk ids is only asked for unfiltered")
        try:
            if where == "1":  # nothing filtered: rank the keyword index alone, then join the best k (twice as fast)
                sql = "SELECT rowid, bm25(chunks_fts, 1.0, 2.0) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? "
                bounds: list[object] = [after] if after else []
                sql += "AND rowid > ? " if after else ""
                best = self._tuples(sql + "ORDER BY rank LIMIT ?", [match, *bounds, k]).fetchall()
                doc_of = self.documents_of([r[0] for r in best])
                return [(int(r[0]), float(r[1]), doc_of[r[0]]) for r in best if r[0] in doc_of]
            sql = (
                "SELECT f.rowid, bm25(chunks_fts, 1.0, 2.0) AS rank, c.doc_id FROM chunks_fts f "
                "JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.doc_id "
                f"WHERE chunks_fts MATCH ? AND {where} ORDER BY rank LIMIT ?"
            )
            return [(int(r[0]), float(r[1]), int(r[2])) for r in self.conn.execute(sql, [match, *params, k])]
        except sqlite3.OperationalError as exc:  # never a traceback for a query
            from engine.errors import QueryError

            raise QueryError(f"the keyword search could not run this query: {exc}") from exc

    def keyword_scores(self, match: str, up_to: int) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk of id up to ``up_to`` that the FTS5 query ``match`` finds, and its bm25 (the heading at
        double weight; higher is better here), as (ids ascending, scores); for a query of words few windows hold."""
        sql = ("SELECT rowid, -bm25(chunks_fts, 1.0, 2.0) FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid <= ? "
               "ORDER BY rowid")  # fmt: skip
        try:
            pairs = np.asarray(self._tuples(sql, (match, up_to)).fetchall(), dtype=np.float64).reshape(-1, 2)
        except sqlite3.OperationalError as exc:  # never a traceback for a query
            from engine.errors import QueryError

            raise QueryError(f"the keyword search could not run this query: {exc}") from exc
        return pairs[:, 0].astype(np.int64), pairs[:, 1]

    def _open_vocabulary(self) -> None:
        """Temporary tables (this connection's own, so a read-only index can have them too) over the keyword
        index's terms, and a scratch FTS5 table that stems words as the keyword index does."""
        if self._vocabulary:
            return
        self.conn.executescript(
            f"""
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_terms USING fts5vocab(main, chunks_fts, row);
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_places USING fts5vocab(main, chunks_fts, instance);
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch USING fts5(text, tokenize='{KEYWORD_TOKENIZER}');
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch_terms USING fts5vocab(temp, scratch, instance);
            """
        )
        self._vocabulary = True

    def stems(self, text: str) -> list[str]:
        """The terms the keyword index would store for ``text`` (split, lower-cased, stemmed), in order."""
        self._open_vocabulary()
        self.conn.execute("INSERT INTO temp.scratch(rowid, text) VALUES (1, ?)", (text,))
        try:
            return [r[0] for r in self.conn.execute("SELECT term FROM temp.scratch_terms ORDER BY offset")]
        finally:
            self.conn.execute("DELETE FROM temp.scratch")

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many windows hold each of ``terms`` (stemmed as by ``stems``); 0 for a term no window has."""
        self._open_vocabulary()
        counts = dict.fromkeys(terms, 0)
        sql = f"SELECT term, doc FROM temp.chunk_terms WHERE term IN ({','.join('?' * len(counts))})"
        counts.update((r[0], int(r[1])) for r in self.conn.execute(sql, list(counts)))
        return counts

    def terms_starting(self, prefix: str, limit: int) -> list[str]:
        """The keyword index's terms that begin with ``prefix`` (lower case), those most windows hold first."""
        self._open_vocabulary()
        rows = self.conn.execute(
            "SELECT term FROM temp.chunk_terms WHERE term >= ? AND term < ? ORDER BY doc DESC, term LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [r[0] for r in rows]

    def holds(self, word: str) -> bool:
        """Whether some window holds ``word`` in a form the keyword index stems as it does (True for a word that
        stems to no term at all: there is nothing to look for). A word of one term is looked up as a query that
        stops at its first window; counting the windows that hold it reads them all (64 ms for a common word in
        a million windows)."""
        stems = self.stems(word)
        if len(stems) == 1:
            sql = "SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1"
            return self.conn.execute(sql, (quoted(word),)).fetchone() is not None
        return not stems or any(self.term_counts(stems).values())

    def last_chunk_id(self) -> int:
        """The greatest window id given so far (0 for none); AUTOINCREMENT never gives it again."""
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
        return int(row[0]) if row is not None else 0

    def common_terms(self, least: int, most: int) -> list[tuple[str, int, str]]:
        """(term, how many windows hold it, a word the keyword index stems to it) for the keyword index's terms in
        at least ``least`` windows and fewer than ``most`` (those for which no such word is found are left out);
        reads the whole keyword index."""
        self._open_vocabulary()
        rows = self.conn.execute("SELECT term, doc FROM temp.chunk_terms WHERE doc >= ? AND doc < ?", (least, most))
        found = []
        for term, count in rows.fetchall():
            word = self._word_for(str(term))
            if word is not None:
                found.append((str(term), int(count), word))
        return found

    def _word_for(self, term: str) -> str | None:
        """A word that the keyword index stems to ``term``, to look the term up by (a query's words are stemmed,
        and the Porter stemmer does not give every stem back as it is: "databas" becomes "databa", while
        "database" gives "databas"), or None."""
        for suffix in TERM_SUFFIXES:
            if self.stems(term + suffix) == [term]:
                return term + suffix
        return None

    def term_scores(self, word: str, up_to: int, batch: int = 100_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The windows up to id ``up_to`` that hold the one term ``word`` stems to, ascending, and FTS5's bm25 of
        that term alone in each (higher better), in batches of (ids, scores)."""
        sql = ("SELECT rowid, -bm25(chunks_fts, 1.0, 2.0) FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid <= ? "
               "ORDER BY rowid")  # fmt: skip
        rows = self.conn.execute(sql, (quoted(word), up_to))
        while found := rows.fetchmany(batch):
            pairs = np.asarray(found, dtype=np.float64)
            yield pairs[:, 0].astype(np.int64), pairs[:, 1]

    def window_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def document_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def data_version(self) -> int:
        """A number that changes when another connection commits a change to the database (SQLite's
        data_version; this connection's own commits leave it as it is)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def window_counts(self, doc_ids: Sequence[int]) -> dict[int, int]:
        """{document id: how many windows it has} for those of ``doc_ids`` still stored."""
        return self._pairs_of("SELECT doc_id, count(*) FROM chunks WHERE doc_id IN ({}) GROUP BY doc_id", doc_ids)

    def languages(self) -> dict[str, int]:
        """{language code: how many documents are written in it}, most first; '' for those whose language could
        not be told (documents not yet looked at are not counted)."""
        rows = self.conn.execute(
            "SELECT language, count(*) FROM documents WHERE language IS NOT NULL GROUP BY language "
            "ORDER BY count(*) DESC, language"
        )
        return {r[0]: int(r[1]) for r in rows}

    def documents_not_in(self, language: str) -> set[int]:
        """The ids of the documents written in a language other than ``language`` (not those whose language
        could not be told)."""
        rows = self.conn.execute(
            "SELECT id FROM documents WHERE language IS NOT NULL AND language NOT IN ('', ?)", (language,)
        )
        return {r[0] for r in rows}

    def documents_without_language(self, limit: int) -> list[tuple[int, str]]:
        """(id, text) of up to ``limit`` documents whose language was not yet looked at (stored before schema 15)."""
        rows = self.conn.execute(
            "SELECT d.id, t.text FROM documents d JOIN texts t ON t.doc_id = d.id WHERE d.language IS NULL LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1]) for r in rows]

    def untold_count(self) -> int:
        """How many documents' language was not yet looked at (stored before schema 15)."""
        return int(self.conn.execute("SELECT count(*) FROM documents WHERE language IS NULL").fetchone()[0])

    def set_languages(self, languages: dict[int, str]) -> None:
        """Store each document's language (''  when it could not be told). Call inside ``transaction()``."""
        self.conn.executemany("UPDATE documents SET language = ? WHERE id = ?", [(v, k) for k, v in languages.items()])

    def windows_with(self, term: str) -> set[int]:
        """The ids of the windows that hold ``term`` (stemmed as by ``stems``), in their text or heading."""
        self._open_vocabulary()
        return {r[0] for r in self.conn.execute("SELECT DISTINCT doc FROM temp.chunk_places WHERE term = ?", (term,))}

    def windows_holding(self, word: str, among: Sequence[int]) -> set[int]:
        """Those of the windows ``among`` that hold ``word`` (one word, stemmed as the keyword index stems it), each
        looked up by its id: for a word in many windows and few windows to ask about."""
        match = quoted(word)
        found: set[int] = set()
        for a in range(0, len(among), 10_000):
            batch = list(among[a : a + 10_000])
            sql = f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid IN ({','.join('?' * len(batch))})"
            found.update(r[0] for r in self.conn.execute(sql, [match, *batch]))
        return found

    def places_in(self, ids: Sequence[int], terms: Sequence[str]) -> dict[tuple[int, str, str], list[int]]:
        """{(window, column, term): the term's token offsets in that column} for the windows ``ids`` and the
        ``terms`` (stemmed as the keyword index stems them): read from a scratch keyword index of just those
        windows (their text tokenized again, about 0.2 ms a window), since the big index gives a term's places
        only for all its windows at once."""
        self.conn.executescript(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.place_scratch USING "
            f"fts5(text, heading, content='', tokenize='{KEYWORD_TOKENIZER}');"
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.place_terms USING fts5vocab(temp, place_scratch, instance);"
        )
        self.conn.execute("INSERT INTO temp.place_scratch(place_scratch) VALUES ('delete-all')")
        rows = self._tuples(f"SELECT id, text, heading FROM chunks WHERE id IN ({','.join('?' * len(ids))})", list(ids))
        self.conn.executemany("INSERT INTO temp.place_scratch(rowid, text, heading) VALUES (?, ?, ?)", rows.fetchall())
        places: dict[tuple[int, str, str], list[int]] = {}
        sql = f"SELECT doc, col, term, offset FROM temp.place_terms WHERE term IN ({','.join('?' * len(terms))})"
        for doc, col, term, offset in self._tuples(sql, list(terms)):
            places.setdefault((int(doc), str(col), str(term)), []).append(int(offset))
        self.conn.execute("INSERT INTO temp.place_scratch(place_scratch) VALUES ('delete-all')")
        return places

    def keyword_sizes(self, ids: Sequence[int]) -> dict[int, int]:
        """{window: its length in keyword-index tokens, all columns} for those of ``ids`` stored (FTS5's docsize)."""
        marks = ",".join("?" * len(ids))
        rows = self._tuples(f"SELECT id, sz FROM chunks_fts_docsize WHERE id IN ({marks})", list(ids))
        return {int(i): sum(_varints(sz)) for i, sz in rows}

    def keyword_averages(self) -> tuple[int, float]:
        """(how many windows the keyword index holds, their mean length in tokens), as FTS5's bm25 reads them."""
        row = self.conn.execute("SELECT block FROM chunks_fts_data WHERE id = 1").fetchone()
        numbers = _varints(row[0]) if row is not None else [0]
        return numbers[0], (sum(numbers[1:]) / numbers[0] if numbers[0] else 0.0)

    def documents_named(self, words: Sequence[str], where: str = "1", params: Sequence[object] = ()) -> list[str]:
        """The documents ``d`` matching ``where`` whose file's name, less its extension, is one of ``words`` (any
        case): "url" names .../url/url.pdf; in path order."""
        found: list[str] = []
        for word in dict.fromkeys(w.lower() for w in words if len(w) > 1 and w.isalnum()):
            rows = self.conn.execute(
                f"SELECT d.path FROM documents d WHERE lower(d.path) LIKE ? ESCAPE '\\' AND {where} ORDER BY d.path",
                [f"%/{word}.%", *params],
            )
            found += [p for (p,) in rows if os.path.splitext(os.path.basename(p))[0].lower() == word]
        return list(dict.fromkeys(found))

    def documents_titled(self, text: str, where: str = "1", params: Sequence[object] = ()) -> list[str]:
        """The documents ``d`` matching ``where`` whose title, of two words or more, ``text`` holds (any case, a
        leading "the" and edge punctuation aside): "Who wrote the Debian Administrator's Handbook?" names the
        document titled "The Debian Administrator's Handbook"; in path order."""
        said = " " + " ".join(text.lower().split()) + " "
        rows = self.conn.execute(
            f"SELECT d.path, d.title FROM documents d WHERE d.title IS NOT NULL AND instr(d.title, ' ') > 0 "
            f"AND {where} ORDER BY d.path",
            list(params),
        )
        found = []
        for path, title in rows:
            words = " ".join(str(title).lower().split()).strip(" .,:;!?\"'")
            words = words[4:] if words.startswith("the ") else words
            if " " in words and f" {words}" in said:
                found.append(str(path))
        return found

    def chunk_at(self, path: str, start: int) -> tuple[int, str, str | None] | None:
        """The window of document ``path`` that starts at ``start``: (id, text, view spans as JSON), or None."""
        row = self.conn.execute(
            "SELECT c.id, c.text, c.views FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE d.path = ? AND c.start = ? ORDER BY c.ord LIMIT 1",
            (path, start),
        ).fetchone()
        return (int(row[0]), str(row[1]), row[2]) if row is not None else None

    def chunk_ids_where(self, where: str, params: Sequence[object]) -> np.ndarray:
        """The ids of the chunks of the documents ``d`` matching ``where``."""
        rows = self.conn.execute(f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE {where}", params)
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    def documents_of(self, ids: Sequence[int]) -> dict[int, int]:
        """{chunk id: its document's id} for those of ``ids`` still stored."""
        if self._owners is None:  # a read-only index an older DocSense wrote may lack it (m017)
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'chunks_owner'"
            self._owners = self.conn.execute(sql).fetchone() is not None
        by = "INDEXED BY chunks_owner " if self._owners else ""
        return self._pairs_of(f"SELECT id, doc_id FROM chunks {by}WHERE id IN ({{}})", ids)

    def _pairs_of(self, sql: str, ids: Sequence[int]) -> dict[int, int]:
        """The (key, value) rows of ``sql`` for ``ids`` (its ``{}`` takes their parameters), asked in batches that
        stay below SQLite's limit on parameters."""
        found: dict[int, int] = {}
        for a in range(0, len(ids), 10_000):
            batch = list(ids[a : a + 10_000])
            found.update(self._tuples(sql.format(",".join("?" * len(batch))), batch))
        return found

    def _tuples(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        """``sql``'s rows as plain tuples: search's hot reads skip building a sqlite3.Row for each (-15 %)."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    def chunk_texts(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({','.join('?' * len(ids))})", list(ids))
        return {r[0]: r[1] for r in rows}

    def hit_rows(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """What a search hit shows of each chunk: its span, page, heading, text, view spans, document path, type,
        page starts, title, page count, language and date (its own, else the file's), by chunk id (chunks deleted
        meanwhile are missing)."""
        rows = self.conn.execute(
            'SELECT c.id, c.start, c."end", c.page_start, c.heading, c.text, c.views, d.path, d.type, d.title, '
            "d.pages, d.language, t.page_starts, c.pending IS NOT NULL AS waiting, "
            "CASE WHEN d.date IS NOT NULL THEN d.date WHEN d.mtime_ns > 0 THEN d.mtime_ns / 1e9 END AS date "
            "FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "JOIN texts t ON t.doc_id = d.id "
            f"WHERE c.id IN ({','.join('?' * len(ids))})",
            list(ids),
        )
        return {r["id"]: dict(r) for r in rows}

    def counts(self) -> tuple[int, int]:
        docs = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def warnings(self) -> list[tuple[str, str]]:
        """(path, warning) for every indexed document extraction warned about, in path order."""
        rows = self.conn.execute("SELECT path, warnings FROM documents WHERE warnings IS NOT NULL ORDER BY path")
        return [(r[0], w) for r in rows for w in json.loads(r[1])]

    def failures(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT path, reason FROM failures ORDER BY path")]

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database (as far as readers allow), so that the next writes reuse it
        from its start: between the two phases, the log would otherwise hold both."""
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def pending_chunks(self, limit: int) -> list[tuple[int, list[list[int]]]]:
        """Up to ``limit`` chunks the second phase has still to embed, oldest first: (id, its views' token ids)."""
        rows = self.conn.execute(
            "SELECT id, pending FROM chunks WHERE pending IS NOT NULL ORDER BY id LIMIT ?", (limit,)
        )
        return [(r[0], unpack_views(r[1])) for r in rows]

    def pending_count(self) -> tuple[int, int]:
        """(chunks, documents) not embedded yet: found by keyword, not yet by meaning."""
        chunks = self.conn.execute("SELECT count(*) FROM chunks WHERE pending IS NOT NULL").fetchone()[0]
        docs = self.conn.execute("SELECT count(DISTINCT doc_id) FROM chunks WHERE pending IS NOT NULL").fetchone()[0]
        return int(chunks), int(docs)

    def set_vectors(self, vectors: dict[int, np.ndarray]) -> list[int]:
        """Store the second phase's vectors of these chunks ((views, dim) each); returns the ids still there (a
        chunk deleted meanwhile is skipped). Call inside ``transaction()``."""
        stored = []
        for chunk_id, vecs in vectors.items():
            cur = self.conn.execute(
                "UPDATE chunks SET vector = ?, pending = NULL WHERE id = ? AND pending IS NOT NULL",
                (np.ascontiguousarray(vecs, dtype=np.float32).tobytes(), chunk_id),
            )
            if cur.rowcount:
                stored.append(chunk_id)
        if stored:
            self._bump_vectors_version()
        return stored

    def all_vectors(self, dim: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """Every embedded chunk's id and its vectors (a (views, dim) matrix), for rebuilding the FAISS index."""
        ids: list[int] = []
        mats: list[np.ndarray] = []
        for r in self.conn.execute("SELECT id, vector FROM chunks WHERE pending IS NULL ORDER BY id"):
            ids.append(r[0])
            mats.append(np.frombuffer(r[1], dtype=np.float32).reshape(-1, dim))
        return np.asarray(ids, dtype=np.int64), mats

    def vectors_of(self, ids: Sequence[int], dim: int) -> dict[int, np.ndarray]:
        """The stored vectors ((views, dim)) of these chunks, by id."""
        rows = self._tuples(
            f"SELECT id, vector FROM chunks WHERE pending IS NULL AND id IN ({','.join('?' * len(ids))})", list(ids)
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32).reshape(-1, dim) for r in rows}

    def chunk_ids(self) -> np.ndarray:
        """The ids of the embedded chunks: those the vector store holds."""
        rows = self.conn.execute("SELECT id FROM chunks WHERE pending IS NULL")
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    def document_paths(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM documents ORDER BY path")]

    def gone_documents(self) -> list[str]:
        """The documents whose file is no longer on disk (for a message or an archive member: its mailbox's or
        archive's file)."""
        rows = self.conn.execute("SELECT path, coalesce(container, path) FROM documents ORDER BY path")
        return [path for path, file in rows if not os.path.exists(file)]


FULL_BELOW = 16 * 2**20  # free bytes under which a disk I/O error on the index's disk is taken for a full disk


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints (big-endian groups of 7 bits, a ninth byte of 8) that ``blob`` holds one after another:
    how FTS5 keeps a window's column sizes and its index's totals."""
    numbers: list[int] = []
    i = 0
    while i < len(blob):
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        numbers.append(value)
    return numbers


# Endings tried, in order, to find a word the stemmer turns into a given stem (Store._word_for).
TERM_SUFFIXES = ("", "e", "s", "es", "ed", "ing", "ent", "al", "ion", "ation", "ate", "er", "ly", "ity", "ive",
                 "ize", "ous", "ment", "ence", "ance", "ism", "able", "ness", "ful", "ic", "y", "ical")  # fmt: skip


def disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < FULL_BELOW


def database_error(exc: BaseException, folder: Path | None = None) -> DocSenseError | None:
    """The user error an sqlite3 error stands for (see engine.errors.explain); None for any other error, or a bug.

    ``folder``: the index folder, when known; SQLite reports a full disk as a "disk I/O error" when it cannot grow
    its -shm file, which the free space there tells apart from a failing disk.
    """
    from engine.errors import FIX_DAMAGE, KEPT, DamagedIndexError, IndexAccessError

    if not isinstance(exc, sqlite3.Error):
        return None
    text = str(exc).lower()
    if "database or disk is full" in text or ("disk i/o error" in text and folder and disk_full(folder)):
        return IndexAccessError(f"the disk holding the index is full; free some space and run again ({KEPT})")
    if "readonly database" in text or "read-only" in text:
        return IndexAccessError("the index cannot be written (its folder or files are read-only): check them")
    if "database is locked" in text or "database table is locked" in text:
        return IndexAccessError("the index database is locked by another program; try again in a moment")
    if "malformed" in text or "not a database" in text:
        return DamagedIndexError(f"the index database is damaged ({exc}): {FIX_DAMAGE}")
    if "disk i/o error" in text:  # a full disk or a failing one, seldom damage: say what is known
        return IndexAccessError(
            "the index database could not be written or read (disk I/O error): the disk may be full or failing; "
            f"free some space and run the command again ({KEPT}); if it goes on, run `docsense verify`"
        )
    return None


def recorded_settings(folder: Path) -> dict[str, str]:
    """The settings an index recorded when it was built (encoder, tagger), read without changing anything; empty
    when there is no index there, or it cannot be read (opening it for real then says why)."""
    path = Path(folder) / DB_NAME
    if (Path(folder) / SERVER_FILE).is_file():  # an index on a PostgreSQL server: its meta says
        return _server_recorded(Path(folder))
    if not path.is_file():
        return {}
    try:
        store = Store(Path(folder), readonly=True)
        try:
            recorded = {key: store.get_meta(key) for key in ("encoder", "tagger")}
        finally:
            store.close()
    except sqlite3.Error:
        return {}
    return {k: v for k, v in recorded.items() if v}


def _server_recorded(folder: Path) -> dict[str, str]:
    """recorded_settings of an index on a server; empty when the server cannot be reached or holds none yet."""
    try:
        from engine.index.core import server_url
        from engine.index.postgres import PostgresStore

        url = server_url(folder)
        if url is None:
            return {}
        store = PostgresStore(url)
        try:
            recorded = {key: store.get_meta(key) for key in ("encoder", "tagger")}
        finally:
            store.close()
    except Exception:  # opening the index for real says why
        return {}
    return {k: v for k, v in recorded.items() if v}
