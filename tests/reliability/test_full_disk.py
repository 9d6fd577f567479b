"""A disk that fills up under the index (a real one: a small tmpfs mounted for the test, which needs root)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.reliability.conftest import docsense, snapshot, verify
from tests.reliability.test_concurrency import make_notes


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 4 MB file system of its own, unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def _fill(disk: Path) -> Path:
    """Write a file on ``disk`` until no byte more fits."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 10, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_stops_writes_with_a_clear_message_and_search_goes_on(small_disk: Path, tmp_path: Path) -> None:
    notes = make_notes(tmp_path / "notes", 4, words=40)
    index = small_disk / "index"
    assert docsense("index", str(notes), "--index", str(index), "-q").returncode == 0
    before = snapshot(index)
    filler = _fill(small_disk)
    make_notes(notes / "more", 30, words=400)

    full = docsense("index", "--index", str(index), "-q")
    found = docsense("search", "note", "--index", str(index), "--json")
    checked = verify(index)

    assert full.returncode == 1
    assert "Traceback" not in full.stderr
    assert "the disk holding the index is full" in full.stderr, full.stderr
    assert "free some space" in full.stderr
    assert found.returncode == 0, found.stderr
    assert {Path(json.loads(line)["path"]).parent for line in found.stdout.splitlines()} == {notes}
    assert checked["ok"], checked

    os.remove(filler)
    assert snapshot(index) == before  # nothing half-written
    again = docsense("index", "--index", str(index), "-q")
    assert again.returncode == 0, again.stderr
    assert len(snapshot(index)["documents"]) == 4 + 30
    assert verify(index)["ok"]
