"""Benchmark corpora: Debian documentation packages, fetched with apt-get download and unpacked with dpkg -x.

The files land in bench/data/ (ignored by git) and are reused on later runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SETS = HERE / "sets"  # the dev question sets, copied from the product owner's shared/bench (sets/README.md)
TEST_CORPUS = HERE.parent / "tests" / "data" / "corpus"  # the small real corpus the tests use
PYDOC_HTML = "usr/share/doc/python3.11/html"


def debian_package(name: str) -> Path:
    """The unpacked tree of Debian package ``name`` (downloaded once)."""
    target = DATA / name
    if (target / ".done").exists():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    for old in DATA.glob(f"{name}_*.deb"):
        old.unlink()
    try:
        subprocess.run(["apt-get", "download", name], cwd=DATA, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"cannot download {name} with apt-get ({exc}); on Debian run `apt-get update` first")
    (deb,) = DATA.glob(f"{name}_*.deb")
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    (target / ".done").write_text(deb.name)
    return target


def python_doc_corpus() -> Path:
    """A folder holding the 474 pages of pyfaq-retrieval-dev.json's corpus (no faq/, indexes or search page)."""
    spec = json.loads((SETS / "pyfaq-retrieval-dev.json").read_text())
    target = DATA / "pydoc-corpus"
    if (target / ".done").exists():
        return target
    html = debian_package("python3.11-doc") / PYDOC_HTML
    shutil.rmtree(target, ignore_errors=True)
    for rel in spec["corpus"]:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(html / rel, dest)
    (target / ".done").write_text(str(len(spec["corpus"])))
    return target


def git_doc_corpus() -> Path:
    """A folder holding gitdoc-retrieval-dev.json's corpus: git's reference pages and three pages in other languages.

    The pages are git-doc's HTML manual (NAME, SYNOPSIS, DESCRIPTION ... pages, and a few long ones: git-config,
    git-log, the user manual), less the FAQ the questions come from. Chapter 10 of Debian Reference in German,
    Japanese and Chinese sits beside them under other-languages/: it covers git too, in another language, with
    English commands and URLs in between, which an English-only encoder can match by accident.
    """
    spec = json.loads((SETS / "gitdoc-retrieval-dev.json").read_text())
    target = DATA / "gitdoc-corpus"
    if (target / ".done").exists():
        return target
    html = debian_package("git-doc") / "usr/share/doc/git/html"
    shutil.rmtree(target, ignore_errors=True)
    for rel in spec["corpus"]:
        if rel.startswith("other-languages/"):
            name = Path(rel).name  # ch10.ja.html
            package = debian_package("debian-reference-" + name.split(".")[1])
            source = package / "usr/share/debian-reference" / name
        else:
            source = html / rel
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    (target / ".done").write_text(str(len(spec["corpus"])))
    return target


QUESTION_SETS = ("pyfaq", "gitdoc", "latex")


def question_set(name: str) -> tuple[dict, Path]:
    """The judged questions of set ``name`` and its index folder: "pyfaq", bench/sets/pyfaq-retrieval-dev.json
    over python3.11-doc; "gitdoc", bench/sets/gitdoc-retrieval-dev.json (ours, the second dev set) over git-doc;
    "latex", bench/latex-check.json (ours, a check, not for tuning) over texlive-latex-base-doc."""
    if name == "gitdoc":
        return json.loads((SETS / "gitdoc-retrieval-dev.json").read_text()), DATA / "gitdoc-index"
    if name == "latex":
        return json.loads((HERE / "latex-check.json").read_text()), DATA / "texlive-index"
    return json.loads((SETS / "pyfaq-retrieval-dev.json").read_text()), DATA / "pydoc-index"


def set_corpus(name: str) -> Path:
    """The folder that set ``name``'s documents are under (fetched and unpacked once)."""
    if name == "latex":
        return debian_package("texlive-latex-base-doc") / "usr/share/doc/texlive-doc"
    if name == "gitdoc":
        return git_doc_corpus()
    return python_doc_corpus()
