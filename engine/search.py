"""Hybrid search: dense (FAISS) and keyword (FTS5 BM25) candidates, fused, filtered, and turned into hits."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from engine.encoder import DEFAULT_ENCODER
from engine.errors import QueryError, escaped_bytes
from engine.fts import (
    NEAR_DISTANCE,
    any_of,
    build_fts_query,
    build_near_query,
    content_words,
    near_pairs,
    part_word,
    query_parts,
)
from engine.fusion import Fused, reciprocal_rank_fusion, score_fusion
from engine.index import Index
from engine.index.impacts import Impacts, idf, near_bm25, scored
from engine.index.impacts import best as best_weighed
from engine.language import query_language
from engine.pages import page_of
from engine.query import absolute_path_filter
from engine.rerank import CrossEncoderReranker
from engine.snippet import make_snippet
from engine.spelling import spelled
from engine.tagger import normalise, short_forms
from engine.tuning import DEFAULT_TUNING, SearchTuning
from engine.types import DOC_TYPES, Matched, SearchHit

T = TypeVar("T")

MAX_QUERY_CHARS = 2000
MAX_LIMIT = 1000
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Filters:
    """Which documents a search may return.

    Attributes:
        path: a folder (every document under it), a file, or a glob over absolute paths.
        types: document types among pdf, html, md, txt.
    """

    path: str | None = None
    types: tuple[str, ...] = ()
    entity: str | None = None
    author: str | None = None  # a part of who wrote it (a mail's From), any case
    after: float | None = None  # written at or after this time (seconds since 1970)
    before: float | None = None  # written before this time
    excluded: tuple[str, ...] = ()  # words or phrases: documents holding one are left out
    title: str | None = None  # a part of the document's title or of its file's name, any case
    recipient: str | None = None  # a part of whom it was sent to (a mail's To or Cc), any case

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE clause over ``documents d`` and its parameters; "1" when nothing is filtered."""
        clauses: list[str] = []
        params: list[object] = []
        valid_text(self.path, "the path filter")
        valid_text(self.entity, "the entity filter")
        if self.path:
            clauses.append(_path_clause(self.path, params))
        if self.types:
            bad = [t for t in self.types if t not in DOC_TYPES]
            if bad:
                raise QueryError(f"unknown type {bad[0]!r}: choose from {', '.join(DOC_TYPES)}")
            clauses.append("d.type IN (" + ",".join("?" * len(self.types)) + ")")
            params.extend(self.types)
        if self.entity is not None:
            forms = entity_forms(self.entity)
            if not forms:
                raise QueryError("the entity filter is empty: give a name, e.g. --entity 'Leslie Lamport'")
            # A person's name also finds the documents that write it shorter ("Lamport", "L. Lamport").
            shorter = sorted({f for form in forms for f in short_forms(form)} - set(forms))
            person = f" OR (label = 'PERSON' AND norm IN ({','.join('?' * len(shorter))}))" if shorter else ""
            named = f"norm IN ({','.join('?' * len(forms))})"
            clauses.append(f"d.id IN (SELECT doc_id FROM entities WHERE {named}{person})")
            params.extend(forms + shorter)
        if self.author is not None:
            valid_text(self.author, "the author filter")
            if not self.author.strip():
                raise QueryError("the author filter is empty: give a part of a name or an address")
            clauses.append("d.author LIKE ? ESCAPE '\\'")
            params.append(_holding(self.author))
        if self.recipient is not None:
            valid_text(self.recipient, "the recipient filter")
            if not self.recipient.strip():
                raise QueryError("the recipient filter is empty: give a part of a name or an address")
            clauses.append("d.recipients LIKE ? ESCAPE '\\'")
            params.append(_holding(self.recipient))
        if self.title is not None:
            valid_text(self.title, "the title filter")
            # The file's name: the path less everything up to its last slash.
            name = "replace(d.path, rtrim(d.path, replace(d.path, '/', '')), '')"
            clauses.append(f"(d.title LIKE ? ESCAPE '\\' OR {name} LIKE ? ESCAPE '\\')")
            params.extend([_holding(self.title)] * 2)
        if self.excluded:
            for item in self.excluded:
                valid_text(item, "a left-out word")
            match = build_fts_query(" ".join('"' + item.replace('"', " ") + '"' for item in self.excluded))
            if match:
                clauses.append("d.id NOT IN (SELECT c.doc_id FROM chunks c WHERE c.id IN "
                               "(SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?))")  # fmt: skip
                params.append(match)
        if self.after is not None:
            clauses.append("d.date >= ?")
            params.append(self.after)
        if self.before is not None:
            clauses.append("d.date < ?")
            params.append(self.before)
        return (" AND ".join(clauses) or "1"), params

    @property
    def active(self) -> bool:
        return bool(
            self.path or self.types or self.entity is not None or self.author is not None or self.after is not None
            or self.before is not None or self.excluded or self.title is not None or self.recipient is not None
        )  # fmt: skip


