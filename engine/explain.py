"""Why a hit is a hit: the query words the keyword side matched in its window, the view the meaning side matched
best, and the words of that view that pull it towards the query.

The pull of each word is exact, not estimated: the encoder's sentence vector is the mean of its contextual token
vectors (mean pooling), so the cosine of the query to a view is the sum over the view's tokens of
q . t_i / (n |mean|), and each word's share is the sum over its word pieces. One forward pass of the view gives it,
on demand for the hit shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import QueryError
from engine.fts import STOPWORDS
from engine.search import QueryTerms, clean_query
from engine.spelling import spelled
from engine.types import Explanation, SearchHit
from engine.views import name_line, view_context, view_title

if TYPE_CHECKING:
    from engine.index import Index
    from engine.tokenizer import Tokenizer

PULLS = 6  # the words shown that pull most
CONTEXT_TOKENS = 32  # the most of a view its context takes (indexer.chunk.CONTEXT_TOKENS, which engine cannot import)
MAX_TOKENS = 512


def explain(index: Index, query: str, hit: SearchHit) -> Explanation:
    """Why ``hit`` answers ``query`` (searched as search searches it: misspelt words put right).

    Raises:
        QueryError: the query is empty or not text.
        QueryError: the hit's window is no longer in the index (its file changed since the search).
    """
    query = spelled(index, clean_query(query))[0]
    store = index.store
    chunk = store.chunk_at(hit.path, hit.start)
    if chunk is None:
        raise QueryError(f"{hit.path}: this hit's window is no longer indexed (the file changed): search again")
    chunk_id, text, views = chunk
    # The keyword side: which of the query's words the window holds, by their weight.
    terms = QueryTerms.of(index, query)
    weights = terms.weights
    words = {word: stems[0] for word, stems in terms.word_terms.items() if stems}
    holds = {term for term in weights if terms.holding(term, [chunk_id])}
    total = sum(weights.values()) or 1.0
    matched = tuple((w, round(weights[t] / total, 3)) for w, t in words.items() if t in holds)
    missing = tuple(w for w, t in words.items() if t in weights and t not in holds)
    # The meaning side: the view closest to the query, and the words of it that pull most.
    encoder = index.encoder
    q = encoder.embed_texts([query])[0]
    vectors = store.vectors_of([chunk_id], index.dim).get(chunk_id)
    if vectors is None or not len(vectors):
        return Explanation(query, matched, missing, None, None, None, None, ())
    spans = [(int(a), int(b)) for a, b in json.loads(views)] if views else [(hit.start, hit.end)]
    cosines = vectors @ q
    best = int(np.argmax(cosines))
    a, b = spans[best] if best < len(spans) else (hit.start, hit.end)
    view = text[a - hit.start : b - hit.start]
    token_vectors = getattr(encoder, "token_vectors", None)
    pulls = _pulls(encoder.tokenizer, token_vectors, q, view, _context(index, hit)) if token_vectors else ()
    return Explanation(query, matched, missing, float(cosines[best]), a, b, view, pulls)


def _context(index: Index, hit: SearchHit) -> str | None:
    """What leads the hit's views as the indexer made them (engine.views): its page's NAME line, else the top-level
    heading in force unless a generic one, else the title (or the file's name in words)."""
    page = index.store.document_sections(hit.path)
    page_line = name_line(*page) if page is not None else None
    return view_context(hit.heading, view_title(hit.title, hit.path), page_line)


def _pulls(
    tokenizer: Tokenizer, token_vectors: Callable[[list[int]], np.ndarray], q: np.ndarray, view: str,
    context: str | None,
) -> tuple[tuple[str, float], ...]:  # fmt: skip
    """The words of ``view`` whose tokens add most to the cosine of ``q`` to the view as the indexer embedded it
    ([CLS], its context, [SEP], the view, [SEP]), largest first: a token adds q . t_i / (n |mean|)."""
    ids, offsets = tokenizer.encode(view)
    lead = tokenizer.encode(context)[0][:CONTEXT_TOKENS].tolist() if context else []
    lead = [*lead, tokenizer.sep_id] if lead else []
    window = [*[tokenizer.cls_id, *lead, *ids.tolist()][: MAX_TOKENS - 1], tokenizer.sep_id]
    vectors = token_vectors(window)
    mean = vectors.mean(axis=0)
    shares = (vectors @ q) / (len(vectors) * (float(np.linalg.norm(mean)) or 1.0))
    own = shares[1 + len(lead) : len(window) - 1]  # the view's own tokens
    ends: dict[int, int] = {}  # each word's first character -> its end, and its share
    word_shares: dict[int, float] = {}
    first = -1
    for (start, end), share, starts_word in zip(
        offsets[: len(own)].tolist(), own.tolist(), tokenizer.word_start[ids[: len(own)]].tolist(), strict=True
    ):
        if starts_word or first < 0:
            first = start
        ends[first] = end
        word_shares[first] = word_shares.get(first, 0.0) + share
    merged: dict[str, float] = {}
    for start, end in ends.items():
        word = view[start:end]
        # Stopwords pull too (a mean counts every token) but say nothing of why: the words shown are content.
        if any(ch.isalpha() for ch in word) and word.lower() not in STOPWORDS:
            merged[word] = merged.get(word, 0.0) + word_shares[start]
    top = sorted(merged.items(), key=lambda item: -item[1])[:PULLS]
    return tuple((word, round(share, 4)) for word, share in top if share > 0)
