"""Delay from saving a changed file to finding its new text, in a 10,000-file index, beside `docsense watch`.

    .venv/bin/python bench/change_delay.py                 # needs bench/data/pydoc-index (bench/retrieval.py)
    .venv/bin/python bench/change_delay.py --files 10000 --rounds 5 --debounce 1.0 --json
    .venv/bin/python bench/change_delay.py --keep /tmp/delay    # keep (and reuse) the big index

Builds a big index as bench/scale.py does (copies of the python3.11-doc pages with perturbed real vectors, no
embedding), of --files documents, and adds a real folder holding one Markdown note (indexed with the real
encoder). Then starts `docsense watch NOTES` (which also answers searches over the index's socket, as the window
does) and, each round, rewrites the note with a sentence holding a new made-up word and times, from the write:
  keyword_s: until a search for that word (sent to the watching process, as `docsense search` sends it) finds the
             note: its new text searchable;
  meaning_s: until that hit is embedded too: found by meaning as well;
  batch_s:   the watcher's whole run for the change, entities included (the next round waits for it).
Prints the median and slowest of each, and the index's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import SOURCE, build

DOCSENSE = [sys.executable, "-m", "desktop.cli"]
POLL_S = 0.02
NOTE = (
    "# Field notes {n}\n\nThe {word} is a small marsupial we saw on round {n} of the survey. It lives on islands off "
    "the western coast, eats leaves and grasses, and is active at night.\n"
)


def main() -> None:
    from desktop.remote import request

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="documents in the big index")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--debounce", type=float, default=1.0, help="docsense watch --debounce")
    parser.add_argument("--keep", type=Path, help="build the index here (or reuse the one there) and keep it")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    if not (SOURCE / "docsense.db").exists():
        sys.exit(f"no index at {SOURCE}: run bench/retrieval.py once first")
    folder = (args.keep or Path(tempfile.mkdtemp(prefix="docsense-delay-"))).resolve()
    index, notes = folder / "index", folder / "notes"
    watch = None
    try:
        built = {}
        if not (index / "docsense.db").exists():
            built = build(index, 0, documents=args.files - 1)
            notes.mkdir(parents=True, exist_ok=True)
            (notes / "note.md").write_text(NOTE.format(n=0, word="quokka"))
            subprocess.run([*DOCSENSE, "index", str(notes), "--index", str(index), "-q"], check=True)
        note = notes / "note.md"
        watch = subprocess.Popen(
            [*DOCSENSE, "watch", str(notes), "--index", str(index), "--debounce", str(args.debounce)],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert watch.stderr is not None
        for line in watch.stderr:
            if "watching" in line.lower():
                break
        else:
            sys.exit("docsense watch stopped before it watched")
        batches: list[str] = []  # the watcher's lines for the batches it indexed, with how long each took
        threading.Thread(target=lambda: batches.extend(ln for ln in watch.stderr if "changed path" in ln),  # type: ignore[union-attr]
                         daemon=True).start()  # fmt: skip
        while request(index, {"op": "ping"}) is None:
            time.sleep(0.1)
        request(index, {"op": "search", "query": "warm up", "limit": 1})
        keyword, meaning, batch_s = [], [], []
        for n in range(1, args.rounds + 1):
            word = f"zorbl{n}x{os.getpid()}"
            ask = {"op": "search", "query": word, "limit": 1, "modes": ["keyword"]}
            written = time.perf_counter()
            note.write_text(NOTE.format(n=n, word=word))
            found = None
            while time.perf_counter() - written < 60:
                hits = request(index, ask)["hits"]
                if hits and hits[0]["path"] == str(note):
                    if found is None:
                        found = time.perf_counter() - written
                    if hits[0]["embedded"]:
                        break
                time.sleep(POLL_S)
            else:
                sys.exit(f"round {n}: the note's new text was not found within 60 s")
            keyword.append(found)
            meaning.append(time.perf_counter() - written)
            while len(batches) < n and time.perf_counter() - written < 120:  # its batch ends (entities stored)
                time.sleep(0.05)
            batch_s.append(float(batches[-1].rsplit("(", 1)[1].split()[0]) if len(batches) >= n else float("nan"))
        status = json.loads(subprocess.run([*DOCSENSE, "status", "--index", str(index), "--json"],
                                           capture_output=True, text=True, check=True).stdout)  # fmt: skip
        out = {
            "documents": status["documents"],
            "windows": status["chunks"],
            "debounce_s": args.debounce,
            "keyword_p50_s": round(statistics.median(keyword), 2),
            "keyword_max_s": round(max(keyword), 2),
            "meaning_p50_s": round(statistics.median(meaning), 2),
            "meaning_max_s": round(max(meaning), 2),
            "batch_p50_s": round(statistics.median(batch_s), 2),
            **built,
        }
        print(json.dumps(out) if args.json else "\n".join(f"{k:>14}: {v}" for k, v in out.items()))
    finally:
        if watch is not None:
            watch.terminate()
            watch.wait(60)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
