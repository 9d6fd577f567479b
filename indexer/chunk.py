"""Windows of at most 512 encoder tokens (special tokens included), overlapping, mapped back to characters and pages.

Each chunk keeps its token ids (with [CLS] and [SEP]), its [start, end) span in the document text, the pages it
covers and the heading in force at its start. It also keeps its *views*: the token ids the encoder embeds for it.
all-MiniLM-L6-v2 was trained on short texts, and one vector for 512 tokens blurs them; so a window is embedded as
sub-windows of about 128 tokens, each led by its context (the top-level heading in force there, that is the page's or
chapter's title, else the document's title), and search scores the window by its best view (docs/BENCHMARKS.md,
issue 6: the top-level title scored better than the whole heading path, and is shorter).

A reference page's views are led by its NAME line instead, and a generic top-level heading gives way to the
document's title (engine.views, which explain shares).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from engine.index.vectors import VIEW_TOKENS
from engine.pages import page_of
from engine.tokenizer import Tokenizer
from engine.views import name_line, view_context

DEFAULT_MAX_TOKENS = 512
DEFAULT_OVERLAP = 64
CONTEXT_TOKENS = 32  # the most of a view that its context may take


@dataclass(frozen=True)
class Chunk:
    ord: int
    start: int
    end: int
    token_ids: list[int]
    page_start: int | None
    page_end: int | None
    heading: str | None
    views: list[list[int]] = field(default_factory=list)  # never empty from chunk_text: the window itself at least
    view_spans: list[tuple[int, int]] = field(default_factory=list)  # each view's own text: [start, end) in the text


def heading_at(sections: list[tuple[int, str]], start: int, end: int, starts: list[int] | None = None) -> str | None:
    """The heading in force at ``start``; if none is yet, the first one that begins before ``end``.

    ``starts`` (the sections' offsets) may be given by a caller that asks many times about one document.
    """
    if not sections:
        return None
    starts = starts if starts is not None else [s for s, _ in sections]
    i = bisect.bisect_right(starts, start) - 1
    if i >= 0:
        return sections[i][1]
    return sections[0][1] if sections[0][0] < end else None


def token_windows(
    n_tokens: int, size: int, overlap: int, word_start: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """[a, b) token ranges of at most ``size`` tokens covering 0..n_tokens, each sharing about ``overlap`` with the
    one before.

    With ``word_start`` (True where a token begins a word rather than continuing one, like "##ing"), windows begin
    and end on word boundaries when a boundary is near, so that a window's text tokenizes back to its own ids.
    """
    if n_tokens <= 0:
        return []

    def is_start(i: int) -> bool:
        return word_start is None or i >= n_tokens or bool(word_start[i])

    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = window_end(start, n_tokens, size, word_start)
        windows.append((start, end))
        if end >= n_tokens:
            return windows
        nxt = max(start + 1, end - overlap)
        while nxt < end and not is_start(nxt):
            nxt += 1
        start = nxt


def window_end(start: int, n_tokens: int, size: int, word_start: np.ndarray | None = None) -> int:
    """Where a window of at most ``size`` tokens from ``start`` ends: on a word boundary when one is in its second
    half (see ``token_windows``)."""
    end = min(start + size, n_tokens)
    if end < n_tokens and word_start is not None:
        back = end
        while back > start + size // 2 and not word_start[back]:
            back -= 1
        end = back if word_start[back] else end
    return end


def chunk_text(
    text: str,
    tokenizer: Tokenizer,
    page_starts: list[int] | None = None,
    sections: list[tuple[int, str]] | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap: int = DEFAULT_OVERLAP,
    title: str | None = None,
    view_tokens: int | None = VIEW_TOKENS,
) -> list[Chunk]:
    """Cut ``text`` into overlapping windows of at most ``max_tokens`` tokens, [CLS] and [SEP] included.

    Each window gets its views (see the module's doc): sub-windows of ``view_tokens`` led by their context, the
    top-level heading in force at the view's start or else ``title``. ``view_tokens=None`` makes the window its only
    view.
    """
    if max_tokens < 3:
        raise ValueError("max_tokens must leave room for [CLS], [SEP] and one token")
    ids, offsets = tokenizer.encode(text)
    word_start = tokenizer.word_start[ids]
    body = max_tokens - 2
    chunks = []
    contexts: dict[str, list[int]] = {}
    starts = [s for s, _ in sections or []]
    windows = token_windows(len(ids), body, min(overlap, body - 1), word_start)
    page_line = name_line(text, sections or [])
    for number, (a, b) in enumerate(windows):
        start, end = int(offsets[a, 0]), int(offsets[b - 1, 1])
        window = np.concatenate(([tokenizer.cls_id], ids[a:b], [tokenizer.sep_id])).astype(int).tolist()
        views = [window]
        spans = [(start, end)]
        if view_tokens is not None:
            views, spans = [], []
            for va, vb, context in _view_ranges(a, b, offsets, word_start, sections or [], starts, title,
                                                view_tokens, tokenizer, contexts, page_line):  # fmt: skip
                views.append([tokenizer.cls_id, *context, *ids[va:vb].tolist(), tokenizer.sep_id])
                spans.append((int(offsets[va, 0]), int(offsets[vb - 1, 1])))
        chunks.append(
            Chunk(
                ord=number,
                start=start,
                end=end,
                token_ids=window,
                page_start=page_of(page_starts, start) if page_starts else None,
                page_end=page_of(page_starts, max(start, end - 1)) if page_starts else None,
                heading=heading_at(sections or [], start, end, starts),
                views=views,
                view_spans=spans,
            )
        )
    return chunks


def _view_ranges(
    a: int,
    b: int,
    offsets: np.ndarray,
    word_start: np.ndarray,
    sections: list[tuple[int, str]],
    starts: list[int],
    title: str | None,
    size: int,
    tokenizer: Tokenizer,
    contexts: dict[str, list[int]],
    page_line: str | None = None,
) -> list[tuple[int, int, list[int]]]:
    """[va, vb) token ranges tiling [a, b) on word boundaries, each with its context's token ids ([SEP]-ended)."""

    def context_ids(text: str | None) -> list[int]:
        if not text:
            return []
        if text not in contexts:
            found = tokenizer.encode(text)[0][:CONTEXT_TOKENS].tolist()
            contexts[text] = [*found, tokenizer.sep_id] if found else []
        return contexts[text]

    out: list[tuple[int, int, list[int]]] = []
    va = a
    while va < b:
        heading = heading_at(sections, int(offsets[va, 0]), int(offsets[va, 0]) + 1, starts)
        context = context_ids(view_context(heading, title, page_line))
        room = size - 2 - len(context)
        vb = va + window_end(0, b - va, room, word_start[va:b])
        if out and vb >= b and vb - va < room // 4:
            pa, _pb, pc = out[-1]
            if b - pa <= size - 2 - len(pc):  # a short tail joins the view before it when the two fit together
                out[-1] = (pa, b, pc)
                break
        out.append((va, vb, context))
        va = vb
    return out
