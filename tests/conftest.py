"""Shared fixtures: the real corpus from ../shared, encoders (a fast fake and the real model), temp indexes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("DOCSENSE_TEST_CORPUS", REPO.parent / "shared" / "corpus"))


_SESSION_CACHE = Path(tempfile.mkdtemp(prefix="docsense-test-cache-"))


@pytest.fixture(scope="session", autouse=True)
def _remove_session_cache():
    """The converted models of the session go with it."""
    yield
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real index or config."""
    monkeypatch.setenv("DOCSENSE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DOCSENSE_ENCODER", raising=False)
    monkeypatch.delenv("DOCSENSE_INDEX", raising=False)
    # Tagging costs seconds per corpus; the tests that are about entities ask for the tagger themselves.
    monkeypatch.setenv("DOCSENSE_TAGGER", "none")
    # Converted models (OpenVINO) are cached once per test session, not once per test's DOCSENSE_HOME.
    monkeypatch.setenv("DOCSENSE_CACHE", str(_SESSION_CACHE))
    monkeypatch.delenv("DOCSENSE_BACKEND", raising=False)


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The real documents in ../shared/corpus (read-only: copy before indexing)."""
    if not SHARED_CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {SHARED_CORPUS}; set DOCSENSE_TEST_CORPUS")
    return SHARED_CORPUS


@pytest.fixture
def corpus_copy(shared_corpus: Path, tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(shared_corpus, target)
    return target


@pytest.fixture(scope="session")
def tokenizer():
    from engine.encoder import packaged_model_dir
    from engine.tokenizer import Tokenizer

    return Tokenizer(packaged_model_dir() / "tokenizer.json")


@pytest.fixture(scope="session")
def fake_encoder(tokenizer):
    """A deterministic bag-of-words encoder: fast, knows words, not meaning."""
    from engine.encoder import HashingEncoder

    return HashingEncoder(dim=64, tokenizer=tokenizer)


@pytest.fixture(scope="session")
def real_encoder():
    """all-MiniLM-L6-v2 from its package, on the CPU, loaded once per session."""
    from engine.encoder import SentenceEncoder

    return SentenceEncoder(device="cpu")


@pytest.fixture
def make_indexer(tmp_path: Path, fake_encoder):
    """Build an Indexer on a temp index with the fake encoder, extraction in-process."""
    from indexer import Indexer

    def make(**kwargs):
        kwargs.setdefault("index_path", tmp_path / "index")
        kwargs.setdefault("encoder", fake_encoder)
        kwargs.setdefault("workers", 0)
        return Indexer(**kwargs)

    return make


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """An empty folder to put documents in."""
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder
