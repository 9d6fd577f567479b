"""Time to answer a question from an index of a few thousand chunks (the python3.11-doc pages), on this machine.

    .venv/bin/python bench/ask_speed.py     # needs bench/data/pydoc-index: run bench/retrieval.py once first

Asks the 22 questions of pyfaq-retrieval-dev.json after one warm-up question (model loading is start-up, not
answering) and prints the median and slowest time per answer.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set


def main() -> None:
    from engine import Library

    spec, index = question_set("pyfaq")
    if not (index / "docsense.db").exists():
        sys.exit(f"no index at {index}: run bench/retrieval.py first")
    questions = [q["query"] for q in spec["queries"]]
    with Library(index) as library:
        library.ask("How do I read a file?")
        times = []
        for question in questions:
            started = time.perf_counter()
            library.ask(question)
            times.append(time.perf_counter() - started)
        chunks = library.status().chunks
    print("| chunks | questions | median s | slowest s |\n|---|---|---|---|")
    print(f"| {chunks} | {len(times)} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
