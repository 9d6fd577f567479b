"""Any Hugging Face extractive-QA checkpoint as a reader, with the decoding done here.

transformers 5 has no question-answering pipeline, so: the question and each passage are tokenized into windows of
at most ``max_tokens`` with ``stride`` tokens of overlap, the model gives start and end logits per token, and the best
span (start <= end, at most ``max_answer_tokens`` long, inside the passage) is compared with the no-answer score at
[CLS]: a span must beat it by ``null_threshold`` to count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.hf import load_checkpoint
from engine.reader import Candidate, Passage
from engine.reader.text import sentences

TOP_K = 20


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, allowed: np.ndarray, max_len: int
) -> tuple[int, int, float] | None:
    """The (start, end, score) token span with the highest start + end logit, end >= start, at most ``max_len``
    tokens, both ends where ``allowed`` is True; None if no span qualifies."""
    starts = [int(i) for i in np.argsort(-start_logits)[: TOP_K * 2] if allowed[i]][:TOP_K]
    ends = [int(i) for i in np.argsort(-end_logits)[: TOP_K * 2] if allowed[i]][:TOP_K]
    best: tuple[int, int, float] | None = None
    for s in starts:
        for e in ends:
            if s <= e < s + max_len:
                score = float(start_logits[s] + end_logits[e])
                if best is None or score > best[2]:
                    best = (s, e, score)
    return best


class ExtractiveReader:
    """Reads passages with an extractive-QA model (e.g. a BERT fine-tuned on SQuAD)."""

    def __init__(
        self,
        checkpoint: str,
        device: str | None = None,
        max_tokens: int = 384,
        stride: int = 128,
        max_answer_tokens: int = 30,
        null_threshold: float = 0.0,
        allow_downloads: bool = False,
    ) -> None:
        self.checkpoint = load_checkpoint(
            checkpoint, "AutoModelForQuestionAnswering", "question-answering", device, allow_downloads
        )
        self.name = self.checkpoint.name
        self.max_tokens = self.checkpoint.max_tokens(max_tokens)
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.null_threshold = null_threshold

    def spans(self, question: str, text: str) -> list[tuple[int, int, float]]:
        """Every window's best (char start, char end, score over no-answer) in ``text``, best first."""
        enc, offsets, out = self.checkpoint.run(
            question, text, truncation="only_second", max_length=self.max_tokens, stride=self.stride
        )
        starts = out.start_logits.float().cpu().numpy()
        ends = out.end_logits.float().cpu().numpy()
        found = []
        for w in range(len(offsets)):
            context = np.array([sid == 1 for sid in _sequence_ids(enc, w)])
            null = float(starts[w][0] + ends[w][0])
            span = best_span(starts[w], ends[w], context, self.max_answer_tokens)
            if span is None:
                continue
            s, e, score = span
            margin = score - null
            if margin > self.null_threshold:
                found.append((int(offsets[w][s][0]), int(offsets[w][e][1]), margin))
        return sorted(found, key=lambda f: -f[2])

    def read(self, question: str, passages: list[Passage], limit: int = 3) -> list[Candidate]:
        candidates = []
        for passage in passages:
            bounds = sentences(passage.text)
            for start, end, score in self.spans(question, passage.text)[:limit]:
                s_start, s_end = next(((a, b) for a, b in bounds if a <= start < b), (start, end))
                candidates.append(
                    Candidate(
                        passage.doc,
                        passage.offset + start,
                        passage.offset + end,
                        score - 0.01 * passage.rank,
                        passage.offset + s_start,
                        passage.offset + max(s_end, end),
                    )
                )
        candidates.sort(key=lambda c: -c.score)
        return candidates[:limit]


def _sequence_ids(enc: Any, window: int) -> Sequence[int | None]:
    return list(enc.sequence_ids(window))
