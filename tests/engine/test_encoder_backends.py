"""The encoder's CPU backends with the real model: OpenVINO (default on a CPU) against torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.encoder import SentenceEncoder
from engine.errors import ModelError

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def windows(tokenizer) -> list[list[int]]:
    texts = ["How do I copy a file?", "Leslie Lamport wrote the LaTeX manual. " * 40, "the xr package " * 90]
    return [tokenizer.with_specials(tokenizer.encode(t)[0], 512) for t in texts]


def test_openvino_is_the_cpu_default_and_gives_torchs_vectors(windows, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCSENSE_CACHE", str(tmp_path / "cache"))
    ov = SentenceEncoder(device="cpu")
    assert ov.backend == "openvino"
    got = ov.embed_ids(windows)
    assert ov.backend == "openvino", ov.backend_note
    expected = SentenceEncoder(device="cpu", backend="torch").embed_ids(windows)
    assert (got * expected).sum(axis=1).min() > 0.9999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    (converted,) = (tmp_path / "cache" / "openvino").glob("*/model.xml")
    # A second encoder compiles the cached model: it never needs the torch model.
    again = SentenceEncoder(device="cpu")

    def no_torch() -> None:
        raise AssertionError("the cached conversion should be used")

    again._load = no_torch  # type: ignore[method-assign]
    np.testing.assert_allclose(again.embed_ids(windows), got, atol=1e-6)
    assert list((tmp_path / "cache" / "openvino").glob("*/model.xml")) == [converted]
    assert not list((tmp_path / "cache" / "openvino").glob(".converting-*"))
    # The threads setting bounds the threads it runs on, with the same vectors.
    one = SentenceEncoder(device="cpu", threads=1)
    np.testing.assert_allclose(one.embed_ids(windows), got, atol=1e-5)
    assert one._openvino().get_property("INFERENCE_NUM_THREADS") == 1


def test_a_failed_conversion_falls_back_to_torch(windows, monkeypatch, tmp_path: Path) -> None:
    import engine.ov_encoder

    monkeypatch.setenv("DOCSENSE_CACHE", str(tmp_path / "cache"))

    def broken(_model: object, _target: Path) -> None:
        raise RuntimeError("no converter here")

    monkeypatch.setattr(engine.ov_encoder, "_convert", broken)
    encoder = SentenceEncoder(device="cpu")
    got = encoder.embed_ids(windows)
    assert encoder.backend == "torch"
    assert "no converter here" in encoder.backend_note
    expected = SentenceEncoder(device="cpu", backend="torch").embed_ids(windows)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_backend_can_be_chosen(tmp_path) -> None:
    import os

    from engine.settings import Settings, SettingsError

    settings = Settings.resolve(env={**os.environ, "DOCSENSE_BACKEND": "torch"}, recorded={})
    assert (settings.backend, settings.sources["backend"]) == ("torch", "env")
    assert SentenceEncoder(device="cpu", backend=settings.backend).backend == "torch"
    assert SentenceEncoder(device="cpu").backend == "openvino"  # the CPU's default
    with pytest.raises(SettingsError, match="backend from DOCSENSE_BACKEND must be one of torch, openvino"):
        Settings.resolve(env={**os.environ, "DOCSENSE_BACKEND": "tensorflow"}, recorded={})
    with pytest.raises(ModelError, match="unknown backend 'tensorflow'"):
        SentenceEncoder(device="cpu", backend="tensorflow")


def tiny_sentence_encoder(folder: Path, hidden: int = 48) -> Path:
    """A sentence-transformers folder (a one-layer BERT of ``hidden`` dimensions, mean pooling) built from a config:
    real files, real loading, vectors that are not 384 long."""
    import json
    import shutil

    import torch
    from transformers import BertConfig, BertModel

    from engine.encoder import packaged_model_dir

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(packaged_model_dir() / name, folder / name)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True})
    )
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]))  # fmt: skip
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256, "do_lower_case": False}))
    return folder


def test_an_encoder_folder_of_another_dimension_indexes_and_searches(tmp_path: Path) -> None:
    from engine import Library
    from indexer import Indexer

    model = tiny_sentence_encoder(tmp_path / "tiny-encoder")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\nGreen tea is picked in spring.")
    (docs / "rail.md").write_text("# Railways\n\nThe night train leaves at ten.")
    summary = Indexer(tmp_path / "index", encoder=str(model), workers=0, tagger="none").run([docs])
    assert summary.indexed == 2
    with Library(tmp_path / "index") as lib:
        assert lib.index.store.get_meta("dim") == "48"
        assert lib.index.encoder.dim == 48
        assert len(lib.index.vectors()) > 0
        hits = lib.search("night train", limit=2)
        assert {h.path for h in hits} == {str(docs / "tea.md"), str(docs / "rail.md")}
        assert lib.verify().ok
