"""A big index's common words weighed once for the keyword side (engine.index.impacts), on the real test corpus with
the thresholds lowered so that its common words count as a big index's do."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from desktop.format import progress_line
from engine import Library
from engine import search as search_module
from engine.fts import build_fts_query
from engine.index import impacts
from indexer import indexer as indexer_module

QUERIES = [
    "virtual hosts apache",
    "How do I configure a network interface?",
    "install packages with apt",
    "the system boot process and its services",
    '"mail server" configuration',
]


@pytest.fixture
def weighed(make_indexer, docs: Path, corpus_dir: Path, monkeypatch) -> Path:
    """The test corpus indexed, its words in 3 windows or more weighed at the end of the run."""
    shutil.copytree(corpus_dir, docs / "corpus")
    monkeypatch.setattr(impacts, "BUILD_AT", 1)
    monkeypatch.setattr(impacts, "COMMON_AT", 3)
    make_indexer().run([docs])
    return docs.parent / "index"


def _exact(lib: Library, query: str, k: int = 500) -> list[tuple[int, float, int]]:
    terms = search_module.QueryTerms.of(lib.index, query)
    return lib.index.store.keyword_matches(build_fts_query(query, terms.weightless()), "1", [], k)


def _weighed(lib: Library, query: str, k: int = 500) -> list[tuple[int, float, int]]:
    weights = lib.index.impacts()
    assert weights is not None
    return search_module._weighed_matches(lib.index, weights, query, search_module.QueryTerms.of(lib.index, query), k)


def test_the_keyword_side_ranks_from_the_weights_as_fts5_does(weighed: Path, fake_encoder) -> None:
    """The common words' windows are scored from the weights, FTS5 ranks only the windows holding the rare ones:
    the same windows in the same order with the same scores as FTS5's bm25 of the whole query."""
    with Library(weighed, encoder=fake_encoder) as lib:
        weights = lib.index.impacts()
        assert weights is not None
        assert len(weights.terms) > 100
        # Stems the stemmer does not give back as they are ("databas" becomes "databa", "licens" "licen") are
        # weighed too, looked up by a word that stems to them.
        store = lib.index.store
        assert {"databas", "licens", "releas"} <= {t for t in weights.terms if store.stems(t) != [t]}
        for query in QUERIES:
            exact, got = _exact(lib, query), _weighed(lib, query)
            assert [c for c, _r, _d in got] == [c for c, _r, _d in exact], query
            assert [r for _c, r, _d in got] == pytest.approx([r for _c, r, _d in exact], rel=1e-5)
            assert [d for _c, _r, d in got] == [d for _c, _r, d in exact]
        # A search uses them: no query ranks every window holding a common word.
        said: list[str] = []
        lib.index.store.conn.set_trace_callback(said.append)
        hits = lib.search("virtual hosts apache", limit=5, modes=("keyword",))
        lib.index.store.conn.set_trace_callback(None)
        ranked = [s for s in said if "bm25" in s]
        assert ranked
        assert all("rowid >" in s or "rowid <=" in s for s in ranked)
        assert hits[0].path.endswith("sect.http-web-server.html")


def test_the_neighbouring_words_bonus_is_what_fts5_gives_them(weighed: Path, fake_encoder) -> None:
    """The best windows' bonus for the query's neighbouring words close together is computed from their terms'
    places as FTS5's bm25 of NEAR("a" "b", 5) OR ... computes it (per column, within 6 tokens, the heading at
    double weight), without FTS5 ranking every window that holds a pair of common words."""
    from engine.fts import build_near_query

    with Library(weighed, encoder=fake_encoder) as lib:
        weights = lib.index.impacts()
        assert weights is not None
        compared = 0
        for query in [*QUERIES, "configure the network interfaces of the system", "apache web server modules"]:
            terms = search_module.QueryTerms.of(lib.index, query)
            matches = _weighed(lib, query)
            expression = build_near_query(query)
            assert expression is not None
            near = search_module._weighed_near(lib.index, weights, query, expression, terms, matches, 500)
            assert near is not None
            exact = {i: -rank for i, rank, _d in lib.index.store.keyword_matches(expression, "1", [], -1)}
            among = {c for c, _r, _d in matches[: search_module.NEAR_AMONG]}
            assert dict(near) == pytest.approx({i: s for i, s in exact.items() if i in among}, rel=1e-9), query
            compared += len(near)
        assert compared > 20


