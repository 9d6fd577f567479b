"""Safe FTS5 queries from whatever the user typed.

User text never reaches FTS5 syntax: words become quoted terms ORed together (BM25 ranks documents that have more
of them higher), and text the user put in double quotes becomes a quoted phrase. Operators (AND, NOT, NEAR, ``*``,
``^``, ``:``, parentheses) are just words or dropped punctuation, so no input can make the query fail to parse.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

MAX_TERMS = 32
_WORD = re.compile(r"\w+", re.UNICODE)
_PHRASE = re.compile(r'"([^"]*)"')
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words of ``text`` without stopwords (all of them if every word is a stopword), without repeats."""
    found = words(text)
    kept = [w for w in found if w not in STOPWORDS] or found
    return list(dict.fromkeys(kept))


def quoted(term: str) -> str:
    """``term`` as an FTS5 string: whatever it holds, a term or phrase, never syntax."""
    return '"' + term.replace('"', '""') + '"'


NEAR_DISTANCE = 5  # words between two query words that still count as "together"


def near_pairs(text: str) -> list[tuple[str, str]]:
    """The pairs of neighbouring words of ``text`` (stopwords left out, lower case), each once."""
    found = [w for w in words(_PHRASE.sub(lambda m: " " + m.group(1) + " ", text)) if w not in STOPWORDS]
    return [(a, b) for a, b in dict.fromkeys(itertools.pairwise(found)) if a != b][: MAX_TERMS - 1]


def near_query(a: str, b: str, distance: int = NEAR_DISTANCE) -> str:
    """An FTS5 MATCH expression for ``a`` and ``b`` within ``distance`` words of each other."""
    return f"NEAR({quoted(a)} {quoted(b)}, {int(distance)})"


def build_near_query(text: str, distance: int = NEAR_DISTANCE) -> str | None:
    """An FTS5 MATCH expression for the pairs of neighbouring words of ``text`` (stopwords left out) found within
    ``distance`` words of each other, or None when ``text`` has fewer than two such words. "How do I copy a file?"
    gives NEAR("copy" "file", 5)."""
    near = [near_query(a, b, distance) for a, b in near_pairs(text)]
    return " OR ".join(near) if near else None


def query_parts(text: str, leave_out: frozenset[str] = frozenset()) -> list[str]:
    """What the keyword side looks for in ``text``, each an FTS5 expression: the phrases the user put in double
    quotes (``"brown fox"``), then the words (``"jumps"``); single words in ``leave_out`` (lower case) are not
    looked for, the words of a phrase always are."""
    parts: list[str] = []
    for phrase in _PHRASE.findall(text):
        phrase_words = words(phrase)
        if len(phrase_words) > 1:
            parts.append(quoted(" ".join(phrase_words)))
    rest = _PHRASE.sub(" ", text)
    phrase_words_seen = {w for p in _PHRASE.findall(text) for w in words(p)}
    for word in content_words(rest + " " + " ".join(phrase_words_seen)):
        if word not in leave_out or word in phrase_words_seen:
            parts.append(quoted(word))
    return list(dict.fromkeys(parts))[:MAX_TERMS]


def part_word(part: str) -> str | None:
    """The word that a part of ``query_parts`` looks for, or None for a phrase."""
    return part[1:-1] if " " not in part else None


def any_of(parts: Sequence[str]) -> str:
    """An FTS5 expression for what holds any of ``parts``."""
    return " OR ".join(parts)


def build_fts_query(text: str, leave_out: frozenset[str] = frozenset()) -> str | None:
    """An FTS5 MATCH expression for ``text``, or None when it has no word to look for; single words in
    ``leave_out`` (lower case) are not looked for, the words of a phrase always are."""
    parts = query_parts(text, leave_out)
    return any_of(parts) if parts else None
