"""The keyword side of a big index without ranking every window that holds a common word: each common term's
windows and their BM25 term weights, stored once, summed with numpy.

FTS5 ranks a query by calling bm25() on every window that holds any of its words: about a microsecond a window,
while finding them costs nanoseconds. In a million windows a question's words are in a few hundred thousand of them,
so its keyword side took a second. BM25 is a sum over the query's terms of idf(term) x weight(term, window), where
the weight depends on the term's count in the window and the window's length only. So for each term in at least
COMMON_AT windows (and fewer than half: FTS5 gives those no weight), ``build`` asks FTS5 once for the bm25 of the
term alone in each of its windows and keeps the weight (bm25 / idf); a query then adds idf x weight over the
common terms' windows in a numpy array, and FTS5 ranks only the windows holding its rare terms (bm25 is a sum: the
two parts add up to what FTS5 gives the whole query). Windows stored after the build are ranked by FTS5 as before
(their ids are above ``last``: SQLite's AUTOINCREMENT never reuses one), and those deleted since are dropped with
their documents. The weights use the mean window length at the build; the ranks agree with FTS5's (bench/scale.py
measures it).

The files are a cache: ``impacts/`` beside docsense.db, replaced whole (written under another name, then renamed),
tied to the database by a token in its meta table; missing, damaged or of another database, they are not used,
and the keyword side is FTS5's alone.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

COMMON_AT = 2_000  # windows a term is in, from which its weights are stored
BUILD_AT = 100_000  # windows an index has before the weights are worth building (its keyword side: 60 ms)
FOLDER = "impacts"
MAX_ID = 2**32 - 1  # the weights keep window ids in 4 bytes
META_KEY = "impacts"  # the token of the weights that belong to this database
K1 = 1.2  # FTS5's bm25() constant
IDF_FLOOR = 1e-6  # FTS5's idf for a term in half the windows or more


def idf(count: int, windows: int) -> float:
    """FTS5's inverse document frequency of a term that ``count`` of ``windows`` windows hold."""
    return max(math.log((windows - count + 0.5) / (count + 0.5)), IDF_FLOOR)


class Source(Protocol):
    """What building and ranking read from the database (engine.index.store.Store)."""

    def window_count(self) -> int: ...
    def last_chunk_id(self) -> int: ...
    def common_terms(self, least: int, most: int) -> list[tuple[str, int, str]]: ...
    def term_scores(self, word: str, up_to: int) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...


