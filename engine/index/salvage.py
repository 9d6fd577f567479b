"""What can be saved of a damaged ``docsense.db``, for ``docsense verify --repair``.

Rebuilding the keyword index and the vectors from a damaged database spreads its damage: a row that reads but is
wrong (a flipped bit in a chunk's text, offsets or vector) puts the wrong passage first. So a damaged database is
not repaired in place. Everything that proves intact is copied into a new one: the settings it recorded (meta),
its folder list with each folder's excludes, and every document whose rows agree with each other (each chunk's text
is its document's text at its offsets, its vectors have the encoder's size and unit length, its entities lie in the
text). The documents that do not are left out, for the next run to read again from their files. The damaged file
is kept beside the new one as ``docsense.db.damaged``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.index.schema import SCHEMA_VERSION
from engine.index.store import DB_NAME, Store, unpack_views

DAMAGED_NAME = DB_NAME + ".damaged"
_WORK = ".salvage"  # the new database is built in this subfolder, then moved into place
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_TOKEN_ID = 1 << 20  # no vocabulary is larger: a bigger id is a flipped bit


def empty_database(path: Path) -> bool:
    """A database file of 0 bytes with no write-ahead log beside it: damage (DocSense builds a new database under
    another name and moves it into place, so it never holds an empty ``docsense.db``)."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size)


def database_damage(folder: Path) -> str | None:
    """What is wrong with the index's database file itself (SQLite's quick_check, an empty file, a file that is not
    a database); None when it is sound or there is none."""
    path = Path(folder) / DB_NAME
    if not path.exists():
        return None
    if empty_database(path):
        return f"{DB_NAME} is empty (0 bytes)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(10)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if found == ["ok"] else "; ".join(found)


def rows_damage(folder: Path) -> str | None:
    """What is wrong with the rows of a database SQLite finds sound: documents whose rows disagree (a bit flipped
    in a text, an offset or a vector); None when all agree."""
    conn = _open_source(Path(folder) / DB_NAME)
    if conn is None:
        return None  # another schema version: the next open migrates it
    try:
        meta = _rows(conn, "SELECT value FROM meta WHERE key = 'dim'")
        dim = int(meta[0][0]) if meta else 0
        bad, _seen = disagreeing(conn, dim) if dim else ([], 0)
    finally:
        conn.close()
    return f"{len(bad)} documents' rows disagree with each other, the first {bad[0]}" if bad else None


def disagreeing(conn: sqlite3.Connection, dim: int, sample: int | None = None) -> tuple[list[str], int]:
    """The documents whose rows disagree with each other (see ``_intact``), of all of them or of a random
    ``sample``; and how many were looked at."""
    ids, _complete = _ids(conn)
    if sample is not None and len(ids) > sample:
        ids = sorted(np.random.default_rng(0).choice(ids, size=sample, replace=False).tolist())
    bad = []
    for doc_id in ids:
        rows = _document(conn, doc_id)
        if rows is None or not _intact(*rows, dim=dim):
            bad.append(_path_of(conn, doc_id) or f"document {doc_id}")
    return bad, len(ids)


@dataclass
class Salvaged:
    """What ``salvage`` saved, and what it could not."""

    damage: str
    documents: int = 0  # copied, rows intact
    lost: list[str] = field(default_factory=list)  # documents left out (their paths, as far as they could be read)
    unread: bool = False  # the documents could not all be listed: some may be missing from ``lost``
    folders: int = 0
    folders_lost: bool = False
    settings_lost: bool = False

    def report(self) -> list[str]:
        lines = [
            f"the database was damaged ({self.damage}): a new one holds what proved intact, the damaged file is "
            f"kept as {DAMAGED_NAME}"
        ]
        lines.append(f"kept {self.documents} documents whose rows check out, {self.folders} folders and the settings")
        if self.lost or self.unread:
            more = " (and others whose rows could not be read)" if self.unread else ""
            lines.append(f"{len(self.lost)} documents{more} did not check out: they are read again from their files")
        if self.folders_lost:
            lines.append("the folder list could not be read: index your folders again (`docsense index FOLDER`)")
        if self.settings_lost:
            lines.append("the index's recorded settings could not be read: the current settings apply")
        return lines


