"""A vector store for big indexes: exact while small, then FAISS IVF-PQ codes in memory, re-scored exactly.

Up to TRAIN_AT vectors it is the flat store (engine.index.vectors.VectorIndex: every vector compared). When a save
finds it past that, it trains an inverted file (IVF: lists_for(count) lists, by k-means) with product-quantised codes
(PQ: 64 bytes a vector instead of 768) on a sample of its vectors and moves every vector into it: a million windows
(about 5 million views) take about 360 MB instead of 3.8 GB, and a search scans the lists nearest the query (one in
PROBE_SHARE) instead of every vector. The codes only approximate a vector, so the chunks they rank best (RESCORE of
them) are scored again against the exact vectors the rows keep (``attach``): the first hits are what an exact scan
gives, nearly always (bench/scale.py reports recall@10 against one).

The file is the same pair as the flat store's (vectors.faiss and its sidecar, written atomically), so a crash, a
stale file and a rebuild from the rows work alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.index.vectors import VIEWS_PER_CHUNK, VectorIndex, all_view_ids

TRAIN_AT = 400_000  # vectors (about 80,000 windows) from which an index keeps codes instead of every vector
PQ_BYTES = 64  # bytes of code a vector (384 dimensions: 6 to a byte)
PROBE_SHARE = 16  # a search scans one in this many inverted lists (128 of 2048): recall@10 0.995 at 100k windows
RESCORE = 300  # best chunks by their codes that are scored again with their exact vectors
EXACT_BELOW = 3_000  # a filter that allows fewer chunks than this is searched exactly, from the rows
TRAIN_SAMPLE = 100_000  # vectors k-means trains on

ExactVectors = Callable[[Sequence[int]], dict[int, np.ndarray]]


def lists_for(count: int) -> int:
    """How many inverted lists for ``count`` vectors: about 4 x sqrt(count), a power of two, 16 to 4096."""
    return int(min(4096, max(16, 2 ** round(math.log2(4 * math.sqrt(max(count, 1)))))))


class CompressedVectorIndex(VectorIndex):
    """The flat store until TRAIN_AT vectors, then IVF-PQ codes re-scored against the exact vectors (see the module).

    ``attach`` gives it the function that reads chunks' exact vectors (Store.vectors_of); without one, scores are
    the codes' approximations.
    """

    def __init__(self, dim: int, index: Any = None) -> None:
        super().__init__(dim, index)
        self.exact: ExactVectors | None = None

    def attach(self, exact: ExactVectors) -> None:
        self.exact = exact

    @property
    def compressed(self) -> bool:
        return isinstance(self.index, self._faiss.IndexIVF)

    @classmethod
    def _accepts(cls, index: Any) -> bool:
        import faiss

        return isinstance(index, (faiss.IndexIDMap2, faiss.IndexIVFPQ))

    def ids(self) -> np.ndarray:
        if not self.compressed:
            return super().ids()
        lists = self.index.invlists
        parts = [
            np.asarray(self._faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)), dtype=np.int64).copy()
            for i in range(self.index.nlist)
            if lists.list_size(i)
        ]
        views = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return np.unique(views // VIEWS_PER_CHUNK)

    def remove(self, chunk_ids: Sequence[int] | np.ndarray) -> None:
        if len(chunk_ids) == 0:
            return
        if not self.compressed:
            super().remove(chunk_ids)
            return
        self.index.remove_ids(self._faiss.IDSelectorBatch(all_view_ids(chunk_ids)))

    def top_views(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.compressed:
            return super().top_views(query, n, allowed)
        empty = np.zeros(0, dtype=np.int64)
        if len(self) == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return empty, empty, np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        if allowed is not None and len(allowed) < EXACT_BELOW and self.exact is not None:
            return self._exact_views(q[0], np.asarray(allowed, dtype=np.int64).tolist(), n)
        faiss = self._faiss
        params = faiss.SearchParametersIVF(nprobe=max(32, self.index.nlist // PROBE_SHARE))
        if allowed is not None:
            params.sel = faiss.IDSelectorBatch(all_view_ids(allowed))
        scores, ids = self.index.search(q, min(n, len(self)), params=params)
        found = ids[0] >= 0
        views, approx = ids[0][found], scores[0][found]
        if self.exact is None or len(views) == 0:
            return views // VIEWS_PER_CHUNK, views % VIEWS_PER_CHUNK, approx
        chunks = views // VIEWS_PER_CHUNK
        best = list(dict.fromkeys(chunks.tolist()))[:RESCORE]  # by their best view's code, best first
        e_chunks, e_views, e_scores = self._exact_views(q[0], best, n)
        rest = ~np.isin(chunks, best)
        all_chunks = np.concatenate([e_chunks, chunks[rest]])
        all_views = np.concatenate([e_views, views[rest] % VIEWS_PER_CHUNK])
        all_scores = np.concatenate([e_scores, approx[rest]])
        order = np.argsort(-all_scores, kind="stable")[:n]
        return all_chunks[order], all_views[order], all_scores[order].astype(np.float32)

    def _exact_views(self, q: np.ndarray, chunk_ids: list[int], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` best views of these chunks by their exact vectors, best first."""
        assert self.exact is not None
        mats = self.exact(chunk_ids)
        owners = [c for c in chunk_ids if c in mats and len(mats[c])]
        if not owners:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float32)
        counts = [len(mats[c]) for c in owners]
        scores = np.concatenate([mats[c] for c in owners]) @ q
        chunks = np.repeat(np.asarray(owners, dtype=np.int64), counts)
        views = np.concatenate([np.arange(k, dtype=np.int64) for k in counts])
        order = np.argsort(-scores, kind="stable")[:n]
        return chunks[order], views[order], scores[order].astype(np.float32)

    def vectors_of(self, chunk_id: int, views: int) -> np.ndarray:
        if self.compressed and self.exact is not None:
            return self.exact([chunk_id])[chunk_id][:views]
        return super().vectors_of(chunk_id, views)

    # -- growing past the flat store ------------------------------------------------------------------------

    def compress(self, seed: int = 0) -> None:
        """Train the inverted file and codes on a sample of the vectors and move every vector into it."""
        if self.compressed or len(self) == 0:
            return
        faiss = self._faiss
        flat = faiss.downcast_index(self.index.index)
        count = len(self)
        codes = faiss.vector_to_array(flat.codes).view(np.float16).reshape(count, self.dim)
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        rng = np.random.default_rng(seed)
        sample = codes[np.sort(rng.choice(count, size=min(count, TRAIN_SAMPLE), replace=False))].astype(np.float32)
        nlist = lists_for(count)
        quantizer = faiss.IndexFlatIP(self.dim)
        parts = max(m for m in range(1, PQ_BYTES + 1) if self.dim % m == 0)  # sub-vectors: they split the dimensions
        ivf = faiss.IndexIVFPQ(quantizer, self.dim, nlist, parts, 8, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = seed
        ivf.train(sample)
        ivf.own_fields = True
        quantizer.this.disown()
        for a in range(0, count, 200_000):
            ivf.add_with_ids(np.ascontiguousarray(codes[a : a + 200_000], dtype=np.float32), ids[a : a + 200_000])
        self.index = ivf

    def save(self, folder: Any, version: int) -> None:
        if not self.compressed and len(self) >= TRAIN_AT:
            self.compress()
        super().save(folder, version)
