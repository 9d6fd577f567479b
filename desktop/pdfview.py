"""A PDF as a reader scrolls it: every page, one under another, rendered when it comes into view, with the hit, the
answer, the document's other hits and what Find found painted where they stand; zoom, page number, find.

QtPdf and pypdf (which indexed the text) break lines differently, so a hit's offsets do not hold on the rendered
page: its text is looked for on the page instead (``find_on_page``), or, on a scanned page, among the words OCR read
(``find_in_words``).
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

HIT_COLOUR = QColor(255, 236, 140)
ANSWER_COLOUR = QColor(255, 170, 80)
OTHER_HIT_COLOUR = QColor(255, 246, 200)  # the document's other hits: paler than the one shown
FOUND_COLOUR = QColor(190, 235, 190)  # what Find in the document found
FOUND_NOW_COLOUR = QColor(120, 210, 120)  # the find match moved to
MARK_COLOURS = {"hit": HIT_COLOUR, "answer": ANSWER_COLOUR, "other": OTHER_HIT_COLOUR, "found": FOUND_COLOUR,
                "found-now": FOUND_NOW_COLOUR}  # fmt: skip
_SPACES = re.compile(r"\s+")


_PAGE_WORD = re.compile(r"(?:[^\s\ufffe]|\ufffe\s*)+")
_HYPHEN_BREAK = re.compile(r"\ufffe\s*")


def find_on_page(page_text: str, needle: str) -> tuple[int, int] | None:
    """Where ``needle`` stands in a page's text, ignoring differences in whitespace; (start, length) in page_text.

    pdfium (QtPdf) and pypdf break lines differently, so offsets from one do not hold in the other: the text is
    matched instead, on its first words if the whole does not match.
    """
    words = _SPACES.sub(" ", needle.replace("\u2026", " ")).strip().split(" ")
    if not words or not words[0]:
        return None
    # pdfium marks a word hyphenated at a line end with U+FFFE ("free\ufffe\r\ndom"); the index joined it.
    spans = [(m.start(), m.end()) for m in _PAGE_WORD.finditer(page_text)]
    tokens = [_HYPHEN_BREAK.sub("", page_text[a:b]) for a, b in spans]
    for size in (len(words), min(len(words), 12), min(len(words), 6), min(len(words), 3)):
        probe = words[:size] if size == len(words) else words[1 : size + 1] or words[:size]
        for i in range(len(tokens) - len(probe) + 1):
            if tokens[i : i + len(probe)] == probe:
                start, end = spans[i][0], spans[i + len(probe) - 1][1]
                return start, end - start
    return _find_within_words(page_text, spans, tokens, words)


def find_in_context(page_text: str, needle: str, context: str | None) -> tuple[int, int] | None:
    """Where ``needle`` stands on the page inside ``context`` (the sentence around it): an answer "LaTeX" is marked
    in its own sentence, not at the page's first "LaTeX". Without the context on the page, its first occurrence."""
    if context and context.strip() and context.strip() != needle.strip():
        around = find_on_page(page_text, context)
        if around is not None:
            # The context may have matched on its words after the first only: look from before its first word, a
            # context's length on.
            start = max(0, around[0] - len(context.split()[0]) - 3)
            end = min(len(page_text), around[0] + max(around[1], len(context)) + 40)
            inner = find_on_page(page_text[start:end], needle)
            if inner is not None:
                return start + inner[0], inner[1]
    return find_on_page(page_text, needle)


def _norm(word: str) -> str:
    return re.sub(r"\W+", "", word).casefold()


def find_in_words(words: list[str], needle: str) -> tuple[int, int] | None:
    """Where ``needle`` stands in a page's OCR words: (first, last + 1) word indices. OCR misreads some words, so
    the needle's words are looked for in runs of 6, then 3, then 2 (the first may be cut: a snippet begins inside a
    word), and the match is stretched to the needle's length in words."""
    tokens = [_norm(w) for w in needle.replace("\u2026", " ").split()]
    tokens = [t for t in tokens if t]
    page = [_norm(w) for w in words]
    if not tokens:
        return None
    for size in (6, 3, 2, 1):
        for offset in range(min(len(tokens) - size, 8) + 1) if len(tokens) >= size else ():
            probe = tokens[offset : offset + size]
            for i in range(len(page) - size + 1):
                if page[i : i + size] == probe:
                    first = max(0, i - offset)
                    return first, min(len(page), first + len(tokens))
    return None


def _find_within_words(
    page_text: str, spans: list[tuple[int, int]], tokens: list[str], words: list[str]
) -> tuple[int, int] | None:
    """``words`` where the first may end a page word and the last may begin one: an answer "David Carlisle" on a
    page that reads "David Carlisle\u2020", or "1994" in "1994,". Only the needle's part is returned."""
    n = len(words)
    for i in range(len(tokens) - n + 1):
        first, last = tokens[i], tokens[i + n - 1]
        if any("\ufffe" in page_text[a:b] for a, b in (spans[i], spans[i + n - 1])):
            continue  # a word joined across a line break: its offsets are not the token's
        if n == 1:
            at = first.find(words[0])
            if at >= 0:
                return spans[i][0] + at, len(words[0])
            continue
        if first.endswith(words[0]) and tokens[i + 1 : i + n - 1] == words[1:-1] and last.startswith(words[-1]):
            start = spans[i][1] - len(words[0])
            return start, spans[i + n - 1][0] + len(words[-1]) - start
    return None