def _holding(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') for a text holding ``text``, stripped, whatever its characters."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def entity_forms(text: str) -> list[str]:
    """The normalised forms an entity typed by the user may be stored under (names and numbers normalise apart)."""
    return sorted({f for f in (normalise(text, "PERSON"), normalise(text, "DATE")) if f})


def _path_clause(path: str, params: list[object]) -> str:
    where = absolute_path_filter(path)
    if _GLOB_CHARS.search(path):
        params.append(where)
        return "d.path GLOB ?"
    folder = where.rstrip("/") or "/"
    prefix = folder if folder.endswith("/") else folder + "/"
    params.extend([folder, len(prefix), prefix])
    return "(d.path = ? OR substr(d.path, 1, ?) = ?)"


def valid_text(value: str | None, what: str) -> None:
    """QueryError if ``value`` holds bytes that were not valid UTF-8 where they were typed (a command line argument
    decoded with surrogate escapes): nothing indexed can match it, and SQLite cannot take it."""
    if value is not None and (shown := escaped_bytes(value)) is not None:
        raise QueryError(f"{what} is not valid UTF-8 text: {shown}")


def clean_query(query: str) -> str:
    """The query without control characters, with whitespace collapsed; QueryError if nothing is left."""
    if not isinstance(query, str):
        raise QueryError("the query must be text")
    # Control characters and lone surrogates (bytes that were not UTF-8 on the command line) are not words.
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in query[:MAX_QUERY_CHARS])
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError("the query is empty: type some words to search for")
    return cleaned


def _keyword_ids(
    index: Index,
    query: str,
    where: str,
    params: list[object],
    k: int,
    documents: dict[int, int] | None = None,
    tuning: SearchTuning = DEFAULT_TUNING,
    terms: QueryTerms | None = None,
) -> list[tuple[int, float]]:
    """The best ``k`` chunks by BM25 (text, and the heading path at double weight), plus near_weight x the BM25 of
    the query's neighbouring words found close together, plus their document's keyword evidence; with scores
    (higher better). ``documents``, when given, gets the document of each chunk returned."""
    fts_query = build_fts_query(query, terms.weightless() if terms is not None else frozenset())
    if fts_query is None:
        return []
    store = index.store
    weights = terms.impacts if where == "1" and terms is not None else None
    if weights is not None and terms is not None:
        matches = _weighed_matches(index, weights, query, terms, k)
    else:
        matches = store.keyword_matches(fts_query, where, params, k)
    found = {chunk: (-rank, doc) for chunk, rank, doc in matches}
    near_query = build_near_query(query)
    if near_query is not None:
        # The bonus goes to the windows found: one with query words close together and not among the best k
        # by BM25 is rare, and looking up its BM25 would double the time of a search.
        near = None
        if weights is not None and terms is not None:
            near = _weighed_near(index, weights, query, near_query, terms, matches, k)
        if near is None:
            near = [(i, -rank) for i, rank, _doc in store.keyword_matches(near_query, where, params, k)]
        for i, near_score in near:
            if i in found:
                score, doc = found[i]
                found[i] = (score + tuning.near_weight * near_score, doc)
    best = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:k]
    if documents is not None:
        documents.update((chunk, doc) for chunk, (_score, doc) in best)
    docs = {doc for _chunk, (_score, doc) in best}
    counts = index.window_counts(docs) if tuning.evidence_by_size else None
    damp = _damping(index, tuning, docs)
    return keyword_evidence(
        [(chunk, score, doc) for chunk, (score, doc) in best], tuning.keyword_doc_windows, counts, damp
    )


