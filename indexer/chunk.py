"""Windows of at most 512 encoder tokens (special tokens included), overlapping, mapped back to characters and pages.

Each chunk keeps the token ids the encoder will embed (with [CLS] and [SEP]), its [start, end) span in the document
text, the pages it covers and the heading in force at its start.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from engine.pages import page_of
from engine.tokenizer import Tokenizer

DEFAULT_MAX_TOKENS = 512
DEFAULT_OVERLAP = 64


@dataclass(frozen=True)
class Chunk:
    ord: int
    start: int
    end: int
    token_ids: list[int]
    page_start: int | None
    page_end: int | None
    heading: str | None


def heading_at(sections: list[tuple[int, str]], start: int, end: int) -> str | None:
    """The heading in force at ``start``; if none is yet, the first one that begins before ``end``."""
    if not sections:
        return None
    starts = [s for s, _ in sections]
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
        end = min(start + size, n_tokens)
        if end < n_tokens:
            back = end
            while back > start + size // 2 and not is_start(back):
                back -= 1
            end = back if is_start(back) else end
        windows.append((start, end))
        if end >= n_tokens:
            return windows
        nxt = max(start + 1, end - overlap)
        while nxt < end and not is_start(nxt):
            nxt += 1
        start = nxt


def chunk_text(
    text: str,
    tokenizer: Tokenizer,
    page_starts: list[int] | None = None,
    sections: list[tuple[int, str]] | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap: int = DEFAULT_OVERLAP,
) -> list[Chunk]:
    """Cut ``text`` into overlapping windows of at most ``max_tokens`` tokens, [CLS] and [SEP] included."""
    if max_tokens < 3:
        raise ValueError("max_tokens must leave room for [CLS], [SEP] and one token")
    ids, offsets = tokenizer.encode(text)
    body = max_tokens - 2
    chunks = []
    windows = token_windows(len(ids), body, min(overlap, body - 1), tokenizer.word_start[ids])
    for number, (a, b) in enumerate(windows):
        start, end = int(offsets[a, 0]), int(offsets[b - 1, 1])
        window = np.concatenate(([tokenizer.cls_id], ids[a:b], [tokenizer.sep_id])).astype(int).tolist()
        chunks.append(
            Chunk(
                ord=number,
                start=start,
                end=end,
                token_ids=window,
                page_start=page_of(page_starts, start) if page_starts else None,
                page_end=page_of(page_starts, max(start, end - 1)) if page_starts else None,
                heading=heading_at(sections or [], start, end),
            )
        )
    return chunks
