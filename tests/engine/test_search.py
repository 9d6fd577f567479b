"""Search over a real index of the test corpus, built with the fake encoder (keyword-like meaning)."""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Library
from engine.errors import IndexAccessError, QueryError
from engine.tuning import DEFAULT_TUNING
from indexer import Indexer


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, fake_encoder):
    root = tmp_path_factory.mktemp("search")
    corpus = root / "corpus"
    shutil.copytree(corpus_dir, corpus)
    Indexer(root / "index", encoder=fake_encoder, workers=0).run([corpus])
    lib = Library(root / "index", encoder=fake_encoder)
    lib.corpus = corpus
    yield lib
    lib.close()


def test_hits_carry_everything(library) -> None:
    hits = library.search("virtual hosts apache", limit=5)
    assert hits
    top = hits[0]
    assert top.path.endswith("sect.http-web-server.html")
    assert top.page is None
    assert top.doc_type == "html"
    assert top.matched in ("both", "keyword", "meaning")
    assert top.heading is not None
    assert top.heading.startswith("11.2. Web Server (HTTP)")
    text = library.document_text(top.path)
    assert top.start < top.end <= len(text)
    assert top.start <= top.snippet_start < top.end
    assert "virtual host" in top.snippet.lower()
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_pdf_hits_have_the_page_of_the_snippet(library) -> None:
    hits = library.search("Modified Versions copyright notice", limit=10, types=["pdf"])
    assert hits
    for hit in hits:
        assert hit.doc_type == "pdf"
        pages = library.document_pages(hit.path)
        assert isinstance(hit.page, int)
        assert pages[hit.page - 1] <= hit.snippet_start
        assert hit.page == len(pages) or hit.snippet_start < pages[hit.page]


def test_matched_says_which_side_found_it(library) -> None:
    keyword = library.search("slapd", modes=("keyword",))
    assert keyword
    assert {h.matched for h in keyword} == {"keyword"}
    meaning = library.search("slapd", modes=("meaning",))
    assert {h.matched for h in meaning} == {"meaning"}
    both = library.search("slapd")
    assert "both" in {h.matched for h in both}


def test_path_and_type_filters(library) -> None:
    corpus = library.corpus
    html = library.search("configuration", limit=50, path=str(corpus / "html"))
    assert html
    assert all(h.path.startswith(str(corpus / "html") + "/") for h in html)
    globbed = library.search("configuration", limit=50, path=str(corpus / "*" / "*.md"))
    assert globbed
    assert all(h.path.endswith(".md") for h in globbed)
    typed = library.search("license", limit=50, types=["txt", "md"])
    assert typed
    assert {h.doc_type for h in typed} <= {"txt", "md"}
    # A folder prefix does not match a sibling folder sharing its first letters.
    assert library.search("configuration", path=str(corpus / "htm")) == []


def test_bad_queries_are_errors_not_crashes(library) -> None:
    with pytest.raises(QueryError, match="empty"):
        library.search("   \x00\t ")
    with pytest.raises(QueryError, match="unknown type"):
        library.search("x", types=["dwg"])
    with pytest.raises(QueryError, match="limit"):
        library.search("x", limit=0)


def db_digest(path: Path) -> str:
    return hashlib.sha256((path / "docsense.db").read_bytes()).hexdigest()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)  # fmt: skip
@given(st.text(max_size=60))
def test_fuzzed_queries_never_crash_or_change_the_index(library, text: str) -> None:
    before = db_digest(library.path)
    with contextlib.suppress(QueryError):
        library.search(text, limit=3)
    assert db_digest(library.path) == before


def test_opening_a_missing_index_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(IndexAccessError, match="docsense index FOLDER"):
        Library(tmp_path / "none")


def test_status_and_verify_tell_the_truth(library) -> None:
    status = library.status()
    readable = [p for p in library.corpus.rglob("*.*") if p.parent.name != "broken"]
    assert status.documents == len(readable) == 20
    assert len(status.failed) == 5
    assert status.device == "CPU"
    assert status.encoder == "hashing-bow-64"
    assert status.size_bytes > 0
    assert library.verify().ok
    victim = library.corpus / "text" / "latin1-email.txt"
    saved = victim.read_bytes()
    victim.unlink()
    try:
        result = library.verify()
        assert not result.ok
        assert result.problems == (f"file gone from disk: {victim}",)
    finally:
        victim.write_bytes(saved)


