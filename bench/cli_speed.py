"""Wall time of `docsense search` as a user runs it: a new process each time, alone and beside `docsense serve`.

    .venv/bin/python bench/cli_speed.py                  # bench/data/pydoc-index: run bench/retrieval.py once first
    .venv/bin/python bench/cli_speed.py --index DIR --rounds 5 --json

Runs the first 8 questions of pyfaq-retrieval-dev.json (or --query ...) as `docsense search QUERY --index DIR` in a
new process each, `--rounds` times: first with nothing serving the index (a cold search: the interpreter, the
imports, the compiled encoder and the vectors loaded, then the search), then beside a `docsense serve` started here
(the search sent over its socket). One search before each series is not timed (the disk's caches warm, and the
OpenVINO conversion made if it is not cached yet). Prints the median and slowest wall time and the median CPU
time of each, and whether the cold command imported torch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set

DOCSENSE = [sys.executable, "-m", "desktop.cli"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def series(index: Path, queries: list[str], rounds: int) -> dict[str, float]:
    timed([*DOCSENSE, "search", queries[0], "--index", str(index), "-n", "10"])
    walls, cpus = [], []
    for _ in range(rounds):
        for query in queries:
            wall, cpu = timed([*DOCSENSE, "search", query, "--index", str(index), "-n", "10"])
            walls.append(wall)
            cpus.append(cpu)
    return {
        "searches": len(walls),
        "p50_s": round(statistics.median(walls), 3),
        "max_s": round(max(walls), 3),
        "cpu_p50_s": round(statistics.median(cpus), 3),
    }


def imports_torch(index: Path, query: str) -> bool:
    code = (
        f"import sys; sys.argv = ['docsense', 'search', {query!r}, '--index', {str(index)!r}]\n"
        "from desktop.cli import main\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print('torch' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1] == "True"


def main() -> None:
    from desktop.remote import request

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="index folder (default: bench/data/pydoc-index)")
    parser.add_argument("--query", action="append", help="the searches to time (default: 8 dev questions)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    spec, default_index = question_set("pyfaq")
    index = (args.index or default_index).resolve()
    if not (index / "docsense.db").exists():
        sys.exit(f"no index at {index}: run bench/retrieval.py first")
    if request(index, {"op": "ping"}) is not None:
        sys.exit(f"a DocSense process already serves {index}: stop it first, so that the cold searches are cold")
    queries = args.query or [q["query"] for q in spec["queries"][:8]]
    out: dict[str, object] = {"index": str(index), "cold": series(index, queries, args.rounds)}
    out["cold_imports_torch"] = imports_torch(index, queries[0])
    server = subprocess.Popen([*DOCSENSE, "serve", "--index", str(index), "--quiet"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while request(index, {"op": "ping"}) is None:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"docsense serve did not start: {server.communicate()[1].decode().strip()}")
            time.sleep(0.2)
        out["served"] = series(index, queries, args.rounds)
    finally:
        server.terminate()
        server.wait(30)
    out["cores"] = os.cpu_count()
    if args.json:
        print(json.dumps(out))
        return
    for name in ("cold", "served"):
        row = out[name]
        assert isinstance(row, dict)
        print(f"{name:>7}: {row['searches']} searches, wall p50 {row['p50_s']:.3f} s, max {row['max_s']:.3f} s, "
              f"CPU p50 {row['cpu_p50_s']:.3f} s")  # fmt: skip
    print(f"the cold command imported torch: {out['cold_imports_torch']}")


if __name__ == "__main__":
    main()
