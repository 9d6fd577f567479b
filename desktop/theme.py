"""The window's colours: the system's, or Fusion in light or dark (the Settings dialog's theme)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

_SYSTEM: tuple[str, QPalette] | None = None  # the style and palette the application started with


def apply_theme(app: QApplication, name: str) -> None:
    """Colour ``app``: "system" gives back what it started with; "light" and "dark" use Fusion, which draws the
    same everywhere (native styles ignore a dark palette in places)."""
    global _SYSTEM
    if _SYSTEM is None:
        _SYSTEM = (app.style().name(), QPalette(app.palette()))
    if name == "system":
        app.setStyle(QStyleFactory.create(_SYSTEM[0]) or app.style())
        app.setPalette(_SYSTEM[1])
        return
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if name == "dark" else app.style().standardPalette())


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f1f1f"),
        (roles.AlternateBase, "#282828"), (roles.ToolTipBase, "#2b2b2b"), (roles.ToolTipText, "#e6e6e6"),
        (roles.Text, "#e6e6e6"), (roles.Button, "#353535"), (roles.ButtonText, "#e6e6e6"),
        (roles.BrightText, "#ff6b6b"), (roles.Link, "#6fa8ff"), (roles.Highlight, "#3d6fb6"),
        (roles.HighlightedText, "#ffffff"), (roles.PlaceholderText, "#9a9a9a"), (roles.Mid, "#3a3a3a"),
        (roles.Dark, "#202020"), (roles.Light, "#4a4a4a"),
    ):  # fmt: skip
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#7a7a7a"))
    return palette
