"""SIGKILL a real `docsense index` writing to a PostgreSQL server (issue 17) at the moments a crash hurts most: the
next run must open, resume and end with what an uninterrupted run stores, rows, postings and vectors alike."""

from __future__ import annotations

import itertools
import json
import signal
from pathlib import Path

import pytest

from tests.reliability.conftest import docsense

pytestmark = pytest.mark.postgres

_names = itertools.count()


def _database(postgres_url: str) -> str:
    """The URL of a new, empty database on the test server."""
    import psycopg

    name = f"docsense_crash_{next(_names)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_url.replace("/postgres?", f"/{name}?")


def _snapshot(url: str) -> dict[str, object]:
    """What the server's index holds, independent of row ids."""
    import psycopg

    postings = (
        "SELECT d.path, c.start, p.term, p.text_at, p.heading_at FROM postings p "
        "JOIN chunks c ON c.id = p.chunk_id JOIN documents d ON d.id = c.doc_id"
    )
    views = (
        "SELECT d.path, c.start, v.view FROM views v JOIN chunks c ON c.id = v.chunk_id "
        "JOIN documents d ON d.id = c.doc_id"
    )
    with psycopg.connect(url) as conn:
        return {
            "documents": sorted(r[0] for r in conn.execute("SELECT path FROM documents")),
            "chunks": sorted(
                conn.execute('SELECT d.path, c.start, c."end" FROM chunks c JOIN documents d ON d.id = c.doc_id')
            ),
            "failures": sorted(conn.execute("SELECT path, reason FROM failures")),
            "postings": sorted(conn.execute(postings)),
            "views": sorted(conn.execute(views)),
            "waiting to be embedded": conn.execute("SELECT count(*) FROM chunks WHERE pending IS NOT NULL").fetchone(),
        }


@pytest.fixture(scope="module")
def reference(corpus: Path, postgres_url: str) -> dict[str, object]:
    url = _database(postgres_url)
    result = docsense("index", str(corpus), "--index", url, "--workers", "1", "-q")
    assert result.returncode == 0, result.stderr
    return _snapshot(url)


@pytest.mark.parametrize("point", ["extracted:3", "in-transaction:5", "embedded:2", "vectors-stored:1"])
def test_killed_run_on_the_server_resumes_to_the_same_index(point: str, corpus: Path, reference, postgres_url: str):
    url = _database(postgres_url)
    killed = docsense("index", str(corpus), "--index", url, "--workers", "1", "-q", env={"DOCSENSE_FAULT": point})
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.stderr}"
    assert _snapshot(url) != reference  # the run was cut short
    opened = docsense("status", "--index", url, "--json")
    assert opened.returncode == 0, opened.stderr
    resumed = docsense("index", "--index", url, "-q")  # no folder: the ones the index has
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(docsense("verify", "--index", url, "--json").stdout) == {"ok": True, "problems": []}
    assert _snapshot(url) == reference
