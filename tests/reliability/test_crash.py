"""SIGKILL a real `docsense index` at the moments a crash hurts most; the next run must open, resume and end with
exactly what an uninterrupted run stores: nothing lost, nothing twice."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from tests.reliability.conftest import docsense, snapshot, verify


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    index = tmp_path_factory.mktemp("reference") / "index"
    result = docsense("index", str(corpus), "--index", str(index), "--workers", "1", "-q")
    assert result.returncode == 0, result.stderr
    return snapshot(index)


@pytest.mark.parametrize(
    "point",
    # in the first phase (extracted, in-transaction), in the second (embedded, vectors-stored), saving FAISS
    ["extracted:3", "in-transaction:5", "embedded:2", "vectors-stored:1", "faiss-written:1", "faiss-renamed:1"],
)
def test_killed_run_resumes_to_the_same_index(point: str, corpus: Path, reference, tmp_path: Path) -> None:
    index = tmp_path / "index"
    killed = docsense("index", str(corpus), "--index", str(index), "--workers", "1", "-q",
                      env={"DOCSENSE_FAULT": point})  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.stderr}"
    opened = docsense("status", "--index", str(index), "--json")
    assert opened.returncode == 0, opened.stderr  # the index opens after the crash
    resumed = docsense("index", "--index", str(index), "-q")  # no folder: the ones the index has
    assert resumed.returncode == 0, resumed.stderr
    assert verify(index) == {"ok": True, "problems": []}
    assert snapshot(index) == reference


def test_repair_rebuilds_a_missing_or_damaged_vector_file(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert docsense("index", str(corpus), "--index", str(index), "-q").returncode == 0
    (index / "vectors.faiss").write_bytes(b"\0" * 100)
    broken = verify(index)
    assert broken["ok"] is False
    assert any("vectors.faiss" in p for p in broken["problems"])
    repaired = docsense("verify", "--repair", "--index", str(index), "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert "rebuilt the vector file" in repaired.stderr
    assert verify(index) == {"ok": True, "problems": []}
    hits = docsense("search", "apache virtual host", "--index", str(index), "--json")
    assert "sect.http-web-server.html" in hits.stdout.splitlines()[0]


def test_repair_forgets_files_that_are_gone(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(corpus / "html", folder)
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    (folder / "sect.supervision.html").unlink()
    assert verify(index)["problems"] == [f"file gone from disk: {folder / 'sect.supervision.html'}"]
    repaired = docsense("verify", "--repair", "--index", str(index))
    assert repaired.returncode == 0
    assert "removed 1 documents whose files are gone" in repaired.stderr
    assert len(snapshot(index)["documents"]) == 4


def test_a_file_that_kills_its_worker_is_skipped_and_named(corpus: Path, reference, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    (folder / "text" / "poison.txt").write_text("an ordinary text that the worker dies reading")
    index = tmp_path / "index"
    result = docsense("index", str(folder), "--index", str(index), "--workers", "1",
                      env={"DOCSENSE_FAULT": "worker:poison.txt"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"skipped {folder}/text/poison.txt: the extractor crashed on this file" in result.stderr
    got = snapshot(index)
    assert len(got["documents"]) == len(reference["documents"])  # every other file indexed
    assert verify(index) == {"ok": True, "problems": []}


TAGGING = {"DOCSENSE_TAGGER": "en_core_web_sm"}


def _entities(index: Path) -> list[tuple[str, str, str]]:
    import sqlite3

    with sqlite3.connect(index / "docsense.db") as conn:
        return sorted(
            conn.execute("SELECT d.path, e.label, e.text FROM entities e JOIN documents d ON d.id = e.doc_id")
        )


def test_killed_while_tagging_resumes_to_the_same_entities(corpus: Path, tmp_path: Path) -> None:
    """The second phase looks for each document's entities in a pool: killed after storing a few, the next run
    tags the rest, and the index holds what an uninterrupted run's does."""
    whole = tmp_path / "whole"
    assert docsense("index", str(corpus), "--index", str(whole), "--workers", "2", "-q", env=TAGGING).returncode == 0
    index = tmp_path / "index"
    killed = docsense("index", str(corpus), "--index", str(index), "--workers", "2", "-q",
                      env={**TAGGING, "DOCSENSE_FAULT": "entities-stored:3"})  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    status = json.loads(docsense("status", "--index", str(index), "--json", env=TAGGING).stdout)
    assert status["untagged_documents"] > 0
    resumed = docsense("index", "--index", str(index), "-q", env=TAGGING)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        json.loads(docsense("status", "--index", str(index), "--json", env=TAGGING).stdout)["untagged_documents"] == 0
    )
    expected = _entities(whole)
    assert expected
    assert _entities(index) == expected
    assert verify(index) == {"ok": True, "problems": []}


