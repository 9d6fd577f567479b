"""The window with pytest-qt, offscreen, on real indexes (the fake encoder keeps them fast)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from desktop.models import HitRole, ResultsModel
from desktop.window import SAMPLES, MainWindow
from engine import Library
from indexer import Indexer
from tests.helpers import db_rows

WAIT = 30000


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, fake_encoder) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gui")
    corpus = root / "corpus"
    shutil.copytree(corpus_dir, corpus)
    Indexer(root / "index", encoder=fake_encoder, workers=0, tagger="none").run([corpus])
    return root / "index", corpus


@pytest.fixture
def window(qtbot, indexed, fake_encoder) -> MainWindow:
    index, _corpus = indexed
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    return win


def search(qtbot, win: MainWindow, text: str) -> list:
    win.query.setText(text)
    with qtbot.waitSignal(win.search_done, timeout=WAIT) as blocker:
        qtbot.keyClick(win.query, Qt.Key.Key_Return)
    return blocker.args[0]


def test_results_model_passes_qtmodeltester(qtmodeltester, indexed, fake_encoder) -> None:
    index, _ = indexed
    with Library(index, encoder=fake_encoder) as lib:
        hits = lib.search("apache virtual host", limit=20)
    model = ResultsModel()
    model.set_hits(hits, ["apache"])
    qtmodeltester.check(model, force_py=True)
    documents = list(dict.fromkeys(h.path for h in hits))
    assert len(documents) < len(hits), "the query should find some document twice"
    assert model.rowCount() == len(documents)
    assert model.index(0, 0).data(HitRole) == hits[0]


def test_results_are_grouped_by_document_with_their_hits_beneath(indexed, fake_encoder) -> None:
    """One row per document in the order of its best hit, its hits beneath it best first, as Recoll shows them."""
    index, _ = indexed
    with Library(index, encoder=fake_encoder) as lib:
        hits = lib.search("apache virtual host", limit=20)
    model = ResultsModel()
    model.set_hits(hits, ["apache"])
    shown = []
    for row in range(model.rowCount()):
        parent = model.index(row, 0)
        children = [model.index(i, 0, parent).data(HitRole) for i in range(model.rowCount(parent))]
        assert parent.data(HitRole) == children[0]
        assert model.index(row, ResultsModel.HITS).data() == str(len(children))
        assert {h.path for h in children} == {children[0].path}
        shown.extend(children)
    assert sorted(shown, key=hits.index) == hits  # every hit once
    assert [h.path for h in shown] == [h.path for h in sorted(hits, key=lambda h: documents_rank(hits, h))]
    assert shown == model.hits_in_order()
    child = model.index(0, 0, model.index(0, 0))
    assert "<b>" in child.data(Qt.ItemDataRole.UserRole + 2)
    assert child.data().startswith(hits[0].matched)  # no page: an HTML page; then its side and strength
    assert model.hit_index(hits[-1]).data(HitRole) == hits[-1]


def documents_rank(hits: list, hit) -> tuple[int, int]:
    """A hit's place when hits are grouped by document, the documents in the order of their best hit."""
    first = list(dict.fromkeys(h.path for h in hits))
    return first.index(hit.path), hits.index(hit)


def test_results_sort_by_a_header_and_keep_the_order_for_the_next_search(indexed, fake_encoder) -> None:
    index, _ = indexed
    with Library(index, encoder=fake_encoder) as lib:
        hits = lib.search("license errata version", limit=30)
        more = lib.search("apache virtual host", limit=30)
    model = ResultsModel()
    model.set_hits(hits, [])
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names != sorted(names, key=str.casefold), "score order should not already be name order"
    model.sort(ResultsModel.FILE, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == sorted(names, key=str.casefold)
    model.sort(ResultsModel.PAGES, Qt.SortOrder.DescendingOrder)
    pages = [model.index(r, ResultsModel.PAGES).data() for r in range(model.rowCount())]
    assert pages[0]
    assert int(pages[0]) == max(h.pages or 0 for h in hits)
    model.sort(ResultsModel.MODIFIED, Qt.SortOrder.DescendingOrder)
    model.set_hits(more, [])
    dates = [model.index(r, 0).data(HitRole).date for r in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) > 1
    model.sort(ResultsModel.MATCH, Qt.SortOrder.DescendingOrder)
    assert model.hits_in_order() == sorted(more, key=lambda h: documents_rank(more, h))


def test_sorting_keeps_the_selected_hit(qtbot, window: MainWindow) -> None:
    hits = search(qtbot, window, "license errata version")
    last = hits[-1]
    window.results.setCurrentIndex(window.model.hit_index(last))
    window.results.sortByColumn(ResultsModel.FILE, Qt.SortOrder.AscendingOrder)
    assert window.current_hit() == last
    assert window.results.currentIndex() == window.model.hit_index(last)
    assert window.results.isFirstColumnSpanned(0, window.model.index(0, 0))  # a hit's row spans the columns


def test_status_bar_tells_documents_chunks_device_encoder(window: MainWindow) -> None:
    text = window.status_label.text()
    assert "20 documents" in text
    assert "CPU" in text
    assert "hashing-bow-64" in text


def test_status_bar_says_when_documents_need_indexing_again(qtbot, tmp_path: Path, fake_encoder) -> None:
    import sqlite3

    index = tmp_path / "index"
    Indexer(index, encoder=fake_encoder, workers=0, tagger="none").run([make_folder(tmp_path / "notes", 4)])
    with sqlite3.connect(index / "docsense.db") as conn:  # an index whose vectors predate views
        conn.execute("UPDATE documents SET mtime_ns = -1, sha256 = ''")  # as the view migration marks them
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT) as blocker:
        win.show()
    assert blocker.args[0].outdated == 4
    assert "4 to re-index (Index now)" in win.status_label.text()
    assert "older DocSense" in win.status_label.toolTip()


