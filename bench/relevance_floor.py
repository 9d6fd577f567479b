"""The relevance floors (engine.tuning.SearchTuning): a window is a hit only when its best view's cosine to the query
reaches the meaning floor (the unknown-word floor when most of the query's weight is in words no document has), or
it holds the keyword floor's share of the query's word weight. This sweeps the floors on a question set, on its
questions with a word misspelt, and on queries that nothing in either set answers, and prints, per row:
document-level nDCG@10 of the default search and of meaning only, how many real questions are left without a hit,
how many misspelt ones still find their document, and how many of the NONSENSE queries still get hits.

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
from engine.tuning import DEFAULT_TUNING, SearchTuning

# Typed by a person, answered by nothing in either corpus: letters at random, and questions off every topic there.
NONSENSE = (
    "qwzxv blorptang", "asdf qwer zxcv", "flibbertigibbet wombat sprocket", "xkcd 927 zzyzx", "hjkl hjkl hjkl",
    "zzqj vvbx kkpw", "purple monkey dishwasher", "the best pizza in naples", "how to bake sourdough bread",
    "football world cup 1998 final score", "knitting a wool scarf for beginners", "symptoms of a sprained ankle",
)  # fmt: skip
# Real questions of each set with a word misspelt, as people type them: they should still find their document.
MISSPELT = {
    "pyfaq": (
        ("How do I copy a fiel?", "library/shutil.html"),
        ("How do I programm using threads?", "library/threading.html"),
        ("How do I generate randum numbers in Python?", "library/random.html"),
        ("How do I send mial from a Python script?", "library/smtplib.html"),
        ("persistant objects in Python", "library/pickle.html"), ("curses terminel handling", "library/curses.html"),
    ),
    "latex": (
        ("custom headrs and footers on every page", "latex/fancyhdr/fancyhdr.pdf"),
        ("text set in severel colums on one page", "latex/tools/multicol.pdf"),
        ("a table that continues over several pagse", "latex/tools/longtable.pdf"),
        ("author-year citashuns in the bibliografy", "latex/natbib/natbib.pdf"),
        ("bold mathematicl symbols", "latex/tools/bm.pdf"), ("writing a new documnet class", "latex/base/clsguide.pdf"),
    ),
}  # fmt: skip


def variants() -> list[tuple[str, SearchTuning]]:
    """The floors compared: none, the meaning floor alone (the first steps of issue 15), then the keyword floor and
    the unknown-word floor swept beside the default's other floors."""
    off = DEFAULT_TUNING.without_floors()
    rows = [("no floor", off), ("meaning 0.40 alone", replace(off, meaning_floor=DEFAULT_TUNING.meaning_floor))]
    for floor in (0.30, 0.35, 0.40, 0.45, 0.50):
        rows.append((f"keyword {floor:.2f}", replace(DEFAULT_TUNING, keyword_floor=floor)))
    for floor in (0.45, 0.50, 0.55, 0.60):
        rows.append((f"unknown-word {floor:.2f}", replace(DEFAULT_TUNING, unknown_meaning_floor=floor)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=QUESTION_SETS, default="pyfaq", help="which questions (default pyfaq)")
    args = parser.parse_args()
    from engine import Library

    spec, index = question_set(args.set)
    corpus = set_corpus(args.set)
    misspelt = MISSPELT[args.set]
    print(
        "| floors | nDCG@10 default | nDCG@10 meaning only | questions without a hit | misspelt questions with their "
        f"document in the first 10 (of {len(misspelt)}) | nonsense queries with hits |"
    )
    print("|---|---|---|---|---|---|")
    for label, tuning in variants():
        mark = " (the default)" if tuning == DEFAULT_TUNING else ""
        with Library(index, tuning=tuning) as library:
            row = []
            for modes in (("meaning", "keyword"), ("meaning",)):
                ranked = [ranked_documents(library, q["query"], modes, corpus) for q in spec["queries"]]
                row.append(sum(scores(r, set(q["relevant"]))[0] for r, q in zip(ranked, spec["queries"], strict=True)))
                if modes == ("meaning", "keyword"):
                    empty = sum(1 for r in ranked if not r)
            found = sum(doc in ranked_documents(library, q, ("meaning", "keyword"), corpus) for q, doc in misspelt)
            answered = [q for q in NONSENSE if library.search(q, limit=10)]
        n = len(spec["queries"])
        print(f"| {label}{mark} | {row[0] / n:.3f} | {row[1] / n:.3f} | {empty} of {n} | {found} | "
              f"{len(answered)} of {len(NONSENSE)}: {', '.join(answered) or '-'} |")  # fmt: skip


if __name__ == "__main__":
    main()
