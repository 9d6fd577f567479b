"""``Library``: the one door front ends use to read an index (search, status, verify)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from engine.config import default_index_path
from engine.encoder import Encoder
from engine.index import Index
from engine.search import Filters, search
from engine.types import FailedFile, SearchHit, Status, Verification
from engine.vectors import FAISS_NAME, SIDECAR_NAME, VectorIndex

MAX_LISTED_PROBLEMS = 50


class Library:
    """An index opened for reading.

    Args:
        path: the index folder; None means $DOCSENSE_HOME/index or the user data dir.
        encoder: an encoder (or its name) to use instead of loading the one the index records.
    """

    def __init__(self, path: Path | str | None = None, encoder: Encoder | str | None = None) -> None:
        self.index = Index(Path(path) if path else default_index_path(), encoder=encoder)

    @property
    def path(self) -> Path:
        return self.index.folder

    def search(
        self,
        query: str,
        limit: int = 10,
        path: str | None = None,
        types: Sequence[str] = (),
        modes: Sequence[str] = ("meaning", "keyword"),
    ) -> list[SearchHit]:
        """Hybrid search; see ``engine.search.search``."""
        return search(self.index, query, limit=limit, filters=Filters(path, tuple(types)), modes=modes)

    def status(self) -> Status:
        """Counts, failures, encoder, device and size on disk."""
        from engine.config import device_label

        store = self.index.store
        documents, chunks = store.counts()
        encoder = self.index.encoder
        return Status(
            index_path=str(self.index.folder),
            documents=documents,
            chunks=chunks,
            failed=tuple(FailedFile(p, r) for p, r in store.failures()),
            folders=tuple(store.folders()),
            encoder=encoder.name,
            device=device_label(encoder.device),
            size_bytes=self.index.size_bytes(),
            schema_version=store.schema_version(),
        )

    def verify(self) -> Verification:
        """Check the FAISS file against the SQLite rows, the database itself, and the files on disk."""
        store = self.index.store
        problems: list[str] = []
        check = store.conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            problems.append(f"database: {check}")
        folder = self.index.folder
        loaded = VectorIndex.load(folder, self.index.dim)
        if loaded is None:
            if (folder / FAISS_NAME).exists() or store.counts()[1]:
                problems.append(f"vectors: {FAISS_NAME} is missing or unreadable")
        else:
            vectors, version = loaded
            if version != store.vectors_version():
                problems.append(
                    f"vectors: {FAISS_NAME} was saved at version {version}, the database is at "
                    f"{store.vectors_version()} ({SIDECAR_NAME})"
                )
            faiss_ids = set(vectors.ids().tolist())
            row_ids = set(store.chunk_ids().tolist())
            if missing := row_ids - faiss_ids:
                problems.append(f"vectors: {len(missing)} chunks have no vector in {FAISS_NAME}")
            if orphans := faiss_ids - row_ids:
                problems.append(f"vectors: {len(orphans)} vectors in {FAISS_NAME} belong to no chunk")
        gone = [p for p in store.document_paths() if not os.path.exists(p)]
        problems += [f"file gone from disk: {p}" for p in gone[:MAX_LISTED_PROBLEMS]]
        if len(gone) > MAX_LISTED_PROBLEMS:
            problems.append(f"... and {len(gone) - MAX_LISTED_PROBLEMS} more files gone from disk")
        return Verification(ok=not problems, problems=tuple(problems))

    def document_text(self, path: str) -> str | None:
        """The extracted text of an indexed document (the text that hit offsets point into)."""
        row = self.index.store.conn.execute(
            "SELECT t.text FROM texts t JOIN documents d ON d.id = t.doc_id WHERE d.path = ?", (path,)
        ).fetchone()
        return row[0] if row else None

    def document_pages(self, path: str) -> list[int] | None:
        row = self.index.store.conn.execute(
            "SELECT t.page_starts FROM texts t JOIN documents d ON d.id = t.doc_id WHERE d.path = ?", (path,)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
