"""Indexing mail against HTML, per token (issue 14: a mail folder of 10,000 messages must not be slower per token
than HTML). The fake encoder (hashing-bow-64) and no tagger, so that what is measured is reading, cutting and
storing, not the model.

    .venv/bin/python bench/mail_speed.py [--messages 10000] [--workers 2]

The mailbox is built from the six SpamAssassin mails of tests/data/corpus/text, each copy with a subject and a
Message-ID of its own, written by Python's mailbox module (bench/data/mail, made once); the HTML is the Python 3.11
documentation (474 pages, bench/corpora.py). Each is indexed into a fresh index; the rows are tokens per second.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import DATA, debian_package

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "text"


def mailbox_of(messages: int) -> Path:
    folder = DATA / f"mail-{messages}"
    box_path = folder / "inbox.mbox"
    if box_path.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    sources = [p.read_bytes() for p in sorted(CORPUS.glob("*.txt"))]
    box = mailbox.mbox(box_path)
    for number in range(messages):
        message = email.message_from_bytes(sources[number % len(sources)], policy=email.policy.compat32)
        subject = str(message["Subject"] or "")
        del message["Subject"], message["Message-ID"]
        message["Subject"] = f"{subject} ({number})"
        message["Message-ID"] = f"<bench-{number}@docsense.invalid>"
        box.add(mailbox.mboxMessage(message))
    box.flush()
    box.close()
    return folder


def index(folder: Path, workers: int) -> tuple[float, int, int]:
    from indexer import Indexer

    with tempfile.TemporaryDirectory(prefix="docsense-bench-") as tmp:
        started = time.perf_counter()
        summary = Indexer(Path(tmp) / "index", encoder="hashing-bow-64", tagger="none", workers=workers).run([folder])
        return time.perf_counter() - started, summary.tokens, summary.indexed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    html = debian_package("python3.11-doc")
    print("| collection | files | tokens | seconds | tokens/s |")
    print("|---|---|---|---|---|")
    collections = (("HTML: Python 3.11 docs", html), (f"mbox: {args.messages:,} messages", mailbox_of(args.messages)))
    for name, folder in collections:
        seconds, tokens, files = index(folder, args.workers)
        print(f"| {name} | {files:,} | {tokens:,} | {seconds:.1f} | {tokens / seconds:,.0f} |")


if __name__ == "__main__":
    main()
