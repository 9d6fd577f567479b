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


def test_the_backend_can_be_chosen(monkeypatch) -> None:
    monkeypatch.setenv("DOCSENSE_BACKEND", "torch")
    assert SentenceEncoder(device="cpu").backend == "torch"
    monkeypatch.setenv("DOCSENSE_BACKEND", "tensorflow")
    with pytest.raises(ModelError, match="unknown backend 'tensorflow'"):
        SentenceEncoder(device="cpu")