def _weighed_matches(
    index: Index, weights: Impacts, query: str, terms: QueryTerms, k: int
) -> list[tuple[int, float, int]]:
    """What ``store.keyword_matches`` gives for the query's words, unfiltered, in a big index whose common terms'
    BM25 weights are stored (engine.index.impacts): those terms scored from the weights, the rest by FTS5 over the
    windows that hold them, and the windows stored since the weights by FTS5 alone."""
    store = index.store
    parts = query_parts(query, terms.weightless())
    common: list[tuple[str, float]] = []
    rest: list[str] = []
    for part in parts:
        word = part_word(part)
        own = terms.word_terms.get(word, []) if word is not None else []
        if len(own) == 1 and own[0] in weights.terms:
            common.append((own[0], idf(terms.counts[own[0]], terms.windows_total)))
        else:
            rest.append(part)
    none = (np.zeros(0, dtype=np.int64), np.zeros(0))
    rare = store.keyword_scores(any_of(rest), weights.last) if rest else none
    ids, scores = scored(weights, common, rare)
    take = k + k // 2
    while True:  # the best k still stored: windows deleted since the weights are dropped, and more asked for
        older = best_weighed(ids, scores, take)
        doc_of = store.documents_of([chunk for chunk, _score in older])
        found = [(chunk, -score, doc_of[chunk]) for chunk, score in older if chunk in doc_of]
        if len(found) >= k or take >= len(ids):
            break
        take *= 4
    found += store.keyword_matches(any_of(parts), "1", [], k, after=weights.last)
    found.sort(key=lambda row: (row[1], row[0]))
    return found[:k]


NEAR_AMONG = 100  # in a big index, the best windows by their words whose neighbouring words' bonus is looked for


def _weighed_near(
    index: Index,
    weights: Impacts,
    query: str,
    expression: str,
    terms: QueryTerms,
    matches: list[tuple[int, float, int]],
    k: int,
) -> list[tuple[int, float]] | None:
    """(window, the BM25 of the query's neighbouring words found close together) in a big index whose common words
    are weighed: for the best NEAR_AMONG windows ``matches`` found, from their terms' places (engine.index.impacts
    near_bm25: what FTS5 gives, without ranking every window holding a pair of common words); for the best ``k``
    windows stored since the weights, by FTS5 (``expression``: the query's build_near_query). None when a
    neighbouring word is of several terms (FTS5 then)."""
    store = index.store
    pairs = []
    for a, b in near_pairs(query):
        own_a, own_b = terms.word_terms.get(a, []), terms.word_terms.get(b, [])
        if len(own_a) != 1 or len(own_b) != 1:
            return None
        pairs.append((own_a[0], own_b[0]))
    older = [chunk for chunk, _rank, _doc in matches[:NEAR_AMONG] if chunk <= weights.last]
    near: dict[int, float] = {}
    if pairs and older:
        windows, mean_size = store.keyword_averages()
        wanted = sorted({t for pair in pairs for t in pair})
        idfs = {t: idf(terms.counts.get(t, 0), windows) for t in wanted}
        places = store.places_in(older, wanted)
        near.update(near_bm25(pairs, places, store.keyword_sizes(older), idfs, mean_size, NEAR_DISTANCE))
    near.update((i, -rank) for i, rank, _doc in store.keyword_matches(expression, "1", [], k, after=weights.last))
    return list(near.items())


def keyword_evidence(
    found: list[tuple[int, float, int]],
    windows: int = DEFAULT_TUNING.keyword_doc_windows,
    sizes: Mapping[int, int] | None = None,
    damp: Mapping[int, float] | None = None,
) -> list[tuple[int, float]]:
    """Each (chunk, BM25 score, document) found, best first, scored by its BM25 plus its document's evidence: the
    sum of its best ``windows`` BM25 scores among the windows found, over ``windows`` (matches all through a
    document count more than one). With ``sizes`` (document -> its windows), over as many as the document has
    when it has fewer: a short page that matches all through is not outweighed by a long one that matches here
    and there."""
    tops: dict[int, list[float]] = {}
    for _chunk, score, doc in found:
        top = tops.setdefault(doc, [])
        if len(top) < windows:
            top.append(score)

    def over(doc: int) -> int:
        return max(1, min(windows, sizes.get(doc, windows))) if sizes is not None else windows

    def scale(doc: int) -> float:
        return damp.get(doc, 1.0) if damp is not None else 1.0

    rescored = [(chunk, score + scale(doc) * sum(tops[doc]) / over(doc)) for chunk, score, doc in found]
    rescored.sort(key=lambda r: -r[1])  # stable: equal scores keep BM25's order
    return rescored


def mean_windows(index: Index) -> float:
    """How many windows the index's documents have, on average (the length priors' yardstick)."""
    return index.window_count() / max(1, index.document_count())


