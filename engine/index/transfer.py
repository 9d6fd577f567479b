"""One index copied into another, of either kind (an index folder's SQLite, a PostgreSQL server): its documents
with their text and windows, the windows' vectors (nothing is embedded again) or the views still to embed, their
entities, the failures, the folders with their excludes, and what the index recorded (encoder, tagger, views).

The copy goes a batch of documents a transaction, so a crash or Ctrl+C leaves the target with whole documents
only; copying again starts over from an empty target (``copy_index`` refuses one that holds documents).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np

from engine.errors import IndexAccessError
from engine.index.core import Index
from engine.index.store import NewChunk, NewDocument, Store, unpack_views
from engine.tagger import EntitySpan

RECORDED = ("encoder", "dim", "tagger", "views", "unsupported")  # meta the target takes over
BATCH = 50  # documents a transaction


def stored_documents(store: Store) -> Iterator[NewDocument]:
    """Every document of ``store`` as it was stored, oldest first, for writing into another store."""
    dim = int(store.get_meta("dim") or 0)
    ids = [int(r[0]) for r in store.conn.execute("SELECT id FROM documents ORDER BY id").fetchall()]
    for doc_id in ids:
        d = store.conn.execute(
            "SELECT d.*, t.text, t.page_starts, t.sections FROM documents d JOIN texts t ON t.doc_id = d.id "
            "WHERE d.id = ?",
            (doc_id,),
        ).fetchone()
        if d is None:  # deleted meanwhile
            continue
        rows = store.conn.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY ord", (doc_id,)).fetchall()
        vectors = store.vectors_of([r["id"] for r in rows if r["pending"] is None], dim) if rows else {}
        chunks = [
            NewChunk(
                c["ord"], c["start"], c["end"], c["page_start"], c["page_end"], c["heading"], c["text"],
                c["n_tokens"], None if c["pending"] is not None else np.asarray(vectors[c["id"]], dtype=np.float32),
                tuple(tuple(v) for v in json.loads(c["views"] or "[]")),
                unpack_views(bytes(c["pending"])) if c["pending"] is not None else (),
            )
            for c in rows
        ]  # fmt: skip
        entities = [
            EntitySpan(*r)
            for r in store.conn.execute(
                'SELECT start, "end", label, text, norm FROM entities WHERE doc_id = ? ORDER BY start', (doc_id,)
            )
        ]
        yield NewDocument(
            path=d["path"], folder=d["folder"], type=d["type"], size=d["size"], mtime_ns=d["mtime_ns"],
            sha256=d["sha256"], pages=d["pages"], title=d["title"], text=d["text"],
            page_starts=json.loads(d["page_starts"]) if d["page_starts"] is not None else None,
            sections=[(int(o), str(h)) for o, h in json.loads(d["sections"])], chunks=chunks, entities=entities,
            warnings=json.loads(d["warnings"]) if d["warnings"] else [], container=d["container"],
            author=d["author"], recipients=d["recipients"], date=d["date"], ocr_pages=d["ocr_pages"] or 0,
            untagged=d["untagged"] is not None, language=d["language"],
        )  # fmt: skip


def copy_index(source: Index, target: Index) -> Iterator[tuple[int, int]]:
    """Copy ``source`` into the empty index ``target``, yielding (documents copied, of how many) a batch at a time.

    Raises:
        IndexAccessError: the target holds documents already.
    """
    store = source.store
    if target.store.counts()[0]:
        raise IndexAccessError(
            f"{target.shown_server or target.folder} holds documents already: copy into a new, empty index"
        )
    total = store.counts()[0]
    with target.write() as change:
        for key in RECORDED:
            value = store.get_meta(key)
            if value is not None:
                change.set_meta(key, value)
        excludes = store.folder_excludes()
        for folder in store.folders():
            change.add_folder(folder)
            if folder in excludes:
                change.set_folder_excludes(folder, excludes[folder])
        if target.server is None:  # a folder's index keeps the kind of vector store it was opened with
            change.set_meta("vectors_backend", target.vectors_backend)
    done = 0
    batch: list[NewDocument] = []
    for doc in stored_documents(store):
        batch.append(doc)
        if len(batch) == BATCH:
            done += _write(target, batch)
            yield done, total
    done += _write(target, batch)
    with target.write():  # as recorded, by the DocSense version that met them (a bug's is tried again after an upgrade)
        for path, size, mtime_ns, kind, version, reason, folder in _failures(store):
            target.store.record_failure(path, folder, reason, size, mtime_ns, kind, version, keep_document=True)
    target.save_vectors()
    yield done, total


def _write(target: Index, batch: list[NewDocument]) -> int:
    if batch:
        with target.write() as change:
            for doc in batch:
                change.put_document(doc)
    written = len(batch)
    batch.clear()
    return written


def _failures(store: Store) -> list[tuple[str, int | None, int | None, str, str, str, str]]:
    rows = store.conn.execute("SELECT path, size, mtime_ns, kind, version, reason, folder FROM failures ORDER BY path")
    return [(r[0], r[1], r[2], r[3] or "file", r[4] or "", r[5], r[6]) for r in rows]
