"""Concurrent use, a full disk, and the network: searches while a writer writes, a second writer, a write that
runs out of space, and no connection attempted by default."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import Library
from engine.errors import IndexAccessError
from tests.helpers import hold_writer_lock
from tests.reliability.conftest import FAST_ENV, docsense, snapshot, verify


def make_notes(folder: Path, n: int, words: int = 200) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note-{i:04d}.txt").write_text(f"note {i} on topic {i % 11} with findings " * words)
    return folder


def test_searches_work_while_another_process_indexes(tmp_path: Path, fake_encoder) -> None:
    folder = make_notes(tmp_path / "notes", 500)
    index = tmp_path / "index"
    writer = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "index", str(folder), "--index", str(index), "-q", "--workers", "1"],
        env={**os.environ, **FAST_ENV}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    searched = 0
    try:
        while writer.poll() is None:
            try:
                with Library(index, encoder=fake_encoder) as lib:
                    lib.search("findings on topic 3", limit=5)
                searched += 1
            except IndexAccessError:
                pass  # not created yet
            time.sleep(0.05)
    finally:
        _out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert searched >= 3, "the writer finished before searches could run beside it"
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.status().documents == 500


def test_a_second_writer_waits_when_asked(tmp_path: Path) -> None:
    folder = make_notes(tmp_path / "notes", 3, words=5)
    index = tmp_path / "index"
    index.mkdir()
    holder = hold_writer_lock(index, 2)
    refused = docsense("index", str(folder), "--index", str(index), "-q")
    assert refused.returncode == 1
    assert f"is in use by process {holder.pid}" in refused.stderr
    started = time.monotonic()
    waited = docsense("index", str(folder), "--index", str(index), "-q", "--wait")
    holder.wait(10)
    assert waited.returncode == 0, waited.stderr
    assert time.monotonic() - started > 0.5
    assert len(snapshot(index)["documents"]) == 3


def test_a_full_disk_is_a_clear_error_and_the_index_survives(tmp_path: Path, corpus_dir: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(corpus_dir / "html", folder)
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    before = snapshot(index)
    make_notes(folder / "more", 200, words=400)
    limit = max(f.stat().st_size for f in index.iterdir()) + 4096

    def small_disk() -> None:  # files may not grow past `limit` bytes: writes fail as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = docsense("index", "--index", str(index), "-q", preexec_fn=small_disk)
    assert full.returncode == 1
    assert "Traceback" not in full.stderr
    message = full.stderr.strip().splitlines()
    assert len(message) == 1, full.stderr
    assert message[0].startswith("Error: ")
    assert "the disk may be full" in message[0]
    assert "damaged" not in message[0]  # a full disk is not described as corruption (nor the other way round)
    # The database committed what it could; the vector file could not be saved and lags behind it, which every
    # reader repairs in memory (it is rebuilt from the database) until the next write saves it.
    problems = verify(index)["problems"]
    assert all(p.startswith("vectors: ") for p in problems), problems
    after = snapshot(index)
    assert set(before["documents"]) <= set(after["documents"])  # nothing that was there is lost
    hits = docsense("search", "virtual hosts apache", "--index", str(index), "--json")
    assert hits.returncode == 0
    assert json.loads(hits.stdout.splitlines()[0])["path"] == str(folder / "sect.http-web-server.html")
    assert docsense("index", "--index", str(index), "-q").returncode == 0  # room again: it resumes
    assert len(snapshot(index)["documents"]) == 205
    assert verify(index) == {"ok": True, "problems": []}


def test_index_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    folder = make_notes(tmp_path / "notes", 2, words=5)
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    assert stat.S_IMODE(index.stat().st_mode) == 0o700
    for name in ("docsense.db", "vectors.faiss", "vectors.json"):
        assert stat.S_IMODE((index / name).stat().st_mode) & 0o077 == 0, name


@pytest.mark.parametrize("how", ["writable by others", "owned by another user"])
def test_an_index_folder_others_control_is_refused(tmp_path: Path, how: str) -> None:
    """In a shared place (/tmp) another user could plant links where DocSense writes: such a folder is refused
    before anything is opened or written in it."""
    folder = make_notes(tmp_path / "notes", 2, words=5)
    index = tmp_path / "shared-index"
    index.mkdir()
    planted = tmp_path / "victim.txt"
    planted.write_text("the user's own file")
    (index / "writer.lock").symlink_to(planted)  # what the other user left there
    if how == "writable by others":
        index.chmod(0o777)
    else:
        os.chown(index, 65534, 65534)  # nobody: root here, so the test can hand it to another user
    result = docsense("index", str(folder), "--index", str(index), "-q")
    assert result.returncode == 1
    expected = "can be written by others" if how == "writable by others" else "belongs to another user (uid 65534)"
    assert expected in result.stderr
    assert planted.read_text() == "the user's own file"
    assert sorted(p.name for p in index.iterdir()) == ["writer.lock"]  # nothing written in it


def test_a_planted_link_is_not_followed_even_in_a_folder_of_ones_own(tmp_path: Path) -> None:
    folder = make_notes(tmp_path / "notes", 2, words=5)
    index = tmp_path / "index"
    index.mkdir(mode=0o700)
    planted = tmp_path / "victim.txt"
    planted.write_text("the user's own file")
    (index / "vectors.faiss.tmp").symlink_to(planted)
    (index / "vectors.json.tmp").symlink_to(planted)
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    assert planted.read_text() == "the user's own file"
