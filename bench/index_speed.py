"""Indexing speed of the whole `docsense index` pipeline (extract, chunk, embed, store) on real corpora.

    .venv/bin/python bench/index_speed.py                 # tests/data/corpus and the python3.11-doc pages
    .venv/bin/python bench/index_speed.py --corpus shared --workers 1

Prints one row per corpus: files, pages, chunks, tokens, seconds, tokens/s, pages/s, the share of the time spent
embedding, and when every file was searchable by keyword (the end of the first phase: seconds, and its share of the
run). Each run starts from an empty index in a temp folder.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import TEST_CORPUS, python_doc_corpus


def corpus_path(name: str) -> Path:
    if name == "shared":
        return TEST_CORPUS
    if name == "pydoc":
        return python_doc_corpus()
    return Path(name)


def measure(name: str, workers: int | None, device: str | None) -> dict[str, object]:
    from engine.encoder import SentenceEncoder
    from indexer import Indexer

    source = corpus_path(name)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(source, corpus)
        encoder = SentenceEncoder(device=device)
        encoder._load()  # model loading is start-up, not indexing speed
        started = time.perf_counter()
        keyword_at = None
        for progress in Indexer(Path(tmp) / "index", encoder=encoder, workers=workers).iter_run([corpus]):
            if progress.phase == "embed" and keyword_at is None:
                keyword_at = time.perf_counter() - started
            summary = progress.summary
        elapsed = time.perf_counter() - started
        assert summary is not None
        keyword_at = elapsed if keyword_at is None else keyword_at
    return {
        "corpus": name,
        "device": encoder.device,
        "files": summary.indexed,
        "failed": len(summary.failed),
        "pages": summary.pages,
        "chunks": summary.chunks,
        "tokens": summary.tokens,
        "seconds": round(elapsed, 1),
        "tokens/s": round(summary.tokens / elapsed),
        "chunks/s": round(summary.chunks / elapsed, 1),
        "files/s": round(summary.indexed / elapsed, 2),
        "pages/s": round(summary.pages / elapsed, 2) if summary.pages else None,
        "embed share": round(summary.embed_s / elapsed, 2),
        "all found by keyword at (s)": round(keyword_at, 1),
        "keyword share": round(keyword_at / elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", help="shared, pydoc, or a folder (repeatable)")
    parser.add_argument("--workers", type=int, default=None, help="extraction processes (default: one a core)")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: automatic)")
    args = parser.parse_args()
    rows = [measure(c, args.workers, args.device) for c in args.corpus or ["shared", "pydoc"]]
    print(f"# {platform.node()} {platform.processor() or platform.machine()}")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join("" if row[k] is None else str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
