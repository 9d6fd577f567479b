"""Sentences, blocks, and what kind of answer a question asks for."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

MAX_SENTENCE_CHARS = 400
_LINE = re.compile(r"[^\n]+")
# Curly quotes are written as escapes (\u2018 \u2019 \u201c \u201d) so that they read unambiguously.
_SENTENCE_END = re.compile('(?<=[.!?\u2026])["\'\u201d\u2019)\\]]*\\s+(?=[A-Z0-9"\u201c\u2018(\\[])')
# A line at least this long (and this share of the text's long lines) is a printed line full to its margin.
FULL_LINE_CHARS = 40
FULL_LINE_SHARE = 0.75
_ENDS_LINE = set(".!?:;\u2026")
_OPEN_END = re.compile(r"(\b[a-z]+|[,(\-])$")  # a line that stops mid-clause: "... of the", "... such as,"
_BLOCK = re.compile(r"(?:[^\n]|\n(?![ \t]*\n))+")


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence: runs of lines (a hard-wrapped paragraph is one run, see ``_runs``) split at
    sentence ends, long runs cut at spaces. A sentence may span line breaks; offsets are the text's own."""
    spans: list[tuple[int, int]] = []
    for run_start, run_end in _runs(text):
        start = run_start
        cuts = [m.end() for m in _SENTENCE_END.finditer(text, run_start, run_end)]
        for end in [*cuts, run_end]:
            spans.extend(_cut_long(text, start, end))
            start = end
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def _runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of each run of lines that goes on as one paragraph. PDFs break every printed line, so a line
    goes on into the next unless it ends a sentence or a clause (.!?:;), or it is short beside the text's full lines
    (a heading, a name, a list item: "The xr package" / "David Carlisle"), unless it stops mid-clause and the next
    begins in lower case. A blank line always ends a run."""
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    if not lines:
        return []
    lengths = sorted(b - a for a, b in lines)
    full = max(FULL_LINE_CHARS, int(FULL_LINE_SHARE * lengths[int(0.9 * (len(lengths) - 1))]))
    runs: list[tuple[int, int]] = []
    start = lines[0][0]
    for (a, b), (next_a, _next_b) in itertools.pairwise(lines):
        line = text[a:b].rstrip()
        goes_on = (
            "\n\n" not in text[b:next_a].replace(" ", "").replace("\t", "")
            and line[-1:] not in _ENDS_LINE
            and (len(line) >= full or (text[next_a : next_a + 1].islower() and _OPEN_END.search(line) is not None))
        )
        if not goes_on:
            runs.append((start, b))
            start = next_a
    runs.append((start, lines[-1][1]))
    return runs


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
_LEAD = r"^\s*((in|on|at|by|from|since|during|for|to|of|through|under|with)\s+)?"
# Where a thing is kept on a computer (a path, an address), not a place on a map.
_WHERE_ON_DISK = re.compile(
    r"\b(stored|store|kept|keep|keeps|configured|configure|located|saved|save|installed|install|lives?|put|placed|"
    r"found|defined|developed|hosted|maintained|downloaded|cached|written|logged|listed)\b",
    re.IGNORECASE,
)
_IN_THE_WORLD = re.compile(r"\bin the world\b|\bon earth\b", re.IGNORECASE)  # a place on a map after all
_QUESTION_TYPES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    # the author of a text is a person; who else acts may be an organisation too (a nationality never answers)
    (re.compile(r"^\s*(who|whom|whose)\b.*\b(wrote|written|writes|authors?|authored)\b", re.I), ("PERSON",)),
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), ("PERSON", "ORG")),
    (re.compile(_LEAD + r"(when|(what|which) (year|date|day|month|time))\b", re.I), ("DATE", "TIME")),
    # a port, the most of something: a number written in digits
    (re.compile(_LEAD + r"(what|which) (tcp |udp |network )?port\b", re.I), ("NUMBER",)),
    (re.compile(r"^\s*(what|which) is the (largest|smallest|highest|lowest|maximum|minimum|greatest) number\b", re.I),
     ("CARDINAL", "QUANTITY", "NUMBER")),
    (re.compile(_LEAD + r"(where|(what|which) (country|city|place|town|state))\b", re.I), ("GPE", "LOC", "FAC")),
    (re.compile(r"^\s*how (many|often)\b", re.I), ("CARDINAL", "QUANTITY")),
    (re.compile(r"^\s*how (much|long|far|big|large|old)\b", re.I),
     ("MONEY", "QUANTITY", "PERCENT", "CARDINAL", "DATE", "TIME")),
    (re.compile(_LEAD + r"(what|which)( \w+)? (company|organi[sz]ation|firm|group|publisher|university|institution|"
                r"foundation|society|project|team)\b", re.I), ("ORG",)),
    (re.compile(_LEAD + r"(what|which) (\w+ )?environment\b", re.I), ("ENVIRONMENT",)),
    (re.compile(_LEAD + r"(what|which) (\w+ )?(command|macro|option)\b", re.I), ("COMMAND",)),
]  # fmt: skip


_KIND = re.compile(_LEAD + r"(what|which)\s+(\w+)(\s+\w+)?", re.IGNORECASE)
_KIND_NOUNS = frozenset(
    [
        "university", "publisher", "company", "organization", "organisation", "firm", "group", "institution",
        "foundation", "society", "project", "team", "port", "year", "date", "month", "day", "time", "city",
        "country", "town", "state", "place", "command", "macro", "option", "environment", "number",
    ]
)  # fmt: skip


def asked_kind(question: str) -> tuple[str, ...]:
    """The words that say what kind of thing ``question`` asks for ("french", "publisher" in "Which French publisher
    ...?"), in small letters: they name no thing the answer must differ from."""
    m = _KIND.search(question)
    if m is None:
        return ()
    first, second = m.group(4).lower(), (m.group(5) or "").strip().lower()
    if second in _KIND_NOUNS:
        return (first, second)
    return (first,) if first in _KIND_NOUNS else ()


def expected_labels(question: str) -> tuple[str, ...]:
    """The entity labels that would answer ``question``, in order of preference; empty when the answer is a
    sentence, not a name. Besides the tagger's labels: NUMBER (digits), PATH (a file's path or a web address),
    COMMAND (a TeX macro, or a command with an option) and ENVIRONMENT (a TeX environment), which patterns find
    (engine.reader.sentence)."""
    for pattern, labels in _QUESTION_TYPES:
        if pattern.search(question):
            if labels[0] == "GPE" and _WHERE_ON_DISK.search(question) and not _IN_THE_WORLD.search(question):
                return ("PATH", *labels)
            return labels
    return ()
