"""An optional second stage: a cross-encoder reads the query with each of the best fused windows and re-orders them.

None installs offline, so there is no default: the user names a sequence-classification checkpoint (a local folder,
or a hub id when DOCSENSE_ALLOW_DOWNLOADS=1) in DOCSENSE_RERANKER or with ``docsense search --reranker``. A
cross-encoder sees the query and the passage together, which a bi-encoder cannot; it costs one forward pass per
candidate, so only the top ``depth`` fused windows are read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.hf import Checkpoint, load_checkpoint

RERANK_DEPTH = 30
BATCH = 16


class CrossEncoderReranker:
    """Scores (query, passage) pairs with a sequence-classification checkpoint; higher is more relevant.

    A one-logit head (MS MARCO cross-encoders) gives that logit; a two-or-more-label head gives the last label's
    logit minus the first's (the usual "relevant" against "not relevant").
    """

    def __init__(
        self, checkpoint: str, device: str | None = None, depth: int = RERANK_DEPTH, allow_downloads: bool = False
    ) -> None:
        self.model: Checkpoint = load_checkpoint(
            checkpoint, "AutoModelForSequenceClassification", "reranker", device, allow_downloads
        )
        self.name = self.model.name
        self.depth = depth

    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        import torch

        out = np.zeros(len(passages), dtype=np.float32)
        limit = self.model.max_tokens(512)
        for start in range(0, len(passages), BATCH):
            batch = list(passages[start : start + BATCH])
            enc = self.model.tokenizer(
                [query] * len(batch),
                batch,
                truncation="only_second",
                max_length=limit,
                padding=True,
                return_tensors="pt",
            )
            with torch.inference_mode():
                logits = self.model.model(**{k: v.to(self.model.device) for k, v in enc.items()}).logits.float()
            column = logits[:, 0] if logits.shape[1] == 1 else logits[:, -1] - logits[:, 0]
            out[start : start + len(batch)] = column.cpu().numpy()
        return out


def load_reranker(name: str | None, allow_downloads: bool = False) -> CrossEncoderReranker | None:
    """The reranker called ``name`` (a cross-encoder folder, or with ``allow_downloads`` a hub id), or None when none
    is configured."""
    if not name or name == "none":
        return None
    return CrossEncoderReranker(name, allow_downloads=allow_downloads)
