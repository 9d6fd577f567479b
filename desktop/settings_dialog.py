"""The Settings dialog: the config file (engine.settings) as a form. It writes only what the user changed, so a
setting left alone keeps coming from where it came from (the index's own encoder, the environment, the default)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.settings import OPTIONS, Settings, SettingsError, write_config

_DEFAULTS = {o.name: o.default for o in OPTIONS}
AUTOMATIC = "automatic (the GPU when there is one)"


def _combo(choices: list[str], current: str, editable: bool, tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(list(dict.fromkeys([current, *choices])) if editable else choices)
    box.setEditable(editable)
    box.setCurrentText(current)
    box.setToolTip(tip)
    return box


class SettingsDialog(QDialog):
    """Models, device, OCR, excluded patterns per folder, watching on start and the theme. ``saved`` holds what
    was written once Save succeeds; a value the config file would refuse is said in the dialog, which stays open."""

    def __init__(self, settings: Settings, folders: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.saved: dict[str, Any] | None = None
        self.encoder = _combo(["all-MiniLM-L6-v2"], settings.encoder, True,
                              "The sentence encoder: its name, or a folder holding a sentence-transformers model. "
                              "An index keeps the encoder it was built with: a new one needs the folders indexed "
                              "again.")  # fmt: skip
        self.tagger = _combo(["en_core_web_sm", "none"], settings.tagger, True,
                             "What finds people, organisations, places and dates: spaCy's model, none, or a "
                             "token-classification model folder")  # fmt: skip
        self.reader = _combo(["sentence"], settings.reader, True,
                             "What finds answers: 'sentence', or an extractive-QA model folder")  # fmt: skip
        self.device = _combo([AUTOMATIC, "cpu", "cuda", "mps"], settings.device or AUTOMATIC, False,
                             "Where the models run")  # fmt: skip
        self.ocr = QCheckBox("Read scanned PDF pages with OCR")
        self.ocr.setChecked(settings.ocr != "none")
        self.ocr_languages = QLineEdit(settings.ocr if settings.ocr != "none" else "eng")
        self.ocr_languages.setToolTip("Tesseract's language names: eng, or eng+deu")
        self.ocr_languages.setEnabled(self.ocr.isChecked())
        self.ocr.toggled.connect(self.ocr_languages.setEnabled)
        ocr_row = QHBoxLayout()
        ocr_row.addWidget(self.ocr)
        ocr_row.addWidget(self.ocr_languages, 1)
        self.watch = QCheckBox("Watch the folders for changes from when the window opens")
        self.watch.setChecked(settings.watch)
        self.theme = _combo(["system", "light", "dark"], settings.theme, False, "The window's colours")
        form = QFormLayout()
        form.addRow("Encoder", self.encoder)
        form.addRow("Entity tagger", self.tagger)
        form.addRow("Answer reader", self.reader)
        form.addRow("Device", self.device)
        form.addRow("OCR", ocr_row)
        form.addRow("", self.watch)
        form.addRow("Theme", self.theme)
        self.excludes = QTableWidget(0, 2)
        self.excludes.setHorizontalHeaderLabels(["Folder", "Excluded (glob patterns, comma-separated)"])
        self.excludes.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.excludes.horizontalHeader().setStretchLastSection(True)
        self.excludes.verticalHeader().setVisible(False)
        for folder in sorted({*folders, *settings.excludes}):
            row = self.excludes.rowCount()
            self.excludes.insertRow(row)
            name = QTableWidgetItem(folder)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.excludes.setItem(row, 0, name)
            self.excludes.setItem(row, 1, QTableWidgetItem(", ".join(settings.excludes.get(folder, ()))))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        note = QLabel(self._note())
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Files and folders to leave out, per folder (e.g. drafts, *.tmp):"))
        layout.addWidget(self.excludes, 1)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(720, 520)
        self._initial = (self.values(), self.folder_excludes())

    def _note(self) -> str:
        overridden = [f"{o.name} ({o.env})" for o in OPTIONS if self.settings.sources.get(o.name) == "env" and o.env]
        text = (f"Saved in {self.settings.config_file}. Models, the device and OCR take effect when DocSense "
                "opens again; the theme at once.")  # fmt: skip
        if overridden:
            text += " Set by the environment, which wins over this file: " + ", ".join(overridden) + "."
        return text

    def values(self) -> dict[str, Any]:
        """What the form says, setting by setting, as the config file would hold it."""
        device = self.device.currentText()
        return {
            "encoder": self.encoder.currentText().strip(),
            "tagger": self.tagger.currentText().strip(),
            "reader": self.reader.currentText().strip(),
            "device": None if device == AUTOMATIC else device,
            "ocr": (self.ocr_languages.text().strip() or "eng") if self.ocr.isChecked() else "none",
            "watch": self.watch.isChecked(),
            "theme": self.theme.currentText(),
        }

    def folder_excludes(self) -> dict[str, list[str]]:
        """Each folder's patterns, as the table says them."""
        found = {}
        for row in range(self.excludes.rowCount()):
            folder, patterns = self.excludes.item(row, 0), self.excludes.item(row, 1)
            if folder is not None:
                text = patterns.text() if patterns is not None else ""
                found[folder.text()] = [p.strip() for p in text.split(",") if p.strip()]
        return found

    def changes(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """What the user changed: only that is written. A value put back to its default is taken out of the file."""
        values, excludes = self.values(), self.folder_excludes()
        was_values, was_excludes = self._initial
        changed = {k: (None if v == _DEFAULTS.get(k) else v) for k, v in values.items() if v != was_values[k]}
        folders = {f: p for f, p in excludes.items() if p != was_excludes.get(f)}
        return changed, folders

    def accept(self) -> None:
        values, excludes = self.changes()
        try:
            write_config(self.settings.config_file, values, excludes)
        except SettingsError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        self.saved = {**values, "folders": excludes}
        super().accept()
