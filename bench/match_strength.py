"""How the words of SearchHit.strength (strong, good, weak) fall on judged hits: the first hit of each question,
the hits of its relevant documents and the others among the first 10.

    .venv/bin/python bench/match_strength.py   # pyfaq-retrieval-dev and the LaTeX check (bench/retrieval.py)
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set, set_corpus


def main() -> None:
    from engine import Library

    print("| set | first hit strong / good / weak | relevant hits | other hits |\n|---|---|---|---|")
    for name in ("pyfaq", "latex"):
        spec, index = question_set(name)
        corpus = set_corpus(name)
        first: Counter[str] = Counter()
        relevant: Counter[str] = Counter()
        other: Counter[str] = Counter()
        with Library(index) as library:
            for q in spec["queries"]:
                hits = library.search(q["query"], limit=10)
                first[hits[0].strength] += 1
                for hit in hits:
                    judged = Path(hit.path).relative_to(corpus).as_posix() in set(q["relevant"])
                    (relevant if judged else other)[hit.strength] += 1

        def shown(c: Counter[str]) -> str:
            return " / ".join(str(c[k]) for k in ("strong", "good", "weak"))

        print(f"| {name} | {shown(first)} | {shown(relevant)} | {shown(other)} |")


if __name__ == "__main__":
    main()
