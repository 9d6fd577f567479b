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
from engine.reader.text import blocks, expected_labels, sentences
from engine.tagger import EntitySpan, Tagger

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
        analysis = _Analysis(sents, sv, _window_sums(sv, 3), _window_sums(sv, 2), bv, block_of, first, title)
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
        asked = set(content_words(question))
        found: list[Candidate] = []
        named_found: list[Candidate] = []
        for passage in passages:
            analysis = self._analyse_cached(passage)
            if analysis is None:
                continue
            combined, raw = self._scores(q, analysis)
            ranked = combined - W_RANK * passage.rank
            order = [int(i) for i in np.argsort(-ranked)]
            if raw[order[0]] < NO_ANSWER:
                continue  # the best this passage has is not about the question
            if labels:
                named = self._entity_answers(passage, analysis, order, ranked, labels, asked)
                if named:
                    named_found += named[:limit]
                    continue
            for i in order[:limit]:
                a, b = analysis.sentences[i]
                start, end = passage.offset + a, passage.offset + b
                found.append(Candidate(passage.doc, start, end, float(ranked[i]), start, end))
        # A name or a date the question asks for comes before any sentence that merely talks about it.
        named_found.sort(key=lambda c: -c.score)
        found.sort(key=lambda c: -c.score)
        return (named_found + found)[:limit]

    def _entity_answers(
        self,
        passage: Passage,
        analysis: _Analysis,
        order: list[int],
        ranked: np.ndarray,
        labels: tuple[str, ...],
        asked: set[str],
    ) -> list[Candidate]:
        """Entities of a wanted kind, looked for in the best sentence, then in the ENTITY_REACH sentences after it,
        then in the other sentences scored within ENTITY_MARGIN of it; in that order, each scored as the best.

        A heading often asks and the next line answers ("The xr package" / "David Carlisle"), so the name a who
        question wants may sit just after the sentence that matches the question best.
        """
        best = order[0]
        reach = [i for i in range(best + 1, best + 1 + ENTITY_REACH) if i < len(analysis.sentences)]
        close = [i for i in order[1:ENTITY_TOP] if ranked[i] >= ranked[best] - ENTITY_MARGIN]
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
        return answers

    def _analyse_cached(self, passage: Passage) -> _Analysis | None:
        local = tuple(s - passage.offset for s in passage.sections if 0 < s - passage.offset < len(passage.text))
        return self._analyse(passage.text, local)

    def _entity(
        self, passage: Passage, start: int, end: int, labels: tuple[str, ...], asked: set[str]
    ) -> EntitySpan | None:
        """The first entity of a wanted kind in [start, end) that the question does not already name."""
        found = [e for e in passage.entities if start <= e.start and e.end <= end]
        if not found and self.tagger is not None:
            a = start - passage.offset
            found = [
                EntitySpan(e.start + start, e.end + start, e.label, e.text, e.norm)
                for e in self.tagger.tag([passage.text[a : end - passage.offset]])[0]
            ]
        for wanted in labels:  # labels are in order of preference
            for e in found:
                if e.label == wanted and _answers(e, asked, when=labels[0] == "DATE"):
                    return _whole(e, passage)
        return None

    def locate(self, question: str, text: str, sections: tuple[int, ...] = ()) -> Candidate | None:
        """The best answer span in one whole text (offsets into ``text``), or None."""
        found = self.read(question, [Passage("", text, 0, sections=sections)], limit=1)
        return found[0] if found else None


_INITIAL_THEN_NAME = re.compile(r"\s?[A-Z][a-z]+\b")
_POINT_IN_TIME = re.compile(
    r"\d|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|\b(Christmas|Easter|spring|summer|autumn|winter)\b"
)
_NAMES = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"}
_DAY_BEFORE = re.compile(r"\b\d{1,2}(st|nd|rd|th)?\s+$")


def _answers(entity: EntitySpan, asked: set[str], when: bool = False) -> bool:
    """Whether an entity can be the name a question asks for: it names nothing the question names ("The Debian
    Developers" for a question about Debian), and a name looks like one: a capital letter in it; for a person or an
    organisation, not one word in capitals (a tagger takes "LATEX" for a person); for ``when``, a date with a year, a
    day or a month in it."""
    if set(content_words(entity.text)) & asked:
        return False
    if entity.label == "DATE" and when:  # "when?" asks for a point in time: "June 2014", not "one year"
        return _POINT_IN_TIME.search(entity.text) is not None
    if entity.label not in _NAMES:
        return True  # a date, a number
    if not any(c.isupper() for c in entity.text):
        return False
    return not (entity.label in ("PERSON", "ORG") and " " not in entity.text.strip() and entity.text.isupper())


def _whole(entity: EntitySpan, passage: Passage) -> EntitySpan:
    """An entity as a reader would quote it, where the tagger cut it short: a person's name after an initial
    ("Johannes L." of "Johannes L. Braams"), a date without its day ("August 2021" of "5 August 2021")."""
    at, start, end = entity.end - passage.offset, entity.start, entity.end
    if entity.label == "PERSON" and entity.text.rstrip().endswith("."):
        if more := _INITIAL_THEN_NAME.match(passage.text, at):
            end = entity.end + more.end() - at
    elif entity.label == "DATE" and (day := _DAY_BEFORE.search(passage.text, 0, entity.start - passage.offset)):
        start = passage.offset + day.start()
    if (start, end) == (entity.start, entity.end):
        return entity
    text = passage.text[start - passage.offset : end - passage.offset]
    return EntitySpan(start, end, entity.label, text, " ".join(text.lower().split()))
