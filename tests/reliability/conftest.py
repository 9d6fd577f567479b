"""Helpers to run the real `docsense` command in a subprocess (fast settings: fake encoder, no tagger)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FAST_ENV = {"DOCSENSE_ENCODER": "hashing-bow-64", "DOCSENSE_TAGGER": "none"}


def docsense(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300, **kwargs
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **FAST_ENV, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args], env=full_env, capture_output=True, text=True, timeout=timeout,
        **kwargs,
    )  # fmt: skip


def snapshot(index: Path) -> dict[str, object]:
    """What an index holds, independent of row ids: documents, chunk spans, failures."""
    conn = sqlite3.connect(index / "docsense.db")
    try:
        return {
            "documents": sorted(r[0] for r in conn.execute("SELECT path FROM documents")),
            "chunks": sorted(
                conn.execute('SELECT d.path, c.start, c."end" FROM chunks c JOIN documents d ON d.id = c.doc_id')
            ),
            "failures": sorted(conn.execute("SELECT path, reason FROM failures")),
            "fts": conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0],
            "waiting to be embedded": conn.execute("SELECT count(*) FROM chunks WHERE pending IS NOT NULL").fetchone()[
                0
            ],
        }
    finally:
        conn.close()


def verify(index: Path) -> dict[str, object]:
    result = docsense("verify", "--index", str(index), "--json")
    return json.loads(result.stdout)


@pytest.fixture
def run_docsense():
    return docsense


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A copy of the test corpus for a module's crash tests (each module its own)."""
    folder = tmp_path_factory.mktemp("crash") / "corpus"
    shutil.copytree(corpus_dir, folder)
    return folder
