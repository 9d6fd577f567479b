"""Any Hugging Face token-classification checkpoint (a BERT NER model) as a tagger.

Word pieces are aggregated into entity spans the way the old pipeline's "first" strategy did: a word takes the label
of its first piece, B- starts an entity, I- of the same type continues it, O ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.hf import load_checkpoint
from engine.tagger import LABEL_ALIASES, EntitySpan, normalise, pieces

# Pieces short enough that one almost always fits a 512-token window; longer ones spill into extra windows.
_PIECE_CHARS = 1_500


def aggregate(offsets: Sequence[tuple[int, int]], labels: Sequence[str], text: str, base: int = 0) -> list[EntitySpan]:
    """Entity spans from per-token labels (IOB2 or plain) and the tokens' character offsets in ``text``.

    Tokens with an empty offset (special tokens) are skipped. A token that continues the previous word (no gap
    between them) is merged into whatever that word belongs to, whatever its own label.
    """
    spans: list[EntitySpan] = []
    current: list[Any] | None = None  # [start, end, label]
    prev_end = -1

    def close() -> None:
        nonlocal current
        if current is not None:
            start, end, label = current
            label = LABEL_ALIASES.get(label, label)
            surface = text[start:end]
            spans.append(EntitySpan(base + start, base + end, label, surface, normalise(surface, label)))
            current = None

    for (start, end), raw in zip(offsets, labels, strict=True):
        if start == end:
            continue
        continues_word = start == prev_end and prev_end > 0 and not text[start - 1].isspace()
        prev_end = end
        if continues_word:
            if current is not None:
                current[1] = end
            continue
        prefix, _, kind = raw.partition("-") if "-" in raw else ("", "", raw)
        if raw == "O" or not kind:
            close()
        elif current is not None and prefix != "B" and current[2] == kind:
            current[1] = end
        else:
            close()
            current = [start, end, kind]
    close()
    return spans


class TokenClassificationTagger:
    """Tags with a token-classification model from a folder (or a hub id when downloads are allowed)."""

    def __init__(self, checkpoint: str, device: str | None = None, allow_downloads: bool = False) -> None:
        self.checkpoint = load_checkpoint(
            checkpoint, "AutoModelForTokenClassification", "token-classification", device, allow_downloads
        )
        self.id2label = {int(k): v for k, v in self.checkpoint.model.config.id2label.items()}
        self.name = self.checkpoint.name
        self.max_tokens = self.checkpoint.max_tokens(512)

    def tag(self, texts: list[str]) -> list[list[EntitySpan]]:
        found: list[list[EntitySpan]] = [[] for _ in texts]
        for i, text in enumerate(texts):
            for a, b in pieces(text, _PIECE_CHARS):
                piece = text[a:b]
                _enc, offsets, output = self.checkpoint.run(piece, truncation=True, max_length=self.max_tokens)
                predicted = output.logits.argmax(-1).tolist()
                for window_offsets, window_labels in zip(offsets, predicted, strict=True):
                    labels = [self.id2label.get(int(x), "O") for x in window_labels]
                    found[i] += aggregate([(int(o[0]), int(o[1])) for o in window_offsets], labels, piece, base=a)
        return found
