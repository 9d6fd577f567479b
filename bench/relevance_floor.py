"""The meaning floor (engine.tuning.SearchTuning.meaning_floor): a window found by meaning alone is a hit only when
its best view's cosine to the query reaches it. This sweeps the floor on both question sets and on queries that
nothing in them answers, and prints, per floor: document-level nDCG@10 of the default search and of meaning only,
how many real questions are left without a hit, and how many of the NONSENSE queries still get hits.

    .venv/bin/python bench/relevance_floor.py               # pyfaq-retrieval-dev over bench/data/pydoc-index
    .venv/bin/python bench/relevance_floor.py --set latex   # bench/latex-check.json over texlive-latex-base-doc

Build the indexes first with bench/retrieval.py (and --set latex).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import QUESTION_SETS, question_set, set_corpus
from bench.retrieval import ranked_documents, scores

FLOORS = (0.0, 0.35, 0.38, 0.40, 0.42, 0.45, 0.48)
# Typed by a person, answered by nothing in either corpus: letters at random, and questions off every topic there.
NONSENSE = (
    "qwzxv blorptang", "asdf qwer zxcv", "flibbertigibbet wombat sprocket", "xkcd 927 zzyzx", "hjkl hjkl hjkl",
    "zzqj vvbx kkpw", "purple monkey dishwasher", "the best pizza in naples", "how to bake sourdough bread",
    "football world cup 1998 final score", "knitting a wool scarf for beginners", "symptoms of a sprained ankle",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=QUESTION_SETS, default="pyfaq", help="which questions (default pyfaq)")
    args = parser.parse_args()
    from engine import Library
    from engine.tuning import DEFAULT_TUNING

    spec, index = question_set(args.set)
    corpus = set_corpus(args.set)
    print("| floor | nDCG@10 default | nDCG@10 meaning only | questions without a hit | nonsense queries with hits |")
    print("|---|---|---|---|---|")
    for floor in FLOORS:
        mark = " (the default)" if floor == DEFAULT_TUNING.meaning_floor else ""
        with Library(index, tuning=replace(DEFAULT_TUNING, meaning_floor=floor)) as library:
            row = []
            for modes in (("meaning", "keyword"), ("meaning",)):
                ranked = [ranked_documents(library, q["query"], modes, corpus) for q in spec["queries"]]
                row.append(sum(scores(r, set(q["relevant"]))[0] for r, q in zip(ranked, spec["queries"], strict=True)))
                if modes == ("meaning", "keyword"):
                    empty = sum(1 for r in ranked if not r)
            answered = [q for q in NONSENSE if library.search(q, limit=10)]
        n = len(spec["queries"])
        print(f"| {floor:.2f}{mark} | {row[0] / n:.3f} | {row[1] / n:.3f} | {empty} of {n} | "
              f"{len(answered)} of {len(NONSENSE)}: {', '.join(answered) or '-'} |")  # fmt: skip


if __name__ == "__main__":
    main()
