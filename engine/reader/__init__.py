"""Readers: given a question and passages of documents, find the span that answers it.

- ``SentenceReader`` (default, offline): the encoder picks the sentence that answers, in the context of its
  neighbours and its block; the tagger narrows it to an entity when the question asks for one (who, when, where,
  how many ...).
- ``ExtractiveReader``: any Hugging Face extractive-QA checkpoint, decoding start/end logits over strided windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.errors import ModelError
from engine.tagger import EntitySpan

if TYPE_CHECKING:
    from engine.encoder import Encoder
    from engine.tagger import Tagger

DEFAULT_READER = "sentence"


@dataclass(frozen=True)
class Passage:
    """A stretch of one document to read: ``text`` starts at ``offset`` in the document's extracted text.

    Attributes:
        sections: offsets (in the document) where a heading section starts: block boundaries.
        entities: entities known in this stretch, offsets in the document.
        rank: 0 for the passage search ranked first.
        named: the question names this passage's document (by its file's name: "the url package", url.pdf), and
            the passage is its opening: its byline says who wrote it.
    """

    doc: str
    text: str
    offset: int
    rank: int = 0
    sections: tuple[int, ...] = ()
    entities: tuple[EntitySpan, ...] = field(default_factory=tuple)
    named: bool = False


@dataclass(frozen=True)
class Candidate:
    """A span a reader proposes: offsets in the document; ``sentence_*`` bound the sentence around it."""

    doc: str
    start: int
    end: int
    score: float
    sentence_start: int
    sentence_end: int


class Reader(Protocol):
    name: str

    def read(self, question: str, passages: list[Passage], limit: int = 3) -> list[Candidate]:
        """The best answer spans in ``passages``, best first; empty when nothing answers the question."""
        ...


def load_reader(name: str, encoder: Encoder, tagger: Tagger | None, allow_downloads: bool = False) -> Reader:
    """The reader called ``name``: the sentence reader, an extractive-QA folder, or with ``allow_downloads`` a hub
    id."""
    if name == DEFAULT_READER:
        from engine.reader.sentence import SentenceReader

        return SentenceReader(encoder, tagger)
    if Path(name).expanduser().is_dir() or allow_downloads:
        from engine.reader.extractive import ExtractiveReader

        return ExtractiveReader(name, allow_downloads=allow_downloads)
    raise ModelError(
        f"unknown reader {name!r}: use {DEFAULT_READER}, a local extractive-QA checkpoint folder, "
        "or a hub id with DOCSENSE_ALLOW_DOWNLOADS=1"
    )
