"""Time to explain a hit (engine.explain: the keyword side's words, the encoder's token vectors of its best view).

    .venv/bin/python bench/explain_speed.py     # over bench/data/qa-index (bench/reader.py builds it)

Searches the first 10 questions of bench/sets/real-qa.json and explains the first 3 hits of each; prints the first
explanation's time (it loads the torch model that gives token vectors) and the median and slowest of the rest.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve().parent


def main() -> None:
    from engine import Library

    questions = [q["question"] for q in json.loads((HERE / "sets" / "real-qa.json").read_text())["questions"][:10]]
    times = []
    with Library(HERE / "data" / "qa-index") as library:
        library.search("warm up", limit=1)
        for question in questions:
            for hit in library.search(question, limit=3):
                start = time.perf_counter()
                library.explain(question, hit)
                times.append(time.perf_counter() - start)
    rest = times[1:]
    print(f"| explanations | first s | median ms | slowest ms |\n|---|---|---|---|\n| {len(times)} | {times[0]:.1f} | "
          f"{statistics.median(rest) * 1000:.0f} | {max(rest) * 1000:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
