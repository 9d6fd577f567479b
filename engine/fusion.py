"""Fusing ranked lists from the dense and keyword sides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.tuning import DEFAULT_TUNING

RRF_K = 60


@dataclass(frozen=True)
class Fused:
    id: int
    score: float
    sources: frozenset[str]


def reciprocal_rank_fusion(rankings: Mapping[str, Sequence[int]], k: int = RRF_K) -> list[Fused]:
    """Score each id by the sum of 1 / (k + rank) over the rankings that hold it (rank from 1), best first.

    Ties are broken by the id's best rank, then by the id, so the order is deterministic.
    """
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    sources: dict[int, set[str]] = {}
    for name, ranking in rankings.items():
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
            sources.setdefault(item, set()).add(name)
    order = sorted(scores, key=lambda i: (-scores[i], best_rank[i], i))
    return [Fused(i, scores[i], frozenset(sources[i])) for i in order]


def score_fusion(
    scored: Mapping[str, Sequence[tuple[int, float]]],
    weights: Mapping[str, float] | None = None,
    norm_depth: int = DEFAULT_TUNING.norm_depth,
    documents: Mapping[int, int] | None = None,
    document_weight: float | None = None,
    document_scale: Mapping[int, float] | None = None,
) -> list[Fused]:
    """Fuse lists of (id, score), each best first, by their normalised scores, weighted; best first.

    Each list's scores are mapped to [0, 1]: its best is 1 and its ``norm_depth``-th is 0 (deeper ones are clipped at
    0), so that a query with one clear match on one side and a flat list on the other keeps the clear match on top,
    where reciprocal ranks would treat both lists alike. Default weights: meaning 0.7, keyword 0.3 (measured on
    the dev set, docs/BENCHMARKS.md). Ties are broken by the id's best rank, then by the id.

    With ``documents`` (id -> its document), each id's score adds ``document_weight`` (default: the tuned one) x its
    document's fused best: the weighted sum of the best normalised score of the document's ids on each side, though
    a different window may be best on each (one says what the question means, another has its words). Ids not in
    ``documents`` are their own document. ``document_scale`` (document -> factor) scales a document's fused best.
    """
    meaning = DEFAULT_TUNING.meaning_weight
    weights = weights or {"meaning": meaning, "keyword": 1.0 - meaning}
    document_weight = DEFAULT_TUNING.document_weight if document_weight is None else document_weight
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    sources: dict[int, set[str]] = {}
    document_best: dict[int, float] = {}
    for name, items in scored.items():
        if not items:
            continue
        top = items[0][1]
        floor = items[min(norm_depth, len(items)) - 1][1]
        span = top - floor
        side_best: dict[int, float] = {}
        for rank, (item, score) in enumerate(items, start=1):
            norm = max(0.0, (score - floor) / span) if span > 0 else 1.0
            scores[item] = scores.get(item, 0.0) + weights.get(name, 1.0) * norm
            best_rank[item] = min(best_rank.get(item, rank), rank)
            sources.setdefault(item, set()).add(name)
            if documents is not None:
                doc = documents.get(item, -1 - item)
                side_best[doc] = max(side_best.get(doc, 0.0), norm)
        for doc, norm in side_best.items():
            document_best[doc] = document_best.get(doc, 0.0) + weights.get(name, 1.0) * norm
    if documents is not None and document_weight:
        for item in scores:
            doc = documents.get(item, -1 - item)
            scale = document_scale.get(doc, 1.0) if document_scale else 1.0
            scores[item] += document_weight * scale * document_best[doc]
    order = sorted(scores, key=lambda i: (-scores[i], best_rank[i], i))
    return [Fused(i, scores[i], frozenset(sources[i])) for i in order]