@dataclass(frozen=True)
class PageMark:
    """Something painted on a page: its kind (a key of MARK_COLOURS), its 0-based page, where (in PDF points)."""

    kind: str
    page: int
    rect: QRectF


class PdfCanvas(QWidget):
    """Every page of ``pdf`` one under another, centred, ``GAP`` pixels apart, at ``scale`` pixels per point.

    Only the pages in view are rendered, and the last ``CACHE`` renders are kept, so a 1,600-page manual opens as
    fast as a leaflet and scrolling back is instant. Marks are painted over the page (multiplied, so the text stays
    black under them).
    """

    GAP = 10
    CACHE = 12

    def __init__(self, pdf: QPdfDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pdf = pdf
        self.scale = 1.0
        self.marks: list[PageMark] = []
        self._sizes: list[QSizeF] = []  # each page's size in points
        self._tops: list[float] = []  # each page's top, in pixels at the current scale
        self._images: OrderedDict[int, QImage] = OrderedDict()

    def reload(self) -> None:
        """Read the page sizes of the document ``pdf`` now holds; forget the renders of the one before."""
        self._sizes = [self.pdf.pagePointSize(i) for i in range(self.pdf.pageCount())]
        self._tops = []
        self._images.clear()
        self.marks = []
        self.update()

    def laid_out(self) -> bool:
        """Whether there are pages, placed (``lay_out``) since the document was loaded."""
        return bool(self._sizes) and len(self._tops) == len(self._sizes)

    def page_count(self) -> int:
        return len(self._sizes)

    def page_points(self, index: int) -> QSizeF:
        return self._sizes[index]

    def lay_out(self, scale: float, min_width: int) -> None:
        """Place the pages at ``scale`` (renders at another scale are dropped) in a canvas at least ``min_width``
        wide."""
        if abs(scale - self.scale) > 1e-9:
            self._images.clear()
        self.scale = scale
        top, self._tops = float(self.GAP), []
        for size in self._sizes:
            self._tops.append(top)
            top += round(size.height() * scale) + self.GAP
        widest = max((round(s.width() * scale) for s in self._sizes), default=0)
        self.setFixedSize(max(min_width, widest + 2 * self.GAP), max(int(top), 1))
        self.update()

    def page_rect(self, index: int) -> QRectF:
        """Where page ``index`` stands in the canvas, in pixels."""
        size = self._sizes[index]
        width, height = round(size.width() * self.scale), round(size.height() * self.scale)
        return QRectF((self.width() - width) // 2, self._tops[index], width, height)

    def to_canvas(self, mark: PageMark) -> QRectF:
        page = self.page_rect(mark.page)
        r = mark.rect
        return QRectF(page.left() + r.left() * self.scale, page.top() + r.top() * self.scale,
                      r.width() * self.scale, r.height() * self.scale)  # fmt: skip

    def page_at(self, y: float) -> int:
        """The page at height ``y`` of the canvas (the one above, in a gap)."""
        return max(0, bisect.bisect_right(self._tops, y) - 1)

    def image(self, index: int) -> QImage:
        """Page ``index`` rendered at the current scale (from the cache when it was rendered lately)."""
        if index in self._images:
            self._images.move_to_end(index)
            return self._images[index]
        size = self.page_rect(index).size().toSize()
        image = self.pdf.render(index, QSize(max(size.width(), 1), max(size.height(), 1)))
        self._images[index] = image
        while len(self._images) > self.CACHE:
            self._images.popitem(last=False)
        return image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = event.rect()
        painter.fillRect(area, self.palette().color(self.backgroundRole()).darker(115))
        if not self.laid_out():
            return
        shown = range(self.page_at(area.top()), self.page_at(area.bottom()) + 1)
        for index in shown:
            rect = self.page_rect(index)
            painter.fillRect(rect, Qt.GlobalColor.white)
            painter.drawImage(rect.topLeft(), self.image(index))
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for mark in self.marks:
            if mark.page in shown:
                painter.fillRect(self.to_canvas(mark), MARK_COLOURS.get(mark.kind, HIT_COLOUR))
        painter.end()


def ocr_marks(path: str, page: int, needles: list[tuple[str, ...]], ocr: OcrSettings) -> list[PageMark]:
    """A scanned page has no text for QtPdf to find: its needles are found among the words OCR read when it was
    indexed (the cache answers; OCR reads it again if the cache is gone) and boxed where those words stand. None
    when there is no OCR here or the page cannot be rendered: the page is shown without the highlight."""
    from indexer.extract.ocr import page_words

    try:
        words, to_points = page_words(path, page + 1, ocr)
    except Exception:
        return []
    marks = []
    for kind, needle, *_context in needles:
        found = find_in_words([w[0] for w in words], needle)
        if found is None:
            continue
        for _word, left, top, right, bottom in words[found[0] : found[1]]:
            rect = QRectF(QPointF(left * to_points, top * to_points), QPointF(right * to_points, bottom * to_points))
            marks.append(PageMark(kind, page, rect))
    return marks


def text_marks(pdf: QPdfDocument, page: int, page_text: str, kind: str, needle: str,
               context: str | None = None) -> list[PageMark]:  # fmt: skip
    """Where ``needle`` (in its ``context``, when given) stands on page ``page``: a rectangle a line."""
    found = find_in_context(page_text, needle, context)
    if found is None:
        return []
    selection = pdf.getSelectionAtIndex(page, found[0], found[1])
    return [PageMark(kind, page, polygon.boundingRect()) for polygon in selection.bounds()]