def _damping(index: Index, tuning: SearchTuning, docs: Iterable[int]) -> dict[int, float] | None:
    """{document: the factor its evidence is multiplied by}: (mean / windows) ** evidence_length for those longer
    than the index's mean, so a long page's many windows do not add up to evidence a short page cannot have; None
    when evidence_length is 0."""
    power = tuning.evidence_length
    if not power:
        return None
    mean = mean_windows(index)
    return {d: (mean / n) ** power for d, n in index.window_counts(docs).items() if n > mean}


VIEWS_PER_WINDOW = 4  # a full window of 512 tokens has 4 or 5 views of 128 (indexer.chunk): a document's views,
# for its meaning evidence, are taken as 4 a window
KEYWORD_BUDGET = 50_000  # windows holding the query's terms, all told, past which common words are left out
SEEK_COST = 25  # looking up whether one window holds a term costs about as much as listing this many that do


@dataclass
class QueryTerms:
    """The words of a query the keyword side looks for, stemmed as the keyword index stems them, as the index knows
    them: how many windows hold each, its weight (its inverse document frequency over the windows: a word in few
    windows weighs much, one in most little, one in none the most of all), and which of the windows asked about
    hold it. One is made per search; the keyword side, the floors, the match strengths and explain read it."""

    index: Index
    counts: dict[str, int]
    weights: dict[str, float]
    windows_total: int = 0
    # Each term's word of the query (a word the keyword index stems to that term alone), for looking it up.
    words: dict[str, str] = field(default_factory=dict)
    word_terms: dict[str, list[str]] = field(default_factory=dict)  # each content word's terms
    impacts: Impacts | None = None  # a big index's common words' weights (engine.index.impacts), read once
    _holders: dict[str, set[int]] = field(default_factory=dict)  # a term's windows among those asked about
    _asked: dict[str, set[int]] = field(default_factory=dict)  # ... and the windows asked about
    _listed: set[str] = field(default_factory=set)  # the terms whose every window is in _holders

    @classmethod
    def of(cls, index: Index, query: str) -> QueryTerms:
        store = index.store
        words: dict[str, str] = {}
        word_terms: dict[str, list[str]] = {}
        for word in content_words(query):
            word_terms[word] = own = store.stems(word)
            # A word of several terms ("thread-safe") is looked up by its pieces.
            for piece, terms in (
                [(word, own)] if len(own) == 1 else [(p, store.stems(p)) for p in re.split(r"[\W_]+", word)]
            ):
                if len(terms) == 1:
                    words.setdefault(terms[0], piece)
        stems = list(dict.fromkeys(t for terms in word_terms.values() for t in terms))
        if not stems:
            return cls(index, {}, {})
        n = index.window_count()
        counts = index.term_counts(stems)
        weights = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in counts.items()}
        return cls(index, counts, weights, n, words, word_terms, index.impacts())

    def weightless(self) -> frozenset[str]:
        """The query's words that the keyword side need not look for in a big index: each of their terms is in at
        least half the windows, where FTS5's BM25 gives a word no weight (its idf is floored at 1e-6), so leaving
        them out changes no score, while ranking the windows that hold them costs a microsecond each ("python" in
        the Python docs, "the" anywhere). None while the terms are in KEYWORD_BUDGET windows or fewer in all (a
        small index ranks as ever), nor when they are all such words."""
        if sum(self.counts.values()) <= KEYWORD_BUDGET:
            return frozenset()
        half = self.windows_total / 2
        common = {w for w, ts in self.word_terms.items() if ts and all(self.counts.get(t, 0) >= half for t in ts)}
        return frozenset(common) if len(common) < len(self.word_terms) else frozenset()

    def holding(self, term: str, chunks: Sequence[int]) -> set[int]:
        """Those of ``chunks`` that hold ``term``: by listing the term's windows when it is in few, by looking up
        each of ``chunks`` when in many (a common word of a big index is in a million windows)."""
        wanted = set(chunks)
        if term in self._listed:
            return self._holders[term] & wanted
        asked = self._asked.setdefault(term, set())
        holders = self._holders.setdefault(term, set())
        new = wanted - asked
        weights = self.impacts
        found = weights.postings(term) if weights is not None and new else None
        if weights is not None and found is not None:  # a big index's common term: its weighed windows say
            older = np.asarray(sorted(c for c in new if c <= weights.last), dtype=np.int64)
            at = np.minimum(np.searchsorted(found[0], older), len(found[0]) - 1)
            holders |= set(older[found[0][at] == older].tolist())
            asked |= set(older.tolist())
            new -= asked
        if new:
            word = self.words.get(term)
            if word is None or self.counts.get(term, 0) <= SEEK_COST * len(new):
                holders |= self.index.store.windows_with(term)
                self._listed.add(term)
            else:
                holders |= self.index.store.windows_holding(word, sorted(new))
                asked |= new
        return holders & wanted

    def coverage(self, chunks: Sequence[int]) -> dict[int, float]:
        """For each of ``chunks``, the share of the query's word weight that it holds: 1.0 when it has every word of
        the query, near 0 when it has only its commonest one."""
        total = sum(self.weights.values())
        covered = dict.fromkeys(chunks, 0.0)
        if not total:
            return covered
        for term, weight in self.weights.items():
            for chunk in self.holding(term, list(covered)):
                covered[chunk] += weight / total
        return covered

    @property
    def known_share(self) -> float:
        """The share of the query's word weight in words that some window holds."""
        total = sum(self.weights.values())
        if not total:
            return 1.0  # no word to judge by (a query of stopwords)
        return sum(w for t, w in self.weights.items() if self.counts[t]) / total


