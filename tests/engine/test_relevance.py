"""The relevance floors and spelling (engine.search._relevant, engine.spelling) on small indexes of plain files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine import Library
from engine import search as search_module
from engine.spelling import corrected
from engine.tuning import DEFAULT_TUNING


@pytest.fixture
def library(make_indexer, docs, fake_encoder):
    """Twelve notes on system settings, one on a kettle, three that mention a document."""
    for i in range(12):
        (docs / f"system-{i}.txt").write_text(f"Note {i}: the system settings were changed on day {i}.")
    (docs / "kettle.txt").write_text("The kettle whistle sounds when the water boils.")
    for i in range(3):
        (docs / f"report-{i}.txt").write_text(f"The document of quarter {i} lists the budget.")
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        yield lib


def names(hits) -> list[str]:
    return sorted(Path(h.path).name for h in hits)


def test_a_keyword_hit_holds_most_of_what_the_query_weighs(library) -> None:
    """A window that has only the query's commonest word is no hit; one with its rare word is."""
    assert names(library.search("system kettle", limit=20, modes=("keyword",))) == ["kettle.txt"]
    # No document has "zeppelin": the system notes share only the common word.
    assert library.search("system zeppelin", limit=20, modes=("keyword",)) == []
    assert len(library.search("system settings", limit=20, modes=("keyword",))) == 12
    unfloored = replace(DEFAULT_TUNING, keyword_floor=0.0)
    every = search_module.search(library.index, "system kettle", limit=20, modes=("keyword",), tuning=unfloored)
    assert len(every) == 13  # without the floor every note sharing "system" is a hit


def test_the_weights_are_inverse_document_frequencies(library) -> None:
    terms = search_module.QueryTerms.of(library.index, "the system kettle zeppelins")
    weights = terms.weights
    assert list(weights) == ["system", "kettl", "zeppelin"]  # stemmed as the keyword index stems, stopwords out
    assert weights["system"] < weights["kettl"] < weights["zeppelin"]
    coverage = terms.coverage(library.index.store.chunk_ids().tolist())
    assert max(coverage.values()) == pytest.approx(weights["kettl"] / sum(weights.values()))
    assert library.unknown_words("the system kettle zeppelins") == ["zeppelins"]


def test_a_misspelt_word_is_searched_as_the_word_the_documents_hold(library) -> None:
    assert library.spelled("budget documnet")[1] == {"documnet": "document"}
    hits = library.search("documnet", limit=10, modes=("keyword",))
    assert names(hits) == ["report-0.txt", "report-1.txt", "report-2.txt"]
    assert library.search("documnet", limit=10, modes=("keyword",), spelling=False) == []
    # In double quotes a word is the user's own.
    assert library.spelled('"documnet" budget')[1] == {}
    assert library.search('"documnet"', limit=10, modes=("keyword",)) == []


def test_spelling_leaves_real_words_and_rare_corrections_alone(library) -> None:
    # An English word the documents lack is not a slip, though twelve notes hold "note", one edit away.
    assert library.spelled("vote")[1] == {}
    assert library.spelled("kettel")[1] == {}  # one window has "kettle": too few to guess it was meant
    assert library.spelled("sytsem setings")[1] == {"sytsem": "system", "setings": "settings"}
    assert corrected('Sytsem setings, "sytsem"', {"sytsem": "system", "setings": "settings"}) == (
        'system settings, "sytsem"'
    )


def test_explain_says_what_each_side_matched(library) -> None:
    hit = library.search("kettle whistle zeppelin", limit=1)[0]
    assert Path(hit.path).name == "kettle.txt"
    why = library.explain("kettle whistle zeppelin", hit)
    assert [w for w, _share in why.matched] == ["kettle", "whistle"]
    assert why.missing == ("zeppelin",)
    assert sum(share for _w, share in why.matched) < 1.0  # "zeppelin", in no window, weighs the most
    assert why.view is not None
    assert "kettle" in why.view
    assert {w.lower() for w, _share in why.pulls} >= {"kettle", "whistle"}  # the view's words that are the query's
    assert "the" not in {w.lower() for w, _share in why.pulls}  # stopwords are not shown


def test_a_words_pull_adds_up_to_the_cosine(fake_encoder) -> None:
    """The shares are exact: the cosine of the query to a window is the sum of its tokens' shares."""
    import numpy as np

    tok = fake_encoder.tokenizer
    window = tok.with_specials(tok.encode("The kettle whistle sounds when the water boils.")[0], 64)
    q = fake_encoder.embed_texts(["kettle water"])[0]
    vectors = fake_encoder.token_vectors(window)
    shares = (vectors @ q) / (len(vectors) * np.linalg.norm(vectors.mean(axis=0)))
    assert float(shares.sum()) == pytest.approx(float(fake_encoder.embed_ids([window])[0] @ q), abs=1e-5)


def test_documents_named_by_a_file_name_or_a_title(make_indexer, docs, fake_encoder) -> None:
    (docs / "url.txt").write_text("url.sty version 3.4\nDonald Arseneau\n\nThe package typesets addresses.")
    (docs / "urls.txt").write_text("URLs and more URLs.")
    (docs / "guide.md").write_text("# The Debian Administrator's Handbook\n\nRaphael Hertzog\n\nA book.")
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        store = lib.index.store
        assert [Path(p).name for p in store.documents_named(["who", "url", "package"])] == ["url.txt"]
        titled = store.documents_titled("Who wrote the Debian Administrator's Handbook?")
        assert [Path(p).name for p in titled] == ["guide.md"]
        assert store.documents_titled("Who wrote the Debian manual?") == []
        (answer,) = lib.ask("Who wrote the url package?", limit=1)
    assert (Path(answer.path).name, answer.answer) == ("url.txt", "Donald Arseneau")


