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


def test_score_fusion_normalises_each_side_then_weighs_them() -> None:
    from engine.fusion import score_fusion

    meaning = [(1, 0.9), (2, 0.8), (3, 0.5)]
    keyword = [(3, 12.0), (4, 6.0), (5, 2.0)]
    fused = score_fusion({"meaning": meaning, "keyword": keyword}, weights={"meaning": 0.7, "keyword": 0.3})
    by_id = {f.id: f for f in fused}
    assert by_id[1].score == pytest.approx(0.7)  # best of meaning: 1, times its weight
    assert by_id[2].score == pytest.approx(0.7 * (0.8 - 0.5) / (0.9 - 0.5))
    assert by_id[3].score == pytest.approx(0.3)  # last of meaning (0) and best of keyword (1)
    assert by_id[4].score == pytest.approx(0.3 * (6 - 2) / (12 - 2))
    assert by_id[5].score == 0
    assert by_id[3].sources == {"meaning", "keyword"}
    assert [f.id for f in fused] == [1, 2, 3, 4, 5]


def test_score_fusion_clips_below_the_normalisation_depth() -> None:
    from engine.fusion import score_fusion

    items = [(i, 1.0 - i / 10) for i in range(8)]
    fused = score_fusion({"meaning": items}, norm_depth=3)
    assert [f.score for f in fused][:3] == pytest.approx([1.0 * 0.7, 0.5 * 0.7, 0.0])
    assert all(f.score == 0 for f in fused[3:])
    assert [f.id for f in fused] == list(range(8))  # ties keep the list's order
    assert score_fusion({"meaning": [], "keyword": []}) == []
    (single,) = score_fusion({"keyword": [(7, 3.0)]})
    assert single.score == pytest.approx(0.3)


def test_score_fusion_adds_the_documents_fused_best() -> None:
    """A document whose best meaning window and best keyword window differ gets both: each window adds its
    document's best normalised score on each side, weighted."""
    from engine.fusion import score_fusion

    # Document 10: windows 1 (best by meaning) and 2 (best by keyword). Document 20: window 3, good on both sides.
    meaning = [(1, 1.0), (3, 0.9), (2, 0.5), (4, 0.0)]
    keyword = [(2, 10.0), (3, 8.0), (1, 2.0), (4, 0.0)]
    documents = {1: 10, 2: 10, 3: 20, 4: 30}
    weights = {"meaning": 0.7, "keyword": 0.3}
    plain = score_fusion({"meaning": meaning, "keyword": keyword}, weights=weights)
    assert [f.id for f in plain][:2] == [3, 1]  # window by window, document 20's one good window wins
    fused = score_fusion(
        {"meaning": meaning, "keyword": keyword}, weights=weights, documents=documents, document_weight=1.0
    )
    by_id = {f.id: f.score for f in fused}
    own = {f.id: f.score for f in plain}
    assert by_id[1] == pytest.approx(own[1] + 0.7 * 1.0 + 0.3 * 1.0)  # document 10: best of both sides
    assert by_id[2] == pytest.approx(own[2] + 1.0)
    assert by_id[3] == pytest.approx(own[3] + 0.7 * 0.9 + 0.3 * 0.8)
    assert by_id[4] == pytest.approx(0.0)
    assert [f.id for f in fused] == [1, 3, 2, 4]  # document 10 first now
    # Without the mapping, or at weight 0, nothing changes; ids not in the mapping are their own document.
    alone = score_fusion({"meaning": meaning, "keyword": keyword}, weights=weights, documents={}, document_weight=1.0)
    assert {f.id: f.score for f in alone} == pytest.approx({i: 2 * s for i, s in own.items()})
    zero = score_fusion(
        {"meaning": meaning, "keyword": keyword}, weights=weights, documents=documents, document_weight=0
    )
    assert zero == plain