def test_search_shows_hits(qtbot, window: MainWindow) -> None:
    hits = search(qtbot, window, "apache virtual hosts")
    assert hits
    assert window.model.rowCount() == len({h.path for h in hits})
    assert window.model.index(0, 0).data() == "sect.http-web-server.html"
    assert window.results.isExpanded(window.model.index(0, 0))  # its hits show beneath it
    assert window.results_label.text() == f"{len(hits)} results"


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def test_preview_highlights_the_hit_span(qtbot, window: MainWindow, indexed, fake_encoder) -> None:
    """An HTML page is shown rendered: the hit, and its best part, are marked where their words stand in it."""
    hits = search(qtbot, window, "apache virtual hosts")
    assert hits[0].doc_type == "html"
    qtbot.waitUntil(lambda: window.preview.highlights != [], timeout=WAIT)
    hit_marks = [h for h in window.preview.highlights if h.kind == "hit"]
    assert [(h.start, h.end) for h in hit_marks] == [(hits[0].start, hits[0].end)]
    with Library(indexed[0], encoder=fake_encoder) as lib:
        text = lib.document_text(hits[0].path)
    shown = window.preview.text.toPlainText()
    selections = window.preview.text.extraSelections()
    spans = {(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in selections}
    on_screen = {h.kind: h for h in window.preview.shown_highlights}
    for kind, start, end in (("hit", hits[0].start, hits[0].end), ("best", hits[0].best_start, hits[0].best_end)):
        mark = on_screen[kind]
        assert (mark.start, mark.end) in spans  # ASCII text: Qt positions equal Python offsets
        indexed_words, shown_words = words_of(text[start:end]), words_of(shown[mark.start : mark.end])
        assert shown_words[:5] == indexed_words[:5]
        assert shown_words[-5:] == indexed_words[-5:]
    # The part that matched the meaning best is marked inside the hit, and the preview scrolls to it.
    assert hits[0].start <= hits[0].best_start < hits[0].best_end <= hits[0].end
    assert window.preview.text.textCursor().position() == on_screen["best"].start


def test_pdf_preview_highlights_on_the_rendered_page(qtbot, window: MainWindow) -> None:
    hits = search(qtbot, window, "errata Lamport manual")
    pdf_rows = [i for i, h in enumerate(hits) if h.doc_type == "pdf"]
    assert pdf_rows
    window.results.setCurrentIndex(window.model.hit_index(hits[pdf_rows[0]]))
    qtbot.waitUntil(lambda: window.preview.stack.currentWidget() is window.preview.page_area, timeout=WAIT)
    assert window.preview.page_rects, "the snippet was not found on the rendered page"
    assert all(kind == "hit" for kind, _ in window.preview.page_rects)
    # Scrolled so that the highlight is in view, however far down the page it is.
    top = min(r.top() for _, r in window.preview.page_rects)
    scroll = window.preview.page_area.verticalScrollBar().value()
    assert scroll <= top < scroll + window.preview.page_area.viewport().height()
    assert not window.preview.page.image(window.preview.current_page() - 1).isNull()
    assert f"page {hits[pdf_rows[0]].page}" in window.preview.header.text()


def pdf_hits(qtbot, window: MainWindow) -> list:
    """The hits of lamport-manual.pdf (seven pages) for a query that finds it on several, in document order."""
    hits = search(qtbot, window, "errata Lamport manual first reported")
    manual = [h for h in hits if h.path.endswith("lamport-manual.pdf")]
    assert len({h.page for h in manual}) >= 3, "the query should find the manual on several pages"
    ordered = sorted(manual, key=lambda h: (h.page, h.start))
    assert ordered != manual, "score order should not already be document order"
    return ordered


def test_pdf_preview_shows_every_page_scrolled_to_the_hit(qtbot, window: MainWindow) -> None:
    ordered = pdf_hits(qtbot, window)
    later = ordered[-1]
    assert later.page > 1
    window.results.setCurrentIndex(window.model.hit_index(later))
    qtbot.waitUntil(lambda: window.preview.showing_pdf(), timeout=WAIT)
    preview = window.preview
    assert preview.page.page_count() == later.pages == 7
    assert preview.page.height() > 7 * preview.page.page_rect(0).height()  # the pages, one under another
    assert preview.current_page() == later.page
    assert preview.page_label.text() == f"Page {later.page} of 7"
    top = min(r.top() for _, r in preview.page_rects)
    assert preview.page.page_rect(later.page - 1).contains(preview.page_rects[0][1])  # on the hit's own page
    scroll = preview.page_area.verticalScrollBar().value()
    assert scroll <= top < scroll + preview.page_area.viewport().height()
    preview.page_area.verticalScrollBar().setValue(0)  # scrolled back to the start by hand
    assert preview.page_label.text() == "Page 1 of 7"


def test_f3_moves_to_the_next_hit_of_the_document_across_pages(qtbot, window: MainWindow) -> None:
    ordered = pdf_hits(qtbot, window)
    window.results.setCurrentIndex(window.model.hit_index(ordered[0]))
    window.preview.setFocus()
    seen = [window.current_hit()]
    for _ in ordered[1:]:
        qtbot.keyClick(window, Qt.Key.Key_F3)
        seen.append(window.current_hit())
    assert seen == ordered  # document order, not score order: page by page
    assert window.preview.current_page() == ordered[-1].page
    qtbot.keyClick(window, Qt.Key.Key_F3)  # past the last: round to the first
    assert window.current_hit() == ordered[0]
    assert "first hit" in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert window.current_hit() == ordered[-1]
    others = {kind for kind, _ in window.preview.page_rects}
    assert others <= {"hit", "answer"}
    assert any(m.kind == "other" for m in window.preview.page.marks)  # the other hits, paler


def test_find_in_the_pdf_from_the_preview(qtbot, window: MainWindow) -> None:
    ordered = pdf_hits(qtbot, window)
    window.results.setCurrentIndex(window.model.hit_index(ordered[0]))
    qtbot.waitUntil(lambda: window.preview.showing_pdf(), timeout=WAIT)
    window.results.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # from the results: the search field
    assert window.query.hasFocus()
    window.preview.page_area.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # in the preview: find
    assert window.preview.find_bar.isVisible()
    assert window.preview.find_field.hasFocus()
    qtbot.keyClicks(window.preview.find_field, "reported by")
    qtbot.keyClick(window.preview.find_field, Qt.Key.Key_Return)
    found = window.preview.found()
    texts = [window.preview.page_text(p)[a:b].casefold() for p, a, b in found]
    assert texts == ["reported by"] * len(found)
    assert len({p for p, _, _ in found}) >= 3  # on every page that has it, not only the one in view
    first = window.preview.found_at()
    assert window.preview.find_label.text() == f"{first + 1} of {len(found)}"
    qtbot.keyClick(window.preview.find_field, Qt.Key.Key_Return)
    assert window.preview.found_at() == (first + 1) % len(found)
    qtbot.keyClick(window, Qt.Key.Key_F3)  # F3 moves through what Find found while the bar holds text
    assert window.preview.found_at() == (first + 2) % len(found)
    qtbot.keyClick(window.preview.find_field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert window.preview.found_at() == (first + 1) % len(found)
    now = [window.preview.page.to_canvas(m) for m in window.preview.page.marks if m.kind == "found-now"]
    assert now
    scroll = window.preview.page_area.verticalScrollBar().value()
    assert scroll <= now[0].top() < scroll + window.preview.page_area.viewport().height()
    assert window.preview.current_page() == found[window.preview.found_at()][0] + 1
    qtbot.keyClick(window.preview.find_field, Qt.Key.Key_Escape)
    assert not window.preview.find_bar.isVisible()
    assert not any(m.kind.startswith("found") for m in window.preview.page.marks)
    hit = window.current_hit()
    qtbot.keyClick(window, Qt.Key.Key_F3)  # the bar closed: F3 is the next hit again
    assert window.current_hit() != hit


def test_zoom_the_pdf_and_fit_it_to_the_width(qtbot, window: MainWindow) -> None:
    ordered = pdf_hits(qtbot, window)
    window.results.setCurrentIndex(window.model.hit_index(ordered[-1]))
    qtbot.waitUntil(lambda: window.preview.showing_pdf(), timeout=WAIT)
    fitted = window.preview.page_width
    qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.preview.page_width == pytest.approx(fitted * 1.25, abs=2)
    assert window.preview.current_page() == ordered[-1].page  # the same place stays in view
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.preview.page_width == pytest.approx(fitted / 1.25, abs=2)
    window.results.setCurrentIndex(window.model.hit_index(ordered[0]))  # zoomed: the next hit keeps the zoom
    assert window.preview.page_width == pytest.approx(fitted / 1.25, abs=2)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.preview.page_width == fitted


def test_find_and_zoom_in_a_text_document(qtbot, window: MainWindow) -> None:
    search(qtbot, window, "apache virtual hosts")
    qtbot.waitUntil(lambda: window.preview.highlights != [], timeout=WAIT)
    preview = window.preview
    size = preview.text.font().pointSizeF()
    preview.zoom(1)
    assert preview.text.font().pointSizeF() > size
    preview.zoom(0)
    assert preview.text.font().pointSizeF() == size
    preview.open_find()
    preview.find_field.setText("VirtualHost")
    preview.find_next(1)
    text = preview.text.toPlainText()
    found = preview.found()
    assert len(found) > 1
    assert all(text[a:b].casefold() == "virtualhost" for _, a, b in found)
    cursor = preview.text.textCursor().position()
    assert cursor == found[preview.found_at()][1]
    preview.find_next(1)
    assert preview.text.textCursor().position() == found[(preview.found_at())][1] != cursor
    kinds = {s.format.background().color().name() for s in preview.text.extraSelections()}
    assert "#78d278" in kinds  # the match moved to, in the deeper green
    preview.find_field.setText("no such words anywhere")
    preview.find_next(1)
    assert preview.find_label.text() == "Not found"


def test_the_preview_follows_the_results(qtbot, window: MainWindow) -> None:
    """A search or filter that no longer finds the document shown clears the preview, or shows its first hit."""
    hits = search(qtbot, window, "errata Lamport manual")
    manual = next(h for h in hits if h.path.endswith("lamport-manual.pdf"))
    window.results.setCurrentIndex(window.model.hit_index(manual))
    qtbot.waitUntil(lambda: window.preview.shown_path == manual.path, timeout=WAIT)
    window.mode.setCurrentText("Ask")  # asking selects no result: what stays shown is the preview's own business
    window.query.setText("errata type:mail")  # the corpus holds no mail
    with qtbot.waitSignal(window.answer_done, timeout=WAIT):
        window.run_query()
    assert window.preview.shown_path is None
    assert window.preview.header.text() == "No results to show."
    assert not window.preview.showing_pdf()
    window.mode.setCurrentText("Search")
    search(qtbot, window, "errata Lamport manual")
    qtbot.waitUntil(lambda: window.preview.shown_path is not None, timeout=WAIT)
    with qtbot.waitSignal(window.search_done, timeout=WAIT) as blocker:
        window.apply_facet(("type", "md"))
    assert {h.doc_type for h in blocker.args[0]} == {"md"}
    qtbot.waitUntil(lambda: window.preview.shown_path == blocker.args[0][0].path, timeout=WAIT)


def test_ask_shows_an_answer_card(qtbot, window: MainWindow, indexed, fake_encoder) -> None:
    index, _ = indexed
    question = "How do I restrict access to a directory in Apache?"
    with Library(index, encoder=fake_encoder) as lib:
        expected = lib.ask(question)
    window.mode.setCurrentText("Ask")
    window.query.setText(question)
    with qtbot.waitSignal(window.answer_done, timeout=WAIT) as blocker:
        window.run_query()
    assert expected, "the library found no answer to show"
    assert [a.answer for a in blocker.args[0]] == [a.answer for a in expected]
    assert window.answer_card.isVisible()
    assert " ".join(expected[0].answer.split()).split()[0] in window.answer_card.text()
    assert "No answer found" not in window.answer_card.text()
    qtbot.waitUntil(lambda: any(h.kind == "answer" for h in window.preview.highlights), timeout=WAIT)


def test_ask_says_plainly_when_there_is_no_answer(qtbot, window: MainWindow) -> None:
    window.mode.setCurrentText("Ask")
    window.query.setText("qwzxv blorptang")
    with qtbot.waitSignal(window.answer_done, timeout=WAIT) as blocker:
        window.run_query()
    assert blocker.args[0] == []
    assert window.answer_card.isVisible()
    assert "No answer found" in window.answer_card.text()


def test_ask_answers_from_the_filtered_documents(qtbot, window: MainWindow, indexed, fake_encoder) -> None:
    """Ask reads the hits the window shows, so a type filter applies to the answers too."""
    index, _ = indexed
    question = "How do I restrict access to a directory in Apache?"
    with Library(index, encoder=fake_encoder) as lib:
        assert {a.doc_type for a in lib.ask(question)} - {"pdf"}  # unfiltered, not only PDFs answer
    window.mode.setCurrentText("Ask")
    window.query.setText(question)
    with qtbot.waitSignal(window.answer_done, timeout=WAIT) as blocker:
        window.apply_facet(("type", "pdf"))  # as a click on "pdf" under File types does
    assert blocker.args[0]
    assert {a.doc_type for a in blocker.args[0]} == {"pdf"}
    assert {h.doc_type for h in window.hits} == {"pdf"}


def test_keyboard_shortcuts(qtbot, window: MainWindow) -> None:
    window.results.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.query.hasFocus(), timeout=5000)
    search(qtbot, window, "slapd configuration")
    window.results.setCurrentIndex(window.model.index(3, 0))
    qtbot.keyClick(window.query, Qt.Key.Key_Down)  # from the field into the results, at the first document
    assert window.results.hasFocus()
    assert window.results.currentIndex() == window.model.index(0, 0)
    qtbot.keyClick(window.results, Qt.Key.Key_Down)  # its first hit
    assert window.results.currentIndex() == window.model.index(0, 0, window.model.index(0, 0))
    qtbot.keyClick(window.results, Qt.Key.Key_Down)
    second = window.results.currentIndex().data(HitRole)
    assert second == window.model.hits_in_order()[1]
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(h.kind == "hit" and h.start == second.start for h in window.preview.highlights)
                    or bool(window.preview.page_rects), timeout=WAIT)  # fmt: skip
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.query.hasFocus(), timeout=5000)