def salvage(folder: Path, damage: str) -> Salvaged:
    """Replace the damaged database in ``folder`` with a new one holding what of it proves intact (see the module's
    docstring); ``damage`` says what was found wrong. Call with the writer lock held."""
    folder = Path(folder)
    db = folder / DB_NAME
    result = Salvaged(damage)
    work = folder / _WORK
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    new = Store(work)
    try:
        source = _open_source(db, any_version=True)
        if source is None:
            result.folders_lost = result.settings_lost = result.unread = True
        else:
            try:
                with new.transaction():
                    _copy(source, new, result)
            finally:
                source.close()
    finally:
        new.close()
    _swap(folder, work / DB_NAME)
    shutil.rmtree(work, ignore_errors=True)
    return result


def _open_source(db: Path, any_version: bool = False) -> sqlite3.Connection | None:
    """The damaged database, read-only; None when nothing can be read of it (empty, not a database, or, unless
    ``any_version``, of another schema version than this DocSense's)."""
    if empty_database(db):
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION or (version != SCHEMA_VERSION and not any_version):
            conn.close()
            return None
        return conn
    except sqlite3.DatabaseError:
        return None


def _rows(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> list[sqlite3.Row] | None:
    """All the rows of ``sql``, or None if the damage stops the read."""
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.DatabaseError:
        return None


def _ids(conn: sqlite3.Connection) -> tuple[list[int], bool]:
    """The document ids that can be listed, and whether that is all of them. A damaged page stops a scan where it
    lies, so the table is read from both ends."""
    found: set[int] = set()
    complete = True
    for order in ("ASC", "DESC"):
        try:
            for row in conn.execute(f"SELECT id FROM documents ORDER BY id {order}"):
                found.add(int(row[0]))
            break  # one whole scan lists them all
        except sqlite3.DatabaseError:
            complete = False
    return sorted(found), complete


_TABLES = ("folders", "documents", "texts", "chunks", "entities")


def _insert(new: Store, table: str, row: dict[str, Any], columns: dict[str, set[str]]) -> None:
    """Copy ``row`` into ``table`` of the new database (its columns that the table has, ids included)."""
    names = [c for c in row if c in columns[table]]
    quoted = ", ".join(f'"{c}"' for c in names)
    new.conn.execute(f"INSERT INTO {table}({quoted}) VALUES ({', '.join('?' * len(names))})", [row[c] for c in names])


def _copy(source: sqlite3.Connection, new: Store, result: Salvaged) -> None:
    columns = {t: {str(r[1]) for r in new.conn.execute(f"PRAGMA table_info({t})")} for t in _TABLES}
    meta = _rows(source, "SELECT key, value FROM meta")
    if meta is None:
        result.settings_lost = True
        meta = []
    for row in meta:
        new.set_meta(str(row["key"]), str(row["value"]))
    dim = int(dict((r["key"], r["value"]) for r in meta).get("dim") or 0)
    folders = _rows(source, "SELECT * FROM folders")
    if folders is None:
        result.folders_lost = True
    else:
        for row in folders:
            if isinstance(row["path"], str) and os.path.isabs(row["path"]):
                _insert(new, "folders", dict(row), columns)
                result.folders += 1
    ids, complete = _ids(source)
    result.unread = not complete
    if int(source.execute("PRAGMA user_version").fetchone()[0]) != SCHEMA_VERSION:
        # An older DocSense's database: its settings and folders are kept; its documents, whose rows another
        # schema shaped, are read again from their files.
        result.lost += [p for p in (_path_of(source, i) for i in ids) if p]
        return
    lost_from: set[str] = set()  # the mailboxes and archives that lost a document: all of theirs are read again
    for doc_id in ids:
        rows = _document(source, doc_id)
        if rows is not None and dim and _intact(*rows, dim=dim):
            doc, text, chunks, entities = rows
            _insert(new, "documents", dict(doc), columns)
            _insert(new, "texts", dict(text), columns)
            for chunk in chunks:
                _insert(new, "chunks", dict(chunk), columns)
            for entity in entities:
                _insert(new, "entities", dict(entity), columns)
            result.documents += 1
        else:
            path = _path_of(source, doc_id)
            if path:
                result.lost.append(path)
            held_by = _rows(source, "SELECT container FROM documents WHERE id = ?", (doc_id,))
            if held_by and held_by[0][0]:
                lost_from.add(str(held_by[0][0]))
    for file in lost_from:  # stale: the next run reads the file again, its lost documents with it
        new.conn.execute("UPDATE documents SET mtime_ns = -1, sha256 = '' WHERE container = ?", (file,))


def _document(
    source: sqlite3.Connection, doc_id: int
) -> tuple[sqlite3.Row, sqlite3.Row, list[sqlite3.Row], list[sqlite3.Row]] | None:
    doc = _rows(source, "SELECT * FROM documents WHERE id = ?", (doc_id,))
    text = _rows(source, "SELECT * FROM texts WHERE doc_id = ?", (doc_id,))
    chunks = _rows(source, "SELECT * FROM chunks WHERE doc_id = ? ORDER BY ord", (doc_id,))
    entities = _rows(source, "SELECT * FROM entities WHERE doc_id = ?", (doc_id,))
    if not doc or not text or chunks is None or entities is None:
        return None
    return doc[0], text[0], chunks, entities


def _path_of(source: sqlite3.Connection, doc_id: int) -> str | None:
    rows = _rows(source, "SELECT path FROM documents WHERE id = ?", (doc_id,))
    path = rows[0][0] if rows else None
    return path if isinstance(path, str) else None


def _json(value: object) -> Iterator[Any]:
    """The JSON value of a column (nothing if it is NULL); raises ValueError if it is not JSON."""
    if value is not None:
        if not isinstance(value, str):
            raise ValueError("not text")
        yield json.loads(value)


def _intact(
    doc: sqlite3.Row, text_row: sqlite3.Row, chunks: list[sqlite3.Row], entities: list[sqlite3.Row], dim: int
) -> bool:
    """Whether a document's rows agree with each other (a bit flipped anywhere in them almost surely breaks one)."""
    try:
        text = text_row["text"]
        if not isinstance(text, str) or not isinstance(doc["path"], str) or not os.path.isabs(doc["path"]):
            return False
        if not (_SHA256.fullmatch(str(doc["sha256"])) or doc["sha256"] == "") or not chunks:  # "": to read again
            return False
        for starts in _json(text_row["page_starts"]):
            if starts != sorted(starts) or any(not 0 <= s <= len(text) for s in starts):
                return False
        list(_json(text_row["sections"]))
        list(_json(doc["warnings"]))
        for number, chunk in enumerate(chunks):
            start, end = chunk["start"], chunk["end"]
            if chunk["ord"] != number or not (0 <= start < end <= len(text)) or chunk["text"] != text[start:end]:
                return False
            blob = chunk["vector"]
            pending = chunk["pending"] if "pending" in chunk.keys() else None  # noqa: SIM118 (a Row's `in` is values)
            if pending is not None:  # not embedded yet: no vector, and its views' token ids to embed
                if blob != b"" or not isinstance(pending, bytes) or len(pending) % 2:
                    return False
                views = unpack_views(pending)
                if not views or any(not v or max(v) > _MAX_TOKEN_ID for v in views):
                    return False
                count = len(views)
            else:
                if not isinstance(blob, bytes) or len(blob) == 0 or len(blob) % (dim * 4):
                    return False
                vectors = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
                norms = np.linalg.norm(vectors, axis=1)
                if not np.all(np.isfinite(norms)) or not all(n == 0 or math.isclose(n, 1, abs_tol=1e-3) for n in norms):
                    return False
                count = len(vectors)
            for spans in _json(chunk["views"]):
                if len(spans) != count or any(not (start <= a < b <= end) for a, b in spans):
                    return False
        for entity in entities:
            if not (0 <= entity["start"] < entity["end"] <= len(text)):
                return False
    except (ValueError, TypeError, KeyError, IndexError):
        return False
    return True


def _swap(folder: Path, new_db: Path) -> None:
    """Put ``new_db`` in the place of the damaged database, which is kept (with its log) as docsense.db.damaged.

    Links keep the damaged files under their new names before the old names go, and the new file replaces the old
    by one rename: a crash at any moment leaves a docsense.db (old or new) and never loses the damaged one.
    """
    db = folder / DB_NAME
    for suffix in ("", "-wal"):
        old = db.with_name(DB_NAME + suffix)
        kept = db.with_name(DAMAGED_NAME + suffix)
        kept.unlink(missing_ok=True)
        if old.exists():
            os.link(old, kept)
    for suffix in ("-wal", "-shm"):
        db.with_name(DB_NAME + suffix).unlink(missing_ok=True)
    os.replace(new_db, db)
