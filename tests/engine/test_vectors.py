from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.vectors import VectorIndex


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force(ids: np.ndarray, vecs: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    scores = vecs @ q
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(ids[i]) for i in order]


def test_search_matches_brute_force_after_updates() -> None:
    dim = 32
    vecs = unit_rows(500, dim, 1)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = VectorIndex(dim)
    index.add(ids, vecs)
    drop = ids[::3]
    index.remove(drop)
    keep = ~np.isin(ids, drop)
    for q in unit_rows(20, dim, 2):
        got = [i for i, _ in index.search(q, 10)]
        assert got == brute_force(ids[keep], vecs[keep], q, 10)


def test_search_with_allowed_ids() -> None:
    dim = 16
    vecs = unit_rows(200, dim, 3)
    ids = np.arange(200, dtype=np.int64)
    index = VectorIndex(dim)
    index.add(ids, vecs)
    allowed = ids[ids % 7 == 0]
    q = unit_rows(1, dim, 4)[0]
    got = [i for i, _ in index.search(q, 5, allowed)]
    assert got == brute_force(allowed, vecs[allowed], q, 5)
    assert index.search(q, 5, np.array([], dtype=np.int64)) == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = VectorIndex(8)
    index.add([5, 9], unit_rows(2, 8, 5))
    index.save(tmp_path, version=7)
    loaded = VectorIndex.load(tmp_path, 8)
    assert loaded is not None
    again, version = loaded
    assert version == 7
    assert sorted(again.ids().tolist()) == [5, 9]
    assert not list(tmp_path.glob("*.tmp"))


def test_load_refuses_damaged_or_mismatched_files(tmp_path: Path) -> None:
    assert VectorIndex.load(tmp_path, 8) is None
    index = VectorIndex(8)
    index.add([1], unit_rows(1, 8, 6))
    index.save(tmp_path, version=1)
    assert VectorIndex.load(tmp_path, 16) is None  # another dimension
    (tmp_path / "vectors.faiss").write_bytes(b"garbage")
    assert VectorIndex.load(tmp_path, 8) is None
