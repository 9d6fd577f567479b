"""A big index from real text and realistic vectors, without embedding it: memory, search time, agreement with exact.

    .venv/bin/python bench/scale.py --windows 100000 --json       # needs bench/data/pydoc-index (bench/retrieval.py)
    .venv/bin/python bench/scale.py --windows 100000 --keep /tmp/scale-100k   # keep the index for other benches
    .venv/bin/python bench/scale.py --profile /tmp/scale-100k/index           # where a search's time goes

Builds an index of N windows in a temp folder from bench/data/pydoc-index (the python3.11-doc pages, real text and
real vectors): copy k of each of its documents is a document of its own (<path>/copy-k), with the same text and
windows, and each copy's view vectors are the real ones with Gaussian noise (sigma 0.05 a dimension, renormalised),
so a copy's neighbours are about as close as real neighbours are. Nothing is embedded but the queries.

Then a fresh process opens it as `docsense search` does and times the 22 pyfaq-retrieval-dev questions as hybrid
searches (three rounds after a warm-up), and compares the meaning side's 10 best windows with an exact scan of every
stored vector (numpy, best view per window, streamed from the rows), each asked as a search asks (the best
candidates x evidence_depth views). Prints one JSON object: windows, vectors, rss_mb (the searching
process, after its searches, before the exact scan), p50_ms, p95_ms (hybrid search), recall_at_10 (the vector
store's top 10 windows against the exact scan's), keyword_p50_ms, keyword_p95_ms (the same questions searched by
keyword alone, three rounds), build_s, db_mb, vectors_mb, weights_mb (the files on disk; weights_s, the time to
weigh the common words, when the index is big enough for them: engine.index.impacts).
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
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import DATA, question_set
from engine.tuning import DEFAULT_TUNING

SOURCE = DATA / "pydoc-index"
NOISE = 0.05


def build(target: Path, windows: int, seed: int = 0, documents: int | None = None) -> dict[str, float]:
    """An index of about ``windows`` windows at ``target`` (or of ``documents`` documents, when given), made from
    SOURCE's documents and vectors."""
    from engine.index import Index
    from engine.index.store import NewChunk, NewDocument

    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    source = Index(SOURCE)
    store = source.store
    dim = source.dim
    docs = []
    for row in store.conn.execute("SELECT d.id, d.path, d.type, d.title, t.text FROM documents d JOIN texts t ON "
                                  "t.doc_id = d.id ORDER BY d.id"):  # fmt: skip
        chunks = list(store.conn.execute(
            'SELECT start, "end", page_start, page_end, heading, text, n_tokens, vector, views FROM chunks '
            "WHERE doc_id = ? AND pending IS NULL ORDER BY ord", (row[0],)
        ))  # fmt: skip
        if chunks:
            docs.append((row, chunks))
    per_copy = sum(len(c) for _d, c in docs)
    copies = max(1, -(-windows // per_copy) if documents is None else -(-documents // len(docs)))
    windows = windows if documents is None else 1 << 62
    stored = 0
    index = Index(target, encoder=source.encoder_name, create=True)
    made = 0
    with index.write() as change:
        index.record_encoder()
        change.add_folder("/scale")
    for k in range(copies):
        with index.write() as change:
            for (_doc_id, path, kind, title, text), chunks in docs:
                if made >= windows or (documents is not None and stored >= documents):
                    break
                stored += 1
                new_chunks = []
                for ord_, (start, end, page_start, page_end, heading, chunk_text, n_tokens, blob, views) in enumerate(
                    chunks
                ):
                    vectors = np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
                    if k:
                        vectors = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
                        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                    new_chunks.append(NewChunk(
                        ord=ord_, start=start, end=end, page_start=page_start, page_end=page_end, heading=heading,
                        text=chunk_text, n_tokens=n_tokens, vector=vectors,
                        view_spans=tuple(tuple(s) for s in json.loads(views)) if views else (),
                    ))  # fmt: skip
                made += len(new_chunks)
                change.put_document(NewDocument(
                    path=f"/scale{path}/copy-{k}", folder="/scale", type=kind, size=len(text), mtime_ns=0,
                    sha256="", pages=None, title=title, text=text, page_starts=None, sections=[], chunks=new_chunks,
                ))  # fmt: skip
    index.save_vectors()
    built = {"build_s": round(time.perf_counter() - started, 1)}
    if index.impacts_due():  # as the end of an indexing run does (engine.index.impacts)
        weighing = time.perf_counter()
        for _done, _total in index.build_impacts():
            pass
        built["weights_s"] = round(time.perf_counter() - weighing, 1)
    index.close()
    source.close()
    return built


def measure(target: Path) -> dict[str, float]:
    """Open the index at ``target`` as a search would, time the questions, and check the vector store's top 10."""
    from engine import Library

    spec, _index = question_set("pyfaq")
    queries = [q["query"] for q in spec["queries"]]
    with Library(target) as library:
        library.search("warm up", limit=10)
        took = []
        for _round in range(3):
            for query in queries:
                started = time.perf_counter()
                library.search(query, limit=10)
                took.append(time.perf_counter() - started)
        keyword = []
        for _round in range(3):
            for query in queries:
                started = time.perf_counter()
                library.search(query, limit=10, modes=("keyword",))
                keyword.append(time.perf_counter() - started)
        rss_kb = _rss_kb()  # before the exact scan below loads every vector once more
        index = library.index
        vectors = index.vectors()
        qs = np.stack([index.encoder.embed_texts([query])[0] for query in queries])
        exact = _exact_top10(index, qs)
        agree = []
        for q, best in zip(qs, exact, strict=True):
            # As a search asks: the best views for its meaning evidence (candidates x evidence_depth).
            got_ids, _views, _scores = vectors.top_views(q, DEFAULT_TUNING.candidates * DEFAULT_TUNING.evidence_depth)
            got = list(dict.fromkeys(int(c) for c in got_ids))[:10]
            agree.append(len(set(got) & set(best)) / 10)
        status = library.status()
    took_ms = sorted(t * 1000 for t in took)
    keyword_ms = sorted(t * 1000 for t in keyword)
    return {
        "windows": status.chunks,
        "vectors": len(vectors),
        "rss_mb": round(rss_kb / 1024),
        "p50_ms": round(statistics.median(took_ms), 1),
        "p95_ms": round(took_ms[int(0.95 * (len(took_ms) - 1))], 1),
        "recall_at_10": round(statistics.mean(agree), 3),
        "keyword_p50_ms": round(statistics.median(keyword_ms), 1),
        "keyword_p95_ms": round(keyword_ms[int(0.95 * (len(keyword_ms) - 1))], 1),
        "db_mb": round((target / "docsense.db").stat().st_size / 2**20),
        "vectors_mb": round((target / "vectors.faiss").stat().st_size / 2**20),
        "weights_mb": round(sum(f.stat().st_size for f in (target / "impacts").glob("*")) / 2**20),
        "store": index.vectors_backend + (" (compressed)" if getattr(vectors, "compressed", False) else ""),
    }


def profile(target: Path) -> None:
    """Where the hybrid searches' time goes: cProfile of the 22 questions searched a second time (the first pass
    reads what the page cache lacks and counts the questions' words), the 30 costliest functions by cumulative
    time."""
    import cProfile
    import pstats

    from engine import Library

    spec, _index = question_set("pyfaq")
    queries = [q["query"] for q in spec["queries"]]
    with Library(target) as library:
        for query in queries:
            library.search(query, limit=10)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for query in queries:
            library.search(query, limit=10)
        profiler.disable()
        print(f"{1000 * (time.perf_counter() - started) / len(queries):.1f} ms a search")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def _exact_top10(index: object, qs: np.ndarray) -> list[list[int]]:
    """Each query's 10 best windows by an exact scan of every stored vector (best view per window), read from the
    rows in batches so that a million windows' vectors are never all in memory."""
    dim = index.dim  # type: ignore[attr-defined]
    best: list[dict[int, float]] = [{} for _ in qs]
    rows = index.store.conn.execute("SELECT id, vector FROM chunks WHERE pending IS NULL")  # type: ignore[attr-defined]
    while batch := rows.fetchmany(20_000):
        mats = [np.frombuffer(blob, dtype=np.float32).reshape(-1, dim) for _id, blob in batch]
        owners = np.repeat([i for i, _blob in batch], [len(m) for m in mats])
        scores = np.concatenate(mats) @ qs.T  # (views, queries)
        for j, kept in enumerate(best):
            top = np.argpartition(-scores[:, j], 300)[:300] if len(scores) > 300 else np.arange(len(scores))
            for i in top.tolist():
                c, v = int(owners[i]), float(scores[i, j])
                if v > kept.get(c, -2.0):
                    kept[c] = v
            if len(kept) > 2_000:  # keep the best 300 windows seen so far
                for c in sorted(kept, key=kept.__getitem__)[: len(kept) - 300]:
                    del kept[c]
    return [sorted(kept, key=lambda c: -kept[c])[:10] for kept in best]


def _rss_kb() -> int:
    """This process's resident memory (Linux)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the index here and keep it")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the default prints it too)")
    parser.add_argument("--store", default="faiss-auto", help="the vector store (vector_store): faiss-auto, faiss-flat")
    parser.add_argument("--build-only", action="store_true", help="with --keep: build, measure later with --measure")
    parser.add_argument("--measure", type=Path, help="measure the index at this folder (KEEP/index)")
    parser.add_argument("--profile", type=Path, help="cProfile a second pass of the questions at this index folder")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if not (SOURCE / "docsense.db").exists():
        sys.exit(f"no index at {SOURCE}: run bench/retrieval.py once first")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="docsense-scale-"))
    try:
        os.environ["DOCSENSE_VECTOR_STORE"] = args.store
        built = build(folder / "index", args.windows)
        if args.build_only and args.keep is not None:
            print(json.dumps(built))
            return
        out = subprocess.run([sys.executable, __file__, "--measure", str(folder / "index")], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        print(json.dumps({**json.loads(out.strip().splitlines()[-1]), **built}))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
