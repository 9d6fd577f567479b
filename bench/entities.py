"""Entity facets judged by hand: precision of the first entries of each kind, as the window's facets list them.

    .venv/bin/python bench/entities.py                  # both corpora, judged by bench/sets/entity-judgements.json
    .venv/bin/python bench/entities.py --unjudged       # also print, as JSON, the entries no one has judged yet
    .venv/bin/python bench/entities.py --before         # the tagger's spans as stored before issue 15's judging

Two corpora: "shared", tests/data/corpus (20 files: LaTeX PDFs, Debian handbook pages, mails, notes), and "debian",
the texts of bench/data/qa-index (debian-handbook and texlive-latex-base-doc; build it with bench/reader.py). Each
document's text (its first max_tag_chars, as indexing does) is tagged once with the default tagger (spaCy
en_core_web_sm) and the spans kept in bench/data/entity-cache/<corpus>.jsonl; each run judges them as indexing does
now (engine.tagger.kept), stores them in a copy of the index's database, and lists the first 50 PERSON and the first
30 ORG, GPE and DATE entries through Library.entities, as the window's facets do.

Per list it prints how many entries are judged and how many of those are right (precision), and how many right
entries the list holds (the people a reader would name: this must not drop).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CACHE = DATA / "entity-cache"
JUDGEMENTS = HERE / "sets" / "entity-judgements.json"
LISTS = {"PERSON": 50, "ORG": 30, "GPE": 30, "DATE": 30}


def source_index(corpus: str) -> Path:
    """The index whose documents' texts are tagged: built here for "shared", by bench/reader.py for "debian"."""
    if corpus == "debian":
        index = DATA / "qa-index"
        if not (index / "docsense.db").exists():
            sys.exit(f"{index} is missing: run bench/reader.py once to build it")
        return index
    index = DATA / "shared-index"
    if not (index / "docsense.db").exists():
        from indexer import Indexer

        corpus_dir = HERE.parent / "tests" / "data" / "corpus"
        Indexer(index, workers=1, tagger="none").run([corpus_dir])
    return index


def _tag(item: tuple[int, str]) -> list[list[object]]:
    from engine.tagger import load_tagger

    doc_id, text = item
    tagger = load_tagger()
    assert tagger is not None
    return [[doc_id, s.start, s.end, s.label, s.text, s.norm] for s in tagger.tag([text])[0]]


def raw_spans(corpus: str, db: Path) -> list[list[object]]:
    """The default tagger's spans of every document (cached): [doc id, start, end, label, text, norm]."""
    cache = CACHE / f"{corpus}.jsonl"
    if cache.exists():
        return [json.loads(line) for line in cache.read_text().splitlines()]
    from engine.settings import MAX_TAG_CHARS
    from engine.tagger import pieces

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    texts = []
    for doc_id, text in conn.execute("SELECT doc_id, text FROM texts ORDER BY doc_id"):
        if len(text) > MAX_TAG_CHARS:
            text = text[: pieces(text, MAX_TAG_CHARS)[0][1]]
        texts.append((doc_id, text))
    conn.close()
    print(f"tagging {len(texts)} documents of {corpus} (once; cached in {cache})", file=sys.stderr)
    with ProcessPoolExecutor(2) as pool:
        found = [row for rows in pool.map(_tag, texts, chunksize=4) for row in rows]
    CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_text("".join(json.dumps(r) + "\n" for r in found))
    return found


def judged_index(corpus: str, before: bool) -> Path:
    """A copy of the corpus's index database holding its spans as indexing keeps them now (or all, ``before``)."""
    from engine.tagger import EntitySpan, kept

    source = source_index(corpus)
    spans = raw_spans(corpus, source / "docsense.db")
    target = DATA / f"entity-index-{corpus}"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "docsense.db", target / "docsense.db")
    from engine.index.store import Store

    Store(target).close()  # migrated before the spans go in, so no migration judges them again
    conn = sqlite3.connect(target / "docsense.db")
    texts = dict(conn.execute("SELECT doc_id, text FROM texts"))
    by_doc: dict[int, list[EntitySpan]] = {}
    for doc_id, start, end, label, text, norm in spans:
        by_doc.setdefault(int(doc_id), []).append(EntitySpan(int(start), int(end), str(label), str(text), str(norm)))
    with conn:
        conn.execute("DELETE FROM entities")
        for doc_id, found in by_doc.items():
            keep = found if before else kept(found, texts[doc_id])
            conn.executemany(
                'INSERT INTO entities(doc_id, chunk_id, start, "end", label, text, norm) '
                "VALUES (?, NULL, ?, ?, ?, ?, ?)",
                [(doc_id, s.start, s.end, s.label, s.text, s.norm) for s in keep],
            )
    conn.close()
    return target


def _lost(corpus: str, known: dict[str, dict[str, bool]]) -> list[str]:
    """The right entries of the tagger's own lists (before judging) that the judged index no longer has at all."""
    from engine import Library

    lines = []
    with Library(judged_index(corpus, before=True), tagger="none") as library:
        before = {label: library.entities(label=label, limit=n) for label, n in LISTS.items()}
    with Library(judged_index(corpus, before=False), tagger="none") as library:
        for label, entries in before.items():
            right = [e for e in entries if known.get(label, {}).get(e.norm)]
            still = {e.norm for e in library.entities(label=label, limit=100_000)}
            gone = [e.text for e in right if e.norm not in still]
            kept_right = len(right) - len(gone)
            lines.append(
                f"{corpus} {label}: {kept_right} of the {len(right)} right entries of the tagger's own first "
                f"{LISTS[label]} are still listed; lost: {', '.join(gone) or '-'}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=("shared", "debian"), action="append", help="default: both")
    parser.add_argument("--unjudged", action="store_true", help="print the entries not judged yet, as JSON")
    parser.add_argument("--before", action="store_true", help="the spans as the tagger gives them, unjudged")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every entry with its judgement")
    args = parser.parse_args()
    from engine import Library

    judgements = json.loads(JUDGEMENTS.read_text()) if JUDGEMENTS.exists() else {}
    missing: dict[str, dict[str, dict[str, None]]] = {}
    print("| corpus | kind | entries | judged | right | precision | wrong entries |")
    print("|---|---|---|---|---|---|---|")
    lost_lines = []
    for corpus in args.corpus or ("shared", "debian"):
        if not args.before:
            lost_lines += _lost(corpus, judgements.get(corpus, {}))
        index = judged_index(corpus, args.before)
        with Library(index, tagger="none") as library:
            for label, n in LISTS.items():
                entries = library.entities(label=label, limit=n)
                known = judgements.get(corpus, {}).get(label, {})
                judged = [e for e in entries if e.norm in known]
                right = [e for e in judged if known[e.norm]]
                wrong = [e.text for e in judged if not known[e.norm]]
                for e in entries:
                    if e.norm not in known:
                        missing.setdefault(corpus, {}).setdefault(label, {})[e.norm] = None
                    if args.verbose:
                        mark = {True: "right", False: "WRONG", None: "?"}[known.get(e.norm)]
                        print(f"    {corpus} {label} {e.text!r} ({e.count} mentions, {e.document_count} documents)"
                              f": {mark}")  # fmt: skip
                precision = f"{len(right) / len(judged):.2f}" if judged else "-"
                print(f"| {corpus} | {label} | {len(entries)} | {len(judged)} | {len(right)} | {precision} | "
                      f"{', '.join(wrong[:12])}{' ...' if len(wrong) > 12 else ''} |")  # fmt: skip
    for line in lost_lines:
        print(line)
    if args.unjudged:
        print(json.dumps(missing, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
