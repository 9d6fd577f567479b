"""Broken and awkward files: each is indexed correctly or skipped with its name and reason; the rest goes on."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from engine import Library
from indexer import Indexer
from indexer.work import FileTask, process_file
from tests.reliability.conftest import docsense
from tests.reliability.makefiles import write_deep_tree, write_long_line, write_pdf


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, fake_encoder):
    from indexer import Indexer

    root = tmp_path_factory.mktemp("awkward")
    folder = root / "docs"
    shutil.copytree(corpus_dir / "broken", folder / "broken")
    shutil.copytree(corpus_dir / "html", folder / "html")
    write_long_line(folder / "one-line.txt", 50)
    write_pdf(folder / "ten-thousand-pages.pdf", 10_000)
    deep = write_deep_tree(folder / "deep", 200)
    bad_name = os.fsencode(folder) + b"/caf\xe9-latin1-name.txt"
    with open(bad_name, "wb") as fh:
        fh.write(b"a file whose name is not valid UTF-8")
    summary = Indexer(root / "index", encoder=fake_encoder, workers=1, tagger="none").run([folder])
    return root / "index", folder, summary, deep


def test_every_awkward_file_is_indexed_or_named_with_a_reason(awkward) -> None:
    _index, _folder, summary, _deep = awkward
    reasons = {Path(f.path).name: f.reason for f in summary.failed}
    assert reasons["one-line.txt"].startswith("too much text: 50 M characters, the limit is 20 M")
    assert reasons["caf\\xe9-latin1-name.txt"] == "file name is not valid UTF-8"
    assert reasons["password-protected.pdf"] == "encrypted, no password"
    assert reasons["empty.txt"] == "empty file"
    assert "ten-thousand-pages.pdf" not in reasons
    assert summary.indexed >= 5 + 2  # the HTML pages, the big PDF, the deep file (locked.txt: test_permissions.py)


def test_the_big_pdf_keeps_its_pages(awkward, fake_encoder) -> None:
    index, folder, _summary, _deep = awkward
    with Library(index, encoder=fake_encoder) as lib:
        pages = lib.document_pages(str(folder / "ten-thousand-pages.pdf"))
        hits = lib.search('"Page 7777 of the long report"', limit=1, modes=("keyword",))
    assert len(pages) == 10_000
    assert hits[0].page == 7777


def test_the_deep_file_is_found(awkward, fake_encoder) -> None:
    index, _folder, _summary, deep = awkward
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.document_text(str(deep)) == "a note kept 200 folders deep"


def test_a_file_deleted_before_extraction_is_named(tmp_path: Path, tokenizer) -> None:
    task = FileTask(str(tmp_path / "vanished.txt"), str(tmp_path), "txt", 10, 0, None, str(tokenizer.path), 512, 64)
    assert process_file(task).error == "the file disappeared before it could be read"


def test_too_large_files_are_not_even_read(tmp_path: Path, tokenizer, monkeypatch: pytest.MonkeyPatch) -> None:
    big = write_long_line(tmp_path / "big.txt", 2)
    task = FileTask(
        str(big), str(tmp_path), "txt", big.stat().st_size, 0, None, str(tokenizer.path), 512, 64, max_file_mb=1
    )
    assert process_file(task).error == "too large: 2 MB, the limit is 1 MB (setting max_file_mb, DOCSENSE_MAX_FILE_MB)"


@pytest.mark.timeout(120)  # before the fix, open() waited forever for a writer: a hang, not a slow test
def test_a_file_swapped_for_a_fifo_after_discovery_is_skipped_at_once(tmp_path: Path, tokenizer) -> None:
    """Opened without blocking and checked once open: a FIFO (no writer ever comes) is named, not waited on."""
    fifo = tmp_path / "notes.txt"
    os.mkfifo(fifo)
    task = FileTask(str(fifo), str(tmp_path), "txt", 10, 0, None, str(tokenizer.path), 512, 64)
    assert process_file(task).error == "not a regular file (a FIFO, a socket or a device): not read"


def test_a_file_that_takes_too_long_is_skipped_by_name(tmp_path: Path, fake_encoder, monkeypatch) -> None:
    """A per-file time limit in the worker (issue 19: one file could hold a run for minutes)."""
    from indexer import Indexer

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "small.txt").write_text("a short note about tea")
    words = " ".join(f"word{i % 5000}" for i in range(1_500_000))  # ~2M tokens: seconds of tokenizing
    (folder / "huge.txt").write_text(words)
    monkeypatch.setenv("DOCSENSE_EXTRACT_TIMEOUT_S", "1")
    summary = Indexer(tmp_path / "index", encoder=fake_encoder, workers=1, tagger="none").run([folder])
    assert summary.indexed == 1
    assert [(Path(f.path).name, f.reason) for f in summary.failed] == [
        ("huge.txt", "took longer than 1 s to read (setting extract_timeout_s): skipped")
    ]


def test_a_memory_bomb_is_skipped_by_name_within_the_workers_limit(tmp_path: Path) -> None:
    """A 1 MB PDF whose content inflates to 1 GB (issue 19: a 3.6 MB PDF took a worker past 12 GB). pdfium aborts
    when the limit stops its allocation: the worker dies alone, the file is named, the rest is indexed, and nothing
    the dying library printed reaches the terminal."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.txt").write_text("a short note about tea")
    bomb = write_pdf(folder / "bomb.pdf", 1, inflates_to_mb=1000)
    assert bomb.stat().st_size < 2 * 2**20
    index = tmp_path / "index"
    result = docsense(
        "index", str(folder), "--index", str(index), "--workers", "2", "-q", env={"DOCSENSE_WORKER_MEMORY_MB": "600"}
    )
    assert result.returncode == 0, result.stderr
    status = json.loads(docsense("status", "--index", str(index), "--json").stdout)
    assert status["documents"] == 1
    [failed] = status["failed"]
    assert Path(failed["path"]).name == "bomb.pdf"
    assert failed["reason"].startswith(
        "the extractor crashed on this file: it needed more than the 600 MB a worker may use (setting worker_memory_mb)"
    )
    assert "Traceback" not in result.stderr
    assert [line.split(":")[0] for line in result.stderr.splitlines()[1:]] == [f"  skipped {bomb}"]


