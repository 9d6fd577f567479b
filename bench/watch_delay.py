"""Delay from saving a file to finding it with a search, with `docsense watch`'s machinery and the real encoder.

    .venv/bin/python bench/watch_delay.py [--debounce 1.0] [--rounds 5]

Watches a temp copy of tests/data/corpus; each round saves a new Markdown file, then searches (hybrid, a fresh
Library each time, as a separate CLI call would) every 50 ms until the file is the top hit; then renames it and
waits for the new path. Prints the delays.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import TEST_CORPUS


def wait_for(index: Path, query: str, path: Path, limit_s: float = 60) -> float:
    from engine import Library

    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        try:
            with Library(index) as lib:
                hits = lib.search(query, limit=1)
            if hits and hits[0].path == str(path):
                return time.perf_counter() - started
        except Exception:  # the index may be mid-write: try again
            pass
        time.sleep(0.05)
    raise SystemExit(f"{path} not found within {limit_s} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debounce", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from indexer import Indexer
    from indexer.watch import Watcher

    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(TEST_CORPUS, corpus)
        watcher = Watcher(Indexer(index), [corpus], debounce_s=args.debounce)
        watcher.start()
        watcher.wait_ready(600)
        saves, renames = [], []
        for i in range(args.rounds):
            path = corpus / "markdown" / f"note-{i}.md"
            word = f"zorblax{i}"
            path.write_text(f"# Field note {i}\n\nThe {word} migrates north every spring to nest.")
            saves.append(wait_for(index, f"{word} migration", path))
            moved = path.with_name(f"moved-{i}.md")
            path.rename(moved)
            renames.append(wait_for(index, f"{word} migration", moved))
        watcher.stop()
    print(f"debounce {args.debounce} s, {args.rounds} rounds, CPU, all-MiniLM-L6-v2")
    print("| event | median s | max s |\n|---|---|---|")
    print(f"| save → searchable | {statistics.median(saves):.2f} | {max(saves):.2f} |")
    print(f"| rename → new path searchable | {statistics.median(renames):.2f} | {max(renames):.2f} |")


if __name__ == "__main__":
    main()