def _dense_ids(
    index: Index,
    query: str,
    filters: Filters,
    where: str,
    params: list[object],
    k: int,
    documents: dict[int, int] | None = None,
    tuning: SearchTuning = DEFAULT_TUNING,
    cosines: dict[int, float] | None = None,
) -> list[tuple[int, float, int]]:
    """The best ``k`` chunks by the cosine of their best view to the query plus their document's evidence (see
    document_evidence), from the best evidence_depth x ``k`` views: (chunk id, score, view). ``documents``, when
    given, gets the document of each chunk returned; ``cosines`` the cosine of its best view."""
    vectors = index.vectors()
    if len(vectors) == 0:
        return []
    allowed = None
    if filters.active:
        allowed = index.store.chunk_ids_where(where, params)
    q = index.encoder.embed_texts([query])[0]
    depth = k * tuning.evidence_depth
    chunks, views, scores = vectors.top_views(q, depth, allowed)
    if len(chunks) == 0:
        return []
    doc_of = index.store.documents_of(np.unique(chunks).tolist())
    # Views of a chunk deleted since the FAISS index was loaded are left out.
    kept = np.fromiter((c in doc_of for c in chunks.tolist()), dtype=bool, count=len(chunks))
    docs = np.fromiter((doc_of.get(c, -1) for c in chunks.tolist()), dtype=np.int64, count=len(chunks))
    # Fewer views than asked for means every view (allowed) was seen; else the unseen ones score below the last.
    floor = float(scores[-1]) if len(chunks) == depth else None
    views_of = None
    if tuning.evidence_by_size:
        views_of = {doc: VIEWS_PER_WINDOW * n for doc, n in index.window_counts(doc_of.values()).items()}
    damp = _damping(index, tuning, doc_of.values())
    found = document_evidence(
        chunks[kept], views[kept], scores[kept], docs[kept], k, floor, tuning.doc_views, tuning.doc_weight,
        views_of, damp,
    )  # fmt: skip
    if documents is not None:
        documents.update((chunk, doc_of[chunk]) for chunk, _score, _view in found)
    if cosines is not None:
        best = dict(zip(reversed(chunks.tolist()), reversed(scores.tolist()), strict=True))  # each chunk's first
        cosines.update((chunk, best[chunk]) for chunk, _score, _view in found)
    return found


