"""PDF text extraction: pypdf against pypdfium2 (the default), on the texlive-latex-base-doc PDFs (Debian package);
and with --formats, a row per format DocSense reads, on tests/data/formats (each file read --repeat times).

    .venv/bin/python bench/pdf_extract.py [--limit N]
    .venv/bin/python bench/pdf_extract.py --formats [--repeat 20]

For each engine: PDFs read, failures, pages, seconds, pages/s; and a quality proxy without a gold text: the share of
extracted words (runs of letters) that are in the encoder's WordPiece vocabulary as whole words, and how much the
two engines agree (Jaccard of their word sets per PDF, averaged).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import debian_package
from indexer.extract.base import Extracted

WORD = re.compile(r"[A-Za-z]{3,}")


def _pages(got: Extracted) -> list[str]:
    starts = [*got.page_starts, len(got.text)] if got.page_starts else [0, len(got.text)]
    return [got.text[a:b] for a, b in pairwise(starts)]


def with_pypdf(data: bytes) -> list[str]:
    """The product's pypdf reader (the fallback). Not ``extract``: that reads with pdfium first since issue 7."""
    from indexer.extract.pdf import extract_pypdf

    return _pages(extract_pypdf(data))


def with_pdfium(data: bytes) -> list[str]:
    """The product's pdfium reader (the default), its line-end and hyphen clean-up included."""
    from indexer.extract.pdf import extract_pdfium

    return _pages(extract_pdfium(data))


def formats(repeat: int) -> None:
    """files/s, MB/s and characters/s per format, in this process (one core), on the real files of
    tests/data/formats; OCR uncached (the scanned page is read by Tesseract every time)."""
    from indexer.extract import SUFFIX_TYPES, extract
    from indexer.extract.ocr import OcrSettings

    folder = Path(__file__).resolve().parents[1] / "tests" / "data" / "formats"
    ocr = OcrSettings("eng", None)
    print("| format | file | KB | files/s | MB/s | characters/s |")
    print("|---|---|---|---|---|---|")
    for path in sorted(folder.iterdir(), key=lambda p: (SUFFIX_TYPES.get(p.suffix.lower(), ""), p.name)):
        kind = SUFFIX_TYPES.get(path.suffix.lower())
        if not path.is_file() or kind is None or path.name == "README.md":
            continue
        data = path.read_bytes()
        extract(kind, data, ocr=ocr)  # imports and models loaded before the clock starts
        runs = max(1, repeat // 10) if "scanned" in path.name else repeat
        started = time.perf_counter()
        for _ in range(runs):
            chars = len(extract(kind, data, ocr=ocr).text)
        seconds = (time.perf_counter() - started) / runs
        print(f"| {kind} | {path.name} | {len(data) / 1024:.0f} | {1 / seconds:,.0f} | "
              f"{len(data) / 2**20 / seconds:,.1f} | {chars / seconds:,.0f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="only the first N PDFs")
    parser.add_argument("--formats", action="store_true", help="a row per format, on tests/data/formats")
    parser.add_argument("--repeat", type=int, default=20, help="with --formats: reads of each file")
    args = parser.parse_args()
    if args.formats:
        formats(args.repeat)
        return
    from engine.encoder import packaged_model_dir

    vocab = {w for w in (packaged_model_dir() / "vocab.txt").read_text().split("\n") if w.isalpha()}
    pdfs = sorted(debian_package("texlive-latex-base-doc").rglob("*.pdf"))
    if args.limit:
        pdfs = pdfs[: args.limit]
    words: dict[str, dict[Path, set[str]]] = {}
    print("| engine | PDFs | failed | pages | seconds | pages/s | words in vocabulary |")
    print("|---|---|---|---|---|---|---|")
    for name, engine in (("pypdf", with_pypdf), ("pypdfium2", with_pdfium)):
        pages = failed = known = total = 0
        seconds = 0.0
        words[name] = {}
        for pdf in pdfs:
            data = pdf.read_bytes()
            started = time.perf_counter()
            try:
                texts = engine(data)
            except Exception:
                failed += 1
                continue
            finally:
                seconds += time.perf_counter() - started
            pages += len(texts)
            found = [w.lower() for t in texts for w in WORD.findall(t)]
            total += len(found)
            known += sum(w in vocab for w in found)
            words[name][pdf] = set(found)
        print(f"| {name} | {len(pdfs)} | {failed} | {pages} | {seconds:.1f} | {pages / seconds:.0f} | "
              f"{known / max(total, 1):.3f} |")  # fmt: skip
    common = [p for p in words["pypdf"] if p in words["pypdfium2"]]
    agreement = [
        len(words["pypdf"][p] & words["pypdfium2"][p]) / max(1, len(words["pypdf"][p] | words["pypdfium2"][p]))
        for p in common
    ]
    print(
        f"\nword-set agreement (Jaccard, mean over {len(common)} PDFs): {sum(agreement) / max(1, len(agreement)):.3f}"
    )


if __name__ == "__main__":
    main()
