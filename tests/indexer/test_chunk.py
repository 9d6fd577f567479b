from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from engine.pages import page_of
from indexer.chunk import chunk_text, heading_at, token_windows
from indexer.extract import extract

REPO_DATA = Path(__file__).resolve().parents[1] / "data"


def test_token_windows_cover_everything_with_overlap() -> None:
    windows = token_windows(1000, 510, 64)
    assert windows[0] == (0, 510)
    assert windows[-1][1] == 1000
    for (a1, b1), (a2, _b2) in pairwise(windows):
        assert b1 - a2 == 64
        assert b1 - a1 == 510
    assert token_windows(0, 510, 64) == []
    assert token_windows(10, 510, 64) == [(0, 10)]


def test_chunks_fit_512_tokens_and_map_back_to_the_text(corpus_dir: Path, tokenizer) -> None:
    got = extract("pdf", (corpus_dir / "pdf/lppl.pdf").read_bytes())
    chunks = chunk_text(got.text, tokenizer, got.page_starts, got.sections)
    assert len(chunks) > 3
    for c in chunks:
        assert len(c.token_ids) <= 512
        assert c.token_ids[0] == tokenizer.cls_id
        assert c.token_ids[-1] == tokenizer.sep_id
        # Re-tokenizing the chunk's own text gives back the same ids: the span is exact.
        ids, _ = tokenizer.encode(got.text[c.start : c.end])
        assert ids.tolist() == c.token_ids[1:-1]
        assert c.page_start == page_of(got.page_starts, c.start)
        assert c.page_start is not None
        assert c.page_end is not None
        assert c.page_start <= c.page_end
    # Full windows are (nearly) 512 tokens: only a word cut at the edge is left out.
    assert all(len(c.token_ids) >= 500 for c in chunks[:-1])
    for a, b in pairwise(chunks):
        assert b.start < a.end
    assert chunks[0].start == 0
    assert chunks[-1].end == len(got.text.rstrip())


def test_chunk_pages_follow_the_page_map(tokenizer) -> None:
    pages = ["alpha " * 300, "beta " * 300, "gamma " * 300]
    text = "\n\n".join(pages)
    starts = [0, len(pages[0]) + 2, len(pages[0]) + len(pages[1]) + 4]
    chunks = chunk_text(text, tokenizer, starts, max_tokens=128, overlap=16)
    for c in chunks:
        first_word = text[c.start : c.end].split()[0]
        assert {"alpha": 1, "beta": 2, "gamma": 3}[first_word] == c.page_start
        last_word = text[c.start : c.end].split()[-1]
        assert {"alpha": 1, "beta": 2, "gamma": 3}[last_word] == c.page_end


def test_heading_at() -> None:
    sections = [(10, "A"), (50, "A > B")]
    assert heading_at(sections, 0, 5) is None
    assert heading_at(sections, 0, 20) == "A"
    assert heading_at(sections, 10, 20) == "A"
    assert heading_at(sections, 60, 80) == "A > B"
    assert heading_at([], 0, 10) is None


def test_long_line_is_cut_into_pieces_without_losing_offsets(tokenizer) -> None:
    text = "word " * 60_000  # longer than one tokenizer piece
    ids, offsets = tokenizer.encode(text)
    assert len(ids) == 60_000
    assert text[offsets[-1][0] : offsets[-1][1]] == "word"
    assert (offsets[1:, 0] > offsets[:-1, 0]).all()


def test_tiny_window_is_refused(tokenizer) -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_text("some text", tokenizer, max_tokens=2)


def test_windows_start_and_end_on_word_boundaries(tokenizer) -> None:
    # Long words split into many WordPiece tokens: a window cut at a fixed count would land inside them.
    text = " ".join(["internationalization", "unbelievably", "counterrevolutionaries", "x"] * 400)
    chunks = chunk_text(text, tokenizer, max_tokens=64, overlap=8)
    assert len(chunks) > 10
    for c in chunks:
        assert len(c.token_ids) <= 64
        assert text[c.start - 1] == " " if c.start else True
        assert c.end == len(text) or text[c.end] == " "
        ids, _ = tokenizer.encode(text[c.start : c.end])
        assert ids.tolist() == c.token_ids[1:-1]


def test_word_windows_never_stall() -> None:
    import numpy as np

    no_word_starts = np.zeros(100, dtype=bool)
    windows = token_windows(100, 10, 3, no_word_starts)
    assert windows[-1][1] == 100
    assert all(b > a for a, b in windows)
    assert [a for a, _ in windows] == sorted({a for a, _ in windows})


def test_views_tile_the_window_each_led_by_its_title(corpus_dir: Path, tokenizer) -> None:
    from indexer.chunk import CONTEXT_TOKENS, VIEW_TOKENS

    got = extract("html", (corpus_dir / "html/sect.ldap-directory.html").read_bytes())
    chunks = chunk_text(got.text, tokenizer, None, got.sections, title="Fallback title")
    assert len(chunks) > 1
    seen_contexts = set()
    for c in chunks:
        assert 2 <= len(c.views) <= 6
        body: list[int] = []
        for view in c.views:
            assert len(view) <= VIEW_TOKENS
            assert view[0] == tokenizer.cls_id
            assert view[-1] == tokenizer.sep_id
            sep = view.index(tokenizer.sep_id)  # the context ends with [SEP], then the view's own tokens follow
            assert 0 < sep <= CONTEXT_TOKENS + 1
            seen_contexts.add(tuple(view[1:sep]))
            body += view[sep + 1 : -1]
        assert body == c.token_ids[1:-1]  # the views cover the window, in order, once
    # Each view is led by the top-level heading in force (the page's title here), never by a deeper one.
    top = {h.split(" > ")[0] for _, h in got.sections}
    assert top == {"11.7. LDAP Directory"}
    page_title = tuple(tokenizer.encode("11.7. LDAP Directory")[0].tolist())
    fallback = tuple(tokenizer.encode("Fallback title")[0].tolist())  # the page's header, before its first heading
    assert page_title in seen_contexts
    assert seen_contexts <= {page_title, fallback}


