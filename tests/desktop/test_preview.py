"""The preview renders Markdown and HTML as their reader sees them, highlights on the rendering, and never fetches
what a document names on the web (a real HTTP server on this machine stands in for the web and counts requests)."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtGui import QTextTable

from desktop.rendered import OffsetMap
from desktop.window import MainWindow
from engine import Library
from indexer import Indexer
from tests.desktop.test_window import WAIT, search


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []  # the paths asked, by every handler of the server

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                         b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")  # fmt: skip

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    """A web server on this machine: its address, and the paths asked of it."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


MARKDOWN = """# Tea notes

Oolong is partly oxidised, between green and black tea.

## Brewing

- Water at 90 degrees for oolong
- Three minutes for **black** tea

| Tea    | Minutes |
|--------|---------|
| Sencha | 1       |

```
brew --leaf oolong --minutes 3
```

![a pixel]({web}/pixel.gif)
"""

HTML = """<html><head><title>Coffee</title><link rel="stylesheet" href="{web}/style.css"></head><body>
<h1>Coffee roasting</h1><p>Espresso roasts are dark; filter roasts stay light and fruity.</p>
<ul><li>Light roast at 205 degrees</li><li>Dark roast at 225 degrees</li></ul>
<table><tr><th>Bean</th><th>Origin</th></tr><tr><td>Bourbon</td><td>Rwanda</td></tr></table>
<img src="{web}/tracker.gif"></body></html>
"""


@pytest.fixture
def rendered_window(qtbot, tmp_path: Path, fake_encoder, web) -> tuple[MainWindow, Library, list[str]]:
    address, requests = web
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "tea.md").write_text(MARKDOWN.format(web=address))
    (folder / "coffee.html").write_text(HTML.format(web=address))
    index = tmp_path / "index"
    Indexer(index, encoder=fake_encoder, workers=0, tagger="none").run([folder])
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    lib = Library(index, encoder=fake_encoder)
    yield win, lib, requests
    lib.close()


def blocks(win: MainWindow) -> list:
    doc = win.preview.text.document()
    found, block = [], doc.begin()
    while block.isValid():
        found.append(block)
        block = block.next()
    return found


def test_markdown_is_rendered_with_the_hit_on_its_words(qtbot, rendered_window) -> None:
    win, lib, requests = rendered_window
    hits = search(qtbot, win, "oolong sencha brewing")
    assert hits[0].path.endswith("tea.md")
    qtbot.waitUntil(lambda: bool(win.preview.shown_highlights), timeout=WAIT)
    shown = win.preview.text.toPlainText()
    assert "##" not in shown  # headings, not their source
    assert "**" not in shown
    assert "|" not in shown
    levels = {b.text(): b.blockFormat().headingLevel() for b in blocks(win)}
    assert levels["Tea notes"] == 1
    assert levels["Brewing"] == 2
    assert any(b.textList() is not None and b.text().startswith("Water at 90") for b in blocks(win))
    frames = win.preview.text.document().rootFrame().childFrames()
    assert any(isinstance(f, QTextTable) for f in frames)
    assert any(b.text() == "brew --leaf oolong --minutes 3" and b.blockFormat().nonBreakableLines()
               for b in blocks(win))  # fmt: skip
    text = lib.document_text(hits[0].path)
    hit = next(h for h in win.preview.shown_highlights if h.kind == "hit")
    words = re.findall(r"\w+", text[hits[0].start : hits[0].end])
    shown_words = re.findall(r"\w+", shown[hit.start : hit.end])
    assert shown_words[:4] == words[:4]
    # The image stands on the web: asked for, refused, and the server never heard of it.
    qtbot.waitUntil(lambda: bool(win.preview.text.blocked), timeout=WAIT)
    assert any(u.endswith("/pixel.gif") for u in win.preview.text.blocked)
    assert requests == []


def test_html_is_rendered_and_loads_nothing_from_the_web(qtbot, rendered_window) -> None:
    win, _lib, requests = rendered_window
    hits = search(qtbot, win, "espresso roasts bourbon")
    assert hits[0].path.endswith("coffee.html")
    qtbot.waitUntil(lambda: bool(win.preview.shown_highlights), timeout=WAIT)
    levels = {b.text(): b.blockFormat().headingLevel() for b in blocks(win)}
    assert levels["Coffee roasting"] == 1
    assert any(b.textList() is not None and b.text() == "Dark roast at 225 degrees" for b in blocks(win))
    assert "<li>" not in win.preview.text.toPlainText()
    qtbot.waitUntil(lambda: bool(win.preview.text.blocked), timeout=WAIT)
    assert {u.rsplit("/", 1)[-1] for u in win.preview.text.blocked} == {"tracker.gif"}
    qtbot.wait(200)
    assert requests == []  # neither the image nor the stylesheet


def test_a_text_file_is_shown_as_its_text(qtbot, tmp_path: Path, fake_encoder) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    source = "# not a heading here\n\nA plain text note about *stars* and <b>tags</b>.\n"
    (folder / "note.txt").write_text(source)
    index = tmp_path / "index"
    Indexer(index, encoder=fake_encoder, workers=0, tagger="none").run([folder])
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    search(qtbot, win, "plain text note stars")
    qtbot.waitUntil(lambda: bool(win.preview.shown_highlights), timeout=WAIT)
    assert win.preview.text.toPlainText().rstrip("\n") == source.rstrip("\n")  # the asterisks and tags as written


def test_offset_map_pairs_words_across_markup() -> None:
    source = "## Brewing\n\n- Water at **90** degrees\n"
    shown = "Brewing\nWater at 90 degrees"
    mapping = OffsetMap(source, shown)
    start = source.index("Water")
    assert mapping.span(start, len(source)) == (shown.index("Water"), len(shown))
    assert mapping.span(source.index("**90"), source.index("90**") + 4) == (shown.index("90"), shown.index("90") + 2)
    assert mapping.span(0, 3) is None  # "## " holds no word
