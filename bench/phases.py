"""Where a search's time goes, phase by phase: p50 and p95 of the time spent in each of search's steps.

    .venv/bin/python bench/phases.py /tmp/scale-1m/index            # hybrid (bench/scale.py --keep builds one)
    .venv/bin/python bench/phases.py /tmp/scale-1m/index --keyword  # the keyword side alone

Times the 22 pyfaq-retrieval-dev questions, three rounds after a first pass that warms the page cache, with each of
the functions below timed from inside (a step's time includes the steps it calls). bench/scale.py --profile gives
cProfile's view of the same searches; this one gives the spread over searches, which the p95 targets are about.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set

STEPS = {
    "engine.search": ["_keyword_ids", "_dense_ids", "_weighed_matches", "_weighed_near", "_first_relevant", "_hits",
                      "_document_priors", "_strengths", "spelled", "score_fusion", "best_weighed"],
    "engine.index.store:Store": ["vectors_of", "documents_of", "places_in", "keyword_scores", "keyword_matches",
                                 "keyword_sizes", "window_counts", "hit_rows", "term_counts"],
    "engine.index.ann:CompressedVectorIndex": ["top_views", "_exact_views"],
    "engine.search:QueryTerms": ["of"],
}  # fmt: skip


def _timed(owner: Any, name: str, label: str, spent: dict[str, float]) -> None:
    step: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(step)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    setattr(owner, name, staticmethod(timed) if isinstance(owner.__dict__.get(name), staticmethod) else timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, help="an index folder")
    parser.add_argument("--keyword", action="store_true", help="search by keyword alone")
    args = parser.parse_args()
    import importlib

    spent: dict[str, float] = {}
    for where, names in STEPS.items():
        module, _, cls = where.partition(":")
        owner = getattr(importlib.import_module(module), cls) if cls else importlib.import_module(module)
        for name in names:
            if name in vars(owner):
                _timed(owner, name, f"{cls + '.' if cls else ''}{name}", spent)
    from engine import Library

    modes = ("keyword",) if args.keyword else ("meaning", "keyword")
    spec, _index = question_set("pyfaq")
    queries = [q["query"] for q in spec["queries"]]
    steps: dict[str, list[float]] = {}
    totals = []
    with Library(args.index) as library:
        _timed(type(library.index.encoder), "embed_texts", "embed_texts", spent)
        for query in queries:
            library.search(query, limit=10, modes=modes)
        for _round in range(3):
            for query in queries:
                spent.clear()
                started = time.perf_counter()
                library.search(query, limit=10, modes=modes)
                totals.append(time.perf_counter() - started)
                for label, took in spent.items():
                    steps.setdefault(label, []).append(took)

    def at(values: list[float], share: float) -> float:
        ordered = sorted(values)
        return 1000 * ordered[int(share * (len(ordered) - 1))]

    print(f"{'search':38s} p50 {at(totals, 0.5):7.1f} ms  p95 {at(totals, 0.95):7.1f} ms")
    for label, values in sorted(steps.items(), key=lambda item: -at(item[1], 0.5)):
        print(f"  {label:36s} p50 {at(values, 0.5):7.1f} ms  p95 {at(values, 0.95):7.1f} ms")


if __name__ == "__main__":
    main()
