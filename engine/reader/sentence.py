"""The default reader: the sentence that answers, found by the encoder in the context of its neighbours and block.

Each sentence is scored by its cosine with the question, plus that of the three-sentence window it opens, of the
two-sentence window it opens, and, weighted most, of the block (paragraph group or heading section) it sits in;
the first sentence of a block gets a small bonus, since answers tend to start there. Window vectors are the
normalised sums of their sentences' vectors, so only sentences and blocks are embedded. The weights were tuned on
bench/sets/faq-qa-dev.json only (bench/reader.py prints the figures).

When the question asks for a name, a date, a place or a number (``expected_labels``), the answer narrows to the
entity of that kind in the chosen sentence that the question does not already mention.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from engine.encoder import Encoder
from engine.fts import content_words
from engine.reader import Candidate, Passage
from engine.reader.text import asked_kind, blocks, expected_labels, sentences
from engine.tagger import NAME_LABELS, EntitySpan, Tagger, english, is_duration
from engine.words import english_words, first_names, is_place

W_SENTENCE, W_WINDOW3, W_WINDOW2, W_BLOCK, W_FIRST = 1.0, 1.0, 0.5, 2.0, 0.1
W_RANK = 0.05  # per search rank of the passage: later passages must be clearly better to win
# Below this cosine between the question and the best sentence (or its window), nothing answers the question.
NO_ANSWER = 0.30
# A block's first tokens say what it is about; embedding the rest costs time and moves the figures little.
BLOCK_TOKENS = 128
# Titles and headings restate the question without answering it: "Restricting Access" for "How do I restrict
# access?". A short line without a final stop pays this much.
W_TITLE = 0.5
TITLE_WORDS = 6
# Where the name or date a who/when question asks for is looked for: the best few sentences, and the few after
# the best one.
ENTITY_TOP = 5
ENTITY_MARGIN = 0.15
ENTITY_REACH = 2
ENTITY_FAR = 0.75  # when none is within ENTITY_MARGIN, the sentences within this of the best are looked at too
PATTERN_TOP = 12  # and for what a pattern finds (a port's number, a path, a macro), the best this many
# A heading or a sentence that asks the question itself (cosine at least this) leads to its answer, the sentence
# after it, which then outranks the passage's best by W_ASKED.
ASKED_HEADING = 0.85
W_ASKED = 0.5
# A sentence that goes on from the answer ("It just needs ...") is part of it when this close to the question.
SEQUEL_MARGIN = 0.15
# A document's byline: its first lines, before the abstract.
BYLINE_CHARS = 400


@dataclass
class _Analysis:
    sentences: list[tuple[int, int]]
    sentence_vecs: np.ndarray
    window3: np.ndarray
    window2: np.ndarray
    block_vecs: np.ndarray
    block_of: np.ndarray
    first_in_block: np.ndarray
    title_like: np.ndarray
    asks: np.ndarray  # the sentence is a question


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def _window_sums(vecs: np.ndarray, size: int) -> np.ndarray:
    csum = np.vstack([np.zeros((1, vecs.shape[1]), dtype=vecs.dtype), np.cumsum(vecs, axis=0)])
    n = len(vecs)
    ends = np.minimum(np.arange(n) + size, n)
    return _normalise_rows(csum[ends] - csum[np.arange(n)])


class SentenceReader:
    """Finds answer sentences (and entities inside them) with a sentence encoder."""

    name = "sentence"

    def __init__(self, encoder: Encoder, tagger: Tagger | None = None, cache_size: int = 32) -> None:
        self.encoder = encoder
        self.tagger = tagger
        self._cache: OrderedDict[str, _Analysis] = OrderedDict()
        self._cache_size = cache_size

    def _analyse(self, text: str, boundaries: tuple[int, ...]) -> _Analysis | None:
        key = hashlib.blake2b(f"{boundaries}\0{text}".encode(errors="surrogatepass"), digest_size=16).hexdigest()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        sents = sentences(text)
        if not sents:
            return None
        blks = blocks(text, boundaries) or [(0, len(text))]
        starts = np.array([a for a, _ in blks])
        block_of = np.clip(np.searchsorted(starts, [a for a, _ in sents], side="right") - 1, 0, len(blks) - 1)
        sv = self.encoder.embed_texts([text[a:b] for a, b in sents])
        bv = self.encoder.embed_texts([text[a:b] for a, b in blks], max_tokens=BLOCK_TOKENS)
        first = np.ones(len(sents), dtype=np.float32)
        first[1:] = block_of[1:] != block_of[:-1]
        title = np.array(
            [len(text[a:b].split()) <= TITLE_WORDS and text[b - 1] not in ".!?:;," for a, b in sents], dtype=np.float32
        )
        asks = np.array([text[a:b].rstrip().endswith("?") for a, b in sents], dtype=bool)
        analysis = _Analysis(sents, sv, _window_sums(sv, 3), _window_sums(sv, 2), bv, block_of, first, title, asks)
        self._cache[key] = analysis
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return analysis

    def _scores(self, q: np.ndarray, a: _Analysis) -> tuple[np.ndarray, np.ndarray]:
        sentence = a.sentence_vecs @ q
        window3 = a.window3 @ q
        combined = (
            W_SENTENCE * sentence
            + W_WINDOW3 * window3
            + W_WINDOW2 * (a.window2 @ q)
            + W_BLOCK * (a.block_vecs @ q)[a.block_of]
            + W_FIRST * a.first_in_block
            - W_TITLE * a.title_like
        )
        return combined, np.maximum(sentence, window3)

    def read(self, question: str, passages: list[Passage], limit: int = 3) -> list[Candidate]:
        if not passages:
            return []
        q = self.encoder.embed_texts([question])[0]
        labels = expected_labels(question)
        # The kind of thing asked for is no name the question gives: "university" in "At which university ...?"
        asked = set(content_words(question)) - set(asked_kind(question))
        found: list[Candidate] = []
        named_found: list[Candidate] = []
        bylines: list[Candidate] = []
        for passage in passages:
            analysis = self._analyse_cached(passage)
            if analysis is None:
                continue
            combined, raw = self._scores(q, analysis)
            ranked = combined - W_RANK * passage.rank
            order = [int(i) for i in np.argsort(-ranked)]
            if passage.named and (byline := self._byline(passage, labels, asked, q)) is not None:
                # The document the question names says who wrote it at its top: that comes before anything else.
                a, b = byline
                bylines.append(Candidate(passage.doc, a, b, float(ranked[order[0]]), a, b))
                continue
            if raw[order[0]] < NO_ANSWER:
                continue  # the best this passage has is not about the question
            asking = self._asked_heading(analysis, q)
            if asking is not None and not labels:
                # The text asks the question itself, as a heading (a FAQ, a manual's "How do I ...?"): its answer is
                # what follows, ranked as the best sentence here.
                a, b = analysis.sentences[asking]
                start, end = passage.offset + a, passage.offset + b
                found.append(Candidate(passage.doc, start, end, float(ranked[order[0]]) + W_ASKED, start, end))
            if labels:
                named = self._entity_answers(passage, analysis, order, ranked, labels, asked, q)
                if named:
                    named_found += named[:limit]
                    continue
            for i in order[:limit]:
                a, b = self._with_sequel(passage.text, analysis, i, q)
                start, end = passage.offset + a, passage.offset + b
                found.append(Candidate(passage.doc, start, end, float(ranked[i]), start, end))
        # A name or a date the question asks for comes before any sentence that merely talks about it.
        named_found.sort(key=lambda c: -c.score)
        found.sort(key=lambda c: -c.score)
        bylines.sort(key=lambda c: -c.score)
        return (bylines + named_found + found)[:limit]

    def _entity_answers(
        self,
        passage: Passage,
        analysis: _Analysis,
        order: list[int],
        ranked: np.ndarray,
        labels: tuple[str, ...],
        asked: set[str],
        q: np.ndarray,
    ) -> list[Candidate]:
        """Entities of a wanted kind, looked for in the best sentence, then in the ENTITY_REACH sentences after it,
        then in the other sentences scored within ENTITY_MARGIN of it; in that order, each scored as the best.

        A heading often asks and the next line answers ("The xr package" / "David Carlisle"), so the name a who
        question wants may sit just after the sentence that matches the question best.
        """
        best = order[0]
        reach = [i for i in range(best + 1, best + 1 + ENTITY_REACH) if i < len(analysis.sentences)]
        close = [i for i in order[1:ENTITY_TOP] if ranked[i] >= ranked[best] - ENTITY_MARGIN]
        if set(labels) <= set(_PATTERNS):  # a number after "port", a path: rare enough to look further for
            close = order[1:ENTITY_TOP]
        # The name must stand in the sentence itself: of those close, the sentence nearest the question comes
        # first, not the one whose neighbours are ("dpkg -L lists a package's files", then "To find the package a
        # file belongs to, use dpkg -S")
        own = analysis.sentence_vecs @ q
        close.sort(key=lambda i: -float(own[i]))
        answers: list[Candidate] = []
        # A title that leads to its answer on the next line is not penalised as a title.
        lead = float(ranked[best] + W_TITLE * analysis.title_like[best])
        for i in dict.fromkeys([best, *reach, *close]):
            a, b = analysis.sentences[i]
            start, end = passage.offset + a, passage.offset + b
            entity = self._entity(passage, start, end, labels, asked)
            if entity is not None:
                # Later finds rank just below earlier ones: the order of looking is the order of belief.
                score = lead - 1e-3 * len(answers)
                answers.append(Candidate(passage.doc, entity.start, entity.end, score, start, end))
        if not answers:  # none close to the best: the next best sentences not far behind, believed less, and
            # only the kind most asked for (a place for "where", not a facility)
            far = [i for i in order[1:ENTITY_TOP] if ranked[i] >= ranked[best] - ENTITY_FAR]
            if set(labels) <= set(_PATTERNS):  # a port's number, a path, a macro: found by pattern, rarely wrong
                far = order[1:PATTERN_TOP]
            for i in far:
                a, b = analysis.sentences[i]
                start, end = passage.offset + a, passage.offset + b
                entity = self._entity(passage, start, end, labels[:1], asked)
                if entity is not None:
                    answers.append(Candidate(passage.doc, entity.start, entity.end, float(ranked[i]), start, end))
        return answers

    @staticmethod
    def _with_sequel(text: str, analysis: _Analysis, i: int, q: np.ndarray) -> tuple[int, int]:
        """Sentence ``i``, and the next when it goes on from it ("Apache includes the SSL module." / "It just needs
        to be enabled with a2enmod ssl"): in the same block, starting with a word that points back, and about the
        question nearly as much (within SEQUEL_MARGIN: not "They are rich in potassium" for "What colour are
        bananas?")."""
        a, b = analysis.sentences[i]
        j = i + 1
        if (
            j < len(analysis.sentences)
            and float(analysis.sentence_vecs[j] @ q) >= float(analysis.sentence_vecs[i] @ q) - SEQUEL_MARGIN
            and analysis.block_of[j] == analysis.block_of[i]
            and not analysis.title_like[i]
            and not analysis.title_like[j]
            and _SEQUEL.match(text, analysis.sentences[j][0])
        ):
            return a, analysis.sentences[j][1]
        return a, b

    def _asked_heading(self, analysis: _Analysis, q: np.ndarray) -> int | None:
        """The sentence after a heading that asks what the question asks (cosine at least ASKED_HEADING), when it
        is no heading itself: there the text answers it."""
        cosines = analysis.sentence_vecs @ q
        best = int(np.argmax(cosines))
        if cosines[best] < ASKED_HEADING or (not analysis.title_like[best] and not analysis.asks[best]):
            return None
        following = [i for i in range(best + 1, min(best + 4, len(cosines))) if not analysis.title_like[i]]
        return following[0] if following else None

    def _entities(self, passage: Passage, start: int, end: int, english_names: bool = False) -> list[EntitySpan]:
        """The entities of [start, end) (document offsets) of ``passage``: those stored, else the tagger's now; with
        ``english_names``, the tagger's names only when the passage is English (in another language the English
        model's names are its nouns)."""
        found = [e for e in passage.entities if start <= e.start and e.end <= end]
        if found or self.tagger is None:
            return found
        a = start - passage.offset
        found = [
            EntitySpan(e.start + start, e.end + start, e.label, e.text, e.norm)
            for e in self.tagger.tag([passage.text[a : end - passage.offset]])[0]
        ]
        if english_names and not english(passage.text):
            found = [e for e in found if e.label not in NAME_LABELS]
        return found

    def _byline(
        self, passage: Passage, labels: tuple[str, ...], asked: set[str], q: np.ndarray
    ) -> tuple[int, int] | None:
        """The author (or, asked for an organisation, the institution) on the first lines of a document's opening,
        before its abstract: the tagger's names, and lines that are only a person's name ("Hideo Umeki"). Of
        several, the one whose line and the next are closest to the question ("Johannes L. Braams / Original
        author" for "Who was the original author?")."""
        head = passage.text[:BYLINE_CHARS]
        if (cut := _ABSTRACT.search(head)) is not None:
            head = head[: cut.start()]
        tagged: list[EntitySpan] | None = None  # tagged when a name is asked for, once
        for wanted in labels:
            if wanted == "PATH":  # "Where is it developed?": the address under its title
                if (address := _PATTERNS["PATH"].search(head)) is not None:
                    return passage.offset + address.start(), passage.offset + address.start() + len(
                        address.group(0).rstrip(".,;:")
                    )
                continue
            if wanted not in ("PERSON", "ORG"):
                continue
            if tagged is None:
                tagged = self._entities(passage, passage.offset, passage.offset + len(head))
            spans = {
                (w.start, w.end)
                for e in tagged
                if e.label == wanted and _answers(e, asked) and " " in e.text.strip()
                for w in [_whole(e, passage)]
            }
            if wanted == "PERSON":
                for line in _BYLINE.finditer(head):
                    words = line.group(1).split()
                    if not {w.lower() for w in words} & asked and _a_name(words):
                        spans.add((passage.offset + line.start(1), passage.offset + line.end(1)))
            # A tagger's span and a name line may overlap ("Javier Bezos Current", "Javier Bezos"): the shorter.
            spans = {s for s in spans if not any(o != s and s[0] <= o[0] and o[1] <= s[1] for o in spans)}
            if spans:
                return max(sorted(spans), key=lambda s: float(self._line_vector(passage, s) @ q))
        return None

    def _line_vector(self, passage: Passage, span: tuple[int, int]) -> np.ndarray:
        """The vector of the line that holds ``span`` and the line after it (a name and its role)."""
        text, a = passage.text, span[0] - passage.offset
        start = text.rfind("\n", 0, a) + 1
        end = text.find("\n", span[1] - passage.offset)
        end = text.find("\n", end + 1) if end >= 0 else -1
        return self.encoder.embed_texts([text[start : end if end >= 0 else len(text)]])[0]

    def _analyse_cached(self, passage: Passage) -> _Analysis | None:
        local = tuple(s - passage.offset for s in passage.sections if 0 < s - passage.offset < len(passage.text))
        return self._analyse(passage.text, local)

    def _entity(
        self, passage: Passage, start: int, end: int, labels: tuple[str, ...], asked: set[str]
    ) -> EntitySpan | None:
        """The first entity of a wanted kind in [start, end) that the question does not already name."""
        a = start - passage.offset
        found = self._entities(passage, start, end, english_names=True) if set(labels) - set(_PATTERNS) else []
        sentence = passage.text[a : end - passage.offset]
        for label in set(labels) & set(_PATTERNS):
            for m in _PATTERNS[label].finditer(sentence):
                text = m.group(0).rstrip(".,;:")  # a sentence's stop is not part of a path
                norm = (m.groupdict().get("env") or m.groupdict().get("named") or text).lower()
                found.append(EntitySpan(start + m.start(), start + m.start() + len(text), label, text, norm))
        found.sort(key=lambda e: e.start)
        for wanted in labels:  # labels are in order of preference
            fitting = [e for e in found if e.label == wanted and _answers(e, asked, when=labels[0] == "DATE")]
            if wanted == "NUMBER":  # a port's number stands after "port" or a colon: "port 4949", "localhost:631"
                fitting = [e for e in fitting if _PORT_BEFORE.search(passage.text, 0, e.start - passage.offset)]
            if fitting:
                return _whole(fitting[0], passage)
        return None

    def locate(self, question: str, text: str, sections: tuple[int, ...] = ()) -> Candidate | None:
        """The best answer span in one whole text (offsets into ``text``), or None."""
        found = self.read(question, [Passage("", text, 0, sections=sections)], limit=1)
        return found[0] if found else None


# The first words of a sentence that goes on from the one before.
_SEQUEL = re.compile(r"(It|Its|This|These|They|Then|Such|Doing so|To do so|In that case)\b")
_OF_THE_NAME = re.compile(r"\s+(?:in|of|for)(?:\s+the)?(?:\s+[A-Z][\w'-]+)+")
_INITIAL_THEN_NAME = re.compile(r"\s?[A-Z][a-z]+\b")
_POINT_IN_TIME = re.compile(
    r"\d|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|\b(Christmas|Easter|spring|summer|autumn|winter)\b"
)
_NAMES = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"}
_DAY_BEFORE = re.compile(r"\b\d{1,2}(st|nd|rd|th)?\s+$")


# What the reader finds itself, without the tagger: a number in digits, a file's path or a web address, a TeX macro
# or a command with an option.
_PATTERNS = {
    "NUMBER": re.compile(r"(?<![\w.,/\\^-])\d{1,6}(?![\w,\\-]|\.\d)"),
    "PATH": re.compile(r"(?<![\w/~])(?:~?/[\w.+-]+(?:/[\w.+-]*)+|(?:https?://)?[a-z][\w-]*(?:\.[\w-]+)+/[\w./~-]+)"),
    # \end closes what \begin opened: it is never the command asked for
    "COMMAND": re.compile(r"\\begin\{[\w*]+\}|\\(?!end\b)[A-Za-z@]{2,}\*?|\b[a-z][\w.+-]* -{1,2}[A-Za-z][\w-]*"),
    # an environment by its \begin, or by name: "a comment environment"
    "ENVIRONMENT": re.compile(r"\\begin\{(?P<env>[\w*]+)\}|\b(?P<named>[a-z][a-z*]*) environment\b"),
}


# words before "environment" that name none: "the environment", "a new environment"
_NOT_ENVIRONMENTS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "new",
        "same",
        "whole",
        "own",
        "an",
        "each",
        "any",
        "every",
        "given",
        "current",
        "following",
        "standard",
        "other",
        "such",
        "one",
        "its",
    ]
)
_PORT_BEFORE = re.compile(r"(\bports?\s+(number\s+)?|:)$", re.IGNORECASE)
_ABSTRACT = re.compile(r"^\s*(abstract|contents|introduction|1\.?\s+introduction)\b", re.IGNORECASE | re.MULTILINE)
# A line that is a name alone: two to four capitalised words (initials, "van", "von", "de" between), a mark after.
_BYLINE = re.compile(
    r"^[ \t]*((?:[A-Z][\w'\u2019-]+|[A-Z]\.)"
    r"(?:[ \t]+(?:[A-Z][\w'\u2019-]+|[A-Z]\.|van|von|de|der|den|le|la|da|di)){1,3})"
    r"[ \t]*[\u2217\u2020\u2021*]*[ \t]*$",
    re.MULTILINE,
)


