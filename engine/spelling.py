"""Misspelt query words put right from what the index holds, as a person expects of a search box.

A word of the query that no window holds and no English word list has ("fiel", "documnet") is replaced by the English
word one edit away that the most windows hold ("file", "document"): without it the keyword side finds nothing for
that word, and the relevance floors (engine.search) would take a misspelt question for a nonsense one. A real word
the documents lack ("pizza") is left as typed, and so are words in double quotes: they are the user's own.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from engine.fts import content_words
from engine.words import english_words

if TYPE_CHECKING:
    from engine.index import Index

MIN_LENGTH = 4  # shorter words are one edit away from too many others to guess which was meant
MIN_WINDOWS = 3  # a correction must be held by at least this many windows
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_QUOTED = re.compile(r'"[^"]*"')
# The kinds of edit, from the likeliest slip to the least likely: two letters swapped, a letter left out, a wrong
# letter, a letter too many. A candidate scores the log of how many windows hold it, plus its kind's prior: a swap
# beats a letter too many unless the latter's word is held by e**3 = 20 times more windows.
_PRIORS = (3.0, 2.0, 1.0, 0.0)


def _edits(word: str) -> list[tuple[int, str]]:
    """Every string one edit from ``word``, with the rank of its kind of edit (see _PRIORS)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found: dict[str, int] = {}
    for rank, made in enumerate(
        (
            [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1],
            [a + c + b for a, b in splits for c in _LETTERS],
            [a + c + b[1:] for a, b in splits if b for c in _LETTERS],
            [a + b[1:] for a, b in splits if b],
        )
    ):
        for candidate in made:
            found.setdefault(candidate, rank)
    found.pop(word, None)
    return [(rank, candidate) for candidate, rank in found.items()]


def corrections(index: Index, query: str) -> dict[str, str]:
    """{misspelt word: its correction} for the words of ``query`` outside double quotes that no window holds, no
    English word list has, and one edit turns into an English word at least MIN_WINDOWS windows hold; {} when
    nothing needs putting right."""
    store = index.store
    fixes: dict[str, str] = {}
    for word in content_words(_QUOTED.sub(" ", query)):
        if len(word) < MIN_LENGTH or not (word.isascii() and word.isalpha()):
            continue
        if store.holds(word) or word in english_words():
            continue
        candidates = [(rank, c) for rank, c in _edits(word) if c in english_words()]
        stem_of = {c: s[0] for _rank, c in candidates if len(s := store.stems(c)) == 1}
        counts = index.term_counts(sorted(set(stem_of.values()))) if stem_of else {}
        # Words of one stem are one term to the index ("several", "severely"): the stem scores its likeliest edit
        # and the number of windows that hold it; it stands for its word likeliest by edit and English frequency.
        groups: dict[str, list[tuple[int, str]]] = {}
        for rank, c in candidates:
            if (stem := stem_of.get(c)) is not None and counts[stem] >= MIN_WINDOWS:
                groups.setdefault(stem, []).append((rank, c))
        if groups:
            stem = max(groups, key=lambda t: (max(_PRIORS[r] for r, _c in groups[t]) + math.log(counts[t]), t))
            words = english_words()
            fixes[word] = max(groups[stem], key=lambda rc: (_PRIORS[rc[0]] + math.log10(words[rc[1]]), rc[1]))[1]
    return fixes


def corrected(query: str, fixes: dict[str, str]) -> str:
    """``query`` with each misspelt word of ``fixes`` replaced (outside double quotes, whole words, any case)."""
    if not fixes:
        return query
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in fixes) + r")\b", re.IGNORECASE)
    parts = re.split(r'("[^"]*")', query)
    return "".join(
        part if part.startswith('"') else pattern.sub(lambda m: fixes[m.group(0).lower()], part) for part in parts
    )


def spelled(index: Index, query: str) -> tuple[str, dict[str, str]]:
    """What search searches for ``query`` (cleaned already): its misspelt words put right, and {misspelt word: the
    word searched for instead}."""
    fixes = corrections(index, query)
    return corrected(query, fixes), fixes
