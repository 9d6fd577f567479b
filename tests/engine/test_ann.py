"""The compressed vector store (engine.index.ann): exact while small, IVF-PQ codes re-scored exactly past TRAIN_AT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.index import ann
from engine.index.ann import CompressedVectorIndex
from engine.index.vectors import VectorIndex

DIM = 64


def clustered(n: int, seed: int, centres: int = 300) -> np.ndarray:
    """Unit vectors around ``centres`` random directions, as sentence vectors gather by topic."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, DIM)).astype(np.float32)
    rows = middle[rng.integers(0, centres, n)] + 0.35 * rng.standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def exact_top(store: VectorIndex, q: np.ndarray, k: int) -> list[int]:
    chunks, _views, _scores = store.top_views(q, 40 * k)
    return list(dict.fromkeys(chunks.tolist()))[:k]


@pytest.fixture
def pair(monkeypatch):
    """The same 2,000 chunks of 3 views each in a flat store and in a compressed one, re-scored from a dict."""
    monkeypatch.setattr(ann, "TRAIN_AT", 5_000)
    monkeypatch.setattr(ann, "PQ_BYTES", 16)  # 4 dimensions to a byte, as 384 at 64 bytes gives 6
    vectors = clustered(6_000, seed=1).reshape(2_000, 3, DIM)
    ids = np.arange(1, 2_001)
    flat, small = VectorIndex(DIM), CompressedVectorIndex(DIM)
    rows = dict(zip(ids.tolist(), vectors, strict=True))
    small.attach(lambda wanted: {i: rows[i] for i in wanted if i in rows})
    for store in (flat, small):
        store.add(ids, vectors)
    return flat, small, rows


def test_it_is_the_flat_store_until_a_save_finds_it_big(pair, tmp_path: Path) -> None:
    flat, small, _rows = pair
    assert not small.compressed
    q = clustered(1, seed=9)[0]
    assert exact_top(small, q, 10) == exact_top(flat, q, 10)
    small.save(tmp_path, 7)
    assert small.compressed
    assert len(small) == 6_000
    assert (small.ids() == flat.ids()).all()
    loaded, version = CompressedVectorIndex.load(tmp_path, DIM)
    assert (loaded.compressed, version, len(loaded)) == (True, 7, 6_000)
    assert VectorIndex.load(tmp_path, DIM) is None  # the flat store does not take codes for vectors


def test_its_first_hits_are_the_exact_ones_and_their_scores_exact(pair, tmp_path: Path) -> None:
    flat, small, _rows = pair
    small.save(tmp_path, 1)
    queries = clustered(30, seed=5)
    agree = [len(set(exact_top(small, q, 10)) & set(exact_top(flat, q, 10))) / 10 for q in queries]
    assert np.mean(agree) >= 0.9  # 32 of 256 lists scanned, on clusters that overlap
    chunks, _views, scores = small.top_views(queries[0], 5)
    e_chunks, _views, e_scores = flat.top_views(queries[0], 5)
    assert (chunks == e_chunks).all()
    assert np.allclose(scores, e_scores, atol=2e-3)  # flat keeps 16-bit floats, the rows 32-bit
    blind = CompressedVectorIndex.load(tmp_path, DIM)[0]  # no exact vectors: the codes' approximations
    assert not np.allclose(blind.top_views(queries[0], 5)[2], e_scores, atol=1e-4)


def test_removed_and_added_chunks_and_filters(pair, tmp_path: Path) -> None:
    flat, small, rows = pair
    small.save(tmp_path, 1)
    q = clustered(1, seed=11)[0]
    first = exact_top(small, q, 3)
    small.remove(first)
    flat.remove(first)
    assert not set(first) & set(exact_top(small, q, 10))
    assert len(small) == 6_000 - 9
    new = clustered(3, seed=12)[None]
    rows[9_999] = new[0]
    small.add([9_999], new)
    assert exact_top(small, new[0][1], 1) == [9_999]
    allowed = np.arange(100, 400)  # few: searched exactly from the rows
    flat_allowed = flat.top_views(q, 10, allowed)[0]
    assert (small.top_views(q, 10, allowed)[0] == flat_allowed).all()
    many = np.arange(1, 1_500)  # many: through the inverted lists
    got = small.top_views(q, 30, many)[0]
    assert set(got.tolist()) <= set(many.tolist())
    assert len(got) == 30