def test_facet_click_filters(qtbot, window: MainWindow) -> None:
    hits = search(qtbot, window, "license errata version")
    assert {h.doc_type for h in hits} > {"pdf"}
    types = next(window.facets.topLevelItem(i) for i in range(window.facets.topLevelItemCount())
                 if window.facets.topLevelItem(i).text(0) == "File types")  # fmt: skip
    pdf = next(types.child(i) for i in range(types.childCount()) if types.child(i).text(0).startswith("pdf"))
    with qtbot.waitSignal(window.search_done, timeout=WAIT) as blocker:
        window.facets.itemClicked.emit(pdf, 0)
    assert blocker.args[0]
    assert {h.doc_type for h in blocker.args[0]} == {"pdf"}
    assert window.query.text() == "license errata version ext:pdf"  # what is filtered is what the field says
    assert window.filter_chip.isVisible()
    with qtbot.waitSignal(window.search_done, timeout=WAIT):
        window.apply_facet(("ext", "html"))  # as a click on another type would
    assert window.query.text() == "license errata version ext:html"  # in place of the other type
    with qtbot.waitSignal(window.search_done, timeout=WAIT) as cleared:
        window.filter_chip.click()
    assert window.query.text() == "license errata version"
    assert {h.doc_type for h in cleared.args[0]} > {"pdf"}


