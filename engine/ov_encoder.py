"""all-MiniLM-L6-v2 converted to OpenVINO for the CPU: converted once from the packaged torch model, cached.

On the development VM's 2 cores OpenVINO runs the same fp32 model about 4x faster than torch (docs/BENCHMARKS.md),
with vectors at cosine 0.9999 to torch's. The conversion happens on the user's machine from the installed package
(no download), takes a few seconds, and is written to the cache folder under a name that changes with the model
files and the OpenVINO version. The converted model takes token ids and the attention mask and returns the unit
vector: the BERT body, the mean over real tokens and the normalisation, as the sentence-transformers pipeline does.

OpenVINO sends usage telemetry from ``import openvino`` by default; engine/offline.py turns it off for the whole
process before anything can import OpenVINO (see there).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ModelError

PROBE_COSINE = 0.999  # the converted model must give torch's vectors, or it is not used


def _fingerprint(model_dir: Path) -> str:
    import openvino

    digest = hashlib.sha256(str(model_dir.resolve()).encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            st = path.stat()
            digest.update(f"{path.relative_to(model_dir)}:{st.st_size}:{st.st_mtime_ns}".encode())
    digest.update(openvino.__version__.encode())
    return digest.hexdigest()[:16]


def _convert(st_model: Any, target: Path) -> None:
    """Convert a Transformer + mean Pooling (+ Normalize) sentence-transformers model into ``target``/model.xml."""
    import torch

    modules = [type(m).__name__ for m in st_model]
    pooling = st_model[1].get_config_dict().get("pooling_mode") if len(modules) > 1 else None
    if modules[:2] != ["Transformer", "Pooling"] or pooling != "mean":
        raise ModelError(f"only mean-pooled encoders are converted, not {' + '.join(modules)} ({pooling})")
    body = st_model[0].auto_model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = body

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.body(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state  # fmt: skip
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    import openvino  # its telemetry is off: engine.offline sealed the process before any import of it

    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    shape = openvino.PartialShape([-1, -1])
    # The trace warns about values it fixes; none changes with the batch's size or length (checked after).
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = openvino.convert_model(Encoder().eval(), example_input=example, input=[shape, shape])
    converted.inputs[0].get_tensor().set_names({"input_ids"})
    converted.inputs[1].get_tensor().set_names({"attention_mask"})
    openvino.save_model(converted, str(target / "model.xml"), compress_to_fp16=False)


def compile_encoder(model_dir: Path, load_torch: Callable[[], Any], cache: Path, threads: int = 0) -> Any:
    """The compiled OpenVINO model for the sentence-transformers model in ``model_dir``, converting it on first use.

    ``load_torch`` gives the torch model, needed only to convert and to check the conversion once; the conversion
    is kept under ``cache``/openvino. ``threads`` bounds the CPU threads it runs on (0: OpenVINO's choice).
    """
    import openvino

    folder = Path(cache) / "openvino" / f"{model_dir.name}-{_fingerprint(model_dir)}"
    core = openvino.Core()
    if not (folder / "model.xml").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=folder.parent))
        try:
            st_model = load_torch()
            _convert(st_model, tmp)
            _check(core.compile_model(core.read_model(str(tmp / "model.xml")), "CPU"), st_model)
            try:
                os.replace(tmp, folder)  # another process may have finished first: then its copy is used
            except OSError:
                if not (folder / "model.xml").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    config: dict[str, Any] = {"INFERENCE_NUM_THREADS": threads} if threads > 0 else {}
    # The compiled form is kept too (OpenVINO's model cache, beside the conversion): compiling from it takes
    # 0.16 s instead of 0.35 s, which a cold `docsense search` pays.
    config["CACHE_DIR"] = str(folder / "compiled")
    try:
        return core.compile_model(str(folder / "model.xml"), "CPU", config)
    except RuntimeError:  # a cache that cannot be written or read: compile as before
        del config["CACHE_DIR"]
        return core.compile_model(core.read_model(str(folder / "model.xml")), "CPU", config)


def _check(compiled: Any, st_model: Any) -> None:
    """Compare with torch on a few real sentences; refuse a conversion that does not give the same vectors."""
    sentences = ["How do I copy a file?", "The xr package lets you refer to labels in another document. " * 8]
    expected = st_model.encode(sentences, normalize_embeddings=True, convert_to_numpy=True)
    features = st_model[0].tokenizer(sentences, padding=True, return_tensors="pt")
    got = compiled({"input_ids": features["input_ids"].numpy(), "attention_mask": features["attention_mask"].numpy()})[
        0
    ]
    cosine = float(np.min(np.sum(np.asarray(got) * expected, axis=1)))
    if cosine < PROBE_COSINE:
        raise ModelError(f"the converted model differs from torch (cosine {cosine:.4f})")
