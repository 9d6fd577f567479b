"""Qt item models over the engine's plain dataclasses."""

from __future__ import annotations

import html
import os
import re
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.format import file_of, hit_name
from engine.types import SearchHit

HitRole = Qt.ItemDataRole.UserRole + 1
SnippetHtmlRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def bold_terms(text: str, terms: list[str]) -> str:
    """``text`` as HTML with each word starting with one of ``terms`` in bold."""
    escaped = html.escape(text)
    if not terms:
        return escaped
    pattern = re.compile(r"\b(" + "|".join(re.escape(html.escape(t)) for t in terms) + r")(\w*)", re.IGNORECASE)
    return pattern.sub(lambda m: f"<b>{m.group(0)}</b>", escaped)


class ResultsModel(QAbstractTableModel):
    """Search hits as rows: file, page, which side matched, how well (strong, good, weak), snippet, folder."""

    COLUMNS = ("File", "Page", "Matched", "Match", "Snippet", "Folder")
    SNIPPET_COLUMN = 4

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._terms: list[str] = []
        self._names: list[tuple[str, str, str]] = []  # each hit's name, its file's folder, its full name

    def set_hits(self, hits: list[SearchHit], terms: list[str]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._terms = list(terms)
        # Named once here, not at every paint: naming looks on disk for the file that holds a message or a member
        self._names = [
            (hit_name(h.path, h.doc_type, h.title, folder=False), os.path.dirname(file_of(h.path)),
             hit_name(h.path, h.doc_type, h.title))
            for h in self._hits
        ]  # fmt: skip
        self.endResetModel()

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own signature
        return 0 if parent.isValid() else len(self._hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        name, folder, full_name = self._names[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                name,
                "" if hit.page is None else str(hit.page),
                hit.matched if hit.embedded else "keyword (not embedded yet)",
                hit.strength,
                hit.snippet,
                folder,
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3:
                return f"A {hit.strength} match (score {hit.score:.4f}, comparable within this search only)"
            if column == 2 and not hit.embedded:
                return "Found by keyword: meaning search covers this window once indexing has embedded it"
            where = f"{full_name}, page {hit.page}" if hit.page else full_name
            return f"{where}\n{hit.heading}" if hit.heading else where
        if role == HitRole:
            return hit
        if role == SnippetHtmlRole:
            return bold_terms(hit.snippet, self._terms)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SnippetDelegate(QStyledItemDelegate):
    """Draws the snippet column as rich text, with the query's words in bold."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        html_text = index.data(SnippetHtmlRole)
        if html_text is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else QApplication.style()
        option.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        doc = QTextDocument()
        doc.setDocumentMargin(1)
        doc.setDefaultFont(option.font)
        doc.setHtml(html_text)
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.drawContents(painter)
        painter.restore()