def test_meaning_hits_point_at_their_best_view(library, fake_encoder) -> None:
    import json

    import numpy as np

    query = "virtual hosts apache"
    hits = library.search(query, limit=10, modes=("meaning",))
    assert hits
    q = fake_encoder.embed_texts([query])[0]
    for hit in hits:
        assert hit.best_start is not None
        assert hit.best_end is not None
        assert hit.start <= hit.best_start < hit.best_end <= hit.end
        assert hit.best_start <= hit.snippet_start < hit.best_end  # the snippet is taken from the best view
        # The span is the one of the chunk's views whose vector is nearest the query.
        sql = (
            "SELECT c.vector, c.views FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE d.path = ? AND c.start = ?"
        )
        blob, views = library.index.store.conn.execute(sql, (hit.path, hit.start)).fetchone()
        vectors = np.frombuffer(blob, dtype=np.float32).reshape(-1, fake_encoder.dim)
        spans = json.loads(views)
        assert len(spans) == len(vectors) > 1
        assert tuple(spans[int(np.argmax(vectors @ q))]) == (hit.best_start, hit.best_end)
    keyword_only = library.search(query, limit=5, modes=("keyword",))
    assert all(h.best_start is None for h in keyword_only)


FILLER = (  # noqa: SIM905 (a list literal of 42 words is harder to read)
    "garden river window paper orange music silver letter forest candle market pencil ocean ladder mirror "
    "basket thunder violin harbor meadow castle bridge rocket saddle lantern feather marble island engine "
    "blanket compass dragon elbow fabric glacier hammer igloo jacket kitten lemon magnet napkin oyster"
).split()


def _paragraph(rng, topic: str, filler_words: int) -> str:
    words = [FILLER[int(i)] for i in rng.integers(0, len(FILLER), filler_words)]
    return " ".join([topic, *words]) + "."


def _topic_pages(docs: Path) -> str:
    """Two pages for a query, returned: once.txt, one passage close to it and the rest elsewhere; about.txt, every
    passage about it, less closely."""
    import numpy as np

    rng = np.random.default_rng(5)
    topic = "kettle boiling water"
    (docs / "once.txt").write_text(
        "\n\n".join([_paragraph(rng, " ".join([topic] * 4), 40)] + [_paragraph(rng, "", 90) for _ in range(7)])
    )
    (docs / "about.txt").write_text("\n\n".join(_paragraph(rng, topic, 40) for _ in range(8)))
    return topic


def _view_scores(lib: Library, q, dim: int) -> dict:
    """{chunk id: (the scores of its views against ``q``, its document's path)} from the vectors SQLite keeps,
    rounded to 16 bits as the FAISS index keeps them."""
    import numpy as np

    sql = "SELECT c.id, c.vector, d.path FROM chunks c JOIN documents d ON d.id = c.doc_id"
    rows = lib.index.store.conn.execute(sql).fetchall()
    held = {r[0]: np.frombuffer(r[1], dtype=np.float32).astype(np.float16).astype(np.float32) for r in rows}
    return {r[0]: (held[r[0]].reshape(-1, dim) @ q, r[2]) for r in rows}


def test_a_page_about_the_query_outranks_a_passing_mention(make_indexer, docs, fake_encoder, monkeypatch) -> None:
    """A window's meaning score adds its document's evidence (the mean of its best views): a page that matches in
    many places beats one whose single best passage is a little closer."""
    import numpy as np

    import engine.search as search_module

    topic = _topic_pages(docs)
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        by_best_view = search_module.search(
            lib.index, topic, limit=1, modes=("meaning",), tuning=replace(DEFAULT_TUNING, doc_weight=0.0)
        )
        with_evidence = lib.search(topic, limit=3, modes=("meaning",))
        # The scores before fusion: best view + DOC_WEIGHT x mean of the document's best DOC_VIEWS views, checked
        # against the vectors SQLite keeps.
        q = fake_encoder.embed_texts([topic])[0]
        dense = search_module._dense_ids(lib.index, topic, search_module.Filters(), "1", [], 10)
        views = _view_scores(lib, q, fake_encoder.dim)
    assert Path(by_best_view[0].path).name == "once.txt"
    assert Path(with_evidence[0].path).name == "about.txt"
    per_doc: dict[str, list[float]] = {}
    for scores, path in views.values():
        per_doc.setdefault(path, []).extend(scores.tolist())
    evidence = {p: float(np.mean(sorted(s, reverse=True)[: DEFAULT_TUNING.doc_views])) for p, s in per_doc.items()}
    expected = sorted(
        ((float(s.max()) + DEFAULT_TUNING.doc_weight * evidence[p], c) for c, (s, p) in views.items()), reverse=True
    )
    assert [c for c, _, _ in dense] == [c for _, c in expected[: len(dense)]]
    assert [s for _, s, _ in dense] == pytest.approx([s for s, _ in expected[: len(dense)]], abs=1e-5)


