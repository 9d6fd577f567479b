"""Windows of at most 512 encoder tokens (special tokens included), overlapping, mapped back to characters and pages.

Each chunk keeps its token ids (with [CLS] and [SEP]), its [start, end) span in the document text, the pages it
covers and the heading in force at its start. It also keeps its *views*: the token ids the encoder embeds for it.
all-MiniLM-L6-v2 was trained on short texts, and one vector for 512 tokens blurs them; so a window is embedded as
sub-windows of about 128 tokens, each led by its context (the top-level heading in force there, that is the page's or
chapter's title, else the document's title), and search scores the window by its best view (docs/BENCHMARKS.md,
issue 6: the top-level title scored better than the whole heading path, and is shorter).

A reference page (a man page, git's or Perl's manual pages) says what it is in its NAME line ("git-stash - Stash the
changes in a dirty working directory away") and its top-level headings say nothing of it (NAME, DESCRIPTION,
OPTIONS), so its views are led by that line instead (issue 20); a generic top-level heading elsewhere gives way to
the document's title.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field

import numpy as np

from engine.index.vectors import VIEW_TOKENS
from engine.pages import page_of
from engine.tokenizer import Tokenizer

DEFAULT_MAX_TOKENS = 512
DEFAULT_OVERLAP = 64
CONTEXT_TOKENS = 32  # the most of a view that its context may take
_HEX_RUN = re.compile(r"[0-9a-fA-F]{8,}")
NAME_LINE_CHARS = 200  # the most of a NAME line that may lead views (CONTEXT_TOKENS cut it anyway)
# Headings that say nothing of what a page is about: a man page's sections, and their like.
GENERIC_HEADINGS = frozenset({
    "name", "synopsis", "description", "options", "examples", "example", "see also", "files", "environment",
    "exit status", "return value", "errors", "bugs", "author", "authors", "notes", "copyright", "history",
    "configuration", "discussion", "commands", "overview", "usage", "diagnostics", "caveats", "reporting bugs",
})  # fmt: skip


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


def view_title(title: str | None, path: str) -> str | None:
    """What leads a view with no heading in force: the document's title, else its file name in words when it reads
    as words ("tax-return_2023" yes; a hash, a camera's "IMG_20230101" or a mail's "00002.ca96f740..." no)."""
    if title and title.strip():
        return title.strip()
    stem = os.path.splitext(os.path.basename(path))[0]
    alnum = [ch for ch in stem if ch.isalnum()]
    if not alnum or sum(ch.isalpha() for ch in alnum) * 2 < len(alnum) or _HEX_RUN.search(stem):
        return None
    return " ".join(stem.replace("_", " ").replace("-", " ").replace(".", " ").split())


def name_line(text: str, sections: list[tuple[int, str]]) -> str | None:
    """The line that names a reference page and says what it is, from its NAME section ("ls - list directory
    contents"), or None when the document has no NAME section."""
    for i, (start, heading) in enumerate(sections):
        if heading.split(" > ")[-1].strip().lower() != "name":
            continue
        end = sections[i + 1][0] if i + 1 < len(sections) else len(text)
        lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
        if lines and lines[0].lower() == "name":
            lines = lines[1:]  # the heading's own line
        return " ".join(lines[0].split())[:NAME_LINE_CHARS] if lines else None
    return None


def view_context(heading: str | None, title: str | None, page_line: str | None = None) -> str | None:
    """What leads a view: the page's NAME line when it has one, else the top-level heading in force unless it is a
    generic one (DESCRIPTION, OPTIONS), else the document's title."""
    if page_line:
        return page_line
    top = heading.split(" > ")[0] if heading else None
    if top and top.strip().rstrip(":").lower() not in GENERIC_HEADINGS:
        return top
    return title


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