def test_views_fall_back_to_the_title_and_can_be_turned_off(tokenizer) -> None:
    text = "plain words without any heading " * 100
    (chunk,) = chunk_text(text, tokenizer, title="Notes on apples")
    title_ids = tokenizer.encode("Notes on apples")[0].tolist()
    assert all(v[1 : 1 + len(title_ids)] == title_ids for v in chunk.views)
    (untitled,) = chunk_text(text, tokenizer)
    assert all(v[1] != tokenizer.sep_id for v in untitled.views)  # no context at all: the view is the text
    (whole,) = chunk_text(text, tokenizer, view_tokens=None)
    assert whole.views == [whole.token_ids]


def test_view_title_uses_file_names_only_when_they_read_as_words() -> None:
    from engine.views import view_title

    assert view_title("The xr package", "/x/y.pdf") == "The xr package"
    assert view_title(None, "/notes/tax-return_2023.md") == "tax return 2023"
    assert view_title("  ", "/notes/meeting.notes.txt") == "meeting notes"
    assert view_title(None, "/mail/00002.ca96f74042d05c1a1d29ca30467cfcd5.txt") is None
    assert view_title(None, "/photos/IMG_20230101.txt") is None


def _contexts(chunks, tokenizer) -> set[tuple[int, ...]]:
    """The token ids that lead the views of ``chunks`` (their context, before its [SEP])."""
    return {tuple(view[1 : view.index(tokenizer.sep_id)]) for c in chunks for view in c.views}


def _ids(tokenizer, text: str) -> tuple[int, ...]:
    return tuple(tokenizer.encode(text)[0].tolist())


def test_a_reference_page_s_views_are_led_by_its_name_line(tokenizer) -> None:
    """git's, Perl's and man's reference pages say what they are in their NAME line; their headings (NAME,
    DESCRIPTION, OPTIONS) say nothing of it, so a view led by one would not say which command it is about."""
    page = REPO_DATA / "languages" / "git-stash.html"
    got = extract("html", page.read_bytes())
    assert any(h.endswith("> DESCRIPTION") for _, h in got.sections)
    chunks = chunk_text(got.text, tokenizer, None, got.sections, title=got.title)
    assert len(chunks) > 3
    name = "git-stash - Stash the changes in a dirty working directory away"
    assert _contexts(chunks, tokenizer) == {_ids(tokenizer, name)}
    man = extract("man", (REPO_DATA / "formats" / "xargs.1.gz").read_bytes())
    assert man.sections[0][1].lower() == "name"  # a man page's top headings are its sections
    man_chunks = chunk_text(man.text, tokenizer, None, man.sections, title=man.title)
    (context,) = _contexts(man_chunks, tokenizer)
    start = _ids(tokenizer, "xargs - build and execute command lines")
    assert context[: len(start)] == start


def test_a_generic_top_heading_gives_way_to_the_title(tokenizer) -> None:
    from engine.views import name_line, view_context

    text = "Description\nThe quick brown fox jumps over the lazy dog. " * 40
    (chunk,) = chunk_text(text, tokenizer, sections=[(0, "Description")], title="Foxes and dogs")
    assert _contexts([chunk], tokenizer) == {_ids(tokenizer, "Foxes and dogs")}
    assert view_context("LDAP Directory > Options", "Handbook") == "LDAP Directory"  # a heading that says something
    assert view_context("OPTIONS > --all", "git-add(1)") == "git-add(1)"
    text = "Name\n\nls - list directory contents\n\nSynopsis\n"
    assert name_line(text, [(0, "Name"), (text.index("Synopsis"), "Synopsis")]) == "ls - list directory contents"
    assert name_line("no sections at all", []) is None


def test_explain_leads_a_view_as_the_chunker_did(make_indexer, docs, fake_encoder, tokenizer) -> None:
    """explain embeds the hit's view again to weigh its words: with the context the chunker gave it, or its shares
    are of another text than the one searched."""
    import shutil

    from engine import Library
    from engine.explain import _context

    shutil.copy(REPO_DATA / "languages" / "git-stash.html", docs)
    make_indexer().run([docs])
    with Library(docs.parent / "index", encoder=fake_encoder) as lib:
        hit = lib.search("stash the changes in a dirty working directory", limit=1)[0]
        context = _context(lib.index, hit)
        page = extract("html", (docs / "git-stash.html").read_bytes())
    assert context == "git-stash - Stash the changes in a dirty working directory away"
    chunks = chunk_text(page.text, tokenizer, None, page.sections, title=page.title)
    assert _contexts(chunks, tokenizer) == {_ids(tokenizer, context)}
