"""What leads a view when it is embedded (its *context*): shared by the chunker, which makes the views, and by
explain, which must embed a view again as the chunker did.

A view is led by the top-level heading in force, that is the page's or chapter's title, else the document's title.
A reference page (a man page, git's or Perl's manual pages) says what it is in its NAME line ("git-stash - Stash the
changes in a dirty working directory away") and its top-level headings say nothing of it (NAME, DESCRIPTION,
OPTIONS), so its views are led by that line instead (issue 20); a generic top-level heading elsewhere gives way to
the document's title.
"""

from __future__ import annotations

import os
import re

_HEX_RUN = re.compile(r"[0-9a-fA-F]{8,}")
NAME_LINE_CHARS = 200  # the most of a NAME line that may lead views (CONTEXT_TOKENS cut it anyway)
NAME_SECTION_BY = 3  # a reference page's NAME section is among its first sections (after a title, perhaps)
_NAME_LINE = re.compile(r"\S[^\n]{0,100}?\s[-\u2013\u2014]\s+\S")  # "git-stash - Stash the changes ..."
# Headings that say nothing of what a page is about: a man page's sections, and their like.
GENERIC_HEADINGS = frozenset({
    "name", "synopsis", "description", "options", "examples", "example", "see also", "files", "environment",
    "exit status", "return value", "errors", "bugs", "author", "authors", "notes", "copyright", "history",
    "configuration", "discussion", "commands", "overview", "usage", "diagnostics", "caveats", "reporting bugs",
})  # fmt: skip


def name_line(text: str, sections: list[tuple[int, str]]) -> str | None:
    """The line that names a reference page and says what it is, from its NAME section ("ls - list directory
    contents"), or None when the document has none: a NAME section among its first three, whose first line reads
    "name - what it does" (a form's or a spreadsheet's "Name" section is no such thing)."""
    for i, (start, heading) in enumerate(sections[:NAME_SECTION_BY]):
        if heading.split(" > ")[-1].strip().lower() != "name":
            continue
        end = sections[i + 1][0] if i + 1 < len(sections) else len(text)
        lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
        if lines and lines[0].lower() == "name":
            lines = lines[1:]  # the heading's own line
        line = " ".join(lines[0].split())[:NAME_LINE_CHARS] if lines else ""
        return line if _NAME_LINE.match(line) else None
    return None


def view_context(heading: str | None, title: str | None, page_line: str | None = None) -> str | None:
    """What leads a view: the page's NAME line when it has one, else the top-level heading in force unless it is a
    generic one (DESCRIPTION, OPTIONS), else the document's title."""
    if page_line:
        return page_line
    top = heading.split(" > ")[0] if heading else None
    if top and top.strip().rstrip(":").lower() not in GENERIC_HEADINGS:
        return top
    return title


def view_title(title: str | None, path: str) -> str | None:
    """What leads a view with no heading in force: the document's title, else its file name in words when it reads
    as words ("tax-return_2023" yes; a hash, a camera's "IMG_20230101" or a mail's "00002.ca96f740..." no)."""
    if title and title.strip():
        return title.strip()
    stem = os.path.splitext(os.path.basename(path))[0]
    alnum = [ch for ch in stem if ch.isalnum()]
    if not alnum or sum(ch.isalpha() for ch in alnum) * 2 < len(alnum) or _HEX_RUN.search(stem):
        return None
    return " ".join(stem.replace("_", " ").replace("-", " ").replace(".", " ").split())
