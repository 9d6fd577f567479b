"""The few lines of a chunk worth showing: the stretch with the most (and rarest) query words."""

from __future__ import annotations

import re
from collections import Counter

SNIPPET_CHARS = 240
_SPACES = re.compile(r"\s+")


def _stem(word: str) -> str:
    # A crude prefix stem: enough to find "indexing" for "indexed" without a stemmer.
    return word[: max(4, len(word) - 3)] if len(word) > 5 else word


def best_window(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[int, int, int]:
    """The [start, end) of the ``width``-character stretch of ``text`` that best matches ``terms``, and its anchor:
    the offset of the rarest query word in it (where a reader should look; a hit's page is the anchor's page).

    A stretch scores the sum, over the distinct terms it holds, of 1 / (how often the term occurs in ``text``):
    "7777" in "Page 7777 of the report" outweighs "page" and "report", which every line repeats.
    """
    hits: list[tuple[int, str]] = []
    if terms:
        pattern = re.compile(r"\b(" + "|".join(re.escape(_stem(t)) for t in terms) + r")", re.IGNORECASE)
        hits = [(m.start(), m.group(1).lower()) for m in pattern.finditer(text)]
    if not hits:
        return 0, min(len(text), width), 0
    frequency = Counter(t for _, t in hits)
    best_score, best_anchor = -1.0, hits[0][0]
    j = 0
    for i, (pos, _) in enumerate(hits):
        while hits[j][0] < pos - width * 3 // 4:
            j += 1
        inside = hits[j : i + 1]
        score = sum(1.0 / frequency[t] for t in {t for _, t in inside})
        if score > best_score + 1e-9:
            best_score = score
            best_anchor = min(inside, key=lambda h: (frequency[h[1]], h[0]))[0]
    if len(text) <= width:
        return 0, len(text), best_anchor
    start = max(0, best_anchor - width // 3)
    space = text.rfind(" ", 0, start)
    if start and space > start - 30:
        start = space + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    return start, end, best_anchor


def make_snippet(
    text: str, terms: list[str], width: int = SNIPPET_CHARS, within: tuple[int, int] | None = None
) -> tuple[str, int, int]:
    """A one-line snippet of ``text`` around its best part, the offset in ``text`` where it starts, and its anchor.

    With ``within`` ([a, b) in ``text``), the snippet is taken from that part only; offsets stay offsets in ``text``
    and the ellipses say whether ``text`` goes on before or after it.
    """
    a, b = within or (0, len(text))
    start, end, anchor = best_window(text[a:b], terms, width)
    start, end, anchor = start + a, end + a, anchor + a
    piece = _SPACES.sub(" ", text[start:end]).strip()
    if start > 0:
        piece = "…" + piece
    if end < len(text):
        piece += "…"
    return piece, start, anchor
