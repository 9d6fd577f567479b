"""The keyword side of a big index with and without its common words' stored weights (engine.index.impacts).

    .venv/bin/python bench/scale.py --windows 1000000 --keep /tmp/scale-1m --build-only   # weighs them at the end
    .venv/bin/python bench/keyword_weights.py /tmp/scale-1m/index
    cp -r bench/data/pydoc-index /tmp/pydoc-w
    .venv/bin/python bench/keyword_weights.py /tmp/pydoc-w --weigh --least 20   # real pages, not copies
    .venv/bin/python bench/retrieval.py --set pyfaq --index /tmp/pydoc-w        # their quality, words weighed

For each pyfaq-retrieval-dev question, after a warm-up: the time of the query's words ranked by FTS5 alone and from
the weights (the best 500 windows, as a search asks), and of the whole keyword side (the words, the neighbouring
words' bonus, the documents' evidence) both ways; and how far the two agree: the share of FTS5's best 10 and best
500 windows that the weights give too. bench/scale.py's copies of a page tie with each other, so the whole keyword
side's agreement counts a window by its page and place, not by its copy. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, help="an index folder (bench/scale.py --keep KEEP: KEEP/index)")
    parser.add_argument("--weigh", action="store_true", help="weigh its common words first, whatever their age")
    parser.add_argument("--least", type=int, help="with --weigh: the windows a word is in to be weighed (COMMON_AT)")
    args = parser.parse_args()

    from engine import Library
    from engine import search as search_module
    from engine.fts import build_fts_query

    spec, _index = question_set("pyfaq")
    queries = [q["query"] for q in spec["queries"]]
    with Library(args.index) as library:
        index = library.index
        store = index.store
        if args.weigh or index.impacts() is None:
            for _done, _total in index.build_impacts(args.least):
                pass
        weights = index.impacts()
        if weights is None:
            sys.exit(f"{args.index} has no keyword weights")
        library.search("warm up", limit=10)

        def place(ids: list[int]) -> list[tuple[str, int]]:
            marks = ",".join("?" * len(ids))
            rows = store.conn.execute(
                f"SELECT c.id, d.path, c.ord FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})",
                ids,
            )
            where = {r[0]: (re.sub(r"/copy-\d+$", "", r[1]), r[2]) for r in rows}
            return [where[i] for i in ids]

        times: dict[str, list[float]] = {"words_fts5": [], "words_weights": [], "side_fts5": [], "side_weights": []}
        agree_10, agree_500, side_10 = [], [], []
        own = index.impacts
        for query in queries:
            terms = search_module.QueryTerms.of(index, query)
            started = time.perf_counter()
            exact = store.keyword_matches(build_fts_query(query, terms.weightless()) or "", "1", [], 500)
            times["words_fts5"].append(time.perf_counter() - started)
            started = time.perf_counter()
            got = search_module._weighed_matches(index, weights, query, terms, 500)
            times["words_weights"].append(time.perf_counter() - started)
            agree_10.append(len({r[0] for r in got[:10]} & {r[0] for r in exact[:10]}) / max(1, len(exact[:10])))
            agree_500.append(len({r[0] for r in got} & {r[0] for r in exact}) / max(1, len(exact)))
            sides = {}
            for name, impacts in (("fts5", lambda: None), ("weights", own)):
                index.impacts = impacts  # type: ignore[method-assign]
                side_terms = search_module.QueryTerms.of(index, query)  # with the weights or without
                started = time.perf_counter()
                sides[name] = search_module._keyword_ids(index, query, "1", [], 500, {}, terms=side_terms)
                times[f"side_{name}"].append(time.perf_counter() - started)
            index.impacts = own  # type: ignore[method-assign]
            first = place([c for c, _s in sides["fts5"][:10]])
            second = place([c for c, _s in sides["weights"][:10]])
            side_10.append(len(set(first) & set(second)) / max(1, len(set(first))))
        result = {
            "windows": index.window_count(),
            "weighed_terms": len(weights.terms),
            "postings": len(weights.ids),
            **{f"{name}_p50_ms": round(1000 * statistics.median(took), 1) for name, took in times.items()},
            "words_agree_at_10": round(statistics.mean(agree_10), 3),
            "words_agree_at_500": round(statistics.mean(agree_500), 3),
            "side_agree_at_10": round(statistics.mean(side_10), 3),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
