"""Sentences, blocks, and what kind of answer a question asks for."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SENTENCE_CHARS = 400
_LINE = re.compile(r"[^\n]+")
# Curly quotes are written as escapes (\u2018 \u2019 \u201c \u201d) so that they read unambiguously.
_SENTENCE_END = re.compile('(?<=[.!?\u2026])["\'\u201d\u2019)\\]]*\\s+(?=[A-Z0-9"\u201c\u2018(\\[])')
_BLOCK = re.compile(r"(?:[^\n]|\n(?![ \t]*\n))+")


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence: lines split at sentence ends, long runs cut at spaces."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        cuts = [m.end() for m in _SENTENCE_END.finditer(line.group())]
        for end in [*(line.start() + c for c in cuts), line.end()]:
            spans.extend(_cut_long(text, start, end))
            start = end
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _cut_long(text: str, a: int, b: int) -> Iterable[tuple[int, int]]:
    while b - a > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", a + MAX_SENTENCE_CHARS // 2, a + MAX_SENTENCE_CHARS)
        cut = cut if cut > a else a + MAX_SENTENCE_CHARS
        yield a, cut
        a = cut
    yield a, b


def blocks(text: str, boundaries: Iterable[int] = ()) -> list[tuple[int, int]]:
    """[start, end) of each block: runs of lines between blank lines, also cut at the given offsets (headings)."""
    cuts = sorted(set(boundaries))
    spans = []
    for m in _BLOCK.finditer(text):
        start = m.start()
        for cut in cuts:
            if m.start() < cut < m.end():
                spans.append((start, cut))
                start = cut
        spans.append((start, m.end()))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


# What a question asks for, by its first words, and the entity labels that answer it.
_QUESTION_TYPES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), ("PERSON", "ORG", "NORP")),
    (re.compile(r"^\s*(when|what (year|date|day|month|time)|which (year|date|day|month))\b", re.I),
     ("DATE", "TIME")),
    (re.compile(r"^\s*(where|what (country|city|place)|which (country|city|place))\b", re.I),
     ("GPE", "LOC", "FAC")),
    (re.compile(r"^\s*how (many|often)\b", re.I), ("CARDINAL", "QUANTITY")),
    (re.compile(r"^\s*how (much|long|far|big|large|old)\b", re.I),
     ("MONEY", "QUANTITY", "PERCENT", "CARDINAL", "DATE", "TIME")),
    (re.compile(r"^\s*(what|which) (company|organi[sz]ation|firm|group)\b", re.I), ("ORG",)),
]  # fmt: skip


def expected_labels(question: str) -> tuple[str, ...]:
    """The entity labels that would answer ``question``; empty when the answer is a sentence, not a name."""
    for pattern, labels in _QUESTION_TYPES:
        if pattern.search(question):
            return labels
    return ()