def document_evidence(
    chunks: np.ndarray,
    views: np.ndarray,
    scores: np.ndarray,
    docs: np.ndarray,
    k: int,
    floor: float | None = None,
    doc_views: int = DEFAULT_TUNING.doc_views,
    doc_weight: float = DEFAULT_TUNING.doc_weight,
    sizes: Mapping[int, int] | None = None,
    damp: Mapping[int, float] | None = None,
) -> list[tuple[int, float, int]]:
    """The best ``k`` (chunk, best view + doc_weight x its document's evidence, best view), from the best views of the
    index given best first as parallel arrays: each view's chunk, number, score and chunk's document.

    A page about what the query asks tends to match it in many places, a page that mentions it in passing in one;
    the evidence, the mean of the document's best doc_views view scores, ranks the first above the second when their
    best windows score alike, and lifts a good page's other windows with it. When the views given are not all of
    the index's (``floor`` is the score of the last one given), a document's views not given count at ``floor``,
    the most they can score; when they are all (``floor`` None), a document with fewer views is scored by the mean
    of those it has. With ``sizes`` (document -> about how many views it has), a document with fewer than
    doc_views views is scored by the mean of as many as it has, not diluted by views it cannot have. ``damp``
    (document -> factor) scales a document's evidence.
    """
    # Each document's best doc_views scores: group by document keeping the order, number each group's members.
    order = np.argsort(docs, kind="stable")
    grouped = docs[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = order[rank < doc_views]
    doc_list, slot = np.unique(docs[keep], return_inverse=True)
    found = np.bincount(slot)
    total = np.bincount(slot, weights=scores[keep])
    if floor is None:
        evidence = total / found
    else:
        room = np.full(len(doc_list), doc_views, dtype=np.float64)
        if sizes is not None:
            own = np.fromiter((sizes.get(int(d), doc_views) for d in doc_list), dtype=np.float64, count=len(doc_list))
            room = np.maximum(found, np.minimum(room, own))
        evidence = (total + floor * (room - found)) / room
    # Each chunk's best view is its first in the best-first order.
    _, first = np.unique(chunks, return_index=True)
    if damp:
        evidence = evidence * np.fromiter((damp.get(int(d), 1.0) for d in doc_list), np.float64, len(doc_list))
    own = scores[first] + doc_weight * evidence[np.searchsorted(doc_list, docs[first])]
    best = np.lexsort((chunks[first], -own))[:k]  # by score, ties by chunk id
    return list(zip(chunks[first][best].tolist(), own[best].tolist(), views[first][best].tolist(), strict=True))


def search(
    index: Index,
    query: str,
    limit: int = 10,
    filters: Filters | None = None,
    modes: Sequence[str] = ("meaning", "keyword"),
    reranker: CrossEncoderReranker | None = None,
    tuning: SearchTuning = DEFAULT_TUNING,
    spelling: bool = True,
) -> list[SearchHit]:
    """Search ``index`` by meaning and by keyword and fuse the two.

    Args:
        index: an open index.
        query: what the user typed; any text is safe.
        limit: how many hits to return.
        filters: which documents may be returned.
        modes: "meaning", "keyword", or both (the default).
        reranker: a cross-encoder that re-orders the best fused windows (at least ``limit``, at most its depth).
        tuning: the constants search ranks with (engine.tuning; the tuned ones by default).
        spelling: search for a misspelt word's correction instead (engine.spelling; front ends say so).

    Raises:
        QueryError: the query is empty, or a filter or limit is invalid.
    """
    query = clean_query(query)
    if spelling:
        query = spelled(index, query)[0]
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"the limit must be between 1 and {MAX_LIMIT}")
    filters = filters or Filters()
    where, params = filters.sql()
    k = max(limit * 5, tuning.candidates)
    scored: dict[str, list[tuple[int, float]]] = {}
    doc_of: dict[int, int] = {}  # each candidate's document, as the two sides found it
    terms = QueryTerms.of(index, query)
    if "keyword" in modes:
        scored["keyword"] = _keyword_ids(index, query, where, params, k, doc_of, tuning, terms)
    best_views: dict[int, int] = {}
    cosines: dict[int, float] = {}
    if "meaning" in modes:
        dense = _dense_ids(index, query, filters, where, params, k, doc_of, tuning, cosines)
        scored["meaning"] = [(chunk, score) for chunk, score, _view in dense]
        best_views = {chunk: view for chunk, _score, view in dense}
    if tuning.fusion == "rrf":  # the fusion before issue 6, kept for comparison
        fused = reciprocal_rank_fusion({name: [i for i, _ in items] for name, items in scored.items()})
    else:
        weights = {"meaning": tuning.meaning_weight, "keyword": 1.0 - tuning.meaning_weight}
        fused = score_fusion(
            scored,
            weights=weights,
            norm_depth=tuning.norm_depth,
            documents=doc_of,
            document_weight=tuning.document_weight,
            document_scale=_damping(index, tuning, doc_of.values()),
        )
        fused = _document_priors(index, query, fused, doc_of, tuning)
    wanted = limit if reranker is None else max(limit, reranker.depth)
    fused = _first_relevant(terms, fused, cosines, tuning, doc_of, wanted)
    if reranker is not None and fused:
        fused = _rerank(index, reranker, query, fused[:wanted])
        if tuning.fusion != "rrf":  # the cross-encoder's scores replace the fused ones: the priors again
            fused = _document_priors(index, query, fused, doc_of, tuning)
    shown = _spread(fused, doc_of, tuning.per_document, limit)
    calibrated = index.encoder.name == DEFAULT_ENCODER
    strengths = _strengths(terms, shown, cosines if calibrated else {}, tuning)
    return _hits(index, query, shown, best_views, strengths)


