"""The document at a hit: a PDF page rendered with the hit (and answer) highlighted, or the text with the chunk,
the answer span and the entities highlighted."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QResizeEvent, QTextCharFormat, QTextCursor
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QLabel, QScrollArea, QStackedWidget, QTextEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

HIT_COLOUR = QColor(255, 236, 140)
BEST_COLOUR = QColor(255, 213, 79)  # the part of the hit that matched the meaning best: a deeper yellow
ANSWER_COLOUR = QColor(255, 170, 80)
ENTITY_COLOURS = {
    "PERSON": QColor(190, 220, 255),
    "ORG": QColor(255, 214, 214),
    "GPE": QColor(200, 240, 200),
    "LOC": QColor(200, 240, 200),
    "DATE": QColor(230, 210, 255),
}
PAGE_WIDTH_PX = 900  # a PDF page's width before the pane has a size of its own
MIN_PAGE_WIDTH_PX = 360  # narrower panes scroll sideways rather than shrink the page past reading
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    kind: str  # "hit", "answer", or an entity label


def qt_position(text: str, index: int) -> int:
    """A Python string index as a QTextDocument position (Qt counts UTF-16 code units)."""
    head = text[:index]
    return index + sum(1 for ch in head if ord(ch) > 0xFFFF)


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


class PreviewWidget(QWidget):
    """Text or PDF, whichever the document is. Tells what it shows in ``header``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("Select a result to see it here.")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = QLabel(
            " ".join(
                f'<span style="background:{c.name()}">&nbsp;{label}&nbsp;</span>' for label, c in ENTITY_COLOURS.items()
            )
            + f' <span style="background:{HIT_COLOUR.name()}">&nbsp;hit&nbsp;</span>'
            f' <span style="background:{BEST_COLOUR.name()}">&nbsp;best match&nbsp;</span>'
            f' <span style="background:{ANSWER_COLOUR.name()}">&nbsp;answer&nbsp;</span>'
        )
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.page = QLabel()
        self.page.setTextFormat(Qt.TextFormat.PlainText)
        self.page.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.page_area = QScrollArea()
        self.page_area.setWidget(self.page)
        self.page_area.setWidgetResizable(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.page_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.legend)
        layout.addWidget(self.stack, 1)
        self.pdf = QPdfDocument(self)
        self._pdf_loaded: tuple[str, int] | None = None  # (path, mtime) of the file self.pdf holds
        self.highlights: list[Highlight] = []
        self.page_rects: list[tuple[str, QRectF]] = []
        self.ocr: OcrSettings | None = None  # how scanned pages were read, to find hits on them (the window sets it)
        self.page_width = 0  # the width the shown PDF page was rendered at
        self._shown_pdf: tuple[str, str, int, list[tuple[str, ...]]] | None = None
        self._refit = QTimer(self)  # a resize re-renders the page at the new width once the resizing stops
        self._refit.setSingleShot(True)
        self._refit.setInterval(150)
        self._refit.timeout.connect(self._fit_page)

    def _fitting_width(self) -> int:
        """The page width that fills the pane (a vertical scroll bar allowed for)."""
        if not self.page_area.isVisible():
            return PAGE_WIDTH_PX
        bar = self.page_area.verticalScrollBar().sizeHint().width()
        return max(MIN_PAGE_WIDTH_PX, self.page_area.width() - 2 * self.page_area.frameWidth() - bar)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._shown_pdf is not None and abs(self._fitting_width() - self.page_width) > 8:
            self._refit.start()

    def _fit_page(self) -> None:
        if self._shown_pdf is not None and self.stack.currentWidget() is self.page_area:
            self.show_pdf(*self._shown_pdf)

    def _load_pdf(self, path: str) -> bool:
        """Load ``path`` unless it is the file already loaded and unchanged (a 1,600-page PDF takes ~40 ms to load,
        and moving through its hits, or resizing the pane, shows it again and again)."""
        try:
            key = (path, os.stat(path).st_mtime_ns)
        except OSError:
            key = None
        if key is not None and key == self._pdf_loaded:
            return True
        self._pdf_loaded = None
        if self.pdf.load(path) != QPdfDocument.Error.None_:
            return False
        self._pdf_loaded = key
        return True

    def show_text(self, title: str, text: str, highlights: list[Highlight]) -> None:
        """Show ``text`` with its highlights; scrolls to the answer, else to the hit's best part, else to the hit."""
        self.stack.setCurrentWidget(self.text)
        self._shown_pdf = None
        self.header.setText(title)
        self.text.setPlainText(text)
        self.highlights = highlights
        selections = []
        layer = {"hit": 1, "best": 2, "answer": 3}  # entities first; the hit, its best part and the answer on top
        for h in sorted(highlights, key=lambda h: layer.get(h.kind, 0)):
            colour = {"hit": HIT_COLOUR, "best": BEST_COLOUR, "answer": ANSWER_COLOUR}.get(
                h.kind
            ) or ENTITY_COLOURS.get(h.kind)
            if colour is None:
                continue
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(qt_position(text, h.start))
            cursor.setPosition(qt_position(text, h.end), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(colour)
            if h.kind == "answer":
                fmt.setFontWeight(700)
            selection.format = fmt
            selections.append(selection)
        self.text.setExtraSelections(selections)
        target = next((h for kind in ("answer", "best", "hit") for h in highlights if h.kind == kind), None)
        if target is not None:
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(qt_position(text, min(target.end, len(text))))
            self.text.setTextCursor(cursor)
            self.text.ensureCursorVisible()
            cursor.setPosition(qt_position(text, target.start))
            self.text.setTextCursor(cursor)
            self.text.ensureCursorVisible()

    def _paint_ocr_hits(
        self, painter: QPainter, path: str, page: int, scale: float, needles: list[tuple[str, ...]]
    ) -> None:
        """A scanned page has no text for QtPdf to find: its hits are found in the words OCR read when it was
        indexed (the cache answers; OCR reads it again if the cache is gone) and boxed from their positions."""
        from indexer.extract.ocr import page_words

        try:
            words, to_points = page_words(path, page, self.ocr)  # type: ignore[arg-type]
        except Exception:  # no OCR here, or the page cannot be rendered: the page is shown without the highlight
            return
        for kind, needle, *_context in needles:
            found = find_in_words([w[0] for w in words], needle)
            if found is None:
                continue
            colour = ANSWER_COLOUR if kind == "answer" else HIT_COLOUR
            for _word, left, top, right, bottom in words[found[0] : found[1]]:
                rect = QRectF(QPointF(left * to_points * scale, top * to_points * scale),
                              QPointF(right * to_points * scale, bottom * to_points * scale))  # fmt: skip
                painter.fillRect(rect, colour)
                self.page_rects.append((kind, rect))

    def show_pdf(self, title: str, path: str, page: int, needles: list[tuple[str, ...]]) -> None:
        """Render 1-based ``page`` of the PDF at ``path``, as wide as the pane, with each (kind, text) of ``needles``
        highlighted, or (kind, text, context): the text where it stands in that context (an answer in its own
        sentence); a resize renders it again at the new width."""
        self.stack.setCurrentWidget(self.page_area)
        self._shown_pdf = (title, path, page, needles)
        self.header.setText(title)
        if not self._load_pdf(path):
            self.page.setText(f"Cannot open {path} with QtPdf.")
            self.page_rects = []
            return
        index = max(0, min(page - 1, self.pdf.pageCount() - 1))
        points = self.pdf.pagePointSize(index)
        self.page_width = self._fitting_width()
        scale = self.page_width / max(points.width(), 1.0)
        image = self.pdf.render(index, QSize(self.page_width, int(points.height() * scale)))
        image = image.convertToFormat(QImage.Format.Format_ARGB32)
        page_text = self.pdf.getAllText(index).text()
        self.page_rects = []
        painter = QPainter(image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        if not page_text.strip() and self.ocr is not None and self.ocr.enabled:
            self._paint_ocr_hits(painter, path, index + 1, scale, needles)
        for kind, needle, *context in needles:
            found = find_in_context(page_text, needle, context[0] if context else None)
            if found is None:
                continue
            selection = self.pdf.getSelectionAtIndex(index, found[0], found[1])
            colour = ANSWER_COLOUR if kind == "answer" else HIT_COLOUR
            for polygon in selection.bounds():
                rect = polygon.boundingRect()
                scaled = QRectF(QPointF(rect.left() * scale, rect.top() * scale), rect.size() * scale)
                painter.fillRect(scaled, colour)
                self.page_rects.append((kind, scaled))
        painter.end()
        self.page.setPixmap(QPixmap.fromImage(image))
        # The scroll range follows the new page only once the layout has run; without this, scrolling to a rect
        # further down than the previous page's height was clamped, and the hit stayed out of view.
        self.page.resize(self.page.sizeHint().expandedTo(self.page_area.viewport().size()))
        if self.page_rects:
            first = min((r for k, r in self.page_rects if k == "answer"), default=self.page_rects[0][1],
                        key=lambda r: r.top())  # fmt: skip
            self.page_area.verticalScrollBar().setValue(max(0, int(first.top()) - 80))
