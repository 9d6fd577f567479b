"""Search quality on the two dev sets: document-level nDCG@10, MRR@10, Recall@10, and flooding.

    .venv/bin/python bench/retrieval.py            # both dev sets; builds their indexes once, then reuses them
    .venv/bin/python bench/retrieval.py --set gitdoc -v  # one set, with each question's top pages
    .venv/bin/python bench/retrieval.py --rebuild  # re-index (after a change to extraction or chunking)
    .venv/bin/python bench/retrieval.py --sweep    # the default at other weights too
    .venv/bin/python bench/retrieval.py --set latex --sweep  # bench/latex-check.json over texlive-latex-base-doc

The dev sets are pyfaq-retrieval-dev (the Python docs' FAQ, by the Python documentation team) and
gitdoc-retrieval-dev (ours: git's reference pages, whose sections are NAME, SYNOPSIS, DESCRIPTION ..., with the
git FAQ's questions and our own, and three pages in other languages; bench/sets/README.md). Flooding is the largest
share of the questions' top 10s that one page is in: a long page that matches everything a little shows there.

A document is ranked by its best chunk. Rows: keyword only (BM25), meaning only (dense, each window scored by its
best view), hybrid with reciprocal-rank fusion (the fusion before issue 6, DOCSENSE_FUSION=rrf), and the default
(hybrid, normalised score fusion, with its document priors for length and language, engine.tuning; each side
alone is ranked without them). With --reranker MODEL, one more row: the default re-ordered by that cross-encoder.
The index is built with the real pipeline but without entity tagging, which retrieval does not use.

``--set latex`` runs bench/latex-check.json instead: 20 LaTeX questions of our own over Debian's
texlive-latex-base-doc (332 files, mostly PDFs; indexing takes about 7 minutes here), a check that what was tuned
on the dev set holds elsewhere, not a set to tune on.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import QUESTION_SETS, question_set, set_corpus

K = 10
SWEEP = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)  # meaning weights
DOCUMENT_SWEEP = (0.0, 0.5, 0.85, 1.0, 1.5, 2.0, 3.0, 10.0)  # weights of the document's fused best
MODES = {
    "keyword only (BM25)": (("keyword",), None),
    "meaning only (best view)": (("meaning",), None),
    "hybrid, reciprocal-rank fusion": (("meaning", "keyword"), "rrf"),  # the fusion before issue 6
    "default: hybrid, score fusion": (("meaning", "keyword"), None),
}


def ranked_documents(library: object, query: str, modes: tuple[str, ...], corpus: Path) -> list[str]:
    hits = library.search(query, limit=200, modes=modes)  # type: ignore[attr-defined]
    docs: list[str] = []
    for hit in hits:
        rel = Path(hit.path).relative_to(corpus).as_posix()
        if rel not in docs:
            docs.append(rel)
        if len(docs) == K:
            break
    return docs


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:K]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    mrr = next((1 / (i + 1) for i, d in enumerate(ranked[:K]) if d in relevant), 0.0)
    recall = len(relevant & set(ranked[:K])) / len(relevant)
    return dcg / ideal, mrr, recall


def flooding(top_lists: list[list[str]]) -> tuple[float, str]:
    """The largest share of the questions' top-10 lists that one page is in, and that page (issue 20's target: 0.3)."""
    counts: dict[str, int] = {}
    for ranked in top_lists:
        for doc in set(ranked[:K]):
            counts[doc] = counts.get(doc, 0) + 1
    if not counts:
        return 0.0, ""
    page = max(counts, key=lambda d: (counts[d], d))
    return counts[page] / len(top_lists), page


def _typed(like: object, text: str) -> object:
    """``text`` as a value of ``like``'s type (a bool from true/false/1/0)."""
    if isinstance(like, bool):
        return text.lower() in ("1", "true", "yes")
    return type(like)(text)