def test_document_evidence_from_the_best_views_counts_the_unseen_at_the_last_score(
    make_indexer, docs, fake_encoder, monkeypatch
) -> None:
    """The evidence is computed from the best EVIDENCE_DEPTH x k views, not every view of the documents: a
    document's views beyond them count at the last score seen (the most they can have), and only the windows seen
    can be returned."""

    import engine.search as search_module

    topic = _topic_pages(docs)
    make_indexer().run([docs])
    k = 4
    shallow = replace(DEFAULT_TUNING, evidence_depth=2)  # 8 views of the 40 or so
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        q = fake_encoder.embed_texts([topic])[0]
        dense = search_module._dense_ids(lib.index, topic, search_module.Filters(), "1", [], k, tuning=shallow)
        views = _view_scores(lib, q, fake_encoder.dim)
    every = sorted(((float(s), c, p) for c, (scores, p) in views.items() for s in scores), reverse=True)
    assert len(every) > 2 * k
    seen = every[: 2 * k]
    floor = seen[-1][0]
    per_doc: dict[str, list[float]] = {}
    for score, _c, path in seen:
        per_doc.setdefault(path, []).append(score)
    n = DEFAULT_TUNING.doc_views
    evidence = {p: (sum(s[:n]) + floor * (n - len(s[:n]))) / n for p, s in per_doc.items()}
    best: dict[int, tuple[float, str]] = {}
    for score, c, path in seen:
        best.setdefault(c, (score, path))
    expected = sorted(((s + DEFAULT_TUNING.doc_weight * evidence[p], c) for c, (s, p) in best.items()), reverse=True)
    assert [c for c, _, _ in dense] == [c for _, c in expected[:k]]
    assert [s for _, s, _ in dense] == pytest.approx([s for s, _ in expected[:k]], abs=1e-5)
    assert len(dense) == min(k, len(best))


def test_keyword_hits_add_their_documents_evidence(make_indexer, docs, fake_encoder) -> None:
    """BM25 plus the document's keyword evidence: a word all through a page beats it piled up in one window of a
    page about something else; the scores are checked against FTS5's own BM25 of every window."""
    import numpy as np

    import engine.search as search_module

    rng = np.random.default_rng(6)
    (docs / "once.txt").write_text(
        "\n\n".join([_paragraph(rng, " ".join(["kettle"] * 8), 60)] + [_paragraph(rng, "", 90) for _ in range(30)])
    )
    (docs / "about.txt").write_text("\n\n".join(_paragraph(rng, "kettle", 250) for _ in range(12)))
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        hits = lib.search("kettle", limit=2, modes=("keyword",))
        sql = (
            "SELECT f.rowid, -bm25(chunks_fts, 1.0, 2.0), d.path FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            "JOIN documents d ON d.id = c.doc_id WHERE chunks_fts MATCH '\"kettle\"' ORDER BY 2 DESC"
        )
        bm25 = lib.index.store.conn.execute(sql).fetchall()
        got = search_module._keyword_ids(lib.index, "kettle", "1", [], 100)
    assert Path(bm25[0][2]).name == "once.txt"  # by BM25 alone, the window where the word piles up wins
    assert Path(hits[0].path).name == "about.txt"
    tops: dict[str, list[float]] = {}
    for _rowid, score, path in bm25:
        tops.setdefault(path, []).append(score)
    n = DEFAULT_TUNING.keyword_doc_windows
    assert len(tops[str(docs / "about.txt")]) > 1
    expected = sorted(((score + sum(tops[path][:n]) / n, rowid) for rowid, score, path in bm25), reverse=True)
    assert [c for c, _ in got] == [rowid for _, rowid in expected]
    assert [s for _, s in got] == pytest.approx([s for s, _ in expected], rel=1e-6)


