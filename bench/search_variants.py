"""The experiments behind issue 6: ways to embed and fuse 512-token windows, scored on pyfaq-retrieval-dev.

    .venv/bin/python bench/search_variants.py               # embeds what is not cached yet, then prints the table
    .venv/bin/python bench/search_variants.py --only views128-title --only window

Outside the product's code path on purpose: the corpus is extracted and chunked once (512-token windows, 64
overlap, as the indexer does), every variant's vectors are cached under bench/data/variants/, and rankings are
computed in memory, so a new idea costs one embedding pass (6-11 minutes on 2 CPU cores), not a re-index.
Documents are ranked by their best window, as in bench/retrieval.py.

Dense variants (a window is scored by its best vector):
- window: one vector per 512-token window (the design before issue 6).
- late64, late128: mean of the window's own token vectors over 64- or 128-token segments (no extra model work).
- views128: 128-token sub-windows of the window; views128-title: each led by the page title and [SEP];
  views128-heading: each led by the heading path of its window; views64-title: 64-token sub-windows with title.
- views128-title-int8: views128-title with torch dynamic int8 quantisation of every Linear layer (issue 7);
  views128-title-int8ffn: of the feed-forward layers only; views128-title-overlap: a view every half view.
Fusion rows combine a dense variant with BM25 over the windows (FTS5, porter, heading weight 2): reciprocal-rank
fusion (k = 60) and the product's score fusion (0.7 meaning, normalised by the 100th score). Evidence rows add
each document's evidence as engine.search does: to a window's best view, half the mean of its document's best 10
views; to a window's BM25, the sum of its document's best 10 BM25 scores among the windows found, over 10.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import DATA, SETS, python_doc_corpus
from bench.retrieval import K, scores

CACHE = DATA / "variants"
DENSE = ["window", "late64", "late128", "views128", "views128-title", "views128-heading", "views64-title"]
EXTRA = ["views128-title-int8", "views128-title-int8ffn", "views128-title-overlap"]


def chunks() -> list[dict]:
    path = CACHE / "chunks.pkl"
    if not path.exists():
        from engine.encoder import packaged_model_dir
        from engine.tokenizer import Tokenizer
        from indexer.chunk import chunk_text
        from indexer.extract import extract

        tok = Tokenizer(packaged_model_dir() / "tokenizer.json")
        corpus = python_doc_corpus()
        rows = []
        for page in sorted(corpus.rglob("*.html")):
            x = extract("html", page.read_bytes())
            for c in chunk_text(x.text, tok, None, x.sections, view_tokens=None):
                doc = page.relative_to(corpus).as_posix()
                text = x.text[c.start : c.end]
                rows.append({"doc": doc, "title": x.title or "", "heading": c.heading or "", "text": text,
                             "ids": c.token_ids})  # fmt: skip
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(rows))
    return pickle.loads(path.read_bytes())


def forward(enc: Any, model: Any, windows: list[list[int]], want_tokens: bool = False) -> list:
    """(sentence vector, token vectors or None) per window, batched as the encoder batches them (``model`` may be a
    quantised copy of the encoder's own)."""
    import torch

    out: list = [None] * len(windows)
    with torch.inference_mode():
        for batch in enc.batches(windows):
            features = enc._tensors(windows, batch)
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
            o = model(features)
            sent = o["sentence_embedding"].float().numpy()
            toks = o["token_embeddings"].float().numpy() if want_tokens else None
            for r, i in enumerate(batch):
                out[i] = (sent[r], toks[r, : len(windows[i])] if toks is not None else None)
    return out


def unit(v: object) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def segments(n: int, size: int) -> list[list[int]]:
    out: list[list[int]] = []
    a = 1
    while a < n - 1:
        b = min(a + size, n - 1)
        out.append([a, b])
        a = b
    if len(out) > 1 and out[-1][1] - out[-1][0] < size // 4:
        out[-2][1] = out[-1][1]
        out.pop()
    return out


def clean_title(title: str) -> str:
    return title.split(" — Python")[0]  # the page's own title, without the site's suffix


def embed_variant(name: str, rows: list[dict]) -> None:
    """Cache ``name``'s vectors as v (vectors) and o (the window each belongs to), and the queries' vectors."""
    from engine.encoder import SentenceEncoder

    path = CACHE / f"{name}.npz"
    if path.exists():
        return
    enc = SentenceEncoder(device="cpu", backend="torch")  # as measured; int8 variants swap its model below
    model = enc._load()
    tok = enc.tokenizer
    if "-int8" in name:
        import torch

        layers: set = {torch.nn.Linear}
        if name.endswith("-int8ffn"):  # only the feed-forward layers; attention stays fp32
            layers = {n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "attention" not in n}
        model = torch.ao.quantization.quantize_dynamic(model, layers, dtype=torch.qint8)
        enc._model = model
    queries = [q["query"] for q in spec()["queries"]]
    started = time.time()
    if name == "window" or name.startswith("late"):
        size = int(name[4:]) if name.startswith("late") else 0
        vecs, owner = [], []
        for k in range(0, len(rows), 256):
            for j, (sent, toks) in enumerate(forward(enc, model, [r["ids"] for r in rows[k : k + 256]], bool(size))):
                if not size:
                    vecs.append(sent)
                    owner.append(k + j)
                    continue
                for a, b in segments(len(toks), size):
                    vecs.append(toks[a:b].mean(0))
                    owner.append(k + j)
    else:
        size = int(name.split("-")[0][5:]) - 2
        context = name.split("-")[1] if name.count("-") and name.split("-")[1] in ("title", "heading") else None
        overlap = name.endswith("-overlap")  # views start every half view, so each passage is seen whole once
        contexts: dict[str, list[int]] = {}

        def lead(r: dict) -> list[int]:
            if context is None:
                return []
            text = clean_title(r["title"]) if context == "title" else (r["heading"] or clean_title(r["title"]))
            if text not in contexts:
                cut = 24 if context == "title" else 32
                contexts[text] = [*tok.encode(text)[0][:cut].tolist(), tok.sep_id]
            return contexts[text]

        windows, owner = [], []
        for i, r in enumerate(rows):
            body, pre = r["ids"][1:-1], lead(r)
            room = size - len(pre)
            for a in range(0, max(1, len(body)), room // 2 if overlap else room):
                piece = body[a : a + room]
                if a > 0 and len(piece) < room // 4:
                    continue
                windows.append([tok.cls_id, *pre, *piece, tok.sep_id])
                owner.append(i)
        if "-int8" in name:
            vecs = [s for k in range(0, len(windows), 2048) for s, _ in forward(enc, model, windows[k : k + 2048])]
        else:  # the default CPU backend (OpenVINO): the same vectors (cosine 0.99998), 4x sooner
            vecs = list(SentenceEncoder(device="cpu").embed_ids(windows))
    np.savez(path, v=unit(vecs), o=np.asarray(owner), q=enc.embed_texts(queries))
    print(f"# embedded {name}: {len(vecs)} vectors in {time.time() - started:.0f} s", file=sys.stderr)


def spec() -> dict:
    return json.loads((SETS / "pyfaq-retrieval-dev.json").read_text())


class Bench:
    def __init__(self, rows: list[dict]) -> None:
        from engine.fts import build_fts_query

        self.rows = rows
        self.docs = np.array([r["doc"] for r in rows])
        self.doc_ids = np.unique(self.docs, return_inverse=True)[1]
        self._cache: dict[str, Any] = {}
        queries = spec()["queries"]
        self.queries = [q["query"] for q in queries]
        self.relevant = [set(q["relevant"]) for q in queries]
        conn = sqlite3.connect(":memory:")
        conn.execute(
            "CREATE VIRTUAL TABLE f USING fts5(heading, text, tokenize='porter unicode61 remove_diacritics 2')"
        )
        conn.executemany("INSERT INTO f(rowid, heading, text) VALUES (?, ?, ?)",
                         [(i, r["heading"], r["text"]) for i, r in enumerate(rows)])  # fmt: skip
        self.bm25 = []
        for q in self.queries:
            s = np.full(len(rows), -np.inf)
            for rid, score in conn.execute(
                "SELECT rowid, bm25(f, 2.0, 1.0) FROM f WHERE f MATCH ?", [build_fts_query(q)]
            ):
                s[rid] = -score
            self.bm25.append(s)

    def cache(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = dict(np.load(CACHE / f"{name}.npz"))
        return self._cache[name]

    def dense(self, name: str) -> list[np.ndarray]:
        z = self.cache(name)
        out = []
        for q in z["q"]:
            best = np.full(len(self.rows), -np.inf)
            np.maximum.at(best, z["o"], z["v"] @ q)
            out.append(best)
        return out

    def evaluate(self, score: Callable[[int], np.ndarray]) -> tuple[float, float, float]:
        rows = []
        for i, relevant in enumerate(self.relevant):
            s = score(i)
            ranked: list[str] = []
            for j in np.argsort(-s, kind="stable"):
                if not np.isfinite(s[j]):
                    break
                if self.docs[j] not in ranked:
                    ranked.append(str(self.docs[j]))
                    if len(ranked) == K:
                        break
            rows.append(scores(ranked, relevant))
        means = np.mean(rows, axis=0)
        return float(means[0]), float(means[1]), float(means[2])


def fuse(dense: np.ndarray, keyword: np.ndarray, how: str, depth: int = 1000) -> np.ndarray:
    """The product's fusion (engine.fusion) of the top ``depth`` of each side, as scores whose order is its order."""
    from engine.fusion import reciprocal_rank_fusion, score_fusion

    lists = {}
    for name, s in (("meaning", dense), ("keyword", keyword)):
        order = np.argsort(-s, kind="stable")[:depth]
        lists[name] = [(int(i), float(s[i])) for i in order if np.isfinite(s[i])]
    if how == "rrf":
        fused = reciprocal_rank_fusion({name: [i for i, _ in items] for name, items in lists.items()})
    else:
        fused = score_fusion(lists)
    out = np.full(len(dense), -np.inf)
    out[[f.id for f in fused]] = -np.arange(len(fused), dtype=np.float64)  # rank order, ties broken as the product does
    return out


def with_evidence(bench: Bench, name: str, i: int, depth: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """Query ``i``'s dense and keyword scores with document evidence, over the best ``depth`` windows of each side,
    as engine.search computes them (its constants)."""
    from engine.search import document_evidence, keyword_evidence
    from engine.tuning import DEFAULT_TUNING

    EVIDENCE_DEPTH = DEFAULT_TUNING.evidence_depth

    z = bench.cache(name)
    views = z["v"] @ z["q"][i]
    owner_doc = bench.doc_ids[z["o"]]
    # The best EVIDENCE_DEPTH x depth views, best first, as engine.search gets them from FAISS.
    top = np.argsort(-views, kind="stable")[: depth * EVIDENCE_DEPTH]
    floor = float(views[top[-1]]) if len(top) == depth * EVIDENCE_DEPTH else None
    dense = np.full(len(bench.rows), -np.inf)
    for window, score, _view in document_evidence(
        z["o"][top], np.zeros_like(top), views[top], owner_doc[top], depth, floor
    ):
        dense[window] = score
    bm25 = bench.bm25[i]
    found = [int(j) for j in np.argsort(-bm25, kind="stable")[:depth] if np.isfinite(bm25[j])]
    keyword = np.full(len(bench.rows), -np.inf)
    for window, score in keyword_evidence([(j, float(bm25[j]), int(bench.doc_ids[j])) for j in found]):
        keyword[window] = score
    return dense, keyword


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help=f"variants to run (default: {', '.join(DENSE)})")
    args = parser.parse_args()
    names = args.only or DENSE
    rows = chunks()
    for name in names:
        embed_variant(name, rows)
    bench = Bench(rows)
    print(f"| method | nDCG@{K} | MRR@{K} | Recall@{K} |")
    print("|---|---|---|---|")
    show = lambda label, m: print(f"| {label} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} |")  # noqa: E731
    show("BM25 (windows)", bench.evaluate(lambda i: bench.bm25[i]))
    for name in names:
        d = bench.dense(name)
        show(f"dense: {name}", bench.evaluate(lambda i, d=d: d[i]))
        show(f"{name} + BM25, RRF k=60", bench.evaluate(lambda i, d=d: fuse(d[i], bench.bm25[i], "rrf")))
        show(f"{name} + BM25, score fusion 0.7", bench.evaluate(lambda i, d=d: fuse(d[i], bench.bm25[i], "score")))
        both = [with_evidence(bench, name, i) for i in range(len(bench.queries))]
        show(f"dense: {name} + document evidence", bench.evaluate(lambda i, e=both: e[i][0]))
        show(f"{name} + evidence, BM25 + evidence, score fusion 0.7",
             bench.evaluate(lambda i, e=both: fuse(e[i][0], e[i][1], "score")))  # fmt: skip
    show("BM25 (windows) + evidence", bench.evaluate(lambda i, e=both: e[i][1]))


if __name__ == "__main__":
    main()
