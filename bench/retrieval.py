"""Search quality on ../shared/bench/pyfaq-retrieval-dev.json: document-level nDCG@10, MRR@10, Recall@10.

    .venv/bin/python bench/retrieval.py            # builds bench/data/pydoc-index once, then reuses it
    .venv/bin/python bench/retrieval.py --rebuild  # re-index (after a change to extraction or chunking)

A document is ranked by its best chunk. Rows: keyword only (BM25), meaning only (dense), and the default (hybrid).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import DATA, SHARED, python_doc_corpus

K = 10
MODES = {"keyword only": ("keyword",), "meaning only": ("meaning",), "default (hybrid)": ("meaning", "keyword")}


def ranked_documents(library: object, query: str, modes: tuple[str, ...], corpus: Path) -> list[str]:
    hits = library.search(query, limit=200, modes=modes)  # type: ignore[attr-defined]
    docs: list[str] = []
    for hit in hits:
        rel = Path(hit.path).relative_to(corpus).as_posix()
        if rel not in docs:
            docs.append(rel)
        if len(docs) == K:
            break
    return docs


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:K]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    mrr = next((1 / (i + 1) for i, d in enumerate(ranked[:K]) if d in relevant), 0.0)
    recall = len(relevant & set(ranked[:K])) / len(relevant)
    return dcg / ideal, mrr, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="index the corpus again from scratch")
    parser.add_argument("--index", type=Path, default=DATA / "pydoc-index")
    args = parser.parse_args()

    from engine import Library
    from indexer import Indexer

    spec = json.loads((SHARED / "bench" / "pyfaq-retrieval-dev.json").read_text())
    corpus = python_doc_corpus()
    if args.rebuild or not (args.index / "docsense.db").exists():
        import shutil

        shutil.rmtree(args.index, ignore_errors=True)
        Indexer(args.index).run([corpus])
    with Library(args.index) as library:
        print(f"| method | nDCG@{K} | MRR@{K} | Recall@{K} |")
        print("|---|---|---|---|")
        for name, modes in MODES.items():
            rows = [
                scores(ranked_documents(library, q["query"], modes, corpus), set(q["relevant"]))
                for q in spec["queries"]
            ]
            means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
            print(f"| {name} | {means[0]:.3f} | {means[1]:.3f} | {means[2]:.3f} |")


if __name__ == "__main__":
    main()
