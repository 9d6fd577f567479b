"""The FAISS half of an index: inner-product search over every unit vector (kept as 16-bit floats), each naming the
chunk it belongs to.

A chunk has one or more vectors (its views, see indexer.chunk); FAISS id ``chunk_id * VIEWS_PER_CHUNK + k`` is view
``k`` of chunk ``chunk_id``, so no table maps views to chunks, and a search answers with chunks scored by their best
view.

The file is written beside a small JSON sidecar naming the store's ``vectors_version`` it matches; both are
written to temporary files, fsynced and renamed into place, so a crash leaves either the old pair or the new one,
and a pair that does not match the store is rebuilt from the vectors SQLite keeps.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.faults import crash_point

FAISS_NAME = "vectors.faiss"
SIDECAR_NAME = "vectors.json"
VIEWS_PER_CHUNK = 16  # a 512-token window has at most 6 views of 128 tokens
VIEW_TOKENS = 128  # a view's length, [CLS] and [SEP] included
# How the views are made, recorded in the index (meta "views"): vectors made another way are made again.
VIEW_SCHEME = f"title-{VIEW_TOKENS}"


def view_ids(chunk_ids: Sequence[int] | np.ndarray, counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """The FAISS ids of the first ``counts[i]`` views of each chunk."""
    chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if len(chunk_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    if counts.max(initial=0) > VIEWS_PER_CHUNK:
        raise ValueError(f"a chunk may have at most {VIEWS_PER_CHUNK} vectors")
    owners = np.repeat(chunk_ids, counts)
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    return owners * VIEWS_PER_CHUNK + (np.arange(len(owners)) - firsts)


def all_view_ids(chunk_ids: Sequence[int] | np.ndarray) -> np.ndarray:
    """Every id a view of these chunks could have."""
    return view_ids(chunk_ids, np.full(len(chunk_ids), VIEWS_PER_CHUNK))


class VectorStore(Protocol):
    """What the index needs of the place its vectors live: a new kind (a server, an on-disk ANN index) is one module
    that implements this and one entry in BACKENDS; an index records its kind (meta ``vectors_backend``).

    Ids are chunk ids; each chunk has one or more vectors (its views), and search scores a chunk by its best view.
    """

    dim: int

    def __len__(self) -> int: ...  # vectors (views), not chunks

    def ids(self) -> np.ndarray: ...  # the chunk ids that have vectors, ascending

    def add(self, chunk_ids: Sequence[int] | np.ndarray, vectors: Sequence[np.ndarray] | np.ndarray) -> None: ...

    def remove(self, chunk_ids: Sequence[int] | np.ndarray) -> None: ...

    def top_views(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...  # the n best views: (chunk ids, view numbers, scores)

    def save(self, folder: Path, version: int) -> None: ...  # atomically, naming the store version it matches


class VectorIndex:
    """An in-memory FAISS ``IndexIDMap2`` over a flat inner-product index that keeps each vector as 16-bit floats:
    every vector is compared (no approximate search), in half the memory of 32-bit floats and faster; cheap to
    update per chunk id. (Files written before keep the 32-bit ``IndexFlatIP`` they were saved with.)"""

    def __init__(self, dim: int, index: Any = None) -> None:
        import faiss

        self.dim = dim
        self._faiss = faiss
        if index is None:
            flat = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            index = faiss.IndexIDMap2(flat)
        self.index: Any = index

    def __len__(self) -> int:
        """How many vectors (views), not chunks."""
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        """The chunk ids that have vectors, ascending."""
        views = np.asarray(self._faiss.vector_to_array(self.index.id_map), dtype=np.int64)
        return np.unique(views // VIEWS_PER_CHUNK)

    def add(self, chunk_ids: Sequence[int] | np.ndarray, vectors: Sequence[np.ndarray] | np.ndarray) -> None:
        """Add each chunk's vectors: ``vectors[i]`` is one vector or a (views, dim) matrix for ``chunk_ids[i]``."""
        if len(chunk_ids) == 0:
            return
        mats = [np.asarray(v, dtype=np.float32).reshape(-1, self.dim) for v in vectors]
        if len(mats) != len(chunk_ids):
            raise ValueError("one vector or matrix per chunk id")
        ids = view_ids(chunk_ids, [len(m) for m in mats])
        self.index.add_with_ids(np.ascontiguousarray(np.concatenate(mats)), ids)

    def remove(self, chunk_ids: Sequence[int] | np.ndarray) -> None:
        """Remove every vector of these chunks."""
        if len(chunk_ids) == 0:
            return
        self.index.remove_ids(all_view_ids(chunk_ids))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` chunks nearest to ``query``, each scored by the cosine of its best view, best first.

        Args:
            query: one unit vector.
            k: how many chunks to return at most.
            allowed: if given, only these chunk ids are considered.
        """
        return [(chunk, score) for chunk, score, _view in self.search_views(query, k, allowed)]

    def search_views(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float, int]]:
        """Like ``search``, with the number of each chunk's best view: (chunk id, score, view)."""
        if k <= 0:
            return []
        depth = k * 4
        while True:
            # Views of one chunk come in runs: look deeper until k distinct chunks are found, or all were seen.
            chunks, views, scores = self.top_views(query, depth, allowed)
            best: dict[int, tuple[float, int]] = {}
            for chunk, view, score in zip(chunks.tolist(), views.tolist(), scores.tolist(), strict=True):
                best.setdefault(chunk, (score, view))
            if len(best) >= k or depth >= len(self) or len(chunks) < depth:
                return [(chunk, score, view) for chunk, (score, view) in list(best.items())[:k]]
            depth *= 4

    def top_views(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` views nearest to ``query`` (fewer when there are fewer): (chunk ids, view numbers, scores), best
        first; only views of the ``allowed`` chunk ids when given."""
        empty = np.zeros(0, dtype=np.int64)
        if len(self) == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return empty, empty, np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        if allowed is None:
            scores, ids = self.index.search(q, min(n, len(self)))
        else:
            params = self._faiss.SearchParameters(sel=self._faiss.IDSelectorBatch(all_view_ids(allowed)))  # type: ignore[call-arg]
            scores, ids = self.index.search(q, min(n, len(self)), params=params)
        found = ids[0] >= 0
        views = ids[0][found]
        return views // VIEWS_PER_CHUNK, views % VIEWS_PER_CHUNK, scores[0][found]

    # -- files --------------------------------------------------------------------------------------------

    def save(self, folder: Path, version: int) -> None:
        """Write the index and its sidecar atomically (write, fsync, rename)."""
        folder = Path(folder)
        tmp = folder / (FAISS_NAME + ".tmp")
        try:
            tmp.unlink(missing_ok=True)  # a stale one, or a link someone planted: FAISS writes by name
            self._faiss.write_index(self.index, str(tmp))
            os.chmod(tmp, 0o600)
            crash_point("faiss-written")
            _fsync_file(tmp)
            digest = _file_sha256(tmp)
            os.replace(tmp, folder / FAISS_NAME)
            crash_point("faiss-renamed")
            sidecar = {"version": version, "count": len(self), "dim": self.dim, "sha256": digest}
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
        """The saved index and the store version it matches, or None if missing, unreadable or damaged."""
        loaded = cls._read(Path(folder), dim)
        return None if isinstance(loaded, str) else loaded

    @classmethod
    def diagnose(cls, folder: Path, dim: int) -> str | None:
        """What is wrong with the saved vector file and its sidecar, for people; None if nothing (or no file)."""
        if not (Path(folder) / FAISS_NAME).exists() and not (Path(folder) / SIDECAR_NAME).exists():
            return None
        loaded = cls._read(Path(folder), dim)
        return loaded if isinstance(loaded, str) else None

    @classmethod
    def _read(cls, folder: Path, dim: int) -> tuple[VectorIndex, int] | str:
        """The saved index and its version, or why it cannot be used. SQLite does not check this file: its sidecar
        names the SHA-256 it was saved with, so one flipped bit is damage found on open, not a wrong ranking."""
        import faiss

        try:
            sidecar = json.loads((folder / SIDECAR_NAME).read_text())
            if not isinstance(sidecar, dict):
                return f"{SIDECAR_NAME} is damaged"
            expected = sidecar.get("sha256")
            if expected is not None and expected != _file_sha256(folder / FAISS_NAME):
                return f"{FAISS_NAME} is damaged: it does not match the checksum its sidecar recorded"
        except (OSError, ValueError, RecursionError) as exc:
            return f"{FAISS_NAME} or {SIDECAR_NAME} is missing or unreadable ({str(exc)[:200]})"
        try:
            index = faiss.read_index(str(folder / FAISS_NAME))  # read by FAISS itself: no second copy in memory
        except (RuntimeError, ValueError) as exc:
            return f"{FAISS_NAME} is damaged ({exc})"
        try:
            count = int(sidecar.get("count", -1))
            version = int(sidecar.get("version", -1))
        except (TypeError, ValueError, OverflowError):  # whatever JSON it holds: [1], NaN, 1e400
            return f"{SIDECAR_NAME} is damaged"
        if int(index.d) != dim or int(index.ntotal) != count or not cls._accepts(index):
            return f"{FAISS_NAME} does not match its sidecar (vectors of {int(index.d)}, {int(index.ntotal)} of them)"
        return cls(dim, index), version

    @classmethod
    def _accepts(cls, index: Any) -> bool:
        """Whether a FAISS index read from the file is of a kind this store keeps."""
        import faiss

        return isinstance(index, faiss.IndexIDMap2)

    def vectors_of(self, chunk_id: int, views: int) -> np.ndarray:
        """The stored vectors of a chunk's first ``views`` views, as FAISS keeps them (16-bit floats)."""
        return np.stack([self.index.reconstruct(int(chunk_id * VIEWS_PER_CHUNK + v)) for v in range(views)])


def _file_sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
    tmp.unlink(missing_ok=True)
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# name -> (new empty store for a dimension, load the saved one from a folder or None)
def _compressed() -> tuple[Any, Any]:
    from engine.index.ann import CompressedVectorIndex

    return CompressedVectorIndex, CompressedVectorIndex.load


BACKENDS: dict[str, tuple[Any, Any]] = {"faiss-flat": (VectorIndex, VectorIndex.load), "faiss-auto": _compressed()}
DEFAULT_BACKEND = "faiss-flat"  # what an index that records no kind keeps


def backend(name: str) -> tuple[Any, Any]:
    """The (make, load) pair of the vector store called ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        from engine.errors import IndexAccessError

        raise IndexAccessError(
            f"this index keeps its vectors in {name!r}, which this DocSense does not know ({', '.join(BACKENDS)}): "
            "update DocSense to open it"
        ) from None