def _document_priors(
    index: Index, query: str, fused: list[Fused], doc_of: dict[int, int], tuning: SearchTuning
) -> list[Fused]:
    """``fused`` with each window's score lowered by what its document is, whatever the query asks: long
    (length_prior) or written in another language than the query (language_penalty); best first again."""
    docs = {doc_of[f.id] for f in fused if f.id in doc_of}
    if not docs:
        return fused
    penalty: dict[int, float] = {}
    if tuning.length_prior:
        mean = mean_windows(index)
        for doc, windows in index.window_counts(docs).items():
            if windows > mean:
                penalty[doc] = tuning.length_prior * math.log(windows / mean)
    if tuning.language_penalty:
        for doc in docs & _other_language_documents(index, query):
            penalty[doc] = penalty.get(doc, 0.0) + tuning.language_penalty
    if not penalty:
        return fused
    rescored = [Fused(f.id, f.score - penalty.get(doc_of.get(f.id, -1), 0.0), f.sources) for f in fused]
    rescored.sort(key=lambda f: -f.score)  # stable: equal scores keep the fusion's order
    return rescored


def _other_language_documents(index: Index, query: str) -> set[int]:
    """The documents written in another language than ``query``: the language it says by itself when some
    documents are in it, else the one most of the index's documents are in. Empty when the index holds one
    language (a query in a language no page is in does not lift the pages whose language could not be told)."""
    languages = [code for code in index.languages() if code]
    if len(languages) < 2:
        return set()
    said = query_language(query)
    return index.documents_not_in(said if said in languages else languages[0])


def _strengths(
    terms: QueryTerms, fused: list[Fused], cosines: dict[int, float], tuning: SearchTuning
) -> dict[int, str]:
    """How well each hit matches, in words a person reads across queries (the floors' scales, engine.tuning):
    "strong" when its best view is very close in meaning or it holds nearly all the query's word weight, "good"
    when close or holding most of it, "weak" otherwise. ``cosines`` is empty for an uncalibrated encoder."""
    coverage = terms.coverage([f.id for f in fused])
    out = {}
    for f in fused:
        cosine, held = cosines.get(f.id, -1.0), coverage.get(f.id, 0.0)
        if cosine >= tuning.strong_cosine or held >= tuning.strong_coverage:
            out[f.id] = "strong"
        elif cosine >= tuning.good_cosine or held >= tuning.good_coverage:
            out[f.id] = "good"
        else:
            out[f.id] = "weak"
    return out


def _first_relevant(
    terms: QueryTerms,
    fused: list[Fused],
    cosines: dict[int, float],
    tuning: SearchTuning,
    doc_of: dict[int, int],
    wanted: int,
) -> list[Fused]:
    """The relevant candidates (see _relevant) from the front of ``fused``, enough for the ``wanted`` first hits:
    judged in growing batches, so a big index does not count the words of 500 keyword candidates when the first 30
    give the hits (what _spread takes from a list's front does not change with what follows it)."""
    relevant: list[Fused] = []
    start, size = 0, max(4 * wanted, 32)
    while start < len(fused):
        relevant += _relevant(terms, fused[start : start + size], cosines, tuning)
        start, size = start + size, size * 2
        taken: dict[int, int] = {}
        for f in relevant:
            key = doc_of.get(f.id, -f.id)
            taken[key] = taken.get(key, 0) + 1
        if len(relevant) >= wanted and sum(min(c, tuning.per_document) for c in taken.values()) >= wanted:
            break
    return relevant


def _relevant(terms: QueryTerms, fused: list[Fused], cosines: dict[int, float], tuning: SearchTuning) -> list[Fused]:
    """The candidates that are hits, however they rank: close in meaning to the query (their best view's cosine at
    least the meaning floor), or holding enough of its words (their keyword coverage at least the keyword floor).
    So a query nothing answers gets no hits: not the windows that share its commonest word, nor those the encoder
    puts near any string of letters.

    When most of the query's weight is in words no document has, a meaning hit must be closer (the unknown-word
    floor): the encoder maps letters it cannot read near code and index pages. The meaning floors were set for the
    default encoder's cosines; another encoder's cosines mean something else, so its meaning hits have none.
    """
    if not fused:
        return fused
    floor = -math.inf
    if terms.index.encoder.name == DEFAULT_ENCODER:
        floor = tuning.meaning_floor
        if terms.known_share < tuning.known_share:
            floor = max(floor, tuning.unknown_meaning_floor)
    close = {f.id for f in fused if "meaning" in f.sources and cosines.get(f.id, math.inf) >= floor}
    # Only the keyword candidates not already hits by meaning need their words counted.
    keyword = [f.id for f in fused if "keyword" in f.sources and f.id not in close]
    coverage = terms.coverage(keyword) if tuning.keyword_floor > 0 else dict.fromkeys(keyword, 1.0)
    return [f for f in fused if f.id in close or coverage.get(f.id, -1.0) >= tuning.keyword_floor]