def test_ask_keeps_the_search_filters_and_reads_given_hits(library) -> None:
    question = "How do I restrict access to a directory in Apache?"
    anywhere = library.ask(question)
    assert {a.doc_type for a in anywhere} - {"pdf"}  # unfiltered, something other than a PDF answers
    in_pdfs = library.ask(question, types=("pdf",))
    assert in_pdfs
    assert {a.doc_type for a in in_pdfs} == {"pdf"}
    # Hits the caller has already: the reader reads the first `passages` of them, not a new search.
    hits = library.search(question, limit=50, types=("pdf",))
    assert [a.answer for a in library.ask(question, hits=hits)] == [a.answer for a in in_pdfs]
    one = [h for h in hits if h.path == hits[-1].path][:1]
    assert {a.path for a in library.ask(question, hits=one)} <= {one[0].path}


def test_one_document_does_not_fill_the_first_hits(make_indexer, docs, fake_encoder, monkeypatch) -> None:
    import numpy as np

    import engine.search as search_module

    rng = np.random.default_rng(7)
    (docs / "about.txt").write_text("\n\n".join(_paragraph(rng, "kettle", 120) for _ in range(24)))
    (docs / "once.txt").write_text(_paragraph(rng, "kettle", 400))
    make_indexer().run([docs])
    n = DEFAULT_TUNING.per_document
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        hits = lib.search("kettle", limit=20)
        by_score = search_module.search(
            lib.index, "kettle", limit=20, tuning=replace(DEFAULT_TUNING, per_document=10_000)
        )
    names = [Path(h.path).name for h in hits]
    assert [Path(h.path).name for h in by_score][: n + 1] == ["about.txt"] * (n + 1)  # one page would fill the top
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        first = [Path(h.path).name for h in lib.search("kettle", limit=n + 1)]
    assert first.count("about.txt") == n  # the best document's best windows ...
    assert "once.txt" in first  # ... and the other document among the first hits
    # When other documents cannot fill the list, the windows held back do, and the list stays in score order
    assert names.count("about.txt") > n + 1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert sorted((h.path, h.start) for h in hits) == sorted((h.path, h.start) for h in by_score)


def test_query_words_close_together_count_more(make_indexer, docs, fake_encoder, monkeypatch) -> None:
    import numpy as np

    import engine.search as search_module

    rng = np.random.default_rng(8)
    words = lambda n: " ".join(FILLER[int(i)] for i in rng.integers(0, len(FILLER), n))  # noqa: E731
    (docs / "together.txt").write_text(f"{words(30)} the kettle whistle sounds. {words(30)}")
    (docs / "apart.txt").write_text(f"kettle {words(25)} whistle {words(25)} kettle {words(25)} whistle")
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        close = lib.search("kettle whistle", limit=2, modes=("keyword",))
        plain = search_module.search(
            lib.index, "kettle whistle", limit=2, modes=("keyword",), tuning=replace(DEFAULT_TUNING, near_weight=0.0)
        )
    assert [Path(h.path).name for h in plain] == ["apart.txt", "together.txt"]  # by BM25, more is better
    assert [Path(h.path).name for h in close] == ["together.txt", "apart.txt"]  # together is better still


def test_fusion_is_told_each_windows_document(library, monkeypatch) -> None:
    """The fused score adds each window's document's fused best (engine.fusion): search gives fusion the document of
    every window either side found."""
    import engine.search as search_module

    seen: dict = {}
    real = search_module.score_fusion

    def spy(scored, **kwargs):
        seen.update(scored=scored, documents=kwargs.get("documents"))
        return real(scored, **kwargs)

    monkeypatch.setattr(search_module, "score_fusion", spy)
    hits = library.search("virtual hosts apache", limit=5)
    assert hits
    ids = {i for items in seen["scored"].values() for i, _score in items}
    assert len(ids) > 5
    truth = dict(library.index.store.conn.execute("SELECT id, doc_id FROM chunks"))
    assert seen["documents"] == {i: truth[i] for i in ids}


