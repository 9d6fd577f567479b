"""The results as Recoll shows them: one row per document, in score order, its hits beneath it; a column per thing a
person sorts by (name, folder, date, type, pages, how well it matches)."""

from __future__ import annotations

import html
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QResizeEvent, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QWidget

from desktop.format import file_of, hit_name
from engine.language import language_name
from engine.types import SearchHit

HitRole = Qt.ItemDataRole.UserRole + 1
SnippetHtmlRole = Qt.ItemDataRole.UserRole + 2
SortRole = Qt.ItemDataRole.UserRole + 3
Index = QModelIndex | QPersistentModelIndex
_STRENGTH_ORDER = {"weak": 0, "good": 1, "strong": 2}


def bold_terms(text: str, terms: list[str]) -> str:
    """``text`` as HTML with each word starting with one of ``terms`` in bold."""
    escaped = html.escape(text)
    if not terms:
        return escaped
    pattern = re.compile(r"\b(" + "|".join(re.escape(html.escape(t)) for t in terms) + r")(\w*)", re.IGNORECASE)
    return pattern.sub(lambda m: f"<b>{m.group(0)}</b>", escaped)


@dataclass
class _Document:
    """One result row: a document and its hits, best first (the engine's order)."""

    hits: list[SearchHit]
    name: str  # as the File column shows it (a mail's subject, an archive member's name)
    folder: str
    full_name: str  # with its folder, for the tooltip

    @property
    def best(self) -> SearchHit:
        return self.hits[0]


class ResultsModel(QAbstractItemModel):
    """Documents as top-level rows, each hit a child row beneath its document. A child's first column spans the
    row (the view sets that) and carries the snippet, drawn wrapped by ``ResultDelegate``.

    Sorting (click a header) orders the documents; a document's hits stay best first. The order chosen stays for the
    next search, as in a file manager. Internal ids: 0 for a document row, its row + 1 for each of its hits.
    """

    COLUMNS = ("File", "Match", "Modified", "Pages", "Type", "Hits", "Folder")
    FILE, MATCH, MODIFIED, PAGES, TYPE, HITS, FOLDER = range(len(COLUMNS))

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._docs: list[_Document] = []
        self._terms: list[str] = []
        self._sort: tuple[int, Qt.SortOrder] = (self.MATCH, Qt.SortOrder.DescendingOrder)
        # the language most of the index is in: a document in another one says its language in the Type column
        self.main_language: str | None = None

    # -- filling and reading ----------------------------------------------------------------------------

    def set_hits(self, hits: list[SearchHit], terms: list[str]) -> None:
        """Group ``hits`` (best first) by document, in the order last chosen by a header click."""
        self.beginResetModel()
        grouped: dict[str, list[SearchHit]] = {}
        for h in hits:
            grouped.setdefault(h.path, []).append(h)
        # Named once here, not at every paint: naming looks on disk for the file that holds a message or a member
        self._docs = [
            _Document(group, hit_name(group[0].path, group[0].doc_type, group[0].title, folder=False),
                      os.path.dirname(file_of(group[0].path)),
                      hit_name(group[0].path, group[0].doc_type, group[0].title))
            for group in grouped.values()
        ]  # fmt: skip
        self._terms = list(terms)
        self._docs.sort(key=self._key(self._sort[0]), reverse=self._sort[1] == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def document_count(self) -> int:
        return len(self._docs)

    def hit_index(self, hit: SearchHit) -> QModelIndex:
        """The child row that shows ``hit`` (invalid if it is not among the results)."""
        for row, doc in enumerate(self._docs):
            if doc.best.path == hit.path:
                for child, h in enumerate(doc.hits):
                    if h == hit:
                        return self.index(child, 0, self.index(row, 0))
        return QModelIndex()

    def hits_in_order(self) -> list[SearchHit]:
        """Every hit in the order the rows show them: document by document."""
        return [h for doc in self._docs for h in doc.hits]

    # -- the tree ---------------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008 - Qt's own
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._docs)
        if parent.internalId() == 0 and parent.column() == 0 and 0 <= parent.row() < len(self._docs):
            return len(self._docs[parent.row()].hits)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def _hit_at(self, index: Index) -> tuple[_Document, SearchHit | None] | None:
        """The document an index stands in, and the hit when it is a hit's row."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return (self._docs[index.row()], None) if 0 <= index.row() < len(self._docs) else None
        doc_row = index.internalId() - 1
        if not 0 <= doc_row < len(self._docs) or not 0 <= index.row() < len(self._docs[doc_row].hits):
            return None
        doc = self._docs[doc_row]
        return doc, doc.hits[index.row()]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        found = self._hit_at(index)
        if found is None:
            return None
        doc, hit = found
        if role == HitRole:
            return hit or doc.best
        if hit is not None:
            return self._hit_data(doc, hit, index.column(), role)
        column = index.column()
        best = doc.best
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(doc)[column]
        if role == SortRole:
            return self._key(column)(doc)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.MATCH:
                return (f"A {best.strength} match: its best hit's score is {best.score:.4f} (comparable within this "
                        "search only)")  # fmt: skip
            if column == self.MODIFIED:
                return "When it was written: its own date where it has one (a mail's, a PDF's), else its file's"
            return doc.full_name
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.HITS, self.PAGES):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _cells(self, doc: _Document) -> tuple[str, ...]:
        best = doc.best
        return (
            doc.name,
            best.strength,
            time.strftime("%Y-%m-%d", time.localtime(best.date)) if best.date is not None else "",
            "" if best.pages is None else str(best.pages),
            self._type_cell(best),
            str(len(doc.hits)),
            doc.folder,
        )

    def names_languages(self) -> bool:
        """Whether a document's Type cell names its language (another than the index's main one)."""
        return any(self._type_cell(doc.best) != doc.best.doc_type for doc in self._docs)

    def _type_cell(self, hit: SearchHit) -> str:
        """The document's type, and its language when that is not the index's main one ("html · Japanese")."""
        if hit.language and self.main_language and hit.language != self.main_language:
            return f"{hit.doc_type} · {language_name(hit.language)}"
        return hit.doc_type

    def _hit_data(self, doc: _Document, hit: SearchHit, column: int, role: int) -> Any:
        if column != 0:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{_hit_lead(hit)}: {hit.snippet}"
        if role == SnippetHtmlRole:
            lead = html.escape(_hit_lead(hit))
            return f"<span class='lead'>{lead}</span>&nbsp;&nbsp;{bold_terms(hit.snippet, self._terms)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f"{doc.full_name}, page {hit.page}" if hit.page else doc.full_name
            if not hit.embedded:
                where += "\nFound by keyword: meaning search covers this window once indexing has embedded it"
            return f"{where}\n{hit.heading}" if hit.heading else where
        return None

    # -- sorting ----------------------------------------------------------------------------------------

    def _key(self, column: int) -> Any:
        """How ``column`` orders documents: words case-blind, numbers as numbers, missing dates and pages first."""
        keys: dict[int, Any] = {
            self.FILE: lambda d: d.name.casefold(),
            self.MATCH: lambda d: d.best.score,
            self.HITS: lambda d: len(d.hits),
            self.MODIFIED: lambda d: d.best.date if d.best.date is not None else float("-inf"),
            self.TYPE: lambda d: d.best.doc_type,
            self.PAGES: lambda d: d.best.pages or 0,
            self.FOLDER: lambda d: d.folder.casefold(),
        }
        return keys.get(column, keys[self.MATCH])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        # Where each persistent index stood, by document: a document's hits keep their rows, so only its row moves.
        held = [(self._hit_at(i), i) for i in before]
        self._docs.sort(key=self._key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        row_of = {id(d): row for row, d in enumerate(self._docs)}
        after = []
        for found, old in held:
            if found is None:
                after.append(QModelIndex())
                continue
            row = row_of[id(found[0])]
            if found[1] is None:
                after.append(self.createIndex(row, old.column(), 0))
            else:
                after.append(self.createIndex(old.row(), old.column(), row + 1))
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()


def _hit_lead(hit: SearchHit) -> str:
    """What a hit's row says before its snippet: where it is, which side found it, how well it matches."""
    parts = [f"page {hit.page}"] if hit.page else []
    parts.append(hit.matched if hit.embedded else "keyword (not embedded yet)")
    parts.append(hit.strength)
    return " · ".join(parts)


