"""Plain frozen data that crosses from the engine and indexer to the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Matched = Literal["meaning", "keyword", "both"]
DOC_TYPES = (
    "pdf",
    "html",
    "md",
    "txt",
    "rst",
    "org",
    "tex",
    "docx",
    "odt",
    "odp",
    "pptx",
    "xlsx",
    "ods",
    "epub",
    "rtf",
    "eml",
    "code",
    "man",
)  # fmt: skip (indexer.extract.KINDS, in the same order: a test keeps them equal)


@dataclass(frozen=True)
class SearchHit:
    """One chunk that answers a search.

    Attributes:
        path: absolute path of the document.
        score: fused relevance score; higher is better, comparable only within one search.
        page: 1-based page of the chunk's start for paged formats (PDF), else None.
        start: offset of the chunk's first character in the document's extracted text.
        end: offset one past the chunk's last character.
        heading: heading path ("Chapter > Section") where the format has headings.
        snippet: a short piece of the chunk around its best part.
        matched: which side found the chunk: "meaning" (dense), "keyword" (BM25) or "both".
        doc_type: its kind (engine.types.DOC_TYPES: pdf, html, eml ...).
        snippet_start: offset of the snippet in the document's extracted text.
        best_start: where the part of the chunk that matched the query's meaning best (its best view, about 128
            tokens) starts in the document's extracted text; None when the meaning side did not find the chunk.
        best_end: where that part ends.
        title: the document's own title (a mail's subject, a PDF's title), if it has one.
        strength: how well it matches, comparable across queries: "strong", "good" or "weak" (engine.search
            _strengths: its best view's cosine and its share of the query's word weight).
        embedded: False while the window waits for an indexing run's second phase: found by keyword only, since
            meaning search cannot see it yet.
        date: when the document was written (seconds since 1970): its own date where it has one (a mail's Date,
            a PDF's creation date), else its file's modification time; None if neither is known.
        pages: how many pages its document has (paged formats), else None.
        language: the language its document is written in (engine.language's code), None if not told.
    """

    path: str
    score: float
    page: int | None
    start: int
    end: int
    heading: str | None
    snippet: str
    matched: Matched
    doc_type: str
    snippet_start: int = 0
    best_start: int | None = None
    best_end: int | None = None
    title: str | None = None
    strength: str = "weak"
    embedded: bool = True
    date: float | None = None
    pages: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class Explanation:
    """Why a hit answers a query (engine.explain).

    Attributes:
        query: what was searched for (misspelt words put right).
        matched: the query's words the hit's window holds, each with its share of the query's word weight (the
            keyword side: rarer words weigh more).
        missing: the query's words it does not hold.
        cosine: the cosine of the query to the window's closest view (the meaning side); None if it has none.
        view_start, view_end: that view's span in the document's extracted text.
        view: its text.
        pulls: the view's words that pull it most towards the query, each with its share of the cosine (the
            encoder's mean-pooled token vectors, so the shares of all tokens add up to the cosine).
    """

    query: str
    matched: tuple[tuple[str, float], ...]
    missing: tuple[str, ...]
    cosine: float | None
    view_start: int | None
    view_end: int | None
    view: str | None
    pulls: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class FailedFile:
    """A file the indexer skipped, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Status:
    """What an index holds."""

    index_path: str
    documents: int
    chunks: int
    failed: tuple[FailedFile, ...]
    folders: tuple[str, ...]
    encoder: str
    device: str
    size_bytes: int
    schema_version: int
    outdated: int = 0  # documents whose vectors were made an older way (until an indexing run makes them again)
    tagger: str = ""  # the entity tagger new documents are tagged with
    reader: str = ""  # what answers questions
    reranker: str | None = None  # the cross-encoder that re-orders the best hits, if any
    backend: str = ""  # the encoder's runtime: openvino, torch, or none (the fake encoder)
    backend_note: str = ""  # why OpenVINO does not run the encoder, when it does not
    warnings: tuple[FailedFile, ...] = ()  # indexed documents and what extraction noticed about them
    unsupported: tuple[tuple[str, int], ...] = ()  # the last whole run's files of types DocSense does not read
    ocr_pages: int = 0  # pages of the indexed documents that were read by OCR
    # windows (and documents) stored and found by keyword, not embedded yet: meaning search does not cover them
    # until an indexing run's second phase embeds them
    pending_chunks: int = 0
    pending_documents: int = 0
    untagged_documents: int = 0  # documents whose entities the second phase has still to look for
    # (language code, its documents), most first; "" for documents whose language could not be told
    languages: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Verification:
    """The result of checking an index against itself and the file system."""

    ok: bool
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Progress:
    """Where a long indexing run stands; the last one has phase "done" and carries the summary.

    Attributes:
        phase: "scan" (finding files), "index" (extract and store: searchable by keyword), "languages" (the
            languages of documents an older DocSense stored, told once), "embed" (the second phase: stored chunks
            embedded, searchable by meaning), "weights" (a big index's common words weighed for the keyword side:
            engine.index.impacts), "save", "done".
        files_done: files finished (indexed, unchanged or failed) of ``files_total`` to look at.
        chunks_done: chunks stored so far.
        embedded: chunks the second phase embedded so far, of ``to_embed`` it had to.
        tagged: documents whose entities the second phase looked for so far, of ``to_tag``.
        languages_told: documents an older DocSense stored whose language was told so far, of ``to_tell``.
        weighed: windows of common words weighed so far, of ``to_weigh`` (a window counts once a word).
        chunks_per_s: the phase's speed so far (stored, or embedded, chunks a second).
        eta_s: estimated seconds left in the phase, from the bytes (or chunks) done so far; None until there is a
            basis for it.
        current: the file last finished.
    """

    phase: Literal["scan", "index", "languages", "embed", "weights", "save", "done"]
    files_done: int = 0
    files_total: int = 0
    chunks_done: int = 0
    embedded: int = 0
    to_embed: int = 0
    tagged: int = 0
    to_tag: int = 0
    languages_told: int = 0
    to_tell: int = 0
    weighed: int = 0
    to_weigh: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    chunks_per_s: float = 0.0
    tokens_per_s: float = 0.0
    eta_s: float | None = None
    current: str | None = None
    summary: RunSummary | None = None


@dataclass(frozen=True)
class RunSummary:
    """What one indexing run did."""

    files_seen: int
    indexed: int
    unchanged: int
    removed: int
    failed: tuple[FailedFile, ...]
    chunks: int
    tokens: int
    pages: int
    elapsed_s: float
    embed_s: float = 0.0
    cancelled: bool = False
    renamed: int = 0
    warnings: tuple[FailedFile, ...] = ()  # indexed files and what extraction noticed (a page it could not read)
    unsupported: tuple[tuple[str, int], ...] = ()  # files of types DocSense does not read: (suffix, count), most first


@dataclass(frozen=True)
class Answer:
    """A span of a document that answers a question.

    Attributes:
        answer: the span's text (a name, a date, a number, or a sentence).
        path: the document.
        page: 1-based page of the span for PDFs, else None.
        start: offset of the span in the document's extracted text.
        end: offset one past its end.
        score: the reader's score; higher is better, comparable within one question.
        sentence: the sentence around the span (the span itself when the answer is a sentence).
        sentence_start: offset of that sentence in the document's extracted text.
        sentence_end: offset one past its end.
        doc_type: its kind (engine.types.DOC_TYPES: pdf, html, eml ...).
    """

    answer: str
    path: str
    page: int | None
    start: int
    end: int
    score: float
    sentence: str
    sentence_start: int
    sentence_end: int
    doc_type: str


@dataclass(frozen=True)
class Entity:
    """A named entity as the index knows it: grouped by normalised form and label.

    Attributes:
        text: its most frequent surface form.
        label: PERSON, ORG, GPE, LOC, DATE, MONEY, ...
        norm: the normalised form it is grouped (and filtered) by.
        count: mentions.
        documents: the first documents (in path order, up to the caller's sample size) that mention it.
        document_count: how many documents mention it, all of them counted.
        forms: the normalised forms counted in it: ``norm`` and, for a person, the shorter forms of the name that
            name no one else among the entities listed ("lamport", "l. lamport" in "leslie lamport").
    """

    text: str
    label: str
    norm: str
    count: int
    documents: tuple[str, ...]
    document_count: int
    forms: tuple[str, ...] = ()
