"""Fusing ranked lists from the dense and keyword sides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