def test_window_stays_responsive_during_a_search(qtbot, indexed, fake_encoder) -> None:
    index, _ = indexed

    class SlowLibrary(Library):
        def search(self, *args, **kwargs):  # a big index's search time, without a big index
            time.sleep(1.5)
            return super().search(*args, **kwargs)

    win = MainWindow(index, library_factory=lambda: SlowLibrary(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    win.query.setText("apache")
    started = time.monotonic()
    with qtbot.waitSignal(win.search_done, timeout=WAIT):
        win.run_query()
    timer.stop()
    during = [t for t in ticks if t - started < 1.4]
    assert len(during) >= 20, f"the event loop ran only {len(during)} times during a 1.5 s search"
    assert max(b - a for a, b in pairwise(during)) < 0.5


@pytest.fixture
def empty_window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")  # the window resolves its settings when it opens
    win = MainWindow(tmp_path / "new-index")
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_status_bar_counts_grow_while_indexing(qtbot, empty_window: MainWindow, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import desktop.window

    monkeypatch.setattr(desktop.window, "STATUS_EVERY_S", 0.0)  # at every progress report, not every 3 s
    folder = make_folder(tmp_path / "notes", 400)
    seen: list[int] = []
    empty_window.status_done.connect(lambda status: seen.append(status.documents))
    with qtbot.waitSignal(empty_window.index_done, timeout=120000):
        empty_window.start_indexing([str(folder)])
    qtbot.waitUntil(lambda: bool(seen) and seen[-1] == 400, timeout=WAIT)
    assert any(0 < n < 400 for n in seen), seen  # counted while the files were read, not only at the end


def make_folder(root: Path, n: int, words: int = 40) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"note-{i:03d}.txt").write_text(f"note {i} about subject {i % 7} " * words)
    return root


def test_welcome_view_on_an_empty_index(empty_window: MainWindow) -> None:
    assert empty_window.pages.currentWidget() is empty_window.welcome
    assert "prepares the language model" in empty_window.welcome.findChild(QLabel).text()
    assert empty_window.samples_button.isVisible()
    assert empty_window.add_folder_button.text() == "Add a folder…"


def test_sample_documents_are_indexed(qtbot, empty_window: MainWindow, tmp_path: Path) -> None:
    with qtbot.waitSignal(empty_window.index_done, timeout=120000) as blocker:
        empty_window.samples_button.click()
    summary = blocker.args[0]
    assert summary.indexed == 4
    assert summary.failed == ()
    # beside the index the window runs on, not beside the default index ($DOCSENSE_HOME/index)
    copied = tmp_path / "docsense-samples"
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in SAMPLES.iterdir())
    assert not (tmp_path / "home" / "docsense-samples").exists()
    qtbot.waitUntil(lambda: empty_window.pages.currentWidget() is empty_window.main_page, timeout=WAIT)
    # Two searches and a question are suggested, a click away.
    assert empty_window.suggestions.isVisible()
    assert "Who wrote the xr package?" in empty_window.suggestions.text()
    with qtbot.waitSignal(empty_window.answer_done, timeout=WAIT) as asked:
        empty_window.suggestions.linkActivated.emit("2")
    assert empty_window.mode.currentText() == "Ask"
    assert empty_window.query.text() == "Who wrote the xr package?"
    assert asked.args[0]
    assert not empty_window.suggestions.isVisible()


def test_indexing_progress_advances(qtbot, empty_window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    folder = make_folder(tmp_path / "notes", 300, words=200)
    seen: list[int] = []
    bar: list[int] = []
    labels: list[str] = []
    empty_window.progress.valueChanged.connect(bar.append)

    def progressed(p: object) -> None:
        seen.append(p.files_done)  # type: ignore[attr-defined]
        labels.append(empty_window.progress_label.text())

    with qtbot.waitSignal(empty_window.index_done, timeout=120000) as blocker:
        empty_window.start_indexing([str(folder)])
        empty_window.index_worker.signals.progress.connect(progressed)
    summary = blocker.args[0]
    assert summary.indexed == 300
    assert seen == sorted(seen)
    assert seen[-1] == 300
    assert len(set(seen)) >= 3, f"progress did not advance in steps: {seen}"
    assert len({v for v in bar if 0 < v < 300}) >= 2  # the bar moved while indexing ran
    # the files are read first, then their windows embedded: the bar's last run is over the windows
    reading = [i for i, text in enumerate(labels) if text.startswith("Reading files")]
    embedding = [i for i, text in enumerate(labels) if text.startswith("Keyword search covers every file")]
    assert reading, labels
    assert embedding, labels
    assert max(reading) < min(embedding), labels
    assert empty_window.progress.value() == empty_window.progress.maximum() == summary.chunks
    assert "Indexed 300 files" in empty_window.progress_label.text()


def test_the_window_shows_a_big_index_weighing_its_common_words(
    qtbot, empty_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """An index past impacts.BUILD_AT windows weighs its common words at the end of the run (engine.index.impacts):
    the progress bar and its line say so, and the run ends as any other."""
    from engine.index import impacts
    from indexer import indexer as indexer_module

    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    monkeypatch.setattr(impacts, "BUILD_AT", 1)
    monkeypatch.setattr(impacts, "COMMON_AT", 3)
    monkeypatch.setattr(indexer_module, "PROGRESS_EVERY_S", 0.0)
    folder = make_folder(tmp_path / "notes", 30, words=200)
    labels: list[str] = []
    formats: list[str] = []
    buttons: list[str] = []
    refreshed: list[str] = []  # the phase each time the status bar is read again
    refresh = empty_window.refresh_status

    def refresh_noted() -> None:
        refreshed.append(empty_window.last_progress.phase if empty_window.last_progress else "")
        refresh()

    monkeypatch.setattr(empty_window, "refresh_status", refresh_noted)

    def progressed(p: object) -> None:
        labels.append(empty_window.progress_label.text())
        formats.append(empty_window.progress.format())
        buttons.append(empty_window.cancel_button.text())

    with qtbot.waitSignal(empty_window.index_done, timeout=120000) as blocker:
        empty_window.start_indexing([str(folder)])
        empty_window.index_worker.signals.progress.connect(progressed)
    assert blocker.args[0].indexed == 30
    weighing = [i for i, text in enumerate(labels) if text.startswith("Weighing the common words of a big index")]
    assert weighing, labels
    assert formats[weighing[-1]] == "%p%"
    # Embedding is over: the button cancels the weighing (it paused the embedding), and the status bar is read again
    # as the weighing starts, so it no longer says how much of the index meaning search covers.
    assert buttons[weighing[0]] == "Cancel"
    assert "weights" in refreshed
    assert "Indexed 30 files" in empty_window.progress_label.text()
    assert (Path(empty_window.index_path) / impacts.FOLDER).is_dir()


def test_embedding_can_be_paused_and_resumed(qtbot, tmp_path: Path, fake_encoder, monkeypatch) -> None:
    """While windows are embedded the Cancel button pauses; an index whose embedding was stopped (paused, or a
    crash) says how much meaning search covers, and Resume embedding finishes it."""
    monkeypatch.setenv("DOCSENSE_ENCODER", fake_encoder.name)
    index = tmp_path / "index"
    folder = make_folder(tmp_path / "notes", 60, words=200)
    seen: list[str] = []
    for p in Indexer(index, encoder=fake_encoder, workers=0, tagger="none").iter_run(
        [folder], should_stop=lambda: "embed" in seen
    ):
        seen.append(p.phase)  # stopped after the first batch embedded
    with Library(index, encoder=fake_encoder) as library:
        status = library.status()
    assert 0 < status.pending_chunks < status.chunks
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    covered = status.chunks - status.pending_chunks
    assert f"meaning search covers {covered:,} of {status.chunks:,} windows" in win.status_label.text()
    assert win.index_button.text() == "Resume embedding"
    buttons: list[str] = []
    with qtbot.waitSignal(win.index_done, timeout=120000) as blocker:
        qtbot.mouseClick(win.index_button, Qt.MouseButton.LeftButton)
        win.index_worker.signals.progress.connect(
            lambda p: buttons.append(win.cancel_button.text()) if p.phase == "embed" else None
        )
    assert blocker.args[0].indexed == 0  # nothing read again: the windows that waited were embedded
    assert buttons
    assert set(buttons) == {"Pause"}
    qtbot.waitUntil(lambda: win.index_button.text() == "Index now", timeout=WAIT)
    assert "meaning search covers" not in win.status_label.text()
    assert win.cancel_button.text() == "Cancel"
    assert db_rows(index, "SELECT count(*) FROM chunks WHERE pending IS NOT NULL") == [(0,)]


def test_cancel_stops_indexing(qtbot, empty_window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    folder = make_folder(tmp_path / "many", 300, words=200)
    done: list[int] = []
    with qtbot.waitSignal(empty_window.index_done, timeout=120000) as blocker:
        empty_window.start_indexing([str(folder)])
        empty_window.index_worker.signals.progress.connect(lambda p: done.append(p.files_done))
        qtbot.waitUntil(lambda: any(done), timeout=WAIT)
        assert empty_window.cancel_button.isEnabled()
        qtbot.mouseClick(empty_window.cancel_button, Qt.MouseButton.LeftButton)
        done_at_cancel = max(done)
    summary = blocker.args[0]
    assert summary.cancelled
    # every file read before the click is kept, and the run stopped well before the end
    assert 1 <= done_at_cancel <= summary.indexed < 300
    assert db_rows(empty_window.index_path, "SELECT count(*) FROM documents") == [(summary.indexed,)]
    assert "Cancelled" in empty_window.progress_label.text()
    assert not empty_window.cancel_button.isEnabled()


def test_failed_files_are_listed(qtbot, empty_window: MainWindow, corpus_copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    with qtbot.waitSignal(empty_window.status_done, timeout=120000):
        empty_window.start_indexing([str(corpus_copy / "broken"), str(corpus_copy / "text")])
    items = [empty_window.failed.item(i).text() for i in range(empty_window.failed.count())]
    assert len(items) == 5
    assert any(i.startswith("password-protected.pdf: encrypted, no password") for i in items)
    assert any(i.startswith("truncated.pdf: damaged PDF") for i in items)


def test_watch_toggle_keeps_the_index_current(qtbot, empty_window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    folder = make_folder(tmp_path / "watched", 2)
    with qtbot.waitSignal(empty_window.status_done, timeout=120000):
        empty_window.start_indexing([str(folder)])
    empty_window.watch_toggle.setChecked(True)
    try:
        assert empty_window.watcher.wait_ready(30)
        (folder / "added.txt").write_text("a file added while the window watches")
        qtbot.waitUntil(lambda: "3 documents" in empty_window.status_label.text(), timeout=WAIT)
    finally:
        empty_window.watch_toggle.setChecked(False)
    assert empty_window.watcher is None
    empty_window.index_runner.wait(30000)


def test_find_on_page_matches_words_pdfium_hyphenated() -> None:
    from desktop.pdfview import find_on_page

    page = "the conditions below give you the free\ufffe\r\ndom to make and distribute"
    found = find_on_page(page, "give you the freedom to make")
    assert found is not None
    start, length = found
    assert page[start : start + length] == "give you the free\ufffe\r\ndom to make"
    assert find_on_page(page, "nothing like this here") is None


def test_find_on_page_finds_an_answer_inside_page_words() -> None:
    from desktop.pdfview import find_on_page

    page = " xr package\u2217\r\nDavid Carlisle\u2020\r\n2020-05-10 Copyright 1994, all rights"
    for needle, expected in [("David Carlisle", "David Carlisle"), ("1994", "1994"), ("David Carlisle\u2020",
                             "David Carlisle\u2020"), ("xr package", "xr package")]:  # fmt: skip
        found = find_on_page(page, needle)
        assert found is not None, needle
        assert page[found[0] : found[0] + found[1]] == expected


def test_pdf_answer_is_drawn_where_a_footnote_mark_follows_it(qtbot, corpus_dir: Path) -> None:
    from desktop.preview import PreviewWidget

    preview = PreviewWidget()
    qtbot.addWidget(preview)
    preview.show_pdf("xr", str(corpus_dir / "pdf/xr.pdf"), 1, [("hit", "David Carlisle\u2020"),
                                                                   ("answer", "David Carlisle")])  # fmt: skip
    kinds = [k for k, _ in preview.page_rects]
    assert "answer" in kinds  # the page reads "Carlisle\u2020": the answer ends inside that word
    answer = next(r for k, r in preview.page_rects if k == "answer")
    hit = next(r for k, r in preview.page_rects if k == "hit")
    assert hit.contains(answer.center())
    assert answer.width() < hit.width() + 5


def test_pdf_preview_scrolls_down_to_a_highlight_below_the_fold(qtbot, corpus_dir: Path) -> None:
    from desktop.preview import PreviewWidget

    preview = PreviewWidget()
    qtbot.addWidget(preview)
    preview.resize(600, 320)
    preview.show()
    needle = "believe that the conditions below give you the freedom to make and distribute modified versions"
    preview.show_pdf("lppl", str(corpus_dir / "pdf/lppl.pdf"), 1, [("hit", needle)])
    assert preview.page_rects
    top = min(r.top() for _, r in preview.page_rects)
    viewport = preview.page_area.viewport().height()
    assert top > viewport  # the highlight starts below the first screenful of the page
    scroll = preview.page_area.verticalScrollBar().value()
    assert scroll <= top < scroll + viewport


def test_pdf_page_fits_the_pane_and_follows_its_width(qtbot, corpus_dir: Path) -> None:
    from desktop.preview import PreviewWidget

    preview = PreviewWidget()
    qtbot.addWidget(preview)
    preview.resize(700, 500)
    preview.show()
    qtbot.waitExposed(preview)
    needle = "believe that the conditions below give you the freedom to make and distribute modified versions"
    preview.show_pdf("lppl", str(corpus_dir / "pdf/lppl.pdf"), 1, [("hit", needle)])
    viewport = preview.page_area.viewport().width()
    assert viewport - 40 <= preview.page_width <= viewport  # no sideways scrolling, no wasted margin
    assert preview.page.image(0).width() == preview.page_width
    narrow = [r for _, r in preview.page_rects]
    narrow_width = preview.page_width
    preview.resize(1100, 500)
    qtbot.waitUntil(lambda: preview.page_width > 900, timeout=5000)  # rendered again once the resize settles
    assert preview.page.image(0).width() == preview.page_width
    wide = [r for _, r in preview.page_rects]
    assert len(wide) == len(narrow) > 0  # the same highlight, drawn at the new scale
    assert wide[0].width() / narrow[0].width() == pytest.approx(preview.page_width / narrow_width, rel=0.02)


def test_pdf_preview_reloads_a_file_that_changed(qtbot, corpus_dir: Path, tmp_path: Path) -> None:
    import os

    from desktop.preview import PreviewWidget

    preview = PreviewWidget()
    qtbot.addWidget(preview)
    doc = tmp_path / "doc.pdf"
    shutil.copy(corpus_dir / "pdf/xr.pdf", doc)
    preview.show_pdf("doc", str(doc), 1, [])
    first = preview.pdf.pageCount()
    preview.show_pdf("doc", str(doc), 2, [])  # the same file: kept loaded
    assert preview.pdf.pageCount() == first
    shutil.copy(corpus_dir / "pdf/lppl.pdf", doc)
    later = doc.stat().st_mtime_ns + 1_000_000_000
    os.utime(doc, ns=(later, later))
    preview.show_pdf("doc", str(doc), 1, [])
    assert preview.pdf.pageCount() != first  # edited on disk: loaded again
    assert "Project Public License" in preview.pdf.getAllText(0).text()


def test_a_bug_in_a_worker_opens_a_dialog_with_its_traceback(qtbot, window: MainWindow) -> None:
    def buggy(_progress, _cancelled):
        return {}["views"]  # a KeyError: a bug, not something the user can fix

    window.library_runner.start(buggy, errored=window._error)
    qtbot.waitUntil(lambda: window.error_box is not None and window.error_box.isVisible(), timeout=WAIT)
    assert window.error_box.text() == "Internal error: KeyError: 'views'"
    assert 'return {}["views"]' in window.error_box.detailedText()  # the traceback, copyable
    window.error_box.close()


def test_a_user_error_in_a_worker_is_a_status_message_not_a_dialog(qtbot, window: MainWindow) -> None:
    def full_disk(_progress, _cancelled):
        raise OSError(28, "No space left on device", "/idx/docsense.db")

    window.library_runner.start(full_disk, errored=window._error)
    qtbot.waitUntil(lambda: "the disk is full" in window.statusBar().currentMessage(), timeout=WAIT)
    assert window.error_box is None


def test_extraction_warnings_are_listed_beside_the_failures(qtbot, empty_window: MainWindow, corpus_dir, tmp_path):
    import io

    from pypdf import PdfReader, PdfWriter

    folder = tmp_path / "papers"
    folder.mkdir()
    writer = PdfWriter(clone_from=PdfReader(corpus_dir / "pdf/xr.pdf"))
    writer.insert_blank_page(writer.pages[0].mediabox.width, writer.pages[0].mediabox.height, index=1)
    buf = io.BytesIO()
    writer.write(buf)
    (folder / "xr-blank.pdf").write_bytes(buf.getvalue())
    with qtbot.waitSignal(empty_window.status_done, timeout=120000):
        empty_window.start_indexing([str(folder)])
    items = [empty_window.failed.item(i).text() for i in range(empty_window.failed.count())]
    assert items == [f"Indexed, but xr-blank.pdf: page 2 without text (blank, or scanned: their words are not "
                     f"searchable)   ({folder / 'xr-blank.pdf'})"]  # fmt: skip


def test_file_names_are_shown_as_names_not_markup(qtbot, empty_window: MainWindow, tmp_path: Path) -> None:
    import html

    folder = tmp_path / "downloads"
    folder.mkdir()
    name = "<b>big<i>deal<img src='x.png'>.txt"
    (folder / name).write_text("Green tea is picked in spring.")
    with qtbot.waitSignal(empty_window.status_done, timeout=120000):
        empty_window.start_indexing([str(folder)])
    hits = search(qtbot, empty_window, "green tea")
    assert [h.path for h in hits] == [str(folder / name)]
    qtbot.waitUntil(lambda: html.escape(name) in empty_window.preview.header.text(), timeout=WAIT)
    assert "<img" not in empty_window.preview.header.text()


def test_a_hit_on_a_scanned_page_is_boxed_where_ocr_read_it(qtbot, tmp_path: Path, fake_encoder) -> None:
    """The page has no text layer for QtPdf to search: the words OCR read when it was indexed, and their boxes,
    place the highlight (issue 14)."""
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "formats" / "scanned-errata.pdf", scans)
    index = tmp_path / "index"
    Indexer(index, encoder=fake_encoder, workers=0, tagger="none").run([scans])
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    hits = search(qtbot, win, "Errors Corrected in the Sixteenth Printing")
    assert hits[0].path.endswith("scanned-errata.pdf")
    win.results.setCurrentIndex(win.model.index(0, 0))
    qtbot.waitUntil(lambda: win.preview.stack.currentWidget() is win.preview.page_area, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(win.preview.page_rects), timeout=WAIT)
    assert {kind for kind, _ in win.preview.page_rects} == {"hit"}
    page = win.preview.page.page_rect(hits[0].page - 1)
    for _kind, rect in win.preview.page_rects:
        assert page.left() <= rect.left() < rect.right() <= page.right()
        assert page.top() <= rect.top() < rect.bottom() <= page.bottom()


def test_find_in_words_survives_ocr_misreadings() -> None:
    from desktop.pdfview import find_in_words

    line = "page 137 This is not an errer, but it would be better to change lines 23 and 24 to:"
    words = line.split(" ")
    assert find_in_words(words, "…is not an error, but it would be better to change lines") == (3, 15)
    assert find_in_words(words, "nothing of the sort here at all") is None


def test_find_in_context_marks_the_answer_in_its_own_sentence() -> None:
    from desktop.pdfview import find_in_context

    page = "LaTeX is old. Leslie Lamport\r\nwrote LaTeX in 1984, and TeX is Knuth's."
    found = find_in_context(page, "LaTeX", "Leslie Lamport wrote LaTeX in 1984")
    assert found == (page.index("LaTeX in"), 5)
    assert find_in_context(page, "LaTeX", None) == (0, 5)  # without its sentence: the first
    assert find_in_context(page, "LaTeX", "a sentence on no page") == (0, 5)


def test_pdf_answer_is_drawn_in_its_own_sentence_not_at_the_first_occurrence(qtbot, corpus_dir: Path) -> None:
    from desktop.preview import PreviewWidget

    preview = PreviewWidget()
    qtbot.addWidget(preview)
    sentence = "If any of the external documents, or the main document, use the same"
    needles = [("hit", sentence), ("answer", "external", sentence)]
    preview.show_pdf("xr", str(corpus_dir / "pdf/xr.pdf"), 1, needles)  # "external" stands a line higher too
    hits = [r for k, r in preview.page_rects if k == "hit"]  # a rectangle a line
    answer = next(r for k, r in preview.page_rects if k == "answer")
    assert any(hit.contains(answer.center()) for hit in hits)
    preview.show_pdf("xr", str(corpus_dir / "pdf/xr.pdf"), 1, [("hit", sentence), ("answer", "external")])
    first = next(r for k, r in preview.page_rects if k == "answer")
    assert first.top() < answer.top() - 5  # the page's first "external", a line above: what it drew before


def test_why_this_result_shows_what_matched(qtbot, window: MainWindow) -> None:
    assert not window.why_button.isEnabled()
    search(qtbot, window, "apache virtual host")
    window.results.setCurrentIndex(window.model.index(0, 0))
    qtbot.mouseClick(window.why_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Keyword side" in window.why_card.text(), timeout=WAIT)
    assert window.why_card.isVisible()
    assert "<b>apache</b>" in window.why_card.text()
    assert "Meaning side" in window.why_card.text()
    search(qtbot, window, "slapd")
    assert not window.why_card.isVisible()  # new results: the old explanation goes


def test_the_window_answers_docsense_search_from_its_open_index(
    qtbot, window: MainWindow, indexed, fake_encoder
) -> None:
    from engine.endpoint import socket_path

    index, _corpus = indexed
    qtbot.waitUntil(lambda: window.server is not None and window.server.ready.is_set(), timeout=WAIT)
    assert window.server.failure is None
    env = {**os.environ, "DOCSENSE_ENCODER": "hashing-bow-64"}
    command = [sys.executable, "-m", "desktop.cli", "search", "apache virtual host", "--index", str(index), "--json"]
    proc = subprocess.Popen([*command, "-n", "3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=WAIT)  # the window's thread answers meanwhile
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    with Library(index, encoder=fake_encoder) as lib:
        expected = [h.path for h in lib.search("apache virtual host", limit=3)]
    assert [json.loads(line)["path"] for line in out.splitlines()] == expected
    assert window.server.answered == 1  # the window answered it, not the command opening the index itself
    window.close()
    assert window.server is None
    assert not socket_path(index).exists()


def test_the_window_closes_cleanly_on_sigterm(indexed, tmp_path: Path) -> None:
    import signal

    from engine.endpoint import socket_path

    index = tmp_path / "index"
    shutil.copytree(indexed[0], index)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DOCSENSE_ENCODER": "hashing-bow-64"}
    proc = subprocess.Popen([sys.executable, "-m", "desktop.app", "--index", str(index)], env=env,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not socket_path(index).exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert socket_path(index).exists()  # serving searches
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert not socket_path(index).exists()


def test_the_settings_dialog_writes_what_was_changed_to_the_config_file(qtbot, window: MainWindow, indexed) -> None:
    import tomllib

    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    from desktop.theme import apply_theme

    _index, corpus = indexed
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.settings_dialog
    assert dialog.isVisible()
    folders = [dialog.excludes.item(r, 0).text() for r in range(dialog.excludes.rowCount())]
    assert folders == [str(corpus)]  # the index's folders, to exclude patterns in
    dialog.theme.setCurrentText("dark")
    dialog.watch.setChecked(True)
    dialog.ocr.setChecked(False)
    dialog.excludes.item(0, 1).setText("*.tmp, drafts ,")
    try:
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
                         Qt.MouseButton.LeftButton)  # fmt: skip
        assert not dialog.isVisible()
        written = tomllib.loads(window.settings.config_file.read_text())
        # Only what changed: the index's own encoder, left alone, is not written over
        assert written == {"theme": "dark", "watch": True, "ocr": "none",
                           "folders": {str(corpus): {"exclude": ["*.tmp", "drafts"]}}}  # fmt: skip
        assert window.settings.theme == "dark"
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128  # dark at once
        assert window.settings.excludes_for(str(corpus)) == ("*.tmp", "drafts")
        # A config file that cannot be written: said in the dialog, which stays open
        config = window.settings.config_file
        config.unlink()
        config.mkdir()
        window.open_settings()
        dialog = window.settings_dialog
        dialog.theme.setCurrentText("light")
        dialog.accept()
        assert dialog.isVisible()
        assert "cannot write the config file" in dialog.error.text()
        dialog.reject()
    finally:
        apply_theme(QApplication.instance(), "system")


def test_watch_on_start_from_the_config_file(qtbot, indexed, fake_encoder, tmp_path: Path) -> None:
    index, _corpus = indexed
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("watch = true\n")
    win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.status_done, timeout=WAIT):
        win.show()
    assert win.watch_toggle.isChecked()
    qtbot.waitUntil(lambda: win.watcher is not None, timeout=WAIT)


def test_a_query_with_fields_filters_and_a_malformed_one_says_why(qtbot, window: MainWindow) -> None:
    hits = search(qtbot, window, "license conditions ext:pdf -webcomp")
    assert hits
    assert {h.doc_type for h in hits} == {"pdf"}
    assert not any(h.path.endswith("webcomp.pdf") for h in hits)
    window.query.setText("license after:yesterday")
    qtbot.keyClick(window.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "is not a date" in window.results_label.text(), timeout=WAIT)
    assert window.error_box is None  # a query the user can put right: said in the window, no bug dialog


def test_menus_shortcuts_help_and_about(qtbot, window: MainWindow, indexed, tmp_path: Path) -> None:
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Result", "&View", "&Help"]
    window.query.setText("apache")
    qtbot.keyClick(window.query, Qt.Key.Key_Escape)
    assert window.query.text() == ""
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.help_box is not None and window.help_box.isVisible(), timeout=5000)
    shown = window.help_box.text()
    for keys, what in (("Ctrl+Q", "Quit"), ("Ctrl+E", "Why this result?"), ("Esc", "Clear the search field")):
        assert keys in shown
        assert what in shown
    window.about_action.trigger()
    assert "CPU" in window.help_box.text()  # the device the index's encoder runs on
    assert str(indexed[0]) in window.help_box.text()
    window.open_index(tmp_path)  # no index there: said, no window
    assert window.others == []
    assert "no index in" in window.progress_label.text()
    other = window.open_index(indexed[0])
    qtbot.addWidget(other)
    assert window.others == [other]
    assert other.index_path == indexed[0]


def test_the_window_remembers_its_size_splitters_and_last_query(qtbot, indexed, fake_encoder) -> None:
    index, _ = indexed

    def opened() -> MainWindow:
        win = MainWindow(index, library_factory=lambda: Library(index, encoder=fake_encoder))
        qtbot.addWidget(win)
        return win

    first = opened()
    first.resize(700, 500)  # within the offscreen screen (800 x 600), which restoreGeometry keeps it in
    first.splitter.setSizes([300, 500, 300])
    first.query.setText("apache virtual host")
    first.mode.setCurrentText("Ask")
    sizes = first.splitter.sizes()
    first.close()
    again = opened()
    assert again.size().width() == 700
    assert again.size().height() == 500
    assert again.splitter.sizes() == sizes
    assert again.query.text() == "apache virtual host"
    assert again.mode.currentText() == "Ask"


@pytest.mark.skipif(any(shutil.which(v) for v in ("evince", "okular", "zathura")), reason="a PDF viewer is installed")
@pytest.mark.qt_log_ignore("does not support QPlatformServices::openDocument")  # what this test is about
def test_open_and_reveal_say_so_when_no_program_can(qtbot, window: MainWindow) -> None:
    # Offscreen there is no desktop to hand a file to (and no evince, okular or zathura here): as on a bare system.
    search(qtbot, window, "referring to labels in another document ext:pdf")
    window.results.setCurrentIndex(window.model.index(0, 0))
    window.open_current()
    assert "No program to open" in window.progress_label.text()
    assert "install a viewer for PDF files" in window.progress_label.text()
    window.reveal_current()
    assert "No file manager could show" in window.progress_label.text()
    assert window.error_box is None  # the user's to put right, not a bug


def test_recent_indexes_are_listed_in_the_file_menu(qtbot, window: MainWindow, indexed, fake_encoder, tmp_path) -> None:
    from desktop.format import shown_path

    index, _ = indexed
    second = tmp_path / "second-index"
    shutil.copytree(index, second, ignore=shutil.ignore_patterns("search.sock"))
    other = MainWindow(second, library_factory=lambda: Library(second, encoder=fake_encoder))
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.status_done, timeout=WAIT):
        other.show()
    assert other.recent_indexes() == [str(index)]  # the window fixture's, opened first; not this one
    other._fill_recent()
    assert [a.text() for a in other.recent_menu.actions()] == [shown_path(str(index))]
    assert window.recent_indexes() == [str(second)]


def test_a_document_in_another_language_says_so_in_the_type_column(indexed, fake_encoder) -> None:
    from dataclasses import replace

    index, _ = indexed
    with Library(index, encoder=fake_encoder) as lib:
        hits = lib.search("apache virtual host", limit=20)
    assert {h.language for h in hits} == {"en"}  # the search tells each hit's language
    hits[-1] = replace(hits[-1], path="/elsewhere/notes-ja.txt", language="ja")
    model = ResultsModel()
    model.set_hits(hits, ["apache"])
    types = {model.index(r, ResultsModel.TYPE).data() for r in range(model.rowCount())}
    assert not any("·" in t for t in types)  # the index's main language is not known yet: nothing said
    model.main_language = "en"
    model.set_hits(hits, ["apache"])
    types = {model.index(r, ResultsModel.TYPE).data() for r in range(model.rowCount())}
    assert f"{hits[-1].doc_type} · Japanese" in types
    assert hits[0].doc_type in types


@pytest.mark.postgres
def test_a_window_on_an_index_on_a_postgresql_server(qtbot, indexed, postgres_url: str, fake_encoder,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """`docsense-desktop --index postgresql://...` (issue 17): the window opens the server's index, counts it in
    its status bar and searches it."""
    import psycopg

    from engine.index import Index
    from engine.index.transfer import copy_index
    from engine.settings import server_folder

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS docsense_window")
        admin.execute("CREATE DATABASE docsense_window")
    url = postgres_url.replace("/postgres?", "/docsense_window?")
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")
    local, _corpus = indexed
    folder = server_folder(url, Path(os.environ["DOCSENSE_HOME"]))
    source, target = Index(local, encoder=fake_encoder), Index(folder, encoder=fake_encoder.name, create=True)
    list(copy_index(source, target))
    source.close()
    target.close()
    win = MainWindow(url)
    assert win.index_path == folder
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.last_status is not None or win.error_box is not None, timeout=WAIT)
    assert win.error_box is None, win.error_box.text()
    assert " chunks" in win.status_label.text()
    hits = search(qtbot, win, "apache virtual host")
    assert hits
    assert hits[0].path.endswith("sect.http-web-server.html")