def test_the_query_language_filters_as_the_arguments_do(library) -> None:
    by_field = library.search("license conditions ext:pdf", limit=10)
    by_argument = library.search("license conditions", limit=10, types=("pdf",))
    assert by_field == by_argument
    assert {h.doc_type for h in library.search("license conditions", limit=20)} - {"pdf"}  # others match too
    pdf = library.corpus / "pdf"
    assert [h.path for h in library.search(f"license path:{pdf}", limit=10)] == [
        h.path for h in library.search("license", limit=10, path=str(pdf))
    ]
    with pytest.raises(QueryError, match="differ"):
        library.search("license path:/nowhere", path=str(pdf))


def test_a_minus_word_leaves_out_the_documents_that_hold_it(library) -> None:
    everything = {h.path for h in library.search("latex package documents", limit=50)}
    assert any(p.endswith("lppl.pdf") for p in everything)
    without = {h.path for h in library.search("latex package documents -copyright", limit=50)}
    assert without
    assert without < everything
    holding = {h.path for h in library.search('"copyright"', limit=200, modes=("keyword",))}
    assert not without & holding  # no hit left from a document that holds the word


def test_a_title_field_keeps_the_documents_so_titled_or_named(library) -> None:
    hits = library.search("labels in another document title:xr", limit=20)
    assert hits
    assert {Path(h.path).name for h in hits} <= {"xr.pdf", "xr-aes-empty-password.pdf"}
    assert {Path(h.path).name for h in library.search("labels in another document", limit=20)} - {"xr.pdf"}
    assert library.search("labels in another document title:zzqqx") == []


def test_a_prefix_query_finds_the_words_that_begin_so(library) -> None:
    """``virt*`` finds "virtual" and "virtualization" by keyword, though no document holds "virt"."""
    assert library.search("virt", modes=("keyword",)) == []
    hits = library.search("virt* ext:html", modes=("keyword",))
    assert hits
    assert all(re.search(r"\bvirt\w*", h.snippet, re.IGNORECASE) for h in hits[:3])
    searched, fixes = library.spelled("virt* hosts")
    assert fixes == {}  # a prefix is no misspelt word
    assert searched.split()[0].startswith("virt")
    assert "virt*" not in searched
    assert library.search("qqzzyx* ext:html", modes=("keyword",)) == []  # no word begins so: nothing, no error


def test_or_finds_what_either_side_finds(library) -> None:
    """ "slapd OR apache directory" is the best of "slapd directory" and "apache directory", hit by hit."""
    slapd, apache = library.search("slapd directory", limit=10), library.search("apache directory", limit=10)
    sides = slapd + apache
    best: dict = {}
    for hit in sides:
        if (hit.path, hit.start) not in best or hit.score > best[hit.path, hit.start].score:
            best[hit.path, hit.start] = hit
    either = library.search("slapd OR apache directory", limit=10)
    assert either == sorted(best.values(), key=lambda h: -h.score)[:10]
    assert {h.path for h in either} >= {slapd[0].path, apache[0].path}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, fake_encoder):
    """The handbook's English pages beside Debian Reference's Git chapter in German, Japanese and Chinese."""
    root = tmp_path_factory.mktemp("languages")
    corpus = root / "corpus"
    shutil.copytree(corpus_dir / "html", corpus)
    languages = Path(__file__).resolve().parents[1] / "data" / "languages"
    for page in languages.glob("debian-reference-*.txt"):
        shutil.copy(page, corpus)
    Indexer(root / "index", encoder=fake_encoder, workers=0).run([corpus])
    lib = Library(root / "index", encoder=fake_encoder)
    yield lib
    lib.close()


