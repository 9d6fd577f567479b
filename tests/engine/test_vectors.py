from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import IndexAccessError
from engine.index.vectors import VectorIndex


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    # Values 16-bit floats hold exactly, as the index stores them: brute force over them must then agree exactly.
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16).astype(np.float32)


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


def test_vectors_are_kept_as_16_bit_floats_and_old_32_bit_files_still_load(tmp_path: Path) -> None:
    import faiss

    dim = 384
    index = VectorIndex(dim)
    vecs = unit_rows(100, dim, 13)
    index.add(np.arange(100), vecs)
    (tmp_path / "new").mkdir()
    index.save(tmp_path / "new", version=1)
    assert (tmp_path / "new" / "vectors.faiss").stat().st_size < 100 * dim * 2 + 100 * 8 + 4096  # 2 bytes a value
    # An index saved before (32-bit IndexFlatIP inside the id map) loads and answers as it did.
    (tmp_path / "old").mkdir()
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    old.add_with_ids(vecs, np.arange(100, dtype=np.int64) * 16)
    VectorIndex(dim, old).save(tmp_path / "old", version=1)
    loaded = VectorIndex.load(tmp_path / "old", dim)
    assert loaded is not None
    q = vecs[7]
    for idx in (index, loaded[0]):
        assert [c for c, _ in idx.search(q, 3)] == brute_force(np.arange(100), vecs, q, 3)


def test_load_refuses_damaged_or_mismatched_files(tmp_path: Path) -> None:
    assert VectorIndex.load(tmp_path, 8) is None
    index = VectorIndex(8)
    index.add([1], unit_rows(1, 8, 6))
    index.save(tmp_path, version=1)
    assert VectorIndex.load(tmp_path, 16) is None  # another dimension
    (tmp_path / "vectors.faiss").write_bytes(b"garbage")
    assert VectorIndex.load(tmp_path, 8) is None


def test_a_chunk_is_scored_by_its_best_view() -> None:
    dim = 16
    rng_vecs = unit_rows(60, dim, 7)
    views = [rng_vecs[i * 6 : i * 6 + 1 + i % 6] for i in range(10)]  # chunk i has 1 + i % 6 views
    chunk_ids = np.arange(100, 110, dtype=np.int64)
    index = VectorIndex(dim)
    index.add(chunk_ids, views)
    assert len(index) == sum(len(v) for v in views)
    assert index.ids().tolist() == chunk_ids.tolist()
    for q in unit_rows(10, dim, 8):
        best = np.array([float((v @ q).max()) for v in views])
        order = np.argsort(-best, kind="stable")
        got = index.search(q, 4)
        assert [c for c, _ in got] == [int(chunk_ids[i]) for i in order[:4]]  # each chunk once, by its best view
        assert [s for _, s in got] == pytest.approx([float(best[i]) for i in order[:4]], abs=1e-6)
        allowed = chunk_ids[[1, 5, 8]]
        assert [c for c, _ in index.search(q, 10, allowed)] == [int(c) for c in chunk_ids[order] if c in allowed]
    index.remove(chunk_ids[5:])
    assert index.ids().tolist() == chunk_ids[:5].tolist()
    assert len(index) == sum(len(v) for v in views[:5])


def test_many_views_of_one_chunk_do_not_hide_the_others() -> None:
    """The best k chunks come back even when the nearest vectors all belong to one chunk."""
    dim = 8
    q = unit_rows(1, dim, 9)[0]
    near = np.tile(q, (16, 1))  # 16 views, all equal to the query
    far = unit_rows(30, dim, 10)
    index = VectorIndex(dim)
    index.add([1, *range(2, 32)], [near, *far])
    got = index.search(q, 5)
    assert len(got) == 5
    assert got[0][0] == 1
    assert [c for c, _ in got[1:]] == [int(c) for c in np.argsort(-(far @ q), kind="stable")[:4] + 2]


def test_top_views_are_the_nearest_vectors_with_their_chunks() -> None:
    dim = 16
    rng_vecs = unit_rows(60, dim, 11)
    views = [rng_vecs[i * 6 : i * 6 + 1 + i % 6] for i in range(10)]
    chunk_ids = np.arange(200, 210, dtype=np.int64)
    index = VectorIndex(dim)
    index.add(chunk_ids, views)
    q = unit_rows(1, dim, 12)[0]
    every = sorted(
        ((float(views[c - 200][v] @ q), c, v) for c in range(200, 210) for v in range(len(views[c - 200]))),
        reverse=True,
    )
    for n, allowed in ((7, None), (100, None), (3, [203, 207, 201, 999]), (100, [203, 207, 201, 999])):
        expected = [e for e in every if allowed is None or e[1] in allowed][:n]  # 999 has no vectors
        chunks, numbers, scores = index.top_views(q, n, None if allowed is None else np.asarray(allowed))
        assert len(chunks) == len(expected) == min(n, 31 if allowed is None else 2 + 4 + 2)
        assert list(scores) == pytest.approx([s for s, _, _ in expected], abs=1e-3)  # best first (16-bit floats)
        got = {(int(c), int(v)) for c, v in zip(chunks, numbers, strict=True)}
        assert got == {(c, v) for _, c, v in expected}
    assert all(len(a) == 0 for a in index.top_views(q, 5, np.zeros(0, dtype=np.int64)))
    assert all(len(a) == 0 for a in VectorIndex(dim).top_views(q, 5))


