"""The DocSense window: search and ask, results, the document at the hit, facets, and the library of folders.

Everything slow (opening the index, searching, answering, indexing, watching) runs in background workers; the
window only ever handles their results. The window talks to the engine and the indexer through their facades
(``engine.Library``, ``indexer.Indexer``, ``indexer.watch.Watcher``) and gets plain dataclasses back.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.format import (
    file_of,
    human_time,
    languages_line,
    no_match,
    progress_line,
    shown_path,
    spelled,
    unsupported_line,
)
from desktop.models import HitRole, ResultsModel, ResultsView
from desktop.preview import Highlight, PreviewWidget
from desktop.theme import apply_theme
from desktop.workers import Handoff, Runner, Worker
from engine.types import Answer, Entity, Explanation, Progress, RunSummary, SearchHit, Status

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
STATUS_EVERY_S = 3.0  # how often the status bar's counts are read again while files are indexed
FACET_GROUPS = (("PERSON", "People"), ("ORG", "Organisations"), ("GPE", "Places"), ("LOC", "Places"),
                ("DATE", "Dates"))  # fmt: skip
# What the window suggests once the sample documents are indexed: (mode, text).
SAMPLE_SUGGESTIONS = (
    ("Search", "referring to labels defined in another document"),
    ("Search", "may I distribute a changed copy of the work"),
    ("Ask", "Who wrote the xr package?"),
)
RECENT_INDEXES = 8  # listed under File > Recent indexes
FacetKey = tuple[str, str]  # a field of the query language: ("ext", "pdf"), ("person", "Leslie Lamport")
FACET_FIELDS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place"}  # other labels: entity:
TYPE_FIELDS = ("ext", "type")


class _Bridge(QObject):
    """Carries the watcher's events, and the search server's calls of the library, from their threads to the GUI
    thread."""

    watched = Signal(object)
    handed = Signal(object)  # a Handoff to run in the library's thread


def _card(name: str, background: str) -> QLabel:
    """A panel of rich text, hidden until it has something to say (the answer card, the explanation of a hit)."""
    card = QLabel()
    card.setObjectName(name)
    card.setWordWrap(True)
    card.setTextFormat(Qt.TextFormat.RichText)
    card.setFrameShape(QFrame.Shape.StyledPanel)
    # Its own text colour: a light card keeps dark text under a dark theme
    card.setStyleSheet(f"#{name} {{ background: {background}; color: #1a1a1a; padding: 8px; }}")
    card.setVisible(False)
    return card


class MainWindow(QMainWindow):
    """The main window.

    Signals:
        search_done(list): hits shown after a search.
        answer_done(list): answers shown after a question.
        index_done(object): the RunSummary of an indexing run that ended.
        status_done(object): the index Status shown in the status bar.
    """

    search_done = Signal(list)
    answer_done = Signal(list)
    index_done = Signal(object)
    status_done = Signal(object)

    def __init__(self, index_path: Path | str | None = None, library_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        from engine.settings import Settings

        self.error_box: QMessageBox | None = None  # the last internal error shown
        self.help_box: QMessageBox | None = None  # the shortcuts or the About box, when shown
        self.others: list[MainWindow] = []  # windows of other indexes opened from this one (File > Open index)
        self.last_status: Status | None = None
        # Resolved once for the window (flag > environment > config file > the index's values > default).
        # Settings makes a folder a path and keeps a server's URL as it is (its index folder is made from it).
        self.settings = Settings.resolve({"index": index_path or None})
        self.index_path = self.settings.index
        self._library_factory = library_factory
        self._library: Any = None
        self.library_runner = Runner(1)
        self.index_runner = Runner(1)
        self.index_worker: Worker | None = None
        self.watcher: Any = None
        self.server: Any = None  # the engine.serve.SearchServer answering `docsense search` from this window
        self._closing = False
        self.hits: list[SearchHit] = []
        self.answers: list[Answer] = []
        self.last_summary: RunSummary | None = None
        self.last_progress: Progress | None = None  # the running (or last) indexing run's latest
        self._status_at = time.monotonic()  # when the status bar was last asked for while indexing
        self._bridge = _Bridge()
        self._bridge.watched.connect(self._on_watch_event)
        self._bridge.handed.connect(self._run_handed)
        self.setWindowTitle("DocSense")
        if self.settings.theme != "system":
            apply_theme(QApplication.instance(), self.settings.theme)  # type: ignore[arg-type]
        self.resize(1400, 860)
        self._build()
        self._shortcuts()
        self._restore_state()
        self.refresh_status()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search your documents, or ask a question…  (Ctrl+L)")
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.run_query)
        self.query.installEventFilter(self)
        self.mode = QComboBox()
        self.mode.addItems(["Search", "Ask"])
        self.mode.setToolTip("Search: hits by meaning and keyword. Ask: the answer, highlighted where it stands.")
        self.go = QPushButton("Go")
        self.go.clicked.connect(self.run_query)
        self.filter_chip = QPushButton()
        self.filter_chip.setVisible(False)
        self.filter_chip.setToolTip("Take the file-type and entity fields out of the query")
        self.filter_chip.clicked.connect(self.clear_filters)
        bar = QHBoxLayout()
        bar.addWidget(self.query, 1)
        bar.addWidget(self.mode)
        bar.addWidget(self.go)
        bar.addWidget(self.filter_chip)

        self.answer_card = _card("answerCard", "#fff7e6")
        self.answer_card.setCursor(Qt.CursorShape.PointingHandCursor)
        self.answer_card.mousePressEvent = lambda _event: self.show_answer(0)  # type: ignore[method-assign]

        self.model = ResultsModel(self)
        self.results = ResultsView(self.model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.header().setStretchLastSection(True)
        self.results.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((200, 55, 82, 44, 40, 36)):
            self.results.setColumnWidth(column, width)
        self.results.activated.connect(self.show_hit)
        self.results.selectionModel().currentRowChanged.connect(lambda current, _prev: self.show_hit(current))
        self.results_label = QLabel("")
        self.results_label.setTextFormat(Qt.TextFormat.PlainText)  # messages may quote file names
        self.results_label.setWordWrap(True)
        self.why_button = QPushButton("Why this result?")
        self.why_button.setToolTip("What the keyword side matched and which words of the hit pull it towards the "
                                   "query (Ctrl+E)")  # fmt: skip
        self.why_button.setEnabled(False)
        self.why_button.clicked.connect(self.explain_current)
        self.why_card = _card("whyCard", "#eef4ff")
        self._query_shown = ""

        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        self.suggestions = _card("suggestions", "#eef6ff")
        self.suggestions.linkActivated.connect(self.try_suggestion)
        middle_layout.addWidget(self.suggestions)
        middle_layout.addWidget(self.answer_card)
        results_row = QHBoxLayout()
        results_row.addWidget(self.results_label, 1)
        results_row.addWidget(self.why_button)
        middle_layout.addLayout(results_row)
        middle_layout.addWidget(self.results, 1)
        middle_layout.addWidget(self.why_card)

        self.facets = QTreeWidget()
        self.facets.setHeaderLabel("Filter by")
        self.facets.itemActivated.connect(self._facet_clicked)
        self.facets.itemClicked.connect(self._facet_clicked)
        self.preview = PreviewWidget()
        from indexer.extract.ocr import OcrSettings

        self.preview.ocr = OcrSettings(self.settings.ocr, str(self.settings.cache / "ocr"))

        self.splitter = QSplitter()
        self.splitter.addWidget(self.facets)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.preview)
        self.splitter.setSizes([200, 600, 600])

        main = QWidget()
        main_layout = QVBoxLayout(main)
        main_layout.addLayout(bar)
        main_layout.addWidget(self.splitter, 1)

        self.welcome = self._welcome_page()
        self.pages = QStackedWidget()
        self.pages.addWidget(main)
        self.pages.addWidget(self.welcome)
        self.main_page = main
        self.setCentralWidget(self.pages)

        self.library_dock = QDockWidget("Library", self)
        self.library_dock.setObjectName("library")
        self.library_dock.setWidget(self._library_panel())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.library_dock)
        self.resizeDocks([self.library_dock], [190], Qt.Orientation.Vertical)

        self.status_label = QLabel("Opening the index…")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.status_label)

    def _welcome_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = QLabel(
            "<h1>Welcome to DocSense</h1><p>Search your own documents by meaning and by keyword, ask questions "
            "and see the answer where it stands. Everything stays on this computer.</p><p><small>The first run "
            "prepares the language model for this computer once (a minute or so); later runs start at once."
            "</small></p>"
        )
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)
        layout.addWidget(title)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.add_folder_button = QPushButton("Add a folder…")
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.samples_button = QPushButton("Try the sample documents")
        self.samples_button.clicked.connect(self.index_samples)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.samples_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)
        return page

    def _library_panel(self) -> QWidget:
        panel = QWidget()
        layout = QHBoxLayout(panel)
        left = QVBoxLayout()
        left.addWidget(QLabel("Folders"))
        self.folders = QListWidget()
        left.addWidget(self.folders)
        row = QHBoxLayout()
        add = QPushButton("Add folder…")
        add.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected_folder)
        self.index_button = QPushButton("Index now")
        self.index_button.clicked.connect(lambda: self.start_indexing(None))
        self.watch_toggle = QCheckBox("Watch for changes")
        self.watch_toggle.toggled.connect(self.set_watching)
        for w in (add, self.remove_button, self.index_button, self.watch_toggle):
            row.addWidget(w)
        left.addLayout(row)
        right = QVBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m files")
        self.progress_label = QLabel("Idle.")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_indexing)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        right.addLayout(progress_row)
        right.addWidget(self.progress_label)
        right.addWidget(QLabel("Files that could not be indexed, and warnings"))
        self.failed = QListWidget()
        right.addWidget(self.failed)
        layout.addLayout(left, 1)
        layout.addLayout(right, 2)
        return panel

    def _shortcuts(self) -> None:
        def action(text: str, keys: list[QKeySequence | str], slot: Callable[[], Any]) -> QAction:
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.focus_action = action("Focus search", ["Ctrl+L"], self.focus_search)
        self.find_action = action("Find in the document (in the preview; elsewhere: focus search)", ["Ctrl+F"],
                                  self.find_or_focus)  # fmt: skip
        self.next_hit_action = action("Next hit in the document (or next found)", ["F3"], lambda: self.next_hit(1))
        self.previous_hit_action = action("Previous hit in the document (or previous found)", ["Shift+F3"],
                                          lambda: self.next_hit(-1))  # fmt: skip
        self.zoom_in_action = action("Zoom in", ["Ctrl++", "Ctrl+="], lambda: self.preview.zoom(1))
        self.zoom_out_action = action("Zoom out", ["Ctrl+-"], lambda: self.preview.zoom(-1))
        self.fit_action = action("Fit the page to the width", ["Ctrl+0"], lambda: self.preview.zoom(0))
        self.open_action = action("Open at page", ["Ctrl+O"], self.open_current)
        self.reveal_action = action("Reveal in folder", ["Ctrl+Shift+R"], self.reveal_current)
        self.copy_action = action("Copy snippet", ["Ctrl+Shift+C"], self.copy_snippet)
        self.why_action = action("Why this result?", ["Ctrl+E"], self.explain_current)
        self.ask_action = action(
            "Ask mode", ["Ctrl+K"], lambda: self.mode.setCurrentIndex(1 - self.mode.currentIndex())
        )
        self.open_index_action = action("Open index…", ["Ctrl+Shift+O"], self.choose_index)
        self.settings_action = action("Settings…", ["Ctrl+,"], self.open_settings)
        self.quit_action = action("Quit", ["Ctrl+Q"], self.close)
        self.shortcuts_action = action("Keyboard shortcuts", ["F1"], self.show_shortcuts)
        self.about_action = action("About DocSense", [], self.show_about)
        file = self.menuBar().addMenu("&File")
        file.addAction(self.open_index_action)
        self.recent_menu = file.addMenu("Recent indexes")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file.addSeparator()
        file.addAction(self.settings_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        menu = self.menuBar().addMenu("&Result")
        for act in (self.open_action, self.reveal_action, self.copy_action, self.why_action):
            menu.addAction(act)
        view = self.menuBar().addMenu("&View")
        view.addAction(self.focus_action)
        view.addAction(self.ask_action)
        view.addSeparator()
        for act in (self.find_action, self.next_hit_action, self.previous_hit_action, self.zoom_in_action,
                    self.zoom_out_action, self.fit_action):  # fmt: skip
            view.addAction(act)
        view.addSeparator()
        view.addAction(self.library_dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def shortcut_lines(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut of the window, as the Help shows them."""
        lines = [(", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()), act.text())
                 for act in self.actions() if act.shortcuts()]  # fmt: skip
        return [*lines, ("Enter", "Search (or ask) / show the current result"),
                ("Down", "From the field to the results"), ("Esc", "Clear the search field")]  # fmt: skip

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(t.replace('…', ''))}</td></tr>"
                       for k, t in self.shortcut_lines())  # fmt: skip
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table cellpadding=3>{rows}</table>",
                          parent=self)  # fmt: skip
        box.setTextFormat(Qt.TextFormat.RichText)
        self._show_help(box)

    def about_text(self) -> str:
        """What the About box says: versions, where the index is, the device and the encoder."""
        import platform

        import PySide6

        import engine

        status = self.last_status
        device = (
            f"{status.device}, encoder {status.encoder}" if status is not None else "not known until an index opens"
        )
        return (f"DocSense {engine.__version__}: search your own documents by meaning and by keyword, offline.\n\n"
                f"Index: {os.path.abspath(self.index_path)}\nDevice: {device}\nPython {platform.python_version()}, "
                f"PySide6 {PySide6.__version__}")  # fmt: skip

    def show_about(self) -> None:
        self._show_help(QMessageBox(QMessageBox.Icon.Information, "About DocSense", self.about_text(), parent=self))

    def _show_help(self, box: QMessageBox) -> None:
        """Show the shortcuts or the About box beside the window, not blocking it."""
        box.setModal(False)
        box.show()
        self.help_box = box

    def open_settings(self) -> None:
        """The Settings dialog over the config file; saved, the theme changes at once, the rest on the next start."""
        from desktop.settings_dialog import SettingsDialog

        folders = list(self.last_status.folders) if self.last_status is not None else []
        self.settings_dialog = SettingsDialog(self.settings, folders, self)
        self.settings_dialog.accepted.connect(self._settings_saved)
        self.settings_dialog.open()

    def _settings_saved(self) -> None:
        from engine.settings import Settings, SettingsError
        from indexer.extract.ocr import OcrSettings

        try:
            self.settings = Settings.resolve({"index": self.index_path})
        except SettingsError as exc:
            self._error(str(exc))
            return
        apply_theme(QApplication.instance(), self.settings.theme)  # type: ignore[arg-type]
        self.preview.ocr = OcrSettings(self.settings.ocr, str(self.settings.cache / "ocr"))
        self.statusBar().showMessage(f"Settings saved in {self.settings.config_file}. Models and the device take "
                                     "effect when DocSense opens again.", 10000)  # fmt: skip

    def recent_indexes(self) -> list[str]:
        """The other indexes opened lately (File > Recent indexes), newest first, those still there."""
        here = os.path.abspath(self.index_path)
        listed = _listed(self._state().value("recent", []))
        return [p for p in listed if p != here and (Path(p) / "docsense.db").exists()][:RECENT_INDEXES]

    def _remember_index(self) -> None:
        state = self._state()
        here = os.path.abspath(self.index_path)
        state.setValue(
            "recent", [here, *[p for p in _listed(state.value("recent", [])) if p != here]][: RECENT_INDEXES + 1]
        )
        state.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_indexes():
            act = self.recent_menu.addAction(shown_path(path))
            act.triggered.connect(lambda _checked=False, p=path: self.open_index(Path(p)))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def choose_index(self) -> None:
        """Open another index (a folder holding docsense.db) in a window of its own."""
        folder = QFileDialog.getExistingDirectory(self, "Open an index folder", str(Path.home()))
        if folder:
            self.open_index(Path(folder))

    def open_index(self, folder: Path) -> MainWindow | None:
        if not (folder / "docsense.db").exists():
            self._error(f"no index in {folder}: choose a folder that holds docsense.db (or index a folder into it)")
            return None
        other = MainWindow(folder)
        other.show()
        self.others.append(other)
        return other

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search field goes to the results, as in a browser's address bar; Esc clears the field."""
        if watched is self.query and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key == Qt.Key.Key_Escape and self.query.text():
                self.query.clear()
                return True
            if key == Qt.Key.Key_Down and self.model.rowCount():
                self.results.setFocus(Qt.FocusReason.TabFocusReason)
                self.results.setCurrentIndex(self.model.index(0, 0))
                return True
        return super().eventFilter(watched, event)

    # -- the library --------------------------------------------------------------------------------------

    def library(self) -> Any:
        """The open Library (call from worker threads only: opening it may load models)."""
        if self._library is None:
            if self._library_factory is not None:
                self._library = self._library_factory()
            else:
                from engine import Library

                self._library = Library(settings=self.settings)
        return self._library

    def _has_index(self) -> bool:
        from engine.settings import SERVER_FILE

        return (self.index_path / "docsense.db").exists() or (self.index_path / SERVER_FILE).exists()

    def refresh_status(self) -> None:
        if not self._has_index():
            self.pages.setCurrentWidget(self.welcome)
            self.status_label.setText(f"No index yet at {self.index_path}")
            return

        def job(_progress: Any, _cancelled: Any) -> Status:
            library = self.library()
            library.reload()
            return library.status()

        self.library_runner.start(job, returned=self._show_status, errored=self._error)

    def _show_status(self, status: Status) -> None:
        outdated = f" · {status.outdated:,} to re-index (Index now)" if status.outdated else ""
        running = self.index_worker is not None and not self.index_worker.done.is_set()
        waiting = (
            f" · meaning search covers {status.chunks - status.pending_chunks:,} of {status.chunks:,} windows"
            + ("" if running else " (Resume embedding)")
            if status.pending_chunks
            else ""
        )
        told = [code for code, _n in status.languages if code]
        languages = f" · {len(told)} languages" if len(told) > 1 else ""
        self.model.main_language = told[0] if told else None
        self.status_label.setText(
            f"{status.documents:,} documents · {status.chunks:,} chunks{outdated}{waiting}{languages} · "
            f"{status.device} · {status.encoder}"
        )
        if not running:
            self.index_button.setText("Resume embedding" if status.pending_chunks else "Index now")
        tips = []
        if status.outdated:
            tips.append(f"{status.outdated:,} documents' vectors were made by an older DocSense; searches use them "
                        "until Index now makes them again.")  # fmt: skip
        if len(told) > 1:
            tips.append(f"Languages: {languages_line(status.languages)}. Pages in a search's language rank above "
                        "those in others that match it as well.")  # fmt: skip
        self.status_label.setToolTip("\n".join(tips))
        self.folders.clear()
        self.folders.addItems(list(status.folders))
        self.failed.clear()
        self.failed.addItems([f"{Path(f.path).name}: {f.reason}   ({f.path})" for f in status.failed])
        self.failed.addItems([f"Indexed, but {Path(w.path).name}: {w.reason}   ({w.path})" for w in status.warnings])
        if status.unsupported:
            line = unsupported_line(status.unsupported)
            self.failed.addItem(line[0].upper() + line[1:])
        self.pages.setCurrentWidget(self.main_page if status.documents or status.folders else self.welcome)
        if self.last_status is None:
            with contextlib.suppress(OSError):
                self._remember_index()
            if self.settings.watch and status.folders and not self.watch_toggle.isChecked():
                self.watch_toggle.setChecked(True)  # the Settings' "watch from when the window opens"
        self.last_status = status
        self._serve_searches()
        self.status_done.emit(status)

    def _serve_searches(self) -> None:
        """Answer `docsense search` from this window's open index (engine.serve), once there is one, unless another
        process (`docsense serve` or `watch`) already does."""
        if self.server is not None or self._closing:
            return
        from engine.errors import IndexAccessError
        from engine.serve import SearchServer

        server = SearchServer(self.index_path, self.library, run=self._in_library_thread, owned=False)
        try:
            server.start()
        except IndexAccessError:  # another process serves it (or no socket can be made): commands ask that one
            return
        self.server = server

    def _in_library_thread(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (from the server's thread) in the library's thread, between the window's own jobs."""
        handoff = Handoff(fn)
        self._bridge.handed.emit(handoff)
        return handoff.result(lambda: not self._closing)

    def _run_handed(self, handoff: Handoff) -> None:
        self.library_runner.start(handoff)

    def _error(self, message: str, details: str = "") -> None:
        """A user error goes to the status bar; a bug (``details``: its traceback) also opens a dialog."""
        self.statusBar().showMessage(message, 15000)
        self.progress_label.setText(message)
        if details:
            box = QMessageBox(QMessageBox.Icon.Critical, "DocSense: internal error", message, parent=self)
            box.setInformativeText("This is a bug in DocSense. The details below can be copied into a report.")
            box.setDetailedText(details)
            box.setModal(False)
            box.show()
            self.error_box = box

    # -- search and ask -----------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.pages.setCurrentWidget(self.main_page)
        self.query.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query.selectAll()

    def run_query(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.statusBar().showMessage("Type some words to search for.", 5000)
            return
        ask = self.mode.currentText() == "Ask"
        self._show_filter_chip(text)

        def job(_progress: Any, _cancelled: Any) -> tuple[list[SearchHit], list[Answer], dict[str, Any]]:
            library = self.library()
            hits = library.search(text, limit=50)  # its fields filter (engine.query): the facets write them
            answers = library.ask(text, hits=hits) if ask else []  # the same hits, filters and all: no second search
            docs = list(dict.fromkeys(h.path for h in hits))
            searched, fixes = library.spelled(text)
            return (
                hits,
                answers,
                {
                    "entities": library.entities(documents=docs, limit=60) if docs else [],
                    "searched": searched,
                    "fixes": fixes,
                    "unknown": [] if hits else library.unknown_words(text),
                },
            )

        self.results_label.setText("Searching…")
        self.library_runner.start(job, returned=lambda r: self._show_results(text, ask, *r), errored=self._query_error)

    def _query_error(self, message: str, details: str = "") -> None:
        self.results_label.setText(message)
        self._error(message, details)

    def _show_results(self, query: str, ask: bool, hits: list[SearchHit], answers: list[Answer],
                      found: dict[str, Any]) -> None:  # fmt: skip
        """Show what a query found: ``found`` holds the entities of its documents, what was searched for (its
        misspelt words put right) and the words no document has."""
        from engine.fts import content_words

        self.hits, self.answers = hits, answers
        self._query_shown = query
        self.why_card.setVisible(False)
        self.why_button.setEnabled(bool(hits))
        self.model.set_hits(hits, content_words(found["searched"]))
        if self.model.names_languages():
            self.results.resizeColumnToContents(ResultsModel.TYPE)  # "txt · Japanese" whole, not "txt ..."
        label = f"{len(hits)} results" if hits else no_match(found["unknown"])
        if found["fixes"]:
            label = f"{label}. {spelled(found['searched'], found['fixes'])}"
        self.results_label.setText(label)
        self._fill_facets(hits, found["entities"])
        if self.preview.shown_path is not None and self.preview.shown_path not in {h.path for h in hits}:
            self.preview.clear("The document shown is not among these results." if hits else "No results to show.")
        if ask:
            self._show_answer_card()
        else:
            self.answer_card.setVisible(False)
        if hits and not ask:
            self.results.setCurrentIndex(self.model.index(0, 0))
        self.search_done.emit(hits)
        if ask:
            self.answer_done.emit(answers)

    def _show_answer_card(self) -> None:
        self.answer_card.setVisible(True)
        if not self.answers:
            self.answer_card.setText("<b>No answer found.</b> The results below may still help.")
            return
        a = self.answers[0]
        where = f"{Path(a.path).name}" + (f", page {a.page}" if a.page else "")
        sentence = html.escape(a.sentence)
        answer = html.escape(" ".join(a.answer.split()))
        shown = sentence.replace(answer, f"<b style='background:#ffb347'>{answer}</b>", 1)
        if shown == sentence:
            shown = f"<b style='background:#ffb347'>{answer}</b> — {sentence}"
        self.answer_card.setText(f"<p style='font-size:14pt'>{shown}</p><p><i>{html.escape(where)}</i> "
                                 f"(click to see it in the document)</p>")  # fmt: skip
        self.show_answer(0)

    def show_answer(self, i: int) -> None:
        if not 0 <= i < len(self.answers):
            return
        a = self.answers[i]
        self._preview(a.path, a.doc_type, a.page, (a.sentence_start, a.sentence_end), a.sentence, (a.start, a.end),
                      a.answer, answer_context=a.sentence)  # fmt: skip

    def show_hit(self, index: QModelIndex) -> None:
        """Show the hit of a result row in the preview: a document's row shows its best hit."""
        hit: SearchHit | None = index.data(HitRole) if index.isValid() else None
        if hit is None:
            return
        answer = next((a for a in self.answers if a.path == hit.path and hit.start <= a.start < hit.end), None)
        best = (hit.best_start, hit.best_end) if hit.best_start is not None and hit.best_end is not None else None
        found = (answer.start, answer.end) if answer else None
        others = [h for h in self.hits if h.path == hit.path and h != hit]
        self._preview(hit.path, hit.doc_type, hit.page, (hit.start, hit.end), hit.snippet, found,
                      answer.answer if answer else None, best, answer.sentence if answer else None,
                      others)  # fmt: skip

    def document_hits(self, hit: SearchHit) -> list[SearchHit]:
        """The hits of ``hit``'s document, in the order they stand in it."""
        return sorted((h for h in self.hits if h.path == hit.path), key=lambda h: (h.page or 0, h.start))

    def next_hit(self, step: int = 1) -> None:
        """F3 / Shift+F3: the next (or previous) place Find found, when the preview's find bar holds text; else the
        next (previous) hit in the document shown, across its pages, round to the first (last)."""
        if self.preview.finding():
            self.preview.find_next(step)
            return
        hit = self.current_hit()
        if hit is None:
            return
        ordered = self.document_hits(hit)
        at = ordered.index(hit) + step if hit in ordered else 0
        if not 0 <= at < len(ordered):
            self.statusBar().showMessage("Back to the " + ("first" if step > 0 else "last") + " hit of this document",
                                         4000)  # fmt: skip
        self.results.setCurrentIndex(self.model.hit_index(ordered[at % len(ordered)]))

    def find_or_focus(self) -> None:
        """Ctrl+F: find in the document when the preview has the focus, else the search field."""
        focused = QApplication.focusWidget()
        if focused is not None and (focused is self.preview or self.preview.isAncestorOf(focused)):
            self.preview.open_find()
        else:
            self.focus_search()

    def _preview(self, path: str, doc_type: str, page: int | None, span: tuple[int, int], span_text: str,
                 answer: tuple[int, int] | None, answer_text: str | None,
                 best: tuple[int, int] | None = None, answer_context: str | None = None,
                 others: list[SearchHit] | None = None) -> None:  # fmt: skip
        """Show the document at ``path`` at a hit (its span and text) or an answer; ``others`` are the other hits
        of the same document, marked paler."""
        # A file's name is the folder's content, not markup: escaped, so that "<img src=...>.txt" shows as a name.
        title = (f"<b>{html.escape(Path(path).name)}</b>" + (f" — page {page}" if page else "")
                 + f"<br><small>{html.escape(shown_path(path))}</small>")  # fmt: skip
        others = others or []
        if doc_type == "pdf" and page and os.path.isfile(path):  # a PDF inside an archive: its text, highlighted
            needles: list[tuple[str, ...]] = [("hit", span_text)]
            if answer_text:
                needles.append(("answer", answer_text, answer_context or ""))
            self.preview.show_pdf(title, path, page, needles, [(h.page, h.snippet) for h in others if h.page])
            return

        def job(_progress: Any, _cancelled: Any) -> tuple[str, list[Highlight], tuple[str, str, Path] | None]:
            library = self.library()
            text = library.document_text(path) or ""
            rendered = _rendering(path, doc_type, text)
            marks = [Highlight(e.start, e.end, e.label) for e in library.document_entities(path)]
            marks += [Highlight(h.start, h.end, "other") for h in others]
            marks.append(Highlight(span[0], span[1], "hit"))
            if best:
                marks.append(Highlight(best[0], best[1], "best"))
            if answer:
                marks.append(Highlight(answer[0], answer[1], "answer"))
            return text, marks, rendered

        self.library_runner.start(job, returned=lambda r: self.preview.show_text(title, path, *r), errored=self._error)

    # -- facets -------------------------------------------------------------------------------------------

    def _fill_facets(self, hits: list[SearchHit], entities: list[Entity]) -> None:
        self.facets.clear()
        types: dict[str, int] = {}
        for hit in hits:
            types[hit.doc_type] = types.get(hit.doc_type, 0) + 1
        groups: dict[str, QTreeWidgetItem] = {}

        def group(name: str) -> QTreeWidgetItem:
            if name not in groups:
                groups[name] = QTreeWidgetItem(self.facets, [name])
                groups[name].setExpanded(True)
            return groups[name]

        for kind, count in sorted(types.items(), key=lambda kv: -kv[1]):
            item = QTreeWidgetItem(group("File types"), [f"{kind}  ({count})"])
            item.setData(0, Qt.ItemDataRole.UserRole, ("ext", kind))
        names = dict(FACET_GROUPS)
        for e in entities:
            if e.label not in names:
                continue
            item = QTreeWidgetItem(group(names[e.label]), [f"{e.text}  ({e.document_count})"])
            item.setData(0, Qt.ItemDataRole.UserRole, (FACET_FIELDS.get(e.label, "entity"), e.text))
            item.setToolTip(0, f"{e.label}: mentioned {e.count} times in {e.document_count} documents")

    def _facet_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole)
        if not key:
            return
        self.apply_facet(key)

    def apply_facet(self, key: FacetKey) -> None:
        """Filter by a facet: its field goes into the query (``ext:pdf``, ``person:"Leslie Lamport"``), in place
        of one of its kind, so that what is filtered is always what the field says."""
        from engine.query import ENTITY_FIELDS, field, without_fields

        name, value = key
        kind = TYPE_FIELDS if name in TYPE_FIELDS else ENTITY_FIELDS
        self.query.setText(f"{without_fields(self.query.text(), kind)} {field(name, value)}".strip())
        self.run_query()

    def clear_filters(self) -> None:
        """Take the facets' fields out of the query, and search again."""
        self.query.setText(_without_facets(self.query.text()))
        self.filter_chip.setVisible(False)
        if self.query.text().strip():
            self.run_query()

    def _show_filter_chip(self, query: str) -> None:
        filtered = _without_facets(query) != " ".join(query.split())
        self.filter_chip.setText("Clear filters  ✕")
        self.filter_chip.setVisible(filtered)

    # -- results actions ----------------------------------------------------------------------------------

    def current_hit(self) -> SearchHit | None:
        index = self.results.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    def open_current(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            holder = file_of(hit.path)  # a message or an archive member: its mailbox or archive
            if not open_at_page(holder, hit.page if holder == hit.path else None):
                kind = os.path.splitext(holder)[1].lstrip(".").upper() or "these"
                viewers = " (evince, okular or zathura open it at the page)" if kind == "PDF" else ""
                self._error(f"No program to open {Path(holder).name} was found: install a viewer for {kind} "
                            f"files{viewers}, or choose a default application for them.")  # fmt: skip

    def reveal_current(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            folder = os.path.dirname(file_of(hit.path))
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
                self._error(f"No file manager could show {folder}: open that folder yourself (Ctrl+Shift+C copies "
                            "the snippet; the path is above the preview).")  # fmt: skip

    def explain_current(self) -> None:
        """Why the hit shown is a hit (Library.explain), in the card below the results: computed now, in the
        library's thread (the first loads the encoder's token model: a few seconds)."""
        hit = self.current_hit()
        if hit is None or not self._query_shown:
            self.statusBar().showMessage("Choose a result first.", 3000)
            return
        query = self._query_shown
        self.why_card.setText("<i>Looking inside the model…</i>")
        self.why_card.setVisible(True)
        self.library_runner.start(
            lambda _progress, _cancelled: self.library().explain(query, hit),
            returned=lambda why: self._show_why(hit, why),
            errored=self._query_error,
        )

    def _show_why(self, hit: SearchHit, why: Explanation) -> None:
        if self.current_hit() != hit:
            return  # another hit was chosen meanwhile
        held = ", ".join(f"<b>{html.escape(w)}</b> ({share:.2f})" for w, share in why.matched)
        lines = [f"<b>Why this result?</b> Searched for <i>{html.escape(why.query)}</i>."]
        lines.append(f"Keyword side: it holds {held} of the query's word weight" if held else
                     "Keyword side: it holds none of the query's words")  # fmt: skip
        if why.missing:
            lines[-1] += f"; not {', '.join(html.escape(w) for w in why.missing)}"
        lines[-1] += "."
        if why.view is not None and why.cosine is not None:
            pulls = dict(why.pulls)
            view = " ".join(why.view.split()).lstrip(" .,;:)]}")
            parts = re.split(r"(\w[\w'-]*)", view)  # words at odd places: each escaped, those that pull marked
            marked = "".join(
                f"<span style='background:#ffd54f'>{html.escape(p)}</span>" if i % 2 and p in pulls else html.escape(p)
                for i, p in enumerate(parts)
            )
            listed = ", ".join(f"{html.escape(w)} +{share:.3f}" for w, share in why.pulls) or "none stands out"
            lines.append(f"Meaning side: its closest part, at a cosine of {why.cosine:.2f} to the query: “{marked}"
                         f"”")  # fmt: skip
            lines.append(f"The words that pull it most towards the query (their share of the cosine): {listed}.")
        self.why_card.setText("<br>".join(lines))

    def copy_snippet(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            QApplication.clipboard().setText(hit.snippet)
            self.statusBar().showMessage("Snippet copied.", 3000)

    # -- indexing -----------------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to DocSense", str(Path.home()))
        if folder:
            self.start_indexing([folder])

    def index_samples(self) -> None:
        # Beside the index this window runs on (not the default one when it runs on another), in a folder named
        # as DocSense's, so that no folder of the user's is written into.
        target = self.index_path.parent / "docsense-samples"
        shutil.copytree(SAMPLES, target, dirs_exist_ok=True)
        self.index_done.connect(self._suggest_queries)
        self.start_indexing([str(target)])

    def _suggest_queries(self, summary: RunSummary | None) -> None:
        """Once the samples are indexed: two searches and a question to try, a click away."""
        self.index_done.disconnect(self._suggest_queries)
        if summary is None or not summary.indexed:
            return
        links = " · ".join(f'<a href="{i}">{html.escape(text)}</a>' + (" (ask)" if mode == "Ask" else "")
                           for i, (mode, text) in enumerate(SAMPLE_SUGGESTIONS))  # fmt: skip
        self.suggestions.setText(f"<b>The samples are indexed.</b> Try: {links}")
        self.suggestions.setVisible(True)

    def try_suggestion(self, link: str) -> None:
        mode, text = SAMPLE_SUGGESTIONS[int(link)]
        self.mode.setCurrentText(mode)
        self.query.setText(text)
        self.suggestions.setVisible(False)
        self.run_query()

    def remove_selected_folder(self) -> None:
        item = self.folders.currentItem()
        if item is None:
            return
        folder = item.text()
        answer = QMessageBox.question(self, "Remove folder", f"Remove {folder} and its documents from the index?")
        if answer != QMessageBox.StandardButton.Yes:
            return

        def job(_progress: Any, _cancelled: Any) -> int:
            from indexer import Indexer

            return Indexer(settings=self.settings).remove_folder(folder)

        self.index_runner.start(job, returned=lambda _n: self.refresh_status(), errored=self._error)

    def start_indexing(self, folders: list[str] | None) -> None:
        if self.index_worker is not None and not self.index_worker.done.is_set():
            self.statusBar().showMessage("Indexing is already running.", 5000)
            return
        if folders is None and not self._has_index():
            self.choose_folder()
            return

        def job(progress: Callable[[Any], None], cancelled: Callable[[], bool]) -> RunSummary | None:
            from indexer import Indexer

            last: Progress | None = None
            for last in Indexer(wait=True, settings=self.settings).iter_run(folders, should_stop=cancelled):
                progress(last)
            return last.summary if last else None

        self.pages.setCurrentWidget(self.main_page)
        self.last_progress = None
        self.progress.setRange(0, 0)
        self.progress_label.setText("Looking for files…")
        self.cancel_button.setEnabled(True)
        self.index_button.setEnabled(False)
        self.index_worker = self.index_runner.start(
            job, returned=self._indexing_done, errored=self._indexing_failed, progress=self._indexing_progress
        )

    def _indexing_progress(self, p: Progress) -> None:
        before, self.last_progress = self.last_progress, p
        if p.phase == "index" and time.monotonic() - self._status_at >= STATUS_EVERY_S and self._has_index():
            self._status_at = time.monotonic()
            self.refresh_status()  # the status bar's counts grow with the index, as its files are stored
        if p.phase == "index" and p.files_total:
            self._show_bar("%v / %m files", p.files_total, p.files_done)
            self.progress_label.setText(
                f"Reading files: {p.files_done} of {p.files_total} · {p.chunks_done} windows stored"
                f" · ETA {human_time(p.eta_s)}" + (f" · {p.failed} failed" if p.failed else "")
            )
        elif p.phase == "languages":
            self._show_bar("%v / %m documents", p.to_tell, p.languages_told)
            self.progress_label.setText(progress_line(p))
        elif p.phase == "weights":
            if before is None or before.phase != "weights":  # embedding is done: the status bar says so
                self.refresh_status()
                self.cancel_button.setText("Cancel")
                self.cancel_button.setToolTip("Stop weighing: search stays right, its keyword side as quick as before")
            self._show_bar("%p%", 100, round(100 * p.weighed / p.to_weigh) if p.to_weigh else 100)  # as the line
            self.progress_label.setText(progress_line(p))
        elif p.phase == "embed" and (p.to_embed or p.to_tag):
            if before is None or before.phase != "embed":  # the first phase is done: its files are there to search
                self.refresh_status()
            # Every file is searchable by keyword now: what is left can wait, and goes on where it stopped.
            self.cancel_button.setText("Pause")
            self.cancel_button.setToolTip("Stop embedding after this batch; Resume embedding goes on from there")
            if p.to_embed:
                self._show_bar("%v / %m windows", p.to_embed, p.embedded)
            else:
                self._show_bar("%v / %m documents", p.to_tag, p.tagged)
            self.progress_label.setText(progress_line(p))
        elif p.phase == "save":
            self.progress_label.setText("Saving…")

    def _show_bar(self, shown: str, total: int, done: int) -> None:
        """The progress bar at ``done`` of ``total``, its text in QProgressBar's format ``shown``."""
        self.progress.setFormat(shown)
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _indexing_done(self, summary: RunSummary | None) -> None:
        self._indexing_ended()
        self.last_summary = summary
        paused = self.last_progress is not None and self.last_progress.phase == "embed"
        if summary is not None and summary.cancelled and paused and self.last_progress is not None:
            p = self.last_progress
            self.progress_label.setText(
                f"Paused: every file is searchable by keyword; meaning search covers {p.embedded:,} of "
                f"{p.to_embed:,} windows of this run. Resume embedding goes on from there."
            )
        elif summary is not None:
            verb = "Cancelled after indexing" if summary.cancelled else "Indexed"
            self.progress_label.setText(
                f"{verb} {summary.indexed} files ({summary.chunks} chunks) in {summary.elapsed_s:.1f} s; "
                f"{summary.unchanged} unchanged, {summary.removed} removed, {len(summary.failed)} failed"
                + (f"; {unsupported_line(summary.unsupported)}." if summary.unsupported else ".")
            )
        self.refresh_status()
        self.index_done.emit(summary)

    def _indexing_failed(self, message: str, details: str = "") -> None:
        self._indexing_ended()
        self._error(message, details)

    def _indexing_ended(self) -> None:
        self.progress.setRange(0, max(1, self.progress.maximum()))
        self.progress.setValue(self.progress.maximum())
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("")
        self.index_button.setEnabled(True)

    def cancel_indexing(self) -> None:
        if self.index_worker is not None:
            self.index_worker.cancel()
            embedding = self.last_progress is not None and self.last_progress.phase == "embed"
            self.progress_label.setText(
                "Pausing: finishing the current batch…" if embedding else "Cancelling: finishing the current file…"
            )

    # -- watching -----------------------------------------------------------------------------------------

    def set_watching(self, on: bool) -> None:
        if not on:
            if self.watcher is not None:
                watcher, self.watcher = self.watcher, None
                self.index_runner.start(lambda _p, _c: watcher.stop())
                self.statusBar().showMessage("Stopped watching.", 3000)
            return
        from indexer import Indexer
        from indexer.watch import Watcher

        self.watcher = Watcher(Indexer(wait=True, settings=self.settings), on_event=self._bridge.watched.emit)
        self.watcher.start()
        self.statusBar().showMessage("Watching the indexed folders for changes…", 5000)

    def _on_watch_event(self, event: Any) -> None:
        self.progress_label.setText(f"Watch: {event.message}")
        if event.kind == "batch":
            QTimer.singleShot(0, self.refresh_status)
        elif event.kind == "error":
            self._error(event.message)

    def _state(self) -> Any:
        """Where the window keeps its size, splitters and last query: window.ini beside the config file."""
        from PySide6.QtCore import QSettings

        return QSettings(str(self.settings.config_file.parent / "window.ini"), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        state = self._state()
        for key, restore in (("geometry", self.restoreGeometry), ("splitter", self.splitter.restoreState)):
            value = state.value(key)
            if value is not None:
                restore(value)
        self.query.setText(str(state.value("query", "")))  # not searched until Enter: the index may have changed
        self.mode.setCurrentIndex(1 if state.value("mode") == "Ask" else 0)

    def _save_state(self) -> None:
        state = self._state()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("splitter", self.splitter.saveState())
        state.setValue("query", self.query.text())
        state.setValue("mode", self.mode.currentText())
        state.sync()

    def closeEvent(self, event: Any) -> None:
        with contextlib.suppress(OSError):  # a read-only config folder: the window still closes
            self._save_state()
        server, self.server = self.server, None
        if server is not None:
            server.stop()  # first: a call it is waiting for in the library's thread then ends quietly
        self._closing = True
        if server is not None:
            server.close()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.index_runner.cancel_all()
        self.index_runner.wait(60000)
        self.library_runner.wait(30000)
        super().closeEvent(event)


def _rendering(path: str, doc_type: str, text: str) -> tuple[str, str, Path] | None:
    """What the preview renders of a Markdown or HTML document: (kind, source, its folder); None for the others,
    and for a page inside an archive (its text is shown)."""
    if doc_type == "md":
        return "md", text, Path(path).parent  # the indexed text of a Markdown file is its source
    if doc_type == "html" and os.path.isfile(path):
        from indexer.extract.html import decode_html

        try:
            return "html", decode_html(Path(path).read_bytes()), Path(path).parent
        except OSError:
            return None
    return None


def _without_facets(query: str) -> str:
    """``query`` without the fields facets write (types and entities)."""
    from engine.query import ENTITY_FIELDS, without_fields

    return without_fields(query, (*TYPE_FIELDS, *ENTITY_FIELDS))


def _listed(value: Any) -> list[str]:
    """A list kept in window.ini as QSettings gives it back: one item comes back as a string, none as None."""
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def open_at_page(path: str, page: int | None) -> bool:
    """Open ``path`` in the system's viewer, at ``page`` when the viewer can be told (evince, okular, zathura).
    Returns whether a program was found to open it."""
    if page and path.lower().endswith(".pdf"):
        for viewer, args in (("evince", ["-i", str(page)]), ("okular", ["-p", str(page)]),
                             ("zathura", ["-P", str(page)])):  # fmt: skip
            exe = shutil.which(viewer)
            if exe:
                subprocess.Popen([exe, *args, path], start_new_session=True)
                return True
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(path)))
