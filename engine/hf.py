"""Hugging Face checkpoints a user plugs in (an extractive-QA reader, a token-classification tagger): loading them
offline unless downloads are allowed, and running them over windows of a text with character offsets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelError


@dataclass
class Checkpoint:
    """A loaded model with its fast tokenizer, on its device."""

    name: str
    tokenizer: Any
    model: Any
    device: str

    def max_tokens(self, wanted: int) -> int:
        return min(wanted, int(getattr(self.model.config, "max_position_embeddings", 512)))

    def run(self, *texts: str, **tokenizer_args: Any) -> tuple[Any, list[list[list[int]]], Any]:
        """Tokenize ``texts`` into overflowing windows and run the model on them.

        Returns:
            the tokenizer's encoding (for ``sequence_ids``), each window's token character offsets, the model output.
        """
        import torch

        enc = self.tokenizer(
            *texts,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
            **tokenizer_args,
        )
        offsets = enc.pop("offset_mapping").tolist()
        enc.pop("overflow_to_sample_mapping", None)
        with torch.inference_mode():
            output = self.model(**{k: v.to(self.device) for k, v in enc.items()})
        return enc, offsets, output


def load_checkpoint(
    checkpoint: str, auto_class: str, what: str, device: str | None = None, allow_downloads: bool = False
) -> Checkpoint:
    """Load ``checkpoint`` (a folder, or a hub id with ``allow_downloads``) with ``transformers.<auto_class>``.

    Raises:
        ModelError: it cannot be loaded, or its tokenizer is not a fast one (no character offsets).
    """
    from engine.config import pick_device

    path = Path(checkpoint).expanduser()
    if checkpoint.startswith(("/", ".", "~")) and not path.is_dir():
        raise ModelError(f"cannot load the {what} model {checkpoint!r}: no such folder")
    try:
        import transformers

        local = not allow_downloads
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, local_files_only=local)
        model = getattr(transformers, auto_class).from_pretrained(checkpoint, local_files_only=local)
    except Exception as exc:
        raise ModelError(f"cannot load the {what} model {checkpoint!r}: {exc}") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{checkpoint}: a fast tokenizer (tokenizer.json) is needed for character offsets")
    chosen = pick_device(device)
    name = str(path.resolve()) if path.is_dir() else checkpoint
    return Checkpoint(name, tokenizer, model.to(chosen).eval(), chosen)