class NumpyStore:
    """A second vector store, brute force in numpy, to show the seam: one class and one BACKENDS entry."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.rows: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return sum(len(m) for m in self.rows.values())

    def ids(self) -> np.ndarray:
        return np.asarray(sorted(self.rows), dtype=np.int64)

    def add(self, chunk_ids, vectors) -> None:
        for chunk, v in zip(chunk_ids, vectors, strict=True):
            self.rows[int(chunk)] = np.asarray(v, dtype=np.float32).reshape(-1, self.dim)

    def remove(self, chunk_ids) -> None:
        for chunk in chunk_ids:
            self.rows.pop(int(chunk), None)

    def top_views(self, query, n, allowed=None):
        keep = None if allowed is None else set(np.asarray(allowed).tolist())
        found = [
            (float(score), chunk, view)
            for chunk, mat in self.rows.items()
            if keep is None or chunk in keep
            for view, score in enumerate(mat @ np.asarray(query, dtype=np.float32))
        ]
        found.sort(key=lambda f: (-f[0], f[1], f[2]))
        found = found[:n]
        return (np.asarray([f[1] for f in found], dtype=np.int64), np.asarray([f[2] for f in found], dtype=np.int64),
                np.asarray([f[0] for f in found], dtype=np.float32))  # fmt: skip

    def save(self, folder, version) -> None:
        pass  # nothing kept on disk: rebuilt from the rows on open


def test_another_vector_store_is_one_class_behind_the_same_interface(tmp_path, corpus_copy, fake_encoder, monkeypatch):
    import engine.index.vectors as vectors_module
    from engine import Library
    from indexer import Indexer

    monkeypatch.setitem(vectors_module.BACKENDS, "numpy", (NumpyStore, lambda folder, dim: None))
    Indexer(tmp_path / "flat", encoder=fake_encoder, workers=0, tagger="none").run([corpus_copy / "html"])
    monkeypatch.setenv("DOCSENSE_VECTOR_STORE", "numpy")  # a new index takes the configured store ...
    Indexer(tmp_path / "numpy", encoder=fake_encoder, workers=0, tagger="none").run([corpus_copy / "html"])
    with (
        Library(tmp_path / "flat", encoder=fake_encoder) as flat,
        Library(tmp_path / "numpy", encoder=fake_encoder) as other,
    ):
        assert flat.index.vectors_backend == "faiss-auto"  # ... an existing one keeps its own
        assert other.index.vectors_backend == "numpy"
        assert isinstance(other.index.vectors(), NumpyStore)
        for query in ("apache virtual host", "LDAP directory", "which package versions are available"):
            got = [(h.path, h.start) for h in other.search(query, limit=10, modes=("meaning",))]
            assert got == [(h.path, h.start) for h in flat.search(query, limit=10, modes=("meaning",))]
    monkeypatch.delitem(vectors_module.BACKENDS, "numpy")
    with pytest.raises(IndexAccessError, match="keeps its vectors in 'numpy', which this DocSense does not know"):
        Library(tmp_path / "numpy", encoder=fake_encoder)


@pytest.mark.parametrize(
    "contents",
    [
        '{"count": 1e400, "version": 1}',  # infinity: int() overflows
        '{"count": 1, "version": Infinity}',
        '{"count": NaN, "version": 1}',
        '{"count": [1], "version": {}}',
        "[" * 100_000 + "]" * 100_000,  # nested past the recursion limit
        '{"count": 1, "version": ' + "9" * 5000 + "}",  # past Python's digit limit
        "\udcff not UTF-8",
        "null",
    ],
    ids=["overflow", "infinity", "nan", "lists", "deep", "digits", "not-utf8", "null"],
)
def test_odd_sidecar_contents_are_damage_not_a_crash(tmp_path: Path, contents: str) -> None:
    """vectors.json is read back as whatever it holds (issue 19: odd contents became "internal error")."""
    index = VectorIndex(8)
    index.add([1], unit_rows(1, 8, 6))
    index.save(tmp_path, version=1)
    (tmp_path / "vectors.json").write_bytes(contents.encode("utf-8", "surrogateescape"))
    assert VectorIndex.load(tmp_path, 8) is None
    problem = VectorIndex.diagnose(tmp_path, 8)
    assert problem is not None
    assert "vectors.json" in problem
