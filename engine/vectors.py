"""The FAISS half of an index: exact inner-product search over unit vectors, ids = chunk row ids.

The file is written beside a small JSON sidecar naming the store's ``vectors_version`` it matches; both are
written to temporary files, fsynced and renamed into place, so a crash leaves either the old pair or the new one,
and a pair that does not match the store is rebuilt from the vectors SQLite keeps.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.faults import crash_point

FAISS_NAME = "vectors.faiss"
SIDECAR_NAME = "vectors.json"


class VectorIndex:
    """An in-memory FAISS ``IndexIDMap2`` over ``IndexFlatIP``: exact, and cheap to update per chunk id."""

    def __init__(self, dim: int, index: Any = None) -> None:
        import faiss

        self.dim = dim
        self._faiss = faiss
        self.index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return np.asarray(self._faiss.vector_to_array(self.index.id_map), dtype=np.int64)

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self.index.add_with_ids(vecs, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        if len(ids) == 0:
            return
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids to ``query`` with their cosine scores, best first.

        Args:
            query: one unit vector.
            k: how many to return at most.
            allowed: if given, only these chunk ids are considered.
        """
        if len(self) == 0 or k <= 0:
            return []
        if allowed is not None and len(allowed) == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        k = min(k, len(self) if allowed is None else len(allowed))
        if allowed is None:
            scores, ids = self.index.search(q, k)
        else:
            selector = self._faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = self._faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            scores, ids = self.index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    # -- files --------------------------------------------------------------------------------------------

    def save(self, folder: Path, version: int) -> None:
        """Write the index and its sidecar atomically (write, fsync, rename)."""
        folder = Path(folder)
        tmp = folder / (FAISS_NAME + ".tmp")
        try:
            self._faiss.write_index(self.index, str(tmp))
            os.chmod(tmp, 0o600)
            crash_point("faiss-written")
            _fsync_file(tmp)
            os.replace(tmp, folder / FAISS_NAME)
            crash_point("faiss-renamed")
            sidecar = {"version": version, "count": len(self), "dim": self.dim}
            _atomic_write_text(folder / SIDECAR_NAME, json.dumps(sidecar))
            _fsync_dir(folder)
        except (OSError, RuntimeError) as exc:  # disk full, read-only folder: the old pair stays in place
            tmp.unlink(missing_ok=True)
            from engine.errors import IndexAccessError

            raise IndexAccessError(
                f"cannot write the vector file in {folder}: {exc}; the index keeps its previous state"
            ) from exc

    @classmethod
    def load(cls, folder: Path, dim: int) -> tuple[VectorIndex, int] | None:
        """The saved index and the store version it matches, or None if missing or unreadable."""
        import faiss

        folder = Path(folder)
        try:
            sidecar = json.loads((folder / SIDECAR_NAME).read_text())
            index = faiss.read_index(str(folder / FAISS_NAME))
        except (OSError, ValueError, RuntimeError):
            return None
        if int(index.d) != dim or int(index.ntotal) != int(sidecar.get("count", -1)):
            return None
        if not isinstance(index, faiss.IndexIDMap2):
            return None
        return cls(dim, index), int(sidecar.get("version", -1))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