def _a_name(words: list[str]) -> bool:
    """Whether the words of a line alone can be a person's name: no word an English word, unless a first name."""
    first = words[0].lower()
    rest = [w.lower() for w in words[1:] if len(w.rstrip(".")) > 1 and w[0].isupper()]
    return (
        bool(rest)
        and (first in first_names() or first not in english_words())
        and not any(w in english_words() and w not in first_names() for w in rest)
    )


def _answers(entity: EntitySpan, asked: set[str], when: bool = False) -> bool:
    """Whether an entity can be the name a question asks for: it names nothing the question names ("The Debian
    Developers" for a question about Debian), and a name looks like one: a capital letter in it; for a person or an
    organisation, not one word in capitals (a tagger takes "LATEX" for a person); for ``when``, a date with a year, a
    day or a month in it."""
    if entity.label == "ENVIRONMENT":  # named by its name: not "the verbatim environment" when verbatim is asked
        return entity.norm.rstrip("*") not in asked and entity.norm not in _NOT_ENVIRONMENTS
    if entity.label in _PATTERNS:  # a path or a command holds the question's words ("apt" in /var/cache/apt)
        return entity.text.lower() not in asked and entity.text.strip("\\").lower() not in asked
    if set(content_words(entity.text)) & asked:
        return False
    if entity.label == "GPE" and not is_place(entity.norm):  # "Red Hat" is no place the gazetteer knows
        return False
    if entity.label == "DATE" and when:  # "when?" asks for a point in time: "June 2014", not "at least 5 years"
        return _POINT_IN_TIME.search(entity.text) is not None and not is_duration(entity.text)
    if entity.label not in _NAMES:
        return True  # a date, a number
    if not any(c.isupper() for c in entity.text):
        return False
    return not (entity.label in ("PERSON", "ORG") and " " not in entity.text.strip() and entity.text.isupper())


def _whole(entity: EntitySpan, passage: Passage) -> EntitySpan:
    """An entity as a reader would quote it, where the tagger cut it short: a person's name after an initial
    ("Johannes L." of "Johannes L. Braams"), a date without its day ("August 2021" of "5 August 2021"), an
    organisation before its "in the ..." ("Software" of "Software in the Public Interest")."""
    at, start, end = entity.end - passage.offset, entity.start, entity.end
    if entity.label == "PERSON" and entity.text.rstrip().endswith("."):
        if more := _INITIAL_THEN_NAME.match(passage.text, at):
            end = entity.end + more.end() - at
    elif entity.label == "DATE" and (day := _DAY_BEFORE.search(passage.text, 0, entity.start - passage.offset)):
        start = passage.offset + day.start()
    elif entity.label == "ORG" and (more := _OF_THE_NAME.match(passage.text, at)):
        end = entity.end + more.end() - at
    if (start, end) == (entity.start, entity.end):
        return entity
    text = passage.text[start - passage.offset : end - passage.offset]
    return EntitySpan(start, end, entity.label, text, " ".join(text.lower().split()))
