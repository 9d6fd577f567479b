"""The document at a hit: a PDF, every page, scrolled to the hit (and answer) highlighted on its page; or the text
with the chunk, the answer span and the entities highlighted. Zoom, find in the document, next and previous hit."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QResizeEvent, QTextCharFormat, QTextCursor
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.pdfview import (
    ANSWER_COLOUR,
    FOUND_COLOUR,
    FOUND_NOW_COLOUR,
    HIT_COLOUR,
    OTHER_HIT_COLOUR,
    PageMark,
    PdfCanvas,
    ocr_marks,
    text_marks,
)
from desktop.rendered import MAX_RENDERED_CHARS, DocumentView, OffsetMap, render

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

BEST_COLOUR = QColor(255, 213, 79)  # the part of the hit that matched the meaning best: a deeper yellow
ENTITY_COLOURS = {
    "PERSON": QColor(190, 220, 255),
    "ORG": QColor(255, 214, 214),
    "GPE": QColor(200, 240, 200),
    "LOC": QColor(200, 240, 200),
    "DATE": QColor(230, 210, 255),
}
TEXT_COLOURS = {"hit": HIT_COLOUR, "best": BEST_COLOUR, "answer": ANSWER_COLOUR, "other": OTHER_HIT_COLOUR,
                **ENTITY_COLOURS}  # fmt: skip
PAGE_WIDTH_PX = 900  # a PDF page's width before the pane has a size of its own
MIN_PAGE_WIDTH_PX = 360  # narrower panes scroll sideways rather than shrink the page past reading
ZOOM_STEP = 1.25
ZOOM_RANGE = (0.1, 8.0)  # pixels per point
TEXT_ZOOM_RANGE = (-6, 12)  # QTextEdit zoom steps


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    kind: str  # "hit", "best", "answer", "other" (another hit of the document) or an entity label


def qt_position(text: str, index: int) -> int:
    """A Python string index as a QTextDocument position (Qt counts UTF-16 code units)."""
    head = text[:index]
    return index + sum(1 for ch in head if ord(ch) > 0xFFFF)


class PreviewWidget(QWidget):
    """Text or PDF, whichever the document is. Tells what it shows in ``header``; ``page_label`` says which page
    of how many is in view. Find (``open_find``) looks through the whole document; ``zoom`` scales either."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("Select a result to see it here.")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Each swatch keeps dark text: the colours are light, whatever the theme
        swatches = [*ENTITY_COLOURS.items(), ("hit", HIT_COLOUR), ("best match", BEST_COLOUR),
                    ("answer", ANSWER_COLOUR)]  # fmt: skip
        self.legend = QLabel(" ".join(f'<span style="background:{c.name()};color:#1a1a1a">&nbsp;{label}&nbsp;</span>'
                                      for label, c in swatches))  # fmt: skip
        self.text = DocumentView()
        self.pdf = QPdfDocument(self)
        self.page = PdfCanvas(self.pdf)
        self.page_area = QScrollArea()
        self.page_area.setWidget(self.page)
        self.page_area.setWidgetResizable(False)
        self.page_area.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.page_area.verticalScrollBar().valueChanged.connect(self._show_page_number)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.page_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addLayout(self._tools())
        layout.addWidget(self.stack, 1)
        layout.addWidget(self._find_bar())
        self._pdf_loaded: tuple[str, int] | None = None  # (path, mtime) of the file self.pdf holds
        self._page_texts: dict[int, str] = {}  # the loaded PDF's page texts, as read so far
        self.shown_path: str | None = None  # the document shown (None: none)
        self.highlights: list[Highlight] = []  # the text's, at offsets in the indexed text
        self.shown_highlights: list[Highlight] = []  # the same, where they stand in what is shown (rendered)
        self.ocr: OcrSettings | None = None  # how scanned pages were read, to find hits on them (the window sets it)
        self._page = 0  # the 0-based page of the hit shown
        self.fit_width = True  # a PDF's pages as wide as the pane; zooming sets a scale of its own
        self._text_zoom = 0
        self._text_selections: list[QTextEdit.ExtraSelection] = []  # the highlights, beneath Find's
        self._found: list[tuple[int, int, int]] = []  # Find's matches: (page or 0, start, end)
        self._found_at = -1
        self._found_for: str | None = None  # the text Find looked for, in the document shown
        self._refit = QTimer(self)  # a resize lays the pages out at the new width once the resizing stops
        self._refit.setSingleShot(True)
        self._refit.setInterval(150)
        self._refit.timeout.connect(self._fit_pages)

    def _tools(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.legend, 1)
        self.page_label = QLabel("")
        row.addWidget(self.page_label)
        for text, tip, step in (("\N{MINUS SIGN}", "Zoom out (Ctrl+-)", -1), ("+", "Zoom in (Ctrl++)", 1),
                                ("Fit", "Fit the page to the pane's width (Ctrl+0)", 0)):  # fmt: skip
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked=False, s=step: self.zoom(s))
            row.addWidget(button)
        return row

    def _find_bar(self) -> QWidget:
        self.find_bar = QWidget()
        row = QHBoxLayout(self.find_bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.find_field = QLineEdit()
        self.find_field.setPlaceholderText("Find in this document  (Enter: next, Shift+Enter: previous, Esc: close)")
        self.find_field.setClearButtonEnabled(True)
        self.find_field.returnPressed.connect(lambda: self.find_next(1))
        self.find_field.installEventFilter(self)
        self.find_label = QLabel("")
        row.addWidget(self.find_field, 1)
        row.addWidget(self.find_label)
        self.find_bar.setVisible(False)
        return self.find_bar

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Shift+Enter in the find field goes back; Esc closes the find bar."""
        if watched is self.find_field and event.type() == QEvent.Type.KeyPress:
            key, modifiers = event.key(), event.modifiers()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and modifiers & Qt.KeyboardModifier.ShiftModifier:
                self.find_next(-1)
                return True
            if key == Qt.Key.Key_Escape:
                self.close_find()
                return True
        return super().eventFilter(watched, event)

    # -- what is shown --------------------------------------------------------------------------------------

    def clear(self, message: str = "Select a result to see it here.") -> None:
        """Show nothing (the document shown is no longer among the results)."""
        self.shown_path = None
        self.header.setText(message)
        self.highlights, self.shown_highlights = [], []
        self.text.clear()
        self.stack.setCurrentWidget(self.text)
        self._forget_find()
        self._show_page_number()

    def showing_pdf(self) -> bool:
        return self.stack.currentWidget() is self.page_area

    @property
    def page_rects(self) -> list[tuple[str, QRectF]]:
        """The hit's and the answer's rectangles in the canvas, in pixels (a rectangle a line)."""
        return [(m.kind, self.page.to_canvas(m)) for m in self.page.marks if m.kind in ("hit", "answer")]

    @property
    def page_width(self) -> int:
        """The width, in pixels, of the page the hit is on."""
        if not self.showing_pdf() or not self.page.laid_out():
            return 0
        return int(self.page.page_rect(self._page).width())

    def current_page(self) -> int:
        """The 1-based page in view (the one at a third of the pane's height); 0 when no PDF is shown."""
        if not self.showing_pdf() or not self.page.laid_out():
            return 0
        bar = self.page_area.verticalScrollBar()
        return self.page.page_at(bar.value() + self.page_area.viewport().height() / 3) + 1

    def _show_page_number(self) -> None:
        count = self.page.page_count()
        self.page_label.setText(f"Page {self.current_page()} of {count}" if self.showing_pdf() and count else "")

    # -- text -----------------------------------------------------------------------------------------------

    def show_text(self, title: str, path: str, text: str, highlights: list[Highlight],
                  rendered: tuple[str, str, Path | None] | None = None) -> None:  # fmt: skip
        """Show ``text``, the document at ``path``, with its highlights (offsets in ``text``); scrolls to the answer,
        else to the hit's best part, else to the hit. ``rendered``, (kind, source, folder): show the document as
        Markdown or HTML renders it, its highlights placed on the rendering (``shown_highlights``)."""
        self.stack.setCurrentWidget(self.text)
        self.header.setText(title)
        self.shown_path = path
        self.text.blocked = []
        self.highlights = highlights
        if rendered is not None and len(rendered[1]) <= MAX_RENDERED_CHARS:
            render(self.text.document(), *rendered)
            shown = self.text.toPlainText()
            mapping = OffsetMap(text, shown)
            highlights = [Highlight(*span, h.kind) for h in highlights if (span := mapping.span(h.start, h.end))]
        else:
            self.text.setPlainText(text)
            shown = text
        self.shown_highlights = highlights
        self._forget_find()
        self._show_page_number()
        selections = []
        layer = {"other": 1, "hit": 2, "best": 3, "answer": 4}  # entities first; the hit and answer on top
        for h in sorted(highlights, key=lambda h: layer.get(h.kind, 0)):
            colour = TEXT_COLOURS.get(h.kind)
            if colour is None:
                continue
            fmt = QTextCharFormat()
            fmt.setBackground(colour)
            if h.kind == "answer":
                fmt.setFontWeight(700)
            selections.append(self._selection(shown, h.start, h.end, fmt))
        self._text_selections = selections
        self.text.setExtraSelections(selections)
        target = next((h for kind in ("answer", "best", "hit") for h in highlights if h.kind == kind), None)
        if target is not None:
            self._scroll_text_to(shown, target.start, target.end)

    def _selection(self, text: str, start: int, end: int, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(qt_position(text, start))
        cursor.setPosition(qt_position(text, end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def _scroll_text_to(self, text: str, start: int, end: int) -> None:
        """Bring [start, end) into view, its start shown (the end first, so that a long span shows its start)."""
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(qt_position(text, min(end, len(text))))
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()
        cursor.setPosition(qt_position(text, start))
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    # -- PDF ------------------------------------------------------------------------------------------------

    def _fitting_width(self) -> int:
        """The page width that fills the pane (a vertical scroll bar allowed for)."""
        if not self.page_area.isVisible():
            return PAGE_WIDTH_PX
        bar = self.page_area.verticalScrollBar().sizeHint().width()
        margins = 2 * self.page_area.frameWidth() + bar + 2 * self.page.GAP
        return max(MIN_PAGE_WIDTH_PX, self.page_area.width() - margins)

    def _fit_scale(self) -> float:
        return self._fitting_width() / max(self.page.page_points(self._page).width(), 1.0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.showing_pdf() and self.page.laid_out():
            self._refit.start()

    def _fit_pages(self) -> None:
        """After a resize: the pages as wide as the pane again (or, zoomed, centred in it)."""
        if self.showing_pdf() and self.page.laid_out():
            self._lay_out(self._fit_scale() if self.fit_width else self.page.scale)

    def _lay_out(self, scale: float) -> None:
        """Lay the pages out at ``scale``, keeping in view the place of the page that was in view."""
        bar = self.page_area.verticalScrollBar()
        at, fraction = 0, 0.0
        if self.page.laid_out():
            at = self.page.page_at(bar.value())
            before = self.page.page_rect(at)
            fraction = (bar.value() - before.top()) / max(before.height(), 1.0)
        self.page.lay_out(scale, self.page_area.viewport().width())
        after = self.page.page_rect(at)
        bar.setValue(int(after.top() + fraction * after.height()))
        self._show_page_number()

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
        self._page_texts = {}
        self._forget_find()
        if self.pdf.load(path) != QPdfDocument.Error.None_:
            self.page.reload()
            return False
        self._pdf_loaded = key
        self.page.reload()
        return True

    def page_text(self, index: int) -> str:
        """The text of page ``index`` (0-based) of the loaded PDF, as QtPdf reads it (read once)."""
        if index not in self._page_texts:
            self._page_texts[index] = self.pdf.getAllText(index).text()
        return self._page_texts[index]

    def show_pdf(self, title: str, path: str, page: int, needles: list[tuple[str, ...]],
                 others: list[tuple[int, str]] | None = None) -> None:  # fmt: skip
        """Show the PDF at ``path``, every page, scrolled to 1-based ``page`` where each (kind, text) of
        ``needles`` is highlighted, or (kind, text, context): the text where it stands in that context (an answer in
        its own sentence). ``others`` are the document's other hits, (page, text), highlighted paler."""
        self.stack.setCurrentWidget(self.page_area)
        self.header.setText(title)
        self.shown_path = path
        if not self._load_pdf(path):
            self.header.setText(f"{title}<br>Cannot open this PDF with QtPdf.")
            self.page.lay_out(1.0, 1)
            self._show_page_number()
            return
        self._page = index = max(0, min(page - 1, self.pdf.pageCount() - 1))
        scale = self._fit_scale() if self.fit_width else self.page.scale
        marks: list[PageMark] = []
        page_text = self.page_text(index)
        if not page_text.strip() and self.ocr is not None and self.ocr.enabled:
            marks += ocr_marks(path, index, needles, self.ocr)
        for kind, needle, *context in needles:
            marks += text_marks(self.pdf, index, page_text, kind, needle, context[0] if context else None)
        for other_page, needle in others or []:
            if 0 < other_page <= self.pdf.pageCount():
                marks += text_marks(self.pdf, other_page - 1, self.page_text(other_page - 1), "other", needle)
        self.page.lay_out(scale, self.page_area.viewport().width())
        self.page.marks = marks + self._find_marks()
        first = min((r for k, r in self.page_rects if k == "answer"), default=None, key=lambda r: r.top())
        first = first or min((r for k, r in self.page_rects), default=None, key=lambda r: r.top())
        top = first.top() - 80 if first is not None else self.page.page_rect(index).top() - self.page.GAP
        self.page_area.verticalScrollBar().setValue(max(0, int(top)))
        self._show_page_number()

    # -- zoom -----------------------------------------------------------------------------------------------

    def zoom(self, step: int) -> None:
        """Zoom in (1), out (-1), or back to the pane's width (0; for text, its first size)."""
        if not self.showing_pdf():
            low, high = TEXT_ZOOM_RANGE
            wanted = 0 if step == 0 else max(low, min(high, self._text_zoom + step))
            self.text.zoomIn(wanted - self._text_zoom)
            self._text_zoom = wanted
            return
        if not self.page.laid_out():
            return
        self.fit_width = step == 0
        if step == 0:
            self._lay_out(self._fit_scale())
            return
        lowest, highest = ZOOM_RANGE
        self._lay_out(max(lowest, min(highest, self.page.scale * ZOOM_STEP**step)))

    # -- find -----------------------------------------------------------------------------------------------

    def open_find(self) -> None:
        self.find_bar.setVisible(True)
        self.find_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_field.selectAll()

    def close_find(self) -> None:
        self.find_bar.setVisible(False)
        self._forget_find()
        self._paint_found()

    def finding(self) -> bool:
        """Whether F3 should move through Find's matches (the find bar is open with text) rather than the hits."""
        return self.find_bar.isVisible() and bool(self.find_field.text().strip())

    def _forget_find(self) -> None:
        self._found, self._found_at, self._found_for = [], -1, None
        self.find_label.setText("")

    def _search(self, wanted: str) -> None:
        """Every place ``wanted`` stands in the document shown, case-blind (every page of a PDF)."""
        pattern = re.compile(re.escape(wanted), re.IGNORECASE)
        if self.showing_pdf():
            pages = range(self.page.page_count())
            self._found = [(i, m.start(), m.end()) for i in pages for m in pattern.finditer(self.page_text(i))]
        else:
            self._found = [(0, m.start(), m.end()) for m in pattern.finditer(self.text.toPlainText())]
        self._found_for, self._found_at = wanted, -1

    def find_next(self, step: int = 1) -> None:
        """Go to the next (1) or previous (-1) place where the find field's text stands, round the document."""
        wanted = self.find_field.text().strip()
        if not wanted:
            return
        if wanted != self._found_for:
            self._search(wanted)
            start = self._first_after_view() if step > 0 else self._first_after_view() - 1
            self._found_at = start % len(self._found) if self._found else -1
        elif self._found:
            self._found_at = (self._found_at + step) % len(self._found)
        if not self._found:
            self.find_label.setText("Not found")
            self._paint_found()
            return
        self.find_label.setText(f"{self._found_at + 1} of {len(self._found)}")
        self._paint_found()

    def _first_after_view(self) -> int:
        """The first match at or after what is in view (a PDF's page in view; the text's cursor)."""
        if self.showing_pdf():
            page = self.current_page() - 1
            return next((i for i, f in enumerate(self._found) if f[0] >= page), 0)
        position = self.text.textCursor().position()
        return next((i for i, f in enumerate(self._found) if f[1] >= position), 0)

    def found(self) -> list[tuple[int, int, int]]:
        """Find's matches: (0-based page, start, end) in the page's text (page 0 for text)."""
        return list(self._found)

    def found_at(self) -> int:
        """Which of ``found`` was moved to last (-1: none)."""
        return self._found_at

    def _find_marks(self) -> list[PageMark]:
        """Find's matches as marks on the PDF's pages: those of the pages near the one moved to (a document can
        hold thousands; the others are marked as their pages are moved to)."""
        if not self._found or not self.showing_pdf():
            return []
        now = self._found[self._found_at][0] if self._found_at >= 0 else self.current_page() - 1
        marks = []
        for i, (page, start, end) in enumerate(self._found):
            if abs(page - now) > 2:
                continue
            kind = "found-now" if i == self._found_at else "found"
            selection = self.pdf.getSelectionAtIndex(page, start, end - start)
            marks += [PageMark(kind, page, polygon.boundingRect()) for polygon in selection.bounds()]
        return marks

    def _paint_found(self) -> None:
        """Show Find's matches, the one moved to in a deeper green and brought into view."""
        if self.showing_pdf():
            self.page.marks = [m for m in self.page.marks if not m.kind.startswith("found")] + self._find_marks()
            self.page.update()
            now = [self.page.to_canvas(m) for m in self.page.marks if m.kind == "found-now"]
            if now:
                self.page_area.ensureVisible(int(now[0].center().x()), int(now[0].center().y()), 40,
                                             self.page_area.viewport().height() // 3)  # fmt: skip
            return
        text = self.text.toPlainText()
        found = []
        for i, (_page, start, end) in enumerate(self._found):
            fmt = QTextCharFormat()
            fmt.setBackground(FOUND_NOW_COLOUR if i == self._found_at else FOUND_COLOUR)
            found.append(self._selection(text, start, end, fmt))
        self.text.setExtraSelections(self._text_selections + found)
        if self._found_at >= 0:
            _page, start, end = self._found[self._found_at]
            self._scroll_text_to(text, start, end)
