"""The few lines of a chunk worth showing: the stretch with the most query words."""

from __future__ import annotations

import re

SNIPPET_CHARS = 240
_SPACES = re.compile(r"\s+")


def _stem(word: str) -> str:
    # A crude prefix stem: enough to find "indexing" for "indexed" without a stemmer.
    return word[: max(4, len(word) - 3)] if len(word) > 5 else word


def best_window(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[int, int]:
    """The [start, end) of the ``width``-character stretch of ``text`` that holds the most distinct ``terms``."""
    if len(text) <= width:
        return 0, len(text)
    hits: list[tuple[int, str]] = []
    if terms:
        pattern = re.compile(r"\b(" + "|".join(re.escape(_stem(t)) for t in terms) + r")", re.IGNORECASE)
        hits = [(m.start(), m.group(1).lower()) for m in pattern.finditer(text)]
    if not hits:
        start = 0
    else:
        best = (-1, -1, 0)
        j = 0
        for i, (pos, _) in enumerate(hits):
            while hits[j][0] < pos - width * 3 // 4:
                j += 1
            inside = hits[j : i + 1]
            score = (len({t for _, t in inside}), len(inside))
            if score > best[:2]:
                best = (score[0], score[1], hits[j][0])
        start = max(0, best[2] - width // 6)
        space = text.rfind(" ", 0, start)
        if start and space > start - 30:
            start = space + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    return start, end


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, int]:
    """A one-line snippet of ``text`` around its best part, and the offset in ``text`` where it starts."""
    start, end = best_window(text, terms, width)
    piece = _SPACES.sub(" ", text[start:end]).strip()
    if start > 0:
        piece = "…" + piece
    if end < len(text):
        piece += "…"
    return piece, start
