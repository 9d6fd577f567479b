"""``Library``: the one door front ends use to read an index (search, status, verify)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.encoder import Encoder
from engine.errors import ModelError
from engine.fts import content_words
from engine.index import Index
from engine.pages import page_of
from engine.query import ParsedQuery, alternatives, expand_prefixes, parse_query, with_flags
from engine.reader import Candidate, Passage, Reader, load_reader
from engine.reader.text import expected_labels
from engine.rerank import CrossEncoderReranker, load_reranker
from engine.search import Filters, clean_query, first_of_each, search, unknown_words
from engine.settings import Settings
from engine.spelling import spelled
from engine.tagger import DEFAULT_TAGGER, NO_TAGGER, EntitySpan, Tagger, load_tagger, short_forms
from engine.tuning import SearchTuning
from engine.types import Answer, Entity, Explanation, FailedFile, SearchHit, Status, Verification

MAX_LISTED_PROBLEMS = 50
# A question for a name or a date also reads the opening (title, author and date lines) of the first documents found.
OPENING_DOCUMENTS = 3
OPENING_CHARS = 1500
NAMED_DOCUMENTS = 2  # the documents a question names (by file name or title) whose openings are read first
MERGE_SLACK = 50  # entities read beyond the limit, so short forms of a name listed can be counted in it
FACET_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT", "DATE")


class Library:
    """An index opened for reading.

    Args:
        path: the index folder; None means the settings' (<home>/index, or the user data folder).
        encoder: an encoder (or its name) to use instead of the one the settings name.
        reader, tagger, reranker: the models to use instead of the settings' (a tagger may be an instance).
        settings: the command's settings, resolved once (engine.settings); None resolves them, the arguments
            above counting as flags.
        tuning: the constants search ranks with, instead of the settings' (benchmarks compare others).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        encoder: Encoder | str | None = None,
        reader: str | None = None,
        tagger: Tagger | str | None = None,
        reranker: str | None = None,
        settings: Settings | None = None,
        tuning: SearchTuning | None = None,
    ) -> None:
        flags = {
            "index": Path(path) if path else None,
            "encoder": encoder if isinstance(encoder, str) else None,
            "reader": reader,
            "tagger": tagger if isinstance(tagger, str) else None,
            "reranker": reranker,
        }
        self.settings = settings or Settings.resolve(flags)
        self.tuning = tuning or self.settings.search
        self.index = Index(
            Path(path) if path else self.settings.index,
            encoder=encoder if encoder is not None and not isinstance(encoder, str) else self.settings.encoder,
            settings=self.settings,
        )
        self._reader: Reader | None = None
        self._reranker: CrossEncoderReranker | None = None
        self._reranker_loaded = False
        self._tagger_arg = tagger if tagger is not None and not isinstance(tagger, str) else None

    @property
    def path(self) -> Path:
        return self.index.folder

    def search(
        self,
        query: str,
        limit: int = 10,
        path: str | None = None,
        types: Sequence[str] = (),
        modes: Sequence[str] = ("meaning", "keyword"),
        entity: str | None = None,
        author: str | None = None,
        after: float | None = None,
        before: float | None = None,
        spelling: bool = True,
        excluded: Sequence[str] = (),
        title: str | None = None,
        recipient: str | None = None,
    ) -> list[SearchHit]:
        """Hybrid search; see ``engine.search.search``. The query may hold fields (engine.query: ``ext:pdf``,
        ``after:2020``, ``-word`` ...), which filter as the arguments do. ``entity`` keeps documents that mention
        that entity; ``author`` those whose author (a mail's From) contains it; ``after`` and ``before`` (seconds
        since 1970) those written in that time; ``excluded`` leaves out documents holding one of those words;
        ``spelling`` False searches misspelt words as typed."""
        parsed = _parsed(query, path, tuple(types), entity, author, after, before, tuple(excluded), title, recipient)
        texts = alternatives(self._expanded(parsed.text))
        found = [
            search(self.index, text, limit=limit, filters=_filters(parsed), modes=modes, reranker=self.reranker,
                   tuning=self.tuning, spelling=spelling)
            for text in texts
        ]  # fmt: skip
        if len(found) == 1:
            return found[0]
        # "a OR b c": a search for each of "a c" and "b c", each window's best hit of them, by score
        best: dict[tuple[str, int], SearchHit] = {}
        for hit in (h for hits in found for h in hits):
            key = (hit.path, hit.start)
            if key not in best or hit.score > best[key].score:
                best[key] = hit
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

    def spelled(self, query: str) -> tuple[str, dict[str, str]]:
        """What search searches for ``query`` (its misspelt words put right, engine.spelling) and {misspelt word:
        the word searched for instead}, for a front end to say what it did."""
        return spelled(self.index, self._expanded(_parsed(query).text))

    def unknown_words(self, query: str) -> list[str]:
        """The words of ``query`` that no document holds (after spelling), for a front end to say why nothing
        matched."""
        return unknown_words(self.index, self.spelled(query)[0])

    def explain(self, query: str, hit: SearchHit) -> Explanation:
        """Why ``hit`` answers ``query``: see engine.explain (the encoder's token vectors of the hit's best view,
        computed now)."""
        from engine.explain import explain

        return explain(self.index, self._expanded(_parsed(query).text), hit)

    def _expanded(self, text: str) -> str:
        """``text`` with each ``word*`` as the index's words that begin so (engine.query.expand_prefixes)."""
        return expand_prefixes(text, self.index.store.terms_starting)

    @property
    def reranker(self) -> CrossEncoderReranker | None:
        """The cross-encoder configured (the reranker setting), loaded on first use; None if none."""
        if not self._reranker_loaded:
            self._reranker = load_reranker(self.settings.reranker, self.settings.allow_downloads)
            self._reranker_loaded = True
        return self._reranker

    # -- questions ----------------------------------------------------------------------------------------

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            s = self.settings
            self._reader = load_reader(s.reader, self.index.encoder, self._tagger(), s.allow_downloads)
        return self._reader

    def _tagger(self) -> Tagger | None:
        """The tagger for questions about names and dates when the index has no entities stored for a passage."""
        if self._tagger_arg is not None:
            return self._tagger_arg
        name = self.settings.tagger
        try:
            return load_tagger(name if name != NO_TAGGER else DEFAULT_TAGGER, self.settings.allow_downloads)
        except ModelError:
            return None

    def ask(
        self,
        question: str,
        limit: int = 3,
        path: str | None = None,
        passages: int = 3,
        types: Sequence[str] = (),
        entity: str | None = None,
        hits: Sequence[SearchHit] | None = None,
        author: str | None = None,
        after: float | None = None,
        before: float | None = None,
        excluded: Sequence[str] = (),
        title: str | None = None,
        recipient: str | None = None,
    ) -> list[Answer]:
        """Answers to ``question`` from the index, best first; empty when nothing is good enough.

        Args:
            question: a question in plain language.
            limit: answers to return at most.
            path, types, entity, author, after, before, excluded, title, recipient: which documents may answer, as
                for ``search``
                (the question may hold the same fields).
            passages: how many search hits the reader reads.
            hits: the question's search hits when the caller has them already (searched with the same filters):
                the reader reads the first ``passages`` of them instead of searching again.
        """
        parsed = _parsed(question, path, tuple(types), entity, author, after, before, tuple(excluded), title,
                         recipient)  # fmt: skip
        question, filters = self._expanded(parsed.text), _filters(parsed)
        if hits is None:
            # The reader judges the passages itself (its own no-answer floor): the search's floors would take away a
            # named document's passages for "Who wrote it?", whose words are in no document.
            hits = search(
                self.index, question, limit=passages, filters=filters, reranker=self.reranker,
                tuning=self.tuning.without_floors(),
            )  # fmt: skip
        # hits in score order may hold many windows of one page: the reader should see more than one document
        hits = first_of_each(list(hits), lambda h: h.path, passages, self.tuning.per_document)
        # Who wrote it, and when: a document's title page says (its title, author and date lines), wherever the
        # question's words matched it.
        labels = set(expected_labels(question))
        openings = OPENING_DOCUMENTS if {"PERSON", "DATE"} & labels else 0
        read = self._passages(hits, openings)
        if {"PERSON", "ORG", "PATH"} & labels:
            # "Who wrote the url package?": the document the question names, by its file's name (url.pdf) or its
            # title, says so in its byline, though the search found pages about URLs first.
            where, params = filters.sql()
            store = self.index.store
            named = store.documents_named(content_words(question), where, params)
            named += [d for d in store.documents_titled(question, where, params) if d not in named]
            found_first = {h.path: rank for rank, h in reversed(list(enumerate(hits)))}
            named = sorted(named, key=lambda d: found_first.get(d, len(hits)))[:NAMED_DOCUMENTS]
            read = self._passages([], 0, named) + read
        found = self.reader.read(question, read, limit=limit)
        documents: dict[str, tuple[str, str, list[int] | None]] = {}
        return [self._answer(c, documents) for c in found]

    def _passages(self, hits: Sequence[SearchHit], openings: int = 0, named: Sequence[str] = ()) -> list[Passage]:
        """One passage per document stretch: overlapping hits of a document are merged. The first ``openings``
        documents also give their opening (OPENING_CHARS), at the rank of their best hit; the ``named`` documents
        give their opening alone, at rank 0, marked named."""
        spans: dict[str, list[list[int]]] = {doc: [[0, OPENING_CHARS, 0]] for doc in named}
        for rank, hit in enumerate(hits):
            if hit.path not in spans and len(spans) < openings:
                spans[hit.path] = [[0, OPENING_CHARS, rank]]
            for span in spans.setdefault(hit.path, []):
                if hit.start <= span[1] and span[0] <= hit.end:
                    span[0], span[1], span[2] = min(span[0], hit.start), max(span[1], hit.end), min(span[2], rank)
                    break
            else:
                spans[hit.path].append([hit.start, hit.end, rank])
        store = self.index.store
        passages = []
        for doc, doc_spans in spans.items():
            found = store.document_text_and_sections(doc)
            if found is None:
                continue
            doc_id, text, sections = found
            for start, span_end, rank in doc_spans:
                end = min(span_end, len(text))
                if span_end == OPENING_CHARS and (line_end := text.find("\n", end)) != -1:
                    end = min(line_end, end + 200)  # the opening ends with a line
                entities = tuple(store.entity_spans(doc_id, start, end))
                passages.append(Passage(doc, text[start:end], start, rank, sections, entities, doc in named))
        return sorted(passages, key=lambda p: p.rank)

    def _answer(self, c: Candidate, documents: dict[str, tuple[str, str, list[int] | None]]) -> Answer:
        """The Answer for a reader's candidate; ``documents`` keeps each document's (type, text, pages) read once
        per question, since several answers often come from one document."""
        if c.doc not in documents:
            documents[c.doc] = self.index.store.document_content(c.doc) or ("", "", None)
        doc_type, text, pages = documents[c.doc]
        return Answer(
            answer=text[c.start : c.end],
            path=c.doc,
            page=page_of(pages, c.start) if pages else None,
            start=c.start,
            end=c.end,
            score=round(c.score, 4),
            sentence=" ".join(text[c.sentence_start : c.sentence_end].split()),
            sentence_start=c.sentence_start,
            sentence_end=c.sentence_end,
            doc_type=doc_type,
        )

    # -- entities -----------------------------------------------------------------------------------------

    def entities(
        self,
        path: str | None = None,
        label: str | None = None,
        limit: int = 100,
        per_entity_documents: int = 20,
        documents: Sequence[str] | None = None,
    ) -> list[Entity]:
        """The entities of the index (or of the documents under ``path``, or of ``documents``), most mentioned first.

        Without ``label``, the kinds people browse by (FACET_LABELS): names, places, dates; not bare numbers.
        """
        from engine.search import valid_text

        valid_text(label, "the label")
        where, params = Filters(path).sql()
        if documents is not None:
            where += " AND d.path IN (" + ",".join("?" * len(documents)) + ")"
            params.extend(documents)
        labels = (label.upper(),) if label else FACET_LABELS
        where += " AND e.label IN (" + ",".join("?" * len(labels)) + ")"
        params.extend(labels)
        found = [
            Entity(" ".join(text.split()), kind, norm, count, tuple(docs), document_count, (norm,))
            for norm, kind, text, count, document_count, docs in self.index.store.entity_groups(
                where, params, limit + MERGE_SLACK, per_entity_documents
            )
        ]
        return self._merged(found, where, params, per_entity_documents)[:limit]

    def _merged(self, found: list[Entity], where: str, params: list[object], sample: int) -> list[Entity]:
        """``found`` with each person written shorter ("Lamport", "L. Lamport") counted in the one full name of
        ``found`` it can stand for ("Leslie Lamport"), most mentioned first; a short form two names share is left
        alone."""
        owners: dict[str, list[Entity]] = {}
        for e in found:
            if e.label == "PERSON":
                for form in short_forms(e.norm):
                    owners.setdefault(form, []).append(e)
        parts: dict[str, list[Entity]] = {}
        kept = []
        for e in found:
            owner = owners.get(e.norm, []) if e.label == "PERSON" else []
            if len(owner) == 1:
                parts.setdefault(owner[0].norm, []).append(e)
            else:
                kept.append(e)
        merged = []
        for e in kept:
            if e.label == "PERSON" and e.norm in parts:
                group = [e, *parts[e.norm]]
                forms = tuple(g.norm for g in group)
                e = dataclasses.replace(
                    e,
                    count=sum(g.count for g in group),
                    documents=tuple(sorted({d for g in group for d in g.documents}))[:sample],
                    document_count=self.index.store.entity_document_count(where, params, "PERSON", forms),
                    forms=forms,
                )
            merged.append(e)
        merged.sort(key=lambda e: (-e.count, e.norm))
        return merged

    def status(self) -> Status:
        """Counts, failures, encoder, device and size on disk."""
        from engine.config import device_label

        store = self.index.store
        documents, chunks = store.counts()
        pending = store.pending_count()
        encoder = self.index.encoder
        backend = getattr(encoder, "backend", "none")
        return Status(
            index_path=str(self.index.folder) if self.index.server is None else self.index.shown_server,
            documents=documents,
            chunks=chunks,
            failed=tuple(FailedFile(p, r) for p, r in store.failures()),
            folders=tuple(store.folders()),
            encoder=encoder.name,
            device=device_label(encoder.device, backend if backend != "none" else "torch"),
            size_bytes=self.index.size_bytes(),
            schema_version=store.schema_version(),
            outdated=self._outdated(documents),
            tagger=self.settings.tagger,
            reader=self.settings.reader,
            reranker=self.settings.reranker,
            backend=backend,
            backend_note=self._backend_note(encoder, backend),
            warnings=tuple(FailedFile(p, w) for p, w in store.warnings()),
            unsupported=store.unsupported(),
            ocr_pages=store.ocr_pages(),
            pending_chunks=pending[0],
            pending_documents=pending[1],
            untagged_documents=store.untagged_count(),
            languages=tuple(store.languages().items()),
        )

    def _backend_note(self, encoder: Encoder, backend: str) -> str:
        """Why OpenVINO does not run the encoder, when it does not."""
        if backend == "openvino":
            return ""
        if backend == "none":
            return "the fake encoder (hashing-bow) runs no model"
        note = getattr(encoder, "backend_note", "")
        if note:
            return note  # it was tried and failed
        if self.settings.backend == "torch":
            return f"OpenVINO not used: backend = torch (from {self.settings.sources.get('backend', 'default')})"
        if encoder.device != "cpu":
            return f"OpenVINO not used: it runs on the CPU, and this encoder runs on {encoder.device}"
        return ""

    def _outdated(self, documents: int) -> int:
        """Documents whose vectors were made another way than today's views (engine.index.schema's m004 marked
        them) or that an interrupted run marked for embedding again, and that no run has reached yet."""
        return self.index.store.stale_count() if documents else 0

    def verify(self) -> Verification:
        """Check the database, the vector file against the rows, and the files on disk."""
        store = self.index.store
        problems = self.index.verify()
        if any(p.startswith("database: ") for p in problems):
            return Verification(ok=False, problems=tuple(problems))  # its paths cannot be trusted either
        gone = store.gone_documents()
        problems += [f"file gone from disk: {p}" for p in gone[:MAX_LISTED_PROBLEMS]]
        if len(gone) > MAX_LISTED_PROBLEMS:
            problems.append(f"... and {len(gone) - MAX_LISTED_PROBLEMS} more files gone from disk")
        return Verification(ok=not problems, problems=tuple(problems))

    def document_text(self, path: str) -> str | None:
        """The extracted text of an indexed document (the text that hit offsets point into)."""
        return self.index.store.document_text(path)

    def document_entities(self, path: str) -> list[EntitySpan]:
        """The entities found in a document, offsets into its extracted text, in text order."""
        return self.index.store.document_entities(path)

    def reload(self) -> None:
        """See what other processes (an indexer, a watcher) have written since this Library last looked."""
        self.index.reload()

    def document_pages(self, path: str) -> list[int] | None:
        return self.index.store.document_pages(path)

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _parsed(query: str, *flags: Any) -> ParsedQuery:
    """``query`` cleaned and parsed (engine.query), with the filters given beside it (``with_flags``' order)."""
    return with_flags(parse_query(clean_query(query)), *flags)


def _filters(parsed: ParsedQuery) -> Filters:
    return Filters(parsed.path, parsed.types, parsed.entity, parsed.author, parsed.after, parsed.before,
                   parsed.excluded, parsed.title, parsed.recipient)  # fmt: skip