def test_a_hit_says_how_well_it_matches(library) -> None:
    """With an encoder whose cosines were never calibrated, only the share of the query's word weight counts."""

    def strength(query: str) -> str:
        hit = library.search(query, limit=1, modes=("keyword",))[0]
        assert Path(hit.path).name == "kettle.txt"
        return hit.strength

    assert strength("kettle whistle") == "strong"  # all its words
    assert strength("kettle budget") == "good"  # its rarer word, 0.61 of the weight
    assert strength("kettle system budget") == "weak"  # 0.56 of it


def test_a_big_index_does_not_look_for_words_most_windows_hold(library, monkeypatch) -> None:
    """Past KEYWORD_BUDGET windows the keyword side leaves out a word at least half the windows hold (FTS5's BM25
    gives it no weight there): the same hits, without ranking every window that has it."""
    exact = [h.path for h in library.search("system kettle", limit=20, modes=("keyword",))]
    terms = search_module.QueryTerms.of(library.index, "system kettle")
    assert terms.weightless() == frozenset()  # 13 windows hold the two: a small index looks for every word
    monkeypatch.setattr(search_module, "KEYWORD_BUDGET", 5)
    assert terms.weightless() == {"system"}  # in 12 of the 16 windows
    assert search_module.build_fts_query("system kettle", terms.weightless()) == '"kettle"'
    assert [h.path for h in library.search("system kettle", limit=20, modes=("keyword",))] == exact
    # A query of such words alone still looks for them.
    assert search_module.QueryTerms.of(library.index, "system settings").weightless() == frozenset()


def _statements(library: Library, run) -> list[str]:
    """The SQL statements that ``run()`` has the library's database connection execute."""
    said: list[str] = []
    conn = library.index.store.conn
    conn.set_trace_callback(said.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    return said


def test_an_open_index_counts_a_words_windows_once_while_the_rows_stay(library, make_indexer, docs) -> None:
    """Counting the windows a word is in reads every one of them (66 ms for a question's words in a million
    windows): a long-lived reader counts each word once until the rows change, and the speller asks whether some
    window holds a word of the windows' first."""

    def counted(query: str) -> int:
        said = _statements(library, lambda: library.search(query, limit=3))
        return sum("FROM temp.chunk_terms" in statement for statement in said)

    assert counted("kettle whistle") == 1  # both words in one count, none to spell them
    assert counted("kettle whistle") == 0
    assert counted("whistle budget") == 1  # only the new word is counted
    (docs / "kettle-2.txt").write_text("A second kettle, without a whistle.")
    make_indexer().run([docs])  # another connection: SQLite's data_version tells the open index
    assert counted("kettle whistle") == 1
    assert library.index.term_counts(["kettl", "whistl"]) == {"kettl": 2, "whistl": 2}
    store = library.index.store
    assert [store.holds(w) for w in ("kettles", "whistling", "zeppelin", "the")] == [True, True, False, True]


def test_a_windows_document_is_looked_up_in_an_index_of_its_own(library) -> None:
    """m017: a search asks thousands of candidate windows for their document; the table's rows hold each window's
    text and vectors, so the lookup reads the small chunks_owner index instead of the table."""
    store = library.index.store
    ids = store.chunk_ids().tolist()
    said = _statements(library, lambda: store.documents_of(ids))
    (lookup,) = [s for s in said if "doc_id" in s]
    plan = " ".join(str(row[3]) for row in store.conn.execute("EXPLAIN QUERY PLAN " + lookup.replace("?", "0")))
    assert "COVERING INDEX chunks_owner" in plan
    assert sorted(store.documents_of(ids).values()) == sorted(
        r[0] for r in store.conn.execute("SELECT doc_id FROM chunks")
    )


def test_the_windows_holding_a_word_are_found_alike_listed_or_looked_up(library, monkeypatch) -> None:
    every = library.index.store.chunk_ids().tolist()
    listed = search_module.QueryTerms.of(library.index, "system kettles")
    expected = {term: listed.holding(term, every) for term in ("system", "kettl")}
    assert len(expected["system"]) == 12
    assert len(expected["kettl"]) == 1
    monkeypatch.setattr(search_module, "SEEK_COST", 0)  # look each window up
    sought = search_module.QueryTerms.of(library.index, "system kettles")
    for term in ("system", "kettl"):
        assert sought.holding(term, every) == expected[term]
        assert sought.holding(term, every[:3]) == expected[term] & set(every[:3])
    assert not sought._listed  # every answer came from looking windows up


def test_the_first_hits_are_judged_from_the_front_of_the_candidates(make_indexer, docs, fake_encoder) -> None:
    """The floors judge candidates in batches until the hits are full; a long page's windows filling the first
    batch leave the other documents to the next one."""
    paragraph = "The kettle whistle sounds when the water boils, kettle after kettle, in room {}.\n\n"
    (docs / "long.txt").write_text("".join(paragraph.format(i) for i in range(1500)))
    (docs / "short-1.txt").write_text("A kettle stands on the shelf.")
    (docs / "short-2.txt").write_text("Her kettle was blue.")
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        assert lib.status().chunks > 40  # more windows of the long page than the first batch judges
        hits = lib.search("kettle", limit=3, modes=("keyword",))
    assert [Path(h.path).name for h in hits][:2] == ["long.txt", "long.txt"]
    assert Path(hits[2].path).name.startswith("short-")
