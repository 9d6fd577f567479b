"""The constants search was tuned with, as one value passed to search (docs/BENCHMARKS.md says how each was set).

A benchmark or a test that needs other values passes another ``SearchTuning``; nothing patches module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SearchTuning:
    """How hybrid search ranks.

    Attributes:
        candidates: each side keeps at least this many windows (the first hits and their document evidence are the
            same for any limit up to 100; 250 cut long pages' evidence short).
        fusion: "score" (normalised score fusion) or "rrf" (reciprocal ranks, the fusion before issue 6).
        meaning_weight: the meaning side's weight in score fusion; the keyword side gets the rest.
        norm_depth: each side's scores are scaled so that its best is 1 and its norm_depth-th is 0.
        document_weight: how much a window's document's fused best adds to the window's fused score.
        near_weight: how much the BM25 of the query's neighbouring words found close together adds.
        keyword_doc_windows: a document's keyword evidence: the sum of its best this-many BM25 scores, over this many.
        doc_views: a document's meaning evidence: the mean of its best this-many view scores ...
        doc_weight: ... counted this much beside a window's own best view.
        evidence_depth: the meaning evidence comes from the best evidence_depth x candidates views.
        per_document: windows of one document among the first hits before other documents get their turn.
        length_prior: a window's fused score loses this much x log(its document's windows / the index's mean),
            for documents longer than the mean: a long page matches every query a little, in many windows, and
            its evidence and its best window's chance of a high score grow with its length (issue 20).
        evidence_by_size: a document with fewer windows (views) than keyword_doc_windows (doc_views) has its
            evidence averaged over those it has, not over the full count (which favours long pages).
        evidence_length: the evidence of a document longer than the index's mean (its keyword and meaning
            evidence and its fused best) is multiplied by (mean / its windows) ** evidence_length.
        language_penalty: a window of a document written in another language than the query's loses this much of
            its fused score: the encoder reads English, and a page in Korean with English words in it matches
            English queries by accident (engine.language).
        meaning_floor: a window found by meaning alone is a hit only when its best view's cosine to the query is at
            least this: below it nothing is close in meaning (set for all-MiniLM-L6-v2 on the dev sets,
            bench/relevance_floor.py; other encoders have no floor until one is set for them).
        keyword_floor: a window found by keyword is a hit (whatever its meaning) when it holds at least this share
            of the query's word weight (each word weighs its inverse document frequency; engine.search
            QueryTerms.coverage): not a window that shares only the query's commonest word.
        known_share: when less than this share of the query's word weight is in words some window holds ...
        unknown_meaning_floor: ... a meaning hit needs a cosine of at least this (random letters embed near code).
        strong_cosine, strong_coverage, good_cosine, good_coverage: a hit whose best view's cosine or share of the
            query's word weight reaches these is a strong, or a good, match (SearchHit.strength).
    """

    candidates: int = 500
    fusion: str = "score"
    meaning_weight: float = 0.7
    norm_depth: int = 100
    document_weight: float = 1.0
    near_weight: float = 0.5
    keyword_doc_windows: int = 10
    doc_views: int = 10
    doc_weight: float = 0.5
    evidence_depth: int = 8
    per_document: int = 2
    length_prior: float = 0.05
    evidence_by_size: bool = False
    evidence_length: float = 0.0
    language_penalty: float = 1.0
    meaning_floor: float = 0.40
    keyword_floor: float = 0.40
    known_share: float = 0.5
    unknown_meaning_floor: float = 0.50

    strong_cosine: float = 0.60
    strong_coverage: float = 0.85
    good_cosine: float = 0.48
    good_coverage: float = 0.60

    def without_floors(self) -> SearchTuning:
        """The same tuning with every relevance floor off (for a caller that judges the candidates itself)."""
        return replace(self, meaning_floor=-1.0, keyword_floor=0.0, unknown_meaning_floor=-1.0)  # cosines are >= -1


DEFAULT_TUNING = SearchTuning()