def unknown_words(index: Index, query: str) -> list[str]:
    """The words of ``query`` that no window holds (in any form the keyword index stems to the same term)."""
    return [word for word in content_words(clean_query(query)) if not index.store.holds(word)]


def _spread(fused: list[Fused], doc_of: dict[int, int], per_document: int, limit: int) -> list[Fused]:
    """The document evidence lifts all windows of a good page together, which would fill the first hits with one
    page; a user looks for documents first (``doc_of``: window -> document)."""
    return first_of_each(fused, lambda f: doc_of.get(f.id, -f.id), limit, per_document)


def first_of_each(items: list[T], key: Callable[[T], Hashable], n: int, per_key: int) -> list[T]:
    """The first ``n`` of ``items`` (best first) with at most ``per_key`` of each ``key`` as long as others can
    fill the ``n``, then the best of those held back; always in the order given."""
    first: list[T] = []
    later: list[T] = []
    taken: dict[Hashable, int] = {}
    for item in items:
        k = key(item)
        taken[k] = taken.get(k, 0) + 1
        (first if taken[k] <= per_key else later).append(item)
    kept = {id(item) for item in first[:n] + later[: max(0, n - len(first))]}
    return [item for item in items if id(item) in kept]


def _rerank(index: Index, reranker: CrossEncoderReranker, query: str, fused: list[Fused]) -> list[Fused]:
    """The candidates ordered by the cross-encoder's score of (query, window text); the score becomes the hit's."""
    ids = [f.id for f in fused]
    texts = index.store.chunk_texts(ids)
    present = [f for f in fused if f.id in texts]
    scores = reranker.scores(query, [texts[f.id] for f in present])
    order = sorted(range(len(present)), key=lambda i: (-scores[i], i))
    return [Fused(present[i].id, float(scores[i]), present[i].sources) for i in order]


def _hits(
    index: Index, query: str, fused: list[Fused], best_views: dict[int, int], strengths: dict[int, str]
) -> list[SearchHit]:
    if not fused:
        return []
    by_id = index.store.hit_rows([f.id for f in fused])
    terms = content_words(query)
    hits = []
    for f in fused:
        r = by_id.get(f.id)
        if r is None:  # a vector whose row was deleted since the FAISS index was loaded
            continue
        matched: Matched = "both" if len(f.sources) > 1 else ("meaning" if "meaning" in f.sources else "keyword")
        best = _best_span(r["views"], best_views.get(f.id))
        # Found by meaning alone: show the part that matched, not the chunk's best stretch of query words.
        within = (best[0] - r["start"], best[1] - r["start"]) if best is not None and matched == "meaning" else None
        snippet, offset, anchor = make_snippet(r["text"], terms, within=within)
        snippet_start = r["start"] + offset
        # The page of the snippet's best word, not of the chunk's start: that is where the reader should land.
        page = page_of(json.loads(r["page_starts"]), r["start"] + anchor) if r["page_starts"] else None
        hits.append(
            SearchHit(
                path=r["path"],
                score=round(f.score, 6),
                page=page,
                start=r["start"],
                end=r["end"],
                heading=r["heading"],
                snippet=snippet,
                matched=matched,
                doc_type=r["type"],
                snippet_start=snippet_start,
                best_start=best[0] if best else None,
                best_end=best[1] if best else None,
                title=r["title"],
                strength=strengths.get(f.id, "weak"),
                embedded=not r["waiting"],
                date=r["date"],
                pages=r["pages"],
                language=r["language"] or None,
            )
        )
    return hits


def _best_span(views: str | None, view: int | None) -> tuple[int, int] | None:
    """The [start, end) of view number ``view`` of a chunk, from the chunk's stored view spans."""
    if views is None or view is None:
        return None
    spans = json.loads(views)
    if not 0 <= view < len(spans):
        return None
    return int(spans[view][0]), int(spans[view][1])
