"""Time per search, and how many documents the first hits show, on the python3.11-doc index.

    .venv/bin/python bench/search_speed.py     # needs bench/data/pydoc-index: run bench/retrieval.py once first
    .venv/bin/python bench/search_speed.py --index DIR --query "font encoding" --query ...   # another index
    .venv/bin/python bench/search_speed.py --set latex   # bench/latex-check.json on bench/data/texlive-index

Runs the 22 questions of pyfaq-retrieval-dev.json as searches (limit 10, three rounds, after one warm-up search:
loading the model is start-up, not searching) and prints the median and slowest time per search, and the mean and
fewest distinct documents among each search's 10 hits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import QUESTION_SETS, question_set


def main() -> None:
    from engine import Library

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=QUESTION_SETS, default="pyfaq", help="whose questions and index")
    parser.add_argument("--index", type=Path, help="index folder (default: bench/data/pydoc-index or texlive-index)")
    parser.add_argument("--query", action="append", help="the searches to time (default: the set's questions)")
    args = parser.parse_args()
    spec, index = question_set(args.set)
    index = args.index or index
    if not (index / "docsense.db").exists():
        sys.exit(f"no index at {index}: run bench/retrieval.py{' --set latex' * (args.set == 'latex')} first")
    queries = args.query or [q["query"] for q in spec["queries"]]
    with Library(index) as library:
        library.search("warm up", limit=10)
        took, documents = [], []
        for _round in range(3):
            for query in queries:
                started = time.perf_counter()
                hits = library.search(query, limit=10)
                took.append(time.perf_counter() - started)
                documents.append(len({h.path for h in hits}))
        windows = library.status().chunks
    print("| windows | searches | median ms | slowest ms | documents in the first 10 hits (mean, fewest) |")
    print("|---|---|---|---|---|")
    print(f"| {windows} | {len(took)} | {statistics.median(took) * 1000:.1f} | {max(took) * 1000:.1f} "
          f"| {statistics.mean(documents):.2f}, {min(documents)} |")  # fmt: skip


if __name__ == "__main__":
    main()
