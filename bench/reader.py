"""Answer highlighting on bench/sets/faq-qa-dev.json: given a question and its whole FAQ page, where does the
reader put the highlight?

    .venv/bin/python bench/reader.py

A hit is a highlight that starts inside the gold answer; strict: within the answer's first 300 characters. Also
prints the time per answer (page analysis is cached across the questions of a page, as in the app a document's
sentences are cached across questions).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import SETS


def main() -> None:
    from engine.encoder import SentenceEncoder
    from engine.reader.sentence import SentenceReader
    from engine.tagger import load_tagger

    spec = json.loads((SETS / "faq-qa-dev.json").read_text())
    reader = SentenceReader(SentenceEncoder(), load_tagger())
    hits = strict = total = none = 0
    started = time.perf_counter()
    for page in spec["pages"]:
        for q in page["questions"]:
            total += 1
            found = reader.locate(q["question"], page["context"])
            if found is None:
                none += 1
                continue
            hits += q["start"] <= found.start < q["end"]
            strict += q["start"] <= found.start < min(q["end"], q["start"] + 300)
    elapsed = time.perf_counter() - started
    print("| questions | inside | strict | no answer | seconds per question |")
    print("|---|---|---|---|---|")
    print(f"| {total} | {hits / total:.3f} | {strict / total:.3f} | {none} | {elapsed / total:.2f} |")


if __name__ == "__main__":
    main()