class ResultDelegate(QStyledItemDelegate):
    """Draws a hit's row as rich text wrapped to the view's width (query words in bold), as tall as it needs."""

    MARGIN = 2

    def _document(self, option: QStyleOptionViewItem, html_text: str, width: int,
                  selected: bool = False) -> QTextDocument:  # fmt: skip
        doc = QTextDocument()
        doc.setDocumentMargin(self.MARGIN)
        doc.setDefaultFont(option.font)
        # The lead (page, side, strength) greyed, but in the selection's own colour when selected: grey on the
        # selection's blue could not be read.
        grey = option.palette.color(QPalette.ColorRole.PlaceholderText).name()
        doc.setDefaultStyleSheet("" if selected else f".lead {{ color: {grey} }}")
        doc.setHtml(html_text)
        doc.setTextWidth(max(width, 80))
        return doc

    def _width(self, option: QStyleOptionViewItem, index: Index) -> int:
        """The width a hit's text wraps at: the view's, less its indentation (the row spans every column; a hit is
        a level down, and the documents are indented too when they have branch arrows)."""
        view = option.widget
        if isinstance(view, QTreeView):
            levels = 2 if view.rootIsDecorated() else 1
            return view.viewport().width() - levels * view.indentation() - 2 * self.MARGIN
        return option.rect.width()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        html_text = index.data(SnippetHtmlRole)
        if html_text is None:
            return super().sizeHint(option, index)
        doc = self._document(option, html_text, self._width(option, index))
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        html_text = index.data(SnippetHtmlRole)
        if html_text is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        widget: QWidget | None = option.widget
        style = widget.style() if widget else QApplication.style()
        option.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        doc = self._document(option, html_text, min(option.rect.width(), self._width(option, index)), selected)
        context = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.documentLayout().draw(painter, context)
        painter.restore()


class ResultsView(QTreeView):
    """The results tree: documents sortable by header, each expanded to its hits, whose rows span the columns and
    wrap to the view's width (a resize lays them out again)."""

    def __init__(self, model: ResultsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(ResultDelegate(self))
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(True)
        self.setIndentation(14)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.header().setSortIndicator(ResultsModel.MATCH, Qt.SortOrder.DescendingOrder)
        self.setSortingEnabled(True)
        model.modelReset.connect(self._spread)
        model.layoutChanged.connect(self._spread)

    def _spread(self) -> None:
        """Each hit's row spans the columns; every document shows its hits."""
        model = self.model()
        for row in range(model.rowCount()):
            parent = model.index(row, 0)
            for child in range(model.rowCount(parent)):
                self.setFirstColumnSpanned(child, parent, True)
        self.expandAll()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.scheduleDelayedItemsLayout()  # the hits' rows wrap at the new width: their heights change