def test_a_document_that_kills_its_tagger_keeps_its_place_without_entities(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    (folder / "text" / "poison.txt").write_text("Leslie Lamport wrote a text that the tagger dies reading.")
    index = tmp_path / "index"
    result = docsense("index", str(folder), "--index", str(index), "--workers", "2",
                      env={**TAGGING, "DOCSENSE_FAULT": "tagger:poison.txt"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    poison = str(folder / "text" / "poison.txt")
    status = json.loads(docsense("status", "--index", str(index), "--json", env=TAGGING).stdout)
    assert {"path": poison, "reason": "entities were not looked for: the tagger crashed on it"} in status["warnings"]
    assert status["untagged_documents"] == 0
    found = _entities(index)
    assert not [e for e in found if e[0] == poison]
    assert len({path for path, *_rest in found}) >= 5  # the other documents have theirs


def _flip(path: Path, offset: int, mask: int = 0x40) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_the_vector_file_is_found_and_never_ranks(tmp_path: Path, corpus_dir: Path) -> None:
    """One flipped bit in vectors.faiss put a spam mail first for 5 of 10 queries while verify said ok (issue 19):
    the sidecar's checksum finds it on open, search uses vectors rebuilt from the rows, verify names it, repair
    fixes it."""
    folder = tmp_path / "docs"
    shutil.copytree(corpus_dir / "html", folder)
    shutil.copytree(corpus_dir / "text", folder / "mail")
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    queries = ["apache virtual host", "LDAP directory", "which package versions are available", "free software"]

    def rankings() -> list[list[str]]:
        out = []
        for q in queries:
            result = docsense("search", q, "--index", str(index), "--json", "--mode", "meaning", "-n", "5")
            out.append([json.loads(line)["path"] for line in result.stdout.splitlines()])
        return out

    intact = rankings()
    faiss_file = index / "vectors.faiss"
    _flip(faiss_file, faiss_file.stat().st_size // 2)
    checked = verify(index)
    assert checked["ok"] is False
    assert checked["problems"] == [
        "vectors: vectors.faiss is damaged: it does not match the checksum its sidecar recorded"
    ]
    assert rankings() == intact  # the damaged file is never used
    assert docsense("verify", "--repair", "--index", str(index)).returncode == 0
    assert verify(index) == {"ok": True, "problems": []}


def test_verify_compares_vectors_with_their_rows_when_no_checksum_says(tmp_path: Path, corpus_dir: Path) -> None:
    """A vector file saved before checksums (its sidecar has none): verify samples vectors against the rows."""
    folder = tmp_path / "docs"
    shutil.copytree(corpus_dir / "html", folder)
    index = tmp_path / "index"
    assert docsense("index", str(folder), "--index", str(index), "-q").returncode == 0
    sidecar = json.loads((index / "vectors.json").read_text())
    del sidecar["sha256"]  # as an older DocSense wrote it
    (index / "vectors.json").write_text(json.dumps(sidecar))
    assert verify(index) == {"ok": True, "problems": []}
    faiss_file = index / "vectors.faiss"
    _flip(faiss_file, faiss_file.stat().st_size // 2)
    checked = verify(index)
    assert checked["ok"] is False
    assert len(checked["problems"]) == 1
    assert checked["problems"][0].startswith("vectors: 1 of ")
    assert checked["problems"][0].endswith("chunks sampled differ from their rows in vectors.faiss")
