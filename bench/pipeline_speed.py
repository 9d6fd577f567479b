"""Indexing speed per stage and for the whole pipeline, against the naive baseline, on the CPU and (if any) the GPU.

    .venv/bin/python bench/pipeline_speed.py                      # python3.11-doc pages, every device present
    .venv/bin/python bench/pipeline_speed.py --limit 60 --device cpu
    .venv/bin/python bench/pipeline_speed.py --corpus shared      # tests/data/corpus (PDFs, HTML, text)

Stages, each timed alone over the same files, one process:
- extract: bytes to text (pdfium / html.parser / ...): pages/s (an HTML or text file counts as one page).
- chunk: tokenize, cut 512-token windows and their 128-token views: tokens/s, windows/s.
- tag: spaCy entities (DOCSENSE_TAGGER, default en_core_web_sm): tokens/s.
- embed: the encoder on the views' token ids: tokens/s (of the windows), windows/s, views/s; on a CPU with the
  default backend (OpenVINO) and with torch.
- pipeline: `Indexer.run` into a fresh index (extraction processes, tagging, embedding, SQLite, FAISS).
- baseline: the naive way, for comparison (issue 7): the extracted text cut into 512-token windows, each window's
  text given to SentenceTransformer.encode (fp32, batch 32), which tokenizes it again.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import TEST_CORPUS, python_doc_corpus


def files_of(corpus: str, limit: int) -> list[Path]:
    from indexer.extract import SUFFIX_TYPES

    root = TEST_CORPUS if corpus == "shared" else python_doc_corpus() if corpus == "pydoc" else Path(corpus)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIX_TYPES and "broken" not in p.parts)
    return files[:limit] if limit else files


def row(stage: str, seconds: float, tokens: int = 0, windows: int = 0, pages: int = 0, views: int = 0) -> dict:
    return {
        "stage": stage,
        "seconds": round(seconds, 2),
        "tokens/s": round(tokens / seconds) if tokens else "",
        "windows/s": round(windows / seconds, 1) if windows else "",
        "views/s": round(views / seconds, 1) if views else "",
        "pages/s": round(pages / seconds, 1) if pages else "",
    }


def measure(files: list[Path], device: str) -> list[dict]:
    from engine.encoder import SentenceEncoder
    from engine.tagger import DEFAULT_TAGGER, load_tagger
    from indexer import Indexer
    from indexer.chunk import chunk_text
    from indexer.extract import SUFFIX_TYPES, extract

    encoder = SentenceEncoder(device=device)
    model = encoder._load()  # loading is start-up, not indexing
    rows = []

    started = time.perf_counter()
    extracted = [extract(SUFFIX_TYPES[p.suffix.lower()], p.read_bytes()) for p in files]
    pages = sum(len(x.page_starts) if x.page_starts else 1 for x in extracted)
    rows.append(row("extract", time.perf_counter() - started, pages=pages))

    started = time.perf_counter()
    chunks = [chunk_text(x.text, encoder.tokenizer, x.page_starts, x.sections, title=x.title) for x in extracted]
    windows = [c for cs in chunks for c in cs]
    tokens = sum(len(c.token_ids) for c in windows)
    rows.append(row("chunk", time.perf_counter() - started, tokens, len(windows), pages))

    tagger = load_tagger()
    if tagger is not None:
        tagger_name = os.environ.get("DOCSENSE_TAGGER") or DEFAULT_TAGGER
        tagger.tag([extracted[0].text[:1000]])
        started = time.perf_counter()
        tagger.tag([x.text for x in extracted])
        rows.append(row(f"tag ({tagger_name})", time.perf_counter() - started, tokens, len(windows), pages))

    views = [v for c in windows for v in c.views]
    backends = [encoder] + ([SentenceEncoder(device=device, backend="torch")] if encoder.backend != "torch" else [])
    for enc in backends:
        enc.embed_ids(views[:64])  # warm-up: conversion, first-call costs (kernels, allocations) are start-up too
        started = time.perf_counter()
        enc.embed_ids(views)
        took = time.perf_counter() - started
        rows.append(row(f"embed views ({device}, {enc.backend})", took, tokens, len(windows), pages, len(views)))

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, p in enumerate(files):
            shutil.copy(p, corpus / f"{i:05d}-{p.name}")
        started = time.perf_counter()
        summary = Indexer(Path(tmp) / "index", encoder=encoder).run([corpus])
        took = time.perf_counter() - started
        rows.append(row(f"pipeline ({device}, {encoder.backend})", took, summary.tokens, summary.chunks,
                        summary.pages or pages))  # fmt: skip

    texts = [x.text[c.start : c.end] for x, cs in zip(extracted, chunks, strict=True) for c in cs]
    model.encode(texts[:32], batch_size=32)
    started = time.perf_counter()
    model.encode(texts, batch_size=32, convert_to_numpy=True)
    rows.append(row(f"baseline ST.encode ({device})", time.perf_counter() - started, tokens, len(texts), pages))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="pydoc", help="pydoc, shared, or a folder")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--device", action="append", help="cpu, cuda (repeatable; default: cpu, and cuda if any)")
    args = parser.parse_args()
    import torch

    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    files = files_of(args.corpus, args.limit)
    print(
        f"# {len(files)} files of {args.corpus}; {platform.node()}, {os.cpu_count()} cores, torch {torch.__version__}"
    )
    for device in devices:
        if device.startswith("cuda"):
            print(f"# {torch.cuda.get_device_name(0)}")
        rows = measure(files, device)
        keys = list(rows[0])
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for r in rows:
            print("| " + " | ".join(str(r[k]) for k in keys) + " |")
        pipeline = next(r for r in rows if r["stage"].startswith("pipeline"))
        baseline = next(r for r in rows if r["stage"].startswith("baseline"))
        print(f"\npipeline / baseline ({device}): {baseline['seconds'] / pipeline['seconds']:.2f}x\n")


if __name__ == "__main__":
    main()