def test_a_query_keeps_to_pages_in_its_own_language(mixed) -> None:
    """The Japanese page's English sub-headings ("Basic Git commands", "Git tips") match an English query by
    accident; English pages come first, the other languages after them, not gone. A query in Japanese says so.
    (A query only pages in other languages answer still gets them first: they are demoted, not removed.)"""
    assert mixed.index.languages() == {"en": 5, "de": 1, "ja": 1, "zh": 1}
    query = "git commands tips"
    untuned = replace(DEFAULT_TUNING, language_penalty=0.0)
    with Library(mixed.index.folder, encoder=mixed.index.encoder, tuning=untuned) as plain:
        before = [Path(h.path).name for h in plain.search(query, limit=10)]
    after = [Path(h.path).name for h in mixed.search(query, limit=10)]
    foreign = [name for name in after if name.startswith("debian-reference")]
    assert foreign
    assert before[0].startswith("debian-reference")  # without the penalty a page in another language leads
    english = [name for name in after if not name.startswith("debian-reference")]
    assert english
    assert after == english + foreign  # with it, the English pages come first
    # A query in Japanese (with an English name in it, as the English page has) keeps to the Japanese page.
    japanese = "LDAP サーバーの設定"
    with Library(mixed.index.folder, encoder=mixed.index.encoder, tuning=untuned) as plain:
        before = [Path(h.path).name for h in plain.search(japanese, limit=10)]
    after = [Path(h.path).name for h in mixed.search(japanese, limit=10)]
    assert before[0] == "sect.ldap-directory.html"  # the English page holds "LDAP" more than the Japanese one
    assert after[0] == "debian-reference-ja-git.txt"


def test_a_long_page_s_windows_give_way_to_a_short_one_s_at_equal_scores(make_indexer, docs, fake_encoder) -> None:
    """A long page matches any query a little in many windows: at equal fused scores, a window of a page longer than
    the index's mean loses length_prior x log(its windows / the mean); the rest keep their order."""
    import math

    import numpy as np

    from engine.fusion import Fused
    from engine.search import _document_priors, mean_windows

    rng = np.random.default_rng(7)
    (docs / "long.txt").write_text("\n\n".join(_paragraph(rng, "kettle", 400) for _ in range(12)))
    for name in ("short-a.txt", "short-b.txt", "short-c.txt"):
        (docs / name).write_text(_paragraph(rng, "kettle", 60))
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        store = lib.index.store
        rows = store.conn.execute("SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.doc_id").fetchall()
        doc_of = dict(store.conn.execute("SELECT id, doc_id FROM chunks"))
        long_window = next(c for c, p in rows if p.endswith("long.txt"))
        short_window = next(c for c, p in rows if p.endswith("short-a.txt"))
        fused = [Fused(long_window, 1.0, frozenset({"meaning"})), Fused(short_window, 1.0, frozenset({"meaning"}))]
        after = _document_priors(lib.index, "kettle", fused, doc_of, DEFAULT_TUNING)
        off = _document_priors(lib.index, "kettle", fused, doc_of, replace(DEFAULT_TUNING, length_prior=0.0))
        windows = lib.index.window_counts([doc_of[long_window]])[doc_of[long_window]]
        mean = mean_windows(lib.index)
    assert windows > mean
    assert [f.id for f in off] == [long_window, short_window]  # without it, the fusion's order stays
    assert [f.id for f in after] == [short_window, long_window]
    assert after[1].score == pytest.approx(1.0 - DEFAULT_TUNING.length_prior * math.log(windows / mean))
    assert after[0].score == 1.0  # a page no longer than the mean loses nothing


def test_an_open_library_sees_the_languages_another_process_adds(make_indexer, docs, corpus_dir, fake_encoder) -> None:
    """A long-lived reader (docsense serve, the window) caches the index's languages until the rows change: a page
    in Japanese that another connection indexes meanwhile is known, and demoted, at the next search."""
    shutil.copy(corpus_dir / "html" / "sect.ldap-directory.html", docs)
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        assert lib.index.languages() == {"en": 1}
        shutil.copy(Path(__file__).resolve().parents[1] / "data" / "languages" / "debian-reference-ja-git.txt", docs)
        make_indexer().run([docs])  # its own connection: the open Library learns of it from SQLite's data_version
        assert lib.index.languages() == {"en": 1, "ja": 1}
        hits = lib.search("git commands tips", limit=5)
    names = [Path(h.path).name for h in hits]
    assert names[0] == "sect.ldap-directory.html"
    assert "debian-reference-ja-git.txt" in names
