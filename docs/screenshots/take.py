"""Take the README's screenshots of the window: offscreen, on an index of the test corpus built with the real encoder.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/take.py [NAME ...]

Writes NAME.png beside this file (every shot when no NAME is given). The index is built once, in
/tmp/docsense-shots, and reused; the window's settings live there too (new for each run), so that yours are left
alone.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = Path("/tmp/docsense-shots")


def _index() -> Path:
    from indexer import Indexer

    index = WORK / "index"
    if not (index / "docsense.db").exists():
        corpus = WORK / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(ROOT / "tests" / "data" / "corpus", corpus, ignore=shutil.ignore_patterns("broken"))
        Indexer(index).run([corpus])
    return index


def _wait(app: object, until: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)
    for _ in range(20):  # let the last layout and paint run
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def _search(app: object, window: object, text: str, ask: bool = False) -> None:
    done: list[object] = []
    signal = window.answer_done if ask else window.search_done  # type: ignore[attr-defined]
    signal.connect(done.append)
    window.mode.setCurrentText("Ask" if ask else "Search")  # type: ignore[attr-defined]
    window.query.setText(text)  # type: ignore[attr-defined]
    window.run_query()  # type: ignore[attr-defined]
    _wait(app, lambda: bool(done))


def grouped(app: object, window: object) -> None:
    """Results grouped by document, a document's hits wrapped beneath it, at 1024 px wide."""
    window.resize(1024, 720)  # type: ignore[attr-defined]
    _search(app, window, "errata Lamport manual")
    _wait(app, lambda: window.preview.header.text() != "")  # type: ignore[attr-defined]


def pdf_page(app: object, window: object) -> None:
    """The PDF preview at a hit on page 5, the document's other hits paler, its page number and count."""
    _search(app, window, "errata Lamport manual")
    hit = next(h for h in window.hits if h.path.endswith("lamport-manual.pdf") and h.page == 5)  # type: ignore[attr-defined]
    window.results.setCurrentIndex(window.model.hit_index(hit))  # type: ignore[attr-defined]
    _wait(app, lambda: window.preview.current_page() == 5)  # type: ignore[attr-defined]


def markdown(app: object, window: object) -> None:
    """A Markdown file rendered (headings, lists, code, tables), the hit on its words."""
    _search(app, window, "how was the model fine-tuned ext:md")
    _wait(app, lambda: bool(window.preview.shown_highlights))  # type: ignore[attr-defined]


def search(app: object, window: object) -> None:
    """A search whose best hit is an HTML page: rendered, the hit and its best part highlighted, entities coloured."""
    _search(app, window, "apache virtual hosts")
    _wait(app, lambda: bool(window.preview.shown_highlights))  # type: ignore[attr-defined]


def ask_pdf(app: object, window: object) -> None:
    """A question answered from a PDF: the answer card, and the answer on the page."""
    _search(app, window, "Who wrote the xr package?", ask=True)
    _wait(app, lambda: window.preview.showing_pdf() and bool(window.preview.page_rects))  # type: ignore[attr-defined]


def settings(app: object, window: object) -> object:
    """The Settings dialog over the config file."""
    window.open_settings()  # type: ignore[attr-defined]
    _wait(app, lambda: window.settings_dialog.isVisible())  # type: ignore[attr-defined]
    return window.settings_dialog  # type: ignore[attr-defined]


def dark(app: object, window: object) -> None:
    """The dark theme, on a search with its PDF preview."""
    from desktop.theme import apply_theme

    apply_theme(app, "dark")  # type: ignore[arg-type]
    _search(app, window, "errata Lamport manual")
    _wait(app, lambda: window.preview.showing_pdf())  # type: ignore[attr-defined]


SHOTS: dict[str, Callable[[object, object], object]] = {
    "grouped": grouped,
    "pdf-page": pdf_page,
    "markdown": markdown,
    "search": search,
    "ask-pdf": ask_pdf,
    "settings": settings,
    "dark": dark,
}


def main(names: list[str]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["DOCSENSE_HOME"] = str(WORK / "home")
    os.environ["DOCSENSE_CONFIG"] = str(WORK / "home" / "config.toml")
    from PySide6.QtWidgets import QApplication

    from desktop.window import MainWindow

    index = _index()
    app = QApplication.instance() or QApplication([])
    for name in names or list(SHOTS):
        shutil.rmtree(WORK / "home", ignore_errors=True)  # a window remembers its size and splitters: start afresh
        window = MainWindow(index)
        window.show()
        window.resize(1280, 800)
        _wait(app, lambda w=window: w.last_status is not None)
        shown = SHOTS[name](app, window) or window
        shown.grab().save(str(HERE / f"{name}.png"))  # type: ignore[attr-defined]
        print(HERE / f"{name}.png")
        window.close()
        from desktop.theme import apply_theme

        apply_theme(app, "system")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