def test_which_windows_hold_a_common_word_is_read_from_the_weights(weighed: Path, fake_encoder) -> None:
    """The relevance floors ask which of the candidates hold each query word: for a weighed word, its weighed
    windows say, with no window looked up in the keyword index (the same answer)."""
    with Library(weighed, encoder=fake_encoder) as lib:
        every = lib.index.store.chunk_ids().tolist()
        terms = search_module.QueryTerms.of(lib.index, "apache virtual hosts")
        weights = lib.index.impacts()
        assert weights is not None
        assert "apach" in weights.terms
        said: list[str] = []
        lib.index.store.conn.set_trace_callback(said.append)
        held = terms.holding("apach", every)
        lib.index.store.conn.set_trace_callback(None)
        assert not [s for s in said if "chunks_fts" in s]
        own = lib.index.impacts
        lib.index.impacts = lambda: None  # type: ignore[method-assign]
        try:
            alone = search_module.QueryTerms.of(lib.index, "apache virtual hosts").holding("apach", every)
        finally:
            lib.index.impacts = own  # type: ignore[method-assign]
        assert held == alone
        assert len(held) > 3


def test_windows_stored_or_removed_since_are_ranked_as_fts5_ranks_them(
    weighed: Path, make_indexer, docs: Path, fake_encoder, monkeypatch
) -> None:
    """A document indexed after the weights is ranked by FTS5 (its windows' ids are above the weights' last); one
    removed since is never found."""
    web = next((docs / "corpus").rglob("sect.http-web-server.html"))
    web.unlink()
    (docs / "hosts.txt").write_text("Apache virtual hosts: one server answers for many host names, each its own site.")
    monkeypatch.setattr(impacts, "BUILD_AT", 10**9)  # not weighed again
    make_indexer().run([docs])
    with Library(weighed, encoder=fake_encoder) as lib:
        store = lib.index.store
        weights = lib.index.impacts()
        assert weights is not None
        assert store.last_chunk_id() > weights.last
        new = {c for c in store.chunk_ids_of(str(docs / "hosts.txt"))}
        got, exact = _weighed(lib, "virtual hosts apache", 10), _exact(lib, "virtual hosts apache", 10)
        assert got[0][0] in new
        assert got[0][0] == exact[0][0]
        assert {c for c, _r, _d in got} == {c for c, _r, _d in exact}
        assert not {d for _c, _r, d in got} - set(lib.index.store.documents_of([c for c, _r, _d in got]).values())


def test_weights_that_are_not_this_databases_are_not_used(weighed: Path, fake_encoder) -> None:
    """The weights are a cache: weights written for a database since replaced (another token), or a damaged file,
    are left alone, and the keyword side is FTS5's."""
    with Library(weighed, encoder=fake_encoder) as lib:
        expected = [h.path for h in lib.search("virtual hosts apache", limit=5, modes=("keyword",))]
        token = lib.index.store.get_meta(impacts.META_KEY)
        with lib.index.write() as change:
            change.set_meta(impacts.META_KEY, "another")
        assert lib.index.impacts() is None
        assert [h.path for h in lib.search("virtual hosts apache", limit=5, modes=("keyword",))] == expected
        with lib.index.write() as change:
            change.set_meta(impacts.META_KEY, str(token))
        assert lib.index.impacts() is not None
    (weighed / impacts.FOLDER / "ids.bin").write_bytes(b"\0" * 12)
    with Library(weighed, encoder=fake_encoder) as lib:
        assert lib.index.impacts() is None
        assert [h.path for h in lib.search("virtual hosts apache", limit=5, modes=("keyword",))] == expected


def test_an_indexing_run_weighs_a_big_index_with_progress_and_a_cancel_keeps_the_old(
    make_indexer, docs: Path, corpus_dir: Path, fake_encoder, monkeypatch
) -> None:
    shutil.copytree(corpus_dir / "html", docs / "html")
    monkeypatch.setattr(impacts, "COMMON_AT", 3)
    monkeypatch.setattr(indexer_module, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(impacts, "BUILD_AT", 10**9)
    seen = []
    make_indexer().run([docs], on_progress=seen.append)
    assert "weights" not in {p.phase for p in seen}  # a small index is not weighed
    index = docs.parent / "index"
    with Library(index, encoder=fake_encoder) as lib:
        assert lib.index.impacts() is None
        assert not (index / impacts.FOLDER).exists()
    monkeypatch.setattr(impacts, "BUILD_AT", 1)
    make_indexer().run([docs], on_progress=seen.append)
    weighing = [p for p in seen if p.phase == "weights"]
    assert weighing
    assert all(0 < p.weighed <= p.to_weigh for p in weighing)
    assert progress_line(dataclasses.replace(weighing[0], weighed=1, to_weigh=4, eta_s=90.0)) == (
        "Weighing the common words of a big index, for quick keyword search: 25%  ETA 1m30s"
    )
    with Library(index, encoder=fake_encoder) as lib:
        token = lib.index.store.get_meta(impacts.META_KEY)
        assert token is not None
        assert lib.index.impacts() is not None
        assert not lib.index.impacts_due()  # nothing changed since
        building = lib.index.build_impacts()
        next(building)
        building.close()  # a cancel, part way
        assert lib.index.store.get_meta(impacts.META_KEY) == token
        assert lib.index.impacts() is not None
    assert [p.name for p in index.iterdir() if p.name.startswith(impacts.FOLDER)] == [impacts.FOLDER]
