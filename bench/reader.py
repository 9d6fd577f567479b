"""Answers, on two sets.

    .venv/bin/python bench/reader.py            # both
    .venv/bin/python bench/reader.py --set faq  # bench/sets/faq-qa-dev.json only (a few seconds)

faq-qa-dev: given a question and its whole FAQ page, where does the reader put the highlight? A hit is a highlight
that starts inside the gold answer; strict: within the answer's first 300 characters. Also prints the time per
answer (page analysis is cached across the questions of a page, as in the app a document's sentences are cached
across questions).

real-qa (bench/sets/real-qa.json): 50 questions of our own, checked by hand, over Debian's debian-handbook (en-US
HTML) and texlive-latex-base-doc, asked of one index of both (bench/data/qa-index, built on the first run: about 10
minutes here) as `docsense ask` asks them. Right: the first answer's highlighted span, whitespace collapsed and case
ignored, contains one of the question's answers; right document: the first answer is in the question's document.
Also the median time of an ask, search included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import DATA, SETS, debian_package


def faq() -> None:
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
    print("faq-qa-dev:\n")
    print("| questions | inside | strict | no answer | seconds per question |")
    print("|---|---|---|---|---|")
    print(f"| {total} | {hits / total:.3f} | {strict / total:.3f} | {none} | {elapsed / total:.2f} |\n")


def _collapsed(text: str) -> str:
    return " ".join(text.split()).casefold()


def real(verbose: bool) -> None:
    from engine import Library
    from indexer import Indexer

    spec = json.loads((SETS / "real-qa.json").read_text())
    folders = {
        "debian-handbook": debian_package("debian-handbook") / "usr/share/doc/debian-handbook/html/en-US",
        "texlive-latex-base-doc": debian_package("texlive-latex-base-doc") / "usr/share/doc/texlive-doc/latex",
    }
    index = DATA / "qa-index"
    if not (index / "docsense.db").exists():
        Indexer(index).run(list(folders.values()))
    rows: dict[str, list[int]] = {}
    times = []
    with Library(index) as library:
        library.ask("warm up: who wrote it?")
        for q in spec["questions"]:
            started = time.perf_counter()
            answers = library.ask(q["question"], limit=1)
            times.append(time.perf_counter() - started)
            want = str(folders[q["package"]] / q["doc"])
            top = answers[0] if answers else None
            right = top is not None and any(_collapsed(a) in _collapsed(top.answer) for a in q["answers"])
            in_doc = top is not None and Path(top.path).resolve() == Path(want).resolve()
            row = rows.setdefault(q["package"], [0, 0, 0, 0])
            row[0] += 1
            row[1] += right
            row[2] += in_doc
            row[3] += top is None
            if verbose:
                mark = "RIGHT" if right else ("doc  " if in_doc else "wrong")
                got = " ".join(top.answer.split())[:70] if top else "(no answer)"
                where = Path(top.path).name if top else ""
                print(f"{mark} {q['question'][:60]:60s} -> {got} [{where}]")
    print("\nreal-qa:\n")
    print("| package | questions | right | right document | no answer |")
    print("|---|---|---|---|---|")
    for name, (n, right, in_doc, none) in [*rows.items(), ("all", [sum(c) for c in zip(*rows.values(), strict=True)])]:
        print(f"| {name} | {n} | {right / n:.2f} ({right}) | {in_doc / n:.2f} | {none} |")
    print(f"\nmedian ask: {statistics.median(times):.2f} s (slowest {max(times):.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=("faq", "real", "both"), default="both")
    parser.add_argument("-v", "--verbose", action="store_true", help="each real question's answer")
    args = parser.parse_args()
    if args.set in ("faq", "both"):
        faq()
    if args.set in ("real", "both"):
        real(args.verbose)


if __name__ == "__main__":
    main()
