"""A damaged docsense.db (issue 19: `verify --repair` made the top hit wrong in 3 of 3 seeds, then `index` and
`search` exited 0 with the wrong ranking). Verify finds the damage; repair never rebuilds from it: what proves
intact moves to a new database, the rest is read again from the files, and the rankings come back as they were."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.reliability.conftest import docsense, snapshot, verify

QUERIES = ["apache virtual host", "LDAP directory", "which package versions are available", "free software"]
# A phrase of one document only (sect.apt-cache.html), found in its text and its chunks.
PHRASE = b"apt-cache policy"


@pytest.fixture
def built(tmp_path: Path, corpus_dir: Path) -> tuple[Path, Path, dict]:
    folder = tmp_path / "docs"
    shutil.copytree(corpus_dir / "html", folder)
    shutil.copytree(corpus_dir / "text", folder / "mail")
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    return folder, index, {"rankings": _rankings(index), "rows": _rows(index)}


def _rankings(index: Path) -> list[list[str]]:
    out = []
    for query in QUERIES:
        for mode in ("meaning", "keyword"):
            result = docsense("search", query, "--index", str(index), "--json", "--mode", mode, "-n", "5")
            assert result.returncode == 0, result.stderr
            out.append([json.loads(line)["path"] for line in result.stdout.splitlines()])
    return out


def _rows(index: Path) -> dict:
    """The snapshot without row ids, and the folders with their excludes."""
    conn = sqlite3.connect(index / "docsense.db")
    try:
        folders = conn.execute("SELECT path, exclude FROM folders ORDER BY path").fetchall()
    finally:
        conn.close()
    return {**snapshot(index), "folders": folders}


def _pages_holding(db: Path, needle: bytes) -> list[int]:
    data = db.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    pages = sorted({i // page_size for i in range(len(data)) if data.startswith(needle, i)})
    return [p for p in pages if p > 0]  # page 1 holds the schema


def _damage(index: Path, how: str) -> None:
    db = index / "docsense.db"
    data = bytearray(db.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    if how == "a page's structure":
        # The b-tree page header of every page holding the phrase: SQLite's own check fails on each.
        for page in _pages_holding(db, PHRASE):
            data[page * page_size : page * page_size + 8] = b"\xff" * 8
    elif how == "a letter of a text":
        # One bit in a document's stored text, which SQLite's check does not look at: the rows disagree. (The phrase
        # also stands in chunk headings, which nothing else repeats: the first page of the texts table holding it.)
        with sqlite3.connect(db) as conn:
            texts = {r[0] - 1 for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'texts'")}
        conn.close()
        at = next(i for i in range(len(data)) if data.startswith(PHRASE, i) and i // page_size in texts)
        data[at] ^= 0x01
    elif how == "emptied":
        data = bytearray()
    elif how == "not a database":
        data[:16] = b"\x00" * 16
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["a page's structure", "a letter of a text"])
def test_repair_saves_the_intact_rows_and_reads_the_rest_again(built, how: str) -> None:
    _folder, index, intact = built
    _damage(index, how)

    checked = verify(index)
    assert checked["ok"] is False
    assert any(p.startswith("database: ") for p in checked["problems"]), checked

    repaired = docsense("verify", "--repair", "--index", str(index))
    assert repaired.returncode == 0, repaired.stderr
    assert "repair: the database was damaged" in repaired.stderr
    assert "the damaged file is kept as docsense.db.damaged" in repaired.stderr
    assert "did not check out: they are read again from their files" in repaired.stderr
    assert (index / "docsense.db.damaged").exists()
    assert verify(index) == {"ok": True, "problems": []}
    assert _rankings(index) == intact["rankings"]
    assert _rows(index) == intact["rows"]


@pytest.mark.parametrize("how", ["emptied", "not a database"])
def test_a_database_with_nothing_to_save_is_damage_and_repair_starts_again(built, how: str) -> None:
    """A 0-byte docsense.db is damage, not an empty index; nor is a file that is not a database."""
    folder, index, intact = built
    _damage(index, how)

    search = docsense("search", "apache", "--index", str(index))
    assert search.returncode == 1
    assert "Traceback" not in search.stderr
    assert "damaged" in search.stderr
    assert "docsense verify --repair" in search.stderr

    repaired = docsense("verify", "--repair", "--index", str(index))
    assert repaired.returncode == 0, repaired.stderr
    assert "the folder list could not be read: index your folders again" in repaired.stderr
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    assert _rankings(index) == intact["rankings"]
    assert verify(index) == {"ok": True, "problems": []}
