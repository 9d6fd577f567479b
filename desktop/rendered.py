"""Markdown and HTML shown as a reader sees them (headings, lists, code, tables), not as their source, with the
hit, the answer and the entities highlighted where they stand in the rendering; and nothing fetched from the web.

The index holds a document's text (a Markdown file's source; an HTML page's visible text) and every span is an
offset in it. Rendering drops the markup and lays text out anew, so offsets do not carry over: ``OffsetMap`` pairs
the words of the two texts (in order: a diff over their word sequences) and maps a span by its first and last word.
"""

from __future__ import annotations

import bisect
import difflib
import re
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QTextEdit

_WORD = re.compile(r"\w+")
RENDERED_KINDS = ("md", "html")
MAX_RENDERED_CHARS = 2_000_000  # larger sources are shown as their text: a diff over them would take seconds


class OffsetMap:
    """Offsets in ``source`` (the indexed text) mapped to offsets in ``rendered`` (the rendering's plain text)."""

    def __init__(self, source: str, rendered: str) -> None:
        ours = list(_WORD.finditer(source))
        theirs = list(_WORD.finditer(rendered))
        matcher = difflib.SequenceMatcher(None, [m.group().casefold() for m in ours],
                                          [m.group().casefold() for m in theirs], autojunk=False)  # fmt: skip
        pairs = [(ours[a + k], theirs[b + k]) for a, b, size in matcher.get_matching_blocks() for k in range(size)]
        self._starts = [s.start() for s, _ in pairs]  # in source order, ascending
        self._pairs = pairs

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Where [start, end) of the source stands in the rendering: from its first paired word to its last; None
        when none of its words made it into the rendering."""
        first = bisect.bisect_left(self._starts, start)
        last = bisect.bisect_left(self._starts, end) - 1
        if first > last:
            return None
        return self._pairs[first][1].start(), self._pairs[last][1].end()


def render(doc: QTextDocument, kind: str, source: str, base: Path | None) -> None:
    """Fill ``doc`` with ``source`` rendered: Markdown (CommonMark with GitHub's tables) or HTML. ``base``, the
    document's folder, resolves relative links and images; what a remote URL names is never loaded
    (``DocumentView.loadResource``)."""
    if base is not None:
        doc.setBaseUrl(QUrl.fromLocalFile(str(base) + "/"))
    if kind == "md":
        doc.setMarkdown(source, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    else:
        doc.setHtml(source)


class DocumentView(QTextEdit):
    """The preview's text view. It loads a rendered document's images and styles from the local disk only: a page's
    ``<img src="https://...">`` or remote stylesheet is never fetched (a tracking pixel stays silent), and
    ``blocked`` lists what was refused."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.blocked: list[str] = []

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        name = QUrl(name)
        url = self.document().baseUrl().resolved(name) if name.isRelative() else name
        if url.scheme() not in ("file", "qrc", "data") or (url.isLocalFile() and url.host()):
            self.blocked.append(name.toString())
            return None
        return super().loadResource(kind, name)
