"""Recall@10 of pgvector's HNSW search against an exact scan, for an index on a PostgreSQL server.

    .venv/bin/python bench/server_recall.py /path/to/servers/<db>-<hash>   # the folder `docsense copy URL` made

For each pyfaq-retrieval-dev question, the 10 best windows of the 4,000 best views a search asks for, by HNSW
(ef_search 1,000, iterative scan) and by comparing every view; prints the mean share they have in common.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import question_set
from engine.tuning import DEFAULT_TUNING


def main() -> None:
    from engine import Library
    from engine.index.postgres import PostgresStore

    folder = Path(sys.argv[1])
    depth = DEFAULT_TUNING.candidates * DEFAULT_TUNING.evidence_depth
    spec, _index = question_set("pyfaq")
    with Library(folder) as library:
        store = library.index.store
        if not isinstance(store, PostgresStore):
            raise SystemExit(f"{folder} is not an index on a server")
        agree = []
        for question in spec["queries"]:
            vector = library.index.encoder.embed_texts([question["query"]])[0]
            chunks, _views, _scores = store.top_views(vector, depth)
            found = list(dict.fromkeys(chunks.tolist()))[:10]
            with store.raw.transaction():
                store.raw.execute("SET LOCAL enable_indexscan = off")  # every view compared
                rows = store.raw.execute(
                    "SELECT chunk_id FROM views ORDER BY vector <#> %s::halfvec LIMIT %s",
                    ("[" + ",".join(f"{x:.6g}" for x in vector.tolist()) + "]", depth),
                ).fetchall()
            exact = list(dict.fromkeys(r[0] for r in rows))[:10]
            agree.append(len(set(found) & set(exact)) / 10)
        print(f"views {store.views_count()}: recall@10 {statistics.mean(agree):.3f} (lowest {min(agree):.1f}), "
              f"{len(agree)} questions")  # fmt: skip


if __name__ == "__main__":
    main()
