"""The index: the only code that touches ``docsense.db`` (SQLite) and the vector file (FAISS).

- ``core.Index``: an open index folder, its two halves kept in step; the reads the rest of DocSense needs and one
  write operation (``Index.write``) that applies a change to SQLite and the vectors together.
- ``store.Store``: the SQLite half (documents, texts, chunks with their vectors, entities, failures, FTS5).
- ``schema``: the tables and the migrations, one function each.
- ``vectors``: the vector store interface and its FAISS implementation (``vectors.faiss`` + ``vectors.json``).
- ``impacts``: a big index's keyword weights (``impacts/``), so the keyword side need not rank every window holding a
  common word.
"""

from __future__ import annotations

from engine.index.core import Index, check_index_folder
from engine.index.store import DocumentRow, NewChunk, NewDocument

__all__ = ["DocumentRow", "Index", "NewChunk", "NewDocument", "check_index_folder"]
