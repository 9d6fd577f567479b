from __future__ import annotations

import pytest

from engine.fusion import RRF_K, reciprocal_rank_fusion


def test_rrf_scores_and_sources() -> None:
    fused = reciprocal_rank_fusion({"meaning": [1, 2, 3], "keyword": [3, 4]})
    by_id = {f.id: f for f in fused}
    assert by_id[3].score == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))
    assert by_id[3].sources == {"meaning", "keyword"}
    assert by_id[1].sources == {"meaning"}
    assert by_id[4].sources == {"keyword"}
    assert [f.id for f in fused] == [3, 1, 2, 4]  # 2 and 4 tie at rank 2: lower id first


def test_rrf_ties_are_deterministic() -> None:
    a = reciprocal_rank_fusion({"meaning": [1, 2], "keyword": [2, 1]})
    b = reciprocal_rank_fusion({"keyword": [2, 1], "meaning": [1, 2]})
    assert [f.id for f in a] == [f.id for f in b] == [1, 2]


def test_rrf_empty() -> None:
    assert reciprocal_rank_fusion({"meaning": [], "keyword": []}) == []