@dataclass(frozen=True)
class Impacts:
    """The stored weights: each common term's windows (ascending ids) and weights, over the windows up to ``last``.

    Attributes:
        last: the greatest window id covered; windows above it were stored after the build.
        terms: {term: (start, end)} into ``ids`` and ``weights``.
        windows: how many windows the index had at the build.
        least: how many windows a term was in, at least, to be weighed.
    """

    last: int
    terms: dict[str, tuple[int, int]]
    windows: int
    least: int
    ids: np.ndarray  # uint32 (ids stay below 2**32: written as such), memory-mapped
    weights: np.ndarray  # float32, memory-mapped

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(window ids, weights) of a common term, or None for a term that was not common at the build."""
        span = self.terms.get(term)
        if span is None:
            return None
        return self.ids[span[0] : span[1]], self.weights[span[0] : span[1]]


def build(store: Source, folder: Path, least: int = COMMON_AT) -> Generator[tuple[int, int], None, str]:
    """Write the weights of the terms that ``least`` or more windows (and fewer than half) hold, for the index at
    ``folder``, in place of any written before, yielding (windows weighed, of how many) as it goes, and at last
    returning the new weights' token: the caller stores it as META_KEY in the database, which makes them the
    index's. Closed early (a cancel, a crash), it leaves the old weights as they were."""
    windows = store.window_count()
    last = store.last_chunk_id()
    token = uuid.uuid4().hex
    for stale in folder.glob(f"{FOLDER}.new-*"):  # a crash's leftovers
        shutil.rmtree(stale, ignore_errors=True)
    work = folder / f"{FOLDER}.new-{token[:8]}"
    work.mkdir(mode=0o700)
    try:
        common = store.common_terms(least, windows // 2)
        total = sum(count for _term, count, _word in common)
        terms: dict[str, tuple[int, int]] = {}
        with open(work / "ids.bin", "wb") as ids_out, open(work / "weights.bin", "wb") as weights_out:
            at = 0
            for term, count, word in common:
                weight = idf(count, windows)
                start = at
                for ids, scores in store.term_scores(word, last):
                    ids_out.write(ids.astype(np.uint32).tobytes())
                    weights_out.write((scores / weight).astype(np.float32).tobytes())
                    at += len(ids)
                if at > start:
                    terms[term] = (start, at)
                yield at, max(total, at)
            for out in (ids_out, weights_out):
                out.flush()
                os.fsync(out.fileno())
        info = {"token": token, "last": last, "windows": windows, "least": least, "terms": terms}
        (work / "terms.json").write_text(json.dumps(info))
        _replace(work, folder / FOLDER)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return token


def _replace(work: Path, target: Path) -> None:
    """Put the folder ``work`` at ``target``: a reader sees the old weights or the new, or none for a moment."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    work.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def load(store: Source, folder: Path) -> Impacts | None:
    """The weights stored for the index at ``folder``, or None when there are none that belong to its database
    (missing, damaged, or written for a database since replaced)."""
    target = folder / FOLDER
    try:
        info = json.loads((target / "terms.json").read_text())
        if info.get("token") != store.get_meta(META_KEY):
            return None
        terms = {str(t): (int(a), int(b)) for t, (a, b) in info["terms"].items()}
        size = max((b for _a, b in terms.values()), default=0)
        ids = _mapped(target / "ids.bin", np.uint32, size)
        weights = _mapped(target / "weights.bin", np.float32, size)
        return Impacts(int(info["last"]), terms, int(info["windows"]), int(info["least"]), ids, weights)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _mapped(path: Path, dtype: type, size: int) -> np.ndarray:
    if path.stat().st_size != size * np.dtype(dtype).itemsize:
        raise ValueError(f"{path} is not the size its terms say")
    if size == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")


def scored(
    impacts: Impacts, common: Sequence[tuple[str, float]], rare: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The windows up to ``impacts.last`` that hold a word of a query whose ``common`` terms (term, its idf now) are
    scored from the weights and whose other terms FTS5 ranked (``rare``: the ids of every window up to ``last``
    that holds one, and its bm25 of those terms alone, higher better), and their scores: (ids, scores)."""
    scores = np.zeros(impacts.last + 1, dtype=np.float64)
    for term, weight in common:
        found = impacts.postings(term)
        if found is not None:
            scores[found[0]] += weight * found[1]  # a term's ids are distinct: no two adds to one window
    rare_ids, rare_scores = rare
    scores[rare_ids] += rare_scores
    ids = np.flatnonzero(scores)
    return ids, scores[ids]


def best(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best of windows ``ids`` by ``scores``: (id, score), best first, ties by id."""
    if len(ids) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))
    return list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))


B = 0.75  # FTS5's bm25() constant b
COLUMN_WEIGHTS = {"text": 1.0, "heading": 2.0}  # as search ranks: bm25(chunks_fts, 1.0, 2.0)


def near_bm25(
    pairs: Sequence[tuple[str, str]],
    places: dict[tuple[int, str, str], list[int]],
    sizes: dict[int, int],
    idfs: dict[str, float],
    mean_size: float,
    distance: int,
) -> dict[int, float]:
    """{window: what FTS5's bm25 gives it for ``NEAR(a b, distance) OR ...`` over ``pairs`` of terms}, for the
    windows of ``sizes`` that match one pair, computed as FTS5 does: per column, an instance of a term counts when
    an instance of the other stands within distance + 1 tokens of it; each pair's two phrases add
    idf x f (k1 + 1) / (f + k1 (1 - b + b x length / mean length)), f their counted instances weighed by column."""
    found: dict[int, float] = {}
    for window, size in sizes.items():
        k = K1 * (1 - B + B * size / mean_size) if mean_size else K1
        score, matched = 0.0, False
        for a, b in pairs:
            f_a = f_b = 0.0
            for column, weight in COLUMN_WEIGHTS.items():
                n_a, n_b = near_hits(places.get((window, column, a), []), places.get((window, column, b), []), distance)
                f_a, f_b = f_a + weight * n_a, f_b + weight * n_b
            if f_a or f_b:
                matched = True
                score += idfs[a] * f_a * (K1 + 1) / (f_a + k) + idfs[b] * f_b * (K1 + 1) / (f_b + k)
        if matched:
            found[window] = score
    return found


def near_hits(at_a: Sequence[int], at_b: Sequence[int], distance: int) -> tuple[int, int]:
    """How many of a term's places ``at_a`` stand within distance + 1 tokens of one of another's ``at_b``, and of
    ``at_b`` of one of ``at_a``: the instances FTS5's NEAR(a b, distance) counts in one column."""
    if not at_a or not at_b:
        return 0, 0
    return (
        sum(any(abs(p - q) <= distance + 1 for q in at_b) for p in at_a),
        sum(any(abs(p - q) <= distance + 1 for p in at_a) for q in at_b),
    )