def test_entities_are_looked_for_in_the_first_characters_of_a_huge_text(
    tmp_path: Path, fake_encoder, monkeypatch
) -> None:
    """The tagger reads ~27,000 characters a second: a 1.4 MB text took 52 s of tagging alone. Past max_tag_chars
    the rest is indexed and searchable, not tagged, and the document says so."""
    folder = tmp_path / "docs"
    folder.mkdir()
    filler = "The committee met again and discussed the budget at length.\n\n" * 200  # ~12,400 characters
    (folder / "minutes.txt").write_text(f"Ada Lovelace opened the meeting.\n\n{filler}Grace Hopper closed it.\n")
    monkeypatch.setenv("DOCSENSE_MAX_TAG_CHARS", "5000")
    summary = Indexer(tmp_path / "index", encoder=fake_encoder, workers=0, tagger="en_core_web_sm").run([folder])
    assert summary.indexed == 1
    [told] = summary.warnings  # the run says so too, though the second phase found it
    assert told.reason.endswith("(setting max_tag_chars)")
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        people = {e.text for e in lib.entities(label="PERSON")}
        [warning] = lib.status().warnings
        hits = lib.search('"Grace Hopper"', modes=("keyword",))
    assert "Ada Lovelace" in people
    assert "Grace Hopper" not in people
    assert warning.reason.startswith("entities were looked for in its first 4,")
    assert warning.reason.endswith(" characters only, of 12,258 (setting max_tag_chars)")
    assert hits


def test_a_library_that_panics_out_of_memory_is_one_line_not_a_backtrace(tmp_path: Path) -> None:
    """The Rust tokenizer aborts when an allocation fails, printing a backtrace of a hundred lines: that goes to the
    worker's log, and the file's reason quotes its first line."""
    import re

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.txt").write_text("a short note about tea")
    (folder / "words.txt").write_text(" ".join(f"word{i % 5000}" for i in range(2_000_000)))  # 17 MB of words
    index = tmp_path / "index"
    result = docsense(
        "index", str(folder), "--index", str(index), "--workers", "2", "-q", env={"DOCSENSE_WORKER_MEMORY_MB": "400"}
    )
    assert result.returncode == 0, result.stderr
    [failed] = json.loads(docsense("status", "--index", str(index), "--json").stdout)["failed"]
    assert Path(failed["path"]).name == "words.txt"
    # two of the tokenizer's threads may write the line at once: "memory allocation of memory allocation of N ..."
    assert re.search(r"; its last words: (memory allocation of )+\d+ bytes failed$", failed["reason"]), failed
    assert "backtrace" not in result.stderr
    assert len(result.stderr.splitlines()) == 2, result.stderr