def run_set(name: str, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from engine import Library
    from engine.settings import SERVER_FILE
    from engine.tuning import DEFAULT_TUNING
    from indexer import Indexer

    spec, index = question_set(name)
    index = args.index or index
    corpus = set_corpus(name)
    on_server = (index / SERVER_FILE).exists()  # a copy on a PostgreSQL server (`docsense copy`): never rebuilt
    if not on_server and (args.rebuild or not (index / "docsense.db").exists()):
        import shutil

        shutil.rmtree(index, ignore_errors=True)
        import time

        started = time.perf_counter()
        summary = Indexer(index, tagger="none").run([corpus])
        took = time.perf_counter() - started
        print(f"# indexed {summary.indexed} files, {summary.chunks} windows, {summary.tokens} tokens in {took:.1f} s")
    default = DEFAULT_TUNING
    both = ("meaning", "keyword")
    rrf = replace(default, fusion="rrf")
    # Each side alone, as it ranks by itself: no document priors (length, language), which are the default's.
    plain = replace(default, length_prior=0.0, language_penalty=0.0)
    methods = {
        name: (modes, rrf if fusion == "rrf" else default if len(modes) > 1 else plain)
        for name, (modes, fusion) in MODES.items()
    }
    for tried in args.tried:
        changes = {k: _typed(getattr(default, k), v) for k, v in (kv.split("=") for kv in tried.split(","))}
        methods[f"default with {tried}"] = (both, replace(default, **changes))
    if args.reranker:
        methods[f"default + reranker {Path(args.reranker).name}"] = (both, default)
    if args.sweep:
        for weight in SWEEP:
            mark = " (the default)" if weight == default.meaning_weight else ""
            label = f"score fusion, meaning {weight:.2f} / keyword {1 - weight:.2f}{mark}"
            methods[label] = (both, replace(default, meaning_weight=weight))
        for weight in DOCUMENT_SWEEP:
            mark = " (the default)" if weight == default.document_weight else ""
            label = f"score fusion, document's fused best x {weight:g}{mark}"
            methods[label] = (both, replace(default, document_weight=weight))
    print(f"\n{name}: {len(spec['queries'])} questions over {len(spec['corpus'])} pages ({index})\n")
    foreign = set(spec.get("other_languages", []))
    extra = f" questions with a page in another language in their top {K} |" if foreign else ""
    print(f"| method | nDCG@{K} | MRR@{K} | Recall@{K} | flooding: most top-{K}s one page is in |{extra}")
    print("|---|---|---|---|---|" + ("---|" if foreign else ""))
    for label, (modes, tuning) in methods.items():
        reranker = args.reranker if "reranker" in label else None
        with Library(index, reranker=reranker, tuning=tuning) as library:
            ranked = [ranked_documents(library, q["query"], modes, corpus) for q in spec["queries"]]
        rows = [scores(docs, set(q["relevant"])) for docs, q in zip(ranked, spec["queries"], strict=True)]
        means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        share, page = flooding(ranked)
        row = f"| {label} | {means[0]:.3f} | {means[1]:.3f} | {means[2]:.3f} | {share:.2f} ({page}) |"
        if foreign:
            row += f" {sum(1 for docs in ranked if foreign & set(docs[:K]))} |"
        print(row)
        if args.verbose and label.startswith("default"):
            for q, docs, row in zip(spec["queries"], ranked, rows, strict=True):
                print(f"    {row[0]:.2f}  {q['query'][:60]:60}  {' '.join(docs[:4])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="index the corpus again from scratch")
    parser.add_argument("--set", choices=(*QUESTION_SETS, "dev"), default="dev",
                        help="which questions (default dev: pyfaq and gitdoc, the two dev sets)")  # fmt: skip
    parser.add_argument("--index", type=Path, help="index folder (default: bench/data/<set>-index), or the folder of "
                        "a copy on a PostgreSQL server (docsense copy prints it)")  # fmt: skip
    parser.add_argument("--reranker", help="a cross-encoder folder: adds a row with it")
    parser.add_argument("--sweep", action="store_true", help="add the default at other weights")
    parser.add_argument("--try", dest="tried", action="append", default=[], metavar="NAME=VALUE,...",
                        help="add a row: the default with these SearchTuning fields changed")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="the default's score and top pages per question")
    args = parser.parse_args()
    names = ("pyfaq", "gitdoc") if args.set == "dev" else (args.set,)
    if args.index and len(names) > 1:
        parser.error("--index names one set's index: give --set too")
    for name in names:
        run_set(name, args)


if __name__ == "__main__":
    main()
