"""The optional cross-encoder stage, with a tiny random-weight checkpoint: loading, pairs, truncation, re-ordering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from desktop.cli import cli
from engine import Library
from engine.errors import ModelError
from engine.rerank import CrossEncoderReranker, load_reranker
from engine.types import SearchHit
from indexer import Indexer
from tests.engine.tiny_models import make_cross_encoder


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cross_encoder(tmp_path_factory.mktemp("models") / "cross")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, fake_encoder) -> Path:
    root = tmp_path_factory.mktemp("rerank")
    shutil.copytree(corpus_dir / "text", root / "corpus")
    Indexer(root / "index", encoder=fake_encoder, workers=0).run([root / "corpus"])
    return root / "index"


def test_scores_are_the_models_logits_for_each_pair(cross_encoder: Path) -> None:
    reranker = CrossEncoderReranker(str(cross_encoder))
    passages = ["a short passage", "another passage about apples " * 200, "x"]  # the second must be truncated
    scores = reranker.scores("which fruit?", passages)
    tokenizer = AutoTokenizer.from_pretrained(cross_encoder)
    model = AutoModelForSequenceClassification.from_pretrained(cross_encoder).eval()
    for passage, score in zip(passages, scores, strict=True):
        enc = tokenizer("which fruit?", passage, truncation="only_second", max_length=512, return_tensors="pt")
        with torch.inference_mode():
            expected = model(**enc).logits[0, 0].item()
        assert score == pytest.approx(expected, abs=1e-4)
    assert len(set(scores.round(6).tolist())) == 3  # random weights still tell the three apart


def _text(library: Library, hit: SearchHit) -> str:
    sql = "SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ? AND c.start = ?"
    return library.index.store.conn.execute(sql, (hit.path, hit.start)).fetchone()[0]


def test_search_reorders_the_fused_candidates(index: Path, cross_encoder: Path, fake_encoder) -> None:
    query = "network configuration"
    with Library(index, encoder=fake_encoder) as plain:
        candidates = plain.search(query, limit=30)
    with Library(index, encoder=fake_encoder, reranker=str(cross_encoder)) as library:
        reranker = library.reranker
        assert reranker is not None
        hits = library.search(query, limit=5)
        assert len(hits) == 5
        assert {(h.path, h.start) for h in hits} <= {(h.path, h.start) for h in candidates}
        scores = reranker.scores(query, [_text(library, h) for h in hits])
        assert [h.score for h in hits] == pytest.approx(scores.tolist(), abs=1e-5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        # The cross-encoder's best of all 30 fused candidates comes first, wherever fusion had put it.
        best = reranker.scores(query, [_text(library, h) for h in candidates]).max()
        assert hits[0].score == pytest.approx(float(best), abs=1e-5)


def test_no_reranker_unless_configured(monkeypatch: pytest.MonkeyPatch, cross_encoder: Path, index: Path) -> None:
    from engine import Library

    monkeypatch.delenv("DOCSENSE_RERANKER", raising=False)
    with Library(index) as lib:
        assert lib.reranker is None
    monkeypatch.setenv("DOCSENSE_RERANKER", str(cross_encoder))
    with Library(index) as lib:
        assert lib.reranker is not None
        assert lib.reranker.name == str(cross_encoder.resolve())
    monkeypatch.setenv("DOCSENSE_RERANKER", "none")
    with Library(index) as lib:
        assert lib.reranker is None
    assert load_reranker(None) is None


def test_a_missing_reranker_is_a_clear_error(index: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="reranker"):
        load_reranker(str(tmp_path / "nowhere"))
    result = CliRunner().invoke(
        cli, ["search", "network", "--index", str(index), "--reranker", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 1
    assert f"cannot load the reranker model '{tmp_path / 'nowhere'}': no such folder" in result.output
    assert "Traceback" not in result.output
