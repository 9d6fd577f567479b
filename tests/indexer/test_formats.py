"""Every format DocSense reads, on real files made with real tools (tests/data/formats/README.md): the text, its
sections, pages and title, and a folder of them all indexed, each file found by a word only it contains."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop.format import file_of, hit_name, shown_path
from engine import Library
from indexer.extract import SUFFIX_TYPES, ExtractionError, extract

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"


def read(name: str):
    from indexer.extract import kind_of

    path = FORMATS / name
    kind = kind_of(path.name)
    assert kind is not None
    return extract(kind, path.read_bytes())


def test_docx_headings_and_paragraphs_in_order() -> None:
    got = read("web-server.docx")
    assert got.title == "11.2.\xa0Web Server (HTTP)"
    paths = [path for _offset, path in got.sections]
    assert "11.2. Web Server (HTTP) > 11.2. Web Server (HTTP) > 11.2.1. Installing Apache" in paths
    offset = dict((p, o) for o, p in got.sections)[paths[2]]
    assert got.text[offset:].startswith("11.2.1. Installing Apache")
    assert "AWStats" in got.text
    assert got.text.index("Installing Apache") < got.text.index("Adding support for SSL")


def test_odt_headings_by_outline_level() -> None:
    got = read("ldap.odt")
    assert got.title == "11.7. LDAP Directory"
    assert (935, "11.7. LDAP Directory > 11.7.1. Installing") in got.sections
    assert got.text[935:].startswith("11.7.1. Installing")
    assert "OpenLDAP is an implementation of the LDAP protocol" in got.text


def test_pptx_a_page_is_a_slide_with_its_notes() -> None:
    got = read("webcomp.pptx")
    assert got.title == "Errata for The LaTeX Web Companion"
    assert got.page_starts is not None
    assert len(got.page_starts) == 4  # the title slide and three
    slide3 = got.text[got.page_starts[2] : got.page_starts[3]]
    assert slide3.startswith("Chapter 6\n\n")
    assert "GenCod → GenCode" in slide3
    assert "Thanks to all who have found errors" in slide3  # its speaker notes
    assert (got.page_starts[2], "Chapter 6") in got.sections


def test_odp_a_page_is_a_slide() -> None:
    got = read("xr.odp")
    assert got.title == "The xr package"
    assert got.page_starts is not None
    assert len(got.page_starts) == 3
    assert got.text[got.page_starts[2] :].startswith("External references")
    assert "This package implements a system for eXternal References." in got.text


@pytest.mark.parametrize(("name", "sheet", "row", "ref"), [
    ("mail-headers.xlsx", "mail-headers", "The Motley Fool <Fool@motleyfool.com>\tWed, 02 Jan 2002 13:55:00 -0500\t"
                                          "Personal Finance: Resolutions You Can Keep", "mail-headers!A3"),
    ("corpus-sources.ods", "corpus-sources", "markdown/\tthe all-MiniLM-L6-v2 model card\tApache-2.0",
     "corpus-sources!A5"),
])  # fmt: skip
def test_a_sheet_is_a_page_and_a_row_a_line_named_by_its_cell(name: str, sheet: str, row: str, ref: str) -> None:
    got = read(name)
    assert got.page_starts == [0]
    assert got.sections[0] == (0, sheet)
    assert row in got.text.split("\n")
    assert (got.text.index(row), ref) in got.sections  # a hit there says where: "Sheet1!B12"


def test_epub_a_page_is_a_chapter_of_the_spine() -> None:
    got = read("handbook.epub")
    assert got.title == "Debian Administrator's Handbook: two sections"
    assert got.page_starts is not None
    assert len(got.page_starts) == 3  # pandoc's title page, then a page per chapter
    first, second = got.text[got.page_starts[1] : got.page_starts[2]], got.text[got.page_starts[2] :]
    assert "14.3.1. Monitoring Logs with logcheck" in first
    assert "logcheck" not in second
    assert "Rights" in second
    assert any(path.endswith("14.3.1. Monitoring Logs with logcheck") for _o, path in got.sections)


def test_rtf_text() -> None:
    got = read("lppl.rtf")
    assert got.text.startswith("The LaTeX Project Public License\n\nThe LATEX Project Public License LPPL Version 1.3c")
    assert "\\" not in got.text  # no control word left


def test_latex_sections_without_commands() -> None:
    got = read("apt-cache.tex")
    assert got.title == "6.3. The apt-cache Command"
    assert [p for _o, p in got.sections] == [
        "6.3. The apt-cache Command",
        "6.3. The apt-cache Command > 6.3.1. The apt-cache policy Command",
    ]
    assert got.text[got.sections[1][0] :].startswith("6.3.1. The apt-cache policy Command")
    assert "The apt-cache command can display much of the information stored" in got.text
    for leftover in ("\\", "{", "hypertarget", "texorpdfstring", "http://debian-handbook.info"):
        assert leftover not in got.text, leftover


def test_latex_source_written_by_hand() -> None:
    source = rb"""\documentclass{article}
\usepackage{xr}  % external references
\title{Notes on \emph{xr}}
\begin{document}
\maketitle
\section[Short]{Loading the package}\label{sec:load}
Load it with \verb|\usepackage{xr}| and say 50\% of the time~\cite{lamport94} it works --- or not, for \$39.95.
\subsection*{Details}
See section~\ref{sec:load}.
\end{document}
"""
    got = extract("tex", source)
    assert got.title == "Notes on xr"
    assert [p for _o, p in got.sections] == ["Loading the package", "Loading the package > Details"]
    assert "50% of the time it works \u2014 or not, for $39.95." in got.text
    assert "lamport94" not in got.text
    assert "sec:load" not in got.text
    assert "external references" not in got.text  # a comment


def test_rst_and_org_headings() -> None:
    rst = read("model-card.rst")
    assert (0, "all-MiniLM-L6-v2") in rst.sections
    assert any(p == "all-MiniLM-L6-v2 > Background" for _o, p in rst.sections)
    org = read("ltnews01.org")
    assert org.sections == [(0, "LaTeX News, Issue 1")]


def test_a_manual_page_gzipped_as_debian_installs_it() -> None:
    got = read("xargs.1.gz")
    assert got.title == "XARGS(1)"
    assert [p for _o, p in got.sections][:4] == ["Name", "Synopsis", "Description", "Options"]
    assert got.text.startswith("Name\n\nxargs - build and execute command lines from standard input\n\nSynopsis")
    assert "\\f" not in got.text
    assert "--null" in got.text  # \-\-null


def test_a_file_named_like_a_manual_page_that_is_not_one_is_text() -> None:
    log = b"Dec  1 10:00:01 host CRON[123]: (root) CMD (run-parts /etc/cron.hourly)\n"
    assert SUFFIX_TYPES.get(".1") is None
    assert extract("man", log).text == log.decode()


def test_source_code_is_text() -> None:
    got = read("colorsys.py")
    assert got.text.startswith('"""Conversion functions between RGB and other color systems.')
    assert "def rgb_to_hls(r, g, b):" in got.text


def test_mail_headers_above_the_body() -> None:
    got = read("spamassassin-00002.eml")
    assert got.title == "Malcolm in the Middle Sweepstakes Prize Notification"
    head = got.text.split("\n\n")[0].split("\n")
    assert head == [
        "Subject: Malcolm in the Middle Sweepstakes Prize Notification",
        "From: malcolm-sweeps@mrichi.com",
        "To: <rod-3ds@arsecandle.org>",
        "Date: Tue, 7 May 2002 9:38:27 -0600",  # as the message has it
    ]


def test_mail_attachments_are_documents_of_their_own_read_with_their_extractor() -> None:
    got = read("with-attachment.eml")
    assert got.title == "Re: New Sequences Window"
    assert "\nAttachments: lamport-manual.pdf\n" in got.text  # named among the headers
    assert "Chris Garrigues" in got.text
    [attached] = got.members
    assert (attached.name, attached.kind) == ("lamport-manual.pdf", "pdf")
    assert attached.extracted.page_starts is not None
    assert len(attached.extracted.page_starts) == 2  # its own pages
    second = attached.extracted.text[attached.extracted.page_starts[1] :]
    assert "Ellen Gilkerson" in second  # a name on the attached PDF's second page
    assert "Rosemary" not in got.text


def test_attachment_names_are_unique_places_below_their_message() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "three notes"
    message.set_content("See the notes attached.")
    for name, words in (("a/b/notes.txt", "wombat"), ("notes.txt", "numbat"), ("..\\notes.txt", "quokka")):
        message.add_attachment(words.encode(), maintype="text", subtype="plain", filename=name)
    got = extract("eml", message.as_bytes())
    assert [(m.name, m.extracted.text) for m in got.members] == [
        ("notes.txt", "wombat"), ("notes (2).txt", "numbat"), ("notes (3).txt", "quokka"),
    ]  # fmt: skip


def test_a_scanned_page_is_read_by_ocr_and_cached(tmp_path: Path) -> None:
    from indexer.extract.ocr import OcrSettings

    data = (FORMATS / "scanned-errata.pdf").read_bytes()
    settings = OcrSettings("eng", str(tmp_path / "ocr"))
    got = extract("pdf", data, ocr=settings)
    assert got.warnings == ["page 1 read by OCR (Tesseract, eng)"]
    assert "Errors Corrected in the Sixteenth Printing" in got.text
    assert "[First reported by Chris Rowley on 28 Oct 1998.]" in got.text
    [cached] = (tmp_path / "ocr").glob("*/*.json")
    words = json.loads(cached.read_text(encoding="utf-8"))["words"]
    [(left, top, right, bottom)] = [w[1:] for w in words if w[0] == "Sixteenth"]  # its box, for the window
    assert 0 < left < right < 2481
    assert 0 < top < bottom < 3508
    cached.write_text(json.dumps({"text": "what the cache says", "words": []}), encoding="utf-8")  # from the cache
    assert extract("pdf", data, ocr=settings).text == "what the cache says"
    with pytest.raises(ExtractionError, match="no text layer, and OCR found none"):
        extract("pdf", data, ocr=OcrSettings("none"))


def test_a_missing_ocr_language_stops_the_run_and_says_what_to_install() -> None:
    from engine.errors import ModelError
    from indexer.extract.ocr import OcrSettings

    with pytest.raises(ModelError, match=r"no OCR model for xyz in .*: install tessdata.fast_xyz"):
        extract("pdf", (FORMATS / "scanned-errata.pdf").read_bytes(), ocr=OcrSettings("eng+xyz"))


@pytest.mark.parametrize(("name", "reason"), [
    ("truncated.docx", "damaged DOCX: not a complete zip archive"),
    ("no-spine.epub", "damaged EPUB: it has no spine (the reading order of its chapters)"),
])  # fmt: skip
def test_broken_files_fail_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(ExtractionError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read(f"broken/{name}")


def test_a_broken_mail_part_keeps_its_words() -> None:
    got = read("broken/broken-part.eml")
    assert "the words survive: a kangaroo note" in got.text


# A word each file holds and no other file in tests/data/formats does.
ONLY_IN = {
    "apt-cache.tex": "backports",
    "colorsys.py": "luminance",
    "corpus-sources.ods": "texlive",
    "handbook.epub": "logcheck",
    "ldap.odt": "openldap",
    "lppl.rtf": "latex3",
    "ltnews01.org": "colour",
    "mail-headers.xlsx": "motley",
    "model-card.rst": "huggingface",
    "spamassassin-00002.eml": "winners",
    "web-server.docx": "awstats",
    "webcomp.pptx": "gencode",
    "with-attachment.eml": "rosemary",
    "xr.odp": "inputcheck",
    "xargs.1.gz": "invocations",
    "scanned-errata.pdf": "sixteenth",  # only in the page's image: the PDF has no text layer
}


def test_a_folder_of_every_format_is_indexed_and_each_file_found_by_its_own_word(
    tmp_path: Path, make_indexer, fake_encoder
) -> None:
    folder = tmp_path / "formats"
    shutil.copytree(FORMATS, folder, ignore=shutil.ignore_patterns("README.md", "sources", "broken", "containers"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(ONLY_IN)
    summary = make_indexer().run([folder])
    assert list(summary.failed) == []
    assert summary.indexed == len(ONLY_IN)
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        for name, word in ONLY_IN.items():
            hits = lib.search(word, modes=("keyword",), limit=20)
            assert {Path(file_of(h.path)).name for h in hits} == {name}, word
        assert lib.status().ocr_pages == 1  # the scanned errata page
        [slide] = lib.search("GenCode", modes=("keyword",), limit=1)
        assert slide.page == 3
        mail = folder / "with-attachment.eml"
        [attached] = [h for h in lib.search("Gilkerson", modes=("keyword",)) if h.path.startswith(f"{mail}/")]
        assert (attached.path, attached.page) == (f"{mail}/lamport-manual.pdf", 2)  # its own second page
        assert shown_path(attached.path) == f"{mail} \u203a lamport-manual.pdf"


def test_files_of_types_docsense_does_not_read_are_counted_not_silent(tmp_path: Path, make_indexer, fake_encoder):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "note.txt").write_text("a note")
    for name in ("a.dwg", "b.dwg", "c.xyz", "Makefile"):
        (folder / name).write_text("something")
    (folder / ".hidden.dwg").write_text("hidden files are not looked at")
    summary = make_indexer().run([folder])
    assert summary.indexed == 1
    assert summary.unsupported == ((".dwg", 2), ("", 1), (".xyz", 1))
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        assert lib.status().unsupported == ((".dwg", 2), ("", 1), (".xyz", 1))


def test_the_command_line_names_the_types_it_skipped(tmp_path: Path) -> None:
    from tests.reliability.conftest import docsense

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "note.txt").write_text("a note")
    for name in ("a.dwg", "b.dwg", "c.xyz"):
        (folder / name).write_text("something")
    index = tmp_path / "index"
    result = docsense("index", str(folder), "--index", str(index), "-q")
    assert "  skipped 3 files of types DocSense does not read: .dwg 2, .xyz 1" in result.stderr.splitlines()
    status = docsense("status", "--index", str(index))
    assert "Not read:  skipped 3 files of types DocSense does not read: .dwg 2, .xyz 1" in status.stdout.splitlines()


def _documents(index: Path) -> dict[str, tuple[str, str | None]]:
    from tests.helpers import db_rows

    return {
        path: (kind, container)
        for path, kind, container in db_rows(index, "SELECT path, type, container FROM documents")
    }


def test_mailboxes_and_archives_hold_documents_of_their_own(tmp_path: Path, make_indexer, fake_encoder) -> None:
    """One document per message of an mbox and per member of a zip (a tar.gz inside it opened too), each at a path
    below its file's; they stay while the file does not change, are replaced when it does, and go with it."""
    import mailbox

    folder = tmp_path / "mail"
    shutil.copytree(FORMATS / "containers", folder)
    summary = make_indexer().run([folder])
    assert list(summary.failed) == []
    box, bundle = str(folder / "mail.mbox"), str(folder / "bundle.zip")
    assert _documents(tmp_path / "index") == {
        f"{box}/1": ("eml", box),
        f"{box}/2": ("eml", box),
        f"{box}/3": ("eml", box),
        f"{bundle}/docs/web-server.docx": ("docx", bundle),
        f"{bundle}/sources.tar.gz/sources/supervision.md": ("md", bundle),
        f"{bundle}/sources.tar.gz/sources/mail-00004.txt": ("txt", bundle),
    }
    assert (bundle, "1 member of types DocSense does not read: .dwg 1") in [
        (w.path, w.reason) for w in summary.warnings
    ]
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        [hit] = lib.search("logcheck", modes=("keyword",), limit=1)
        assert hit.path == f"{bundle}/sources.tar.gz/sources/supervision.md"
        [message] = lib.search('"Sun Solaris"', modes=("keyword",), limit=1)
        assert message.path == f"{box}/3"
        assert lib.document_text(f"{box}/3").startswith("Subject: Re: [ILUG] Sun Solaris..")

    again = make_indexer().run()
    assert (again.indexed, again.unchanged, again.removed) == (0, 2, 0)
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        assert lib.verify().ok  # a message's file is its mailbox: not "gone from disk"

    mbox = mailbox.mbox(folder / "mail.mbox")
    mbox.add(mailbox.mboxMessage(b"From: a@example.org\nSubject: the fourth\n\nA note about wombats.\n"))
    mbox.flush()
    mbox.close()
    targeted = make_indexer().run(paths=[box])  # as the watcher runs when the mailbox changes
    assert targeted.indexed == 1
    assert len(_documents(tmp_path / "index")) == 4 + 3
    (folder / "bundle.zip").unlink()
    third = make_indexer().run()
    assert (third.indexed, third.removed) == (0, 3)
    assert sorted(_documents(tmp_path / "index")) == [f"{box}/{n}" for n in (1, 2, 3, 4)]


def test_a_path_inside_a_file_is_shown_with_each_file_it_passes(tmp_path: Path) -> None:
    for name in ("inbox.mbox", "note.eml", "bundle.zip"):
        (tmp_path / name).touch()
    box, note, bundle = (str(tmp_path / name) for name in ("inbox.mbox", "note.eml", "bundle.zip"))
    sep = " \u203a "
    assert [shown_path(p).replace(sep, " > ") for p in (
        box, f"{box}/12", f"{box}/12/report.pdf", f"{note}/report.pdf", f"{bundle}/docs/a.docx",
        f"{bundle}/old/sources.tar.gz/sources/b.md", f"{bundle}/m/inner.mbox/3/c.pdf", f"{bundle}/m.eml/fwd.eml/d.pdf",
    )] == [
        box, f"{box} > 12", f"{box} > 12 > report.pdf", f"{note} > report.pdf", f"{bundle} > docs/a.docx",
        f"{bundle} > old/sources.tar.gz > sources/b.md", f"{bundle} > m/inner.mbox > 3 > c.pdf",
        f"{bundle} > m.eml > fwd.eml > d.pdf",
    ]  # fmt: skip
    # in a list of hits: a message with its subject, a member of an archive without the folder when asked
    assert hit_name(f"{box}/12", "eml", "Re: the plan").replace(sep, " > ") == f"{box} > 12: Re: the plan"
    assert hit_name(f"{note}", "eml", "Re: the plan") == note  # a mail file's name is its own
    member = hit_name(f"{bundle}/docs/a.docx", "docx", "A", folder=False)
    assert member.replace(sep, " > ") == "bundle.zip > docs/a.docx"


def test_a_zip_bomb_is_refused_by_name_and_the_rest_read(tmp_path: Path, make_indexer) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(FORMATS / "broken" / "bomb.zip", folder)
    summary = make_indexer().run([folder])
    bomb = str(folder / "bomb.zip")
    assert list(_documents(tmp_path / "index")) == [f"{bomb}/readme.txt"]
    assert (bomb, "zeros.txt: a zip bomb (64 MB from 64 KB): not read") in [
        (w.path, w.reason) for w in summary.warnings
    ]


def test_a_maildir_is_one_document_a_message(tmp_path: Path, make_indexer) -> None:
    import mailbox

    (tmp_path / "Mail").mkdir()
    maildir = mailbox.Maildir(tmp_path / "Mail" / "inbox", create=True)
    corpus = FORMATS.parents[0] / "corpus" / "text"
    keys = [maildir.add(mailbox.MaildirMessage((corpus / name).read_bytes())) for name in sorted(
        p.name for p in corpus.glob("0000*.txt"))[:2]]  # fmt: skip
    maildir.close()
    summary = make_indexer().run([tmp_path / "Mail"])
    assert summary.indexed == 2
    docs = _documents(tmp_path / "index")
    assert sorted(Path(p).name for p in docs) == sorted(keys)
    assert {kind for kind, _container in docs.values()} == {"eml"}


def test_a_big_mailbox_is_shared_out_among_the_workers(tmp_path: Path, make_indexer, monkeypatch) -> None:
    """Each of several workers reads the messages whose names hash to its share; together they store what one
    reader would, and a later run replaces each share's messages without leaving one twice or stale."""
    import mailbox

    import indexer.indexer

    folder = tmp_path / "mail"
    shutil.copytree(FORMATS / "containers", folder)
    box = mailbox.mbox(folder / "mail.mbox")
    box.add(mailbox.mboxMessage((FORMATS / "with-attachment.eml").read_bytes()))  # message 4 and its attachment
    box.flush()
    box.close()
    make_indexer(index_path=tmp_path / "alone").run([folder])
    assert f"{folder}/mail.mbox/4/lamport-manual.pdf" in _documents(tmp_path / "alone")
    monkeypatch.setattr(indexer.indexer, "SHARE_BYTES", 1024)  # the two files here are shared out
    shared = make_indexer(workers=2).run([folder])
    assert shared.indexed == 2
    assert _documents(tmp_path / "index") == _documents(tmp_path / "alone")
    assert _rows_per_document(tmp_path / "index") == _rows_per_document(tmp_path / "alone")

    box = mailbox.mbox(folder / "mail.mbox")
    box.remove(next(iter(box.keys())))  # the first message goes: the others are numbered again
    box.flush()
    box.close()
    again = make_indexer(workers=2).run()
    assert again.indexed == 1
    held = _documents(tmp_path / "index")
    assert f"{folder}/mail.mbox/3/lamport-manual.pdf" in held  # an attachment moves with its message
    assert f"{folder}/mail.mbox/4/lamport-manual.pdf" not in held
    settled = make_indexer(workers=2).run()  # every share was stored: the mailbox is current, not read again
    assert (settled.indexed, settled.unchanged) == (0, 2)
    make_indexer(index_path=tmp_path / "alone").run()
    assert _documents(tmp_path / "index") == _documents(tmp_path / "alone")
    assert _rows_per_document(tmp_path / "index") == _rows_per_document(tmp_path / "alone")


def test_a_messages_attachments_are_in_its_share_of_a_mailbox() -> None:
    """The share that reads a message stores its attachments, and is the one that replaces them later: were they
    another's, that share could delete the attachments the first had just stored."""
    from indexer.extract.containers import in_part

    for number in range(1, 50):
        for share in range(3):
            assert in_part(f"{number}/report.pdf", (share, 3)) == in_part(str(number), (share, 3))


def test_a_mails_attachments_follow_it_when_it_is_renamed_changed_or_removed(tmp_path: Path, make_indexer) -> None:
    from email import message_from_bytes, policy

    folder = tmp_path / "mail"
    folder.mkdir()
    mail = folder / "with-attachment.eml"
    shutil.copy(FORMATS / "with-attachment.eml", mail)
    make_indexer().run([folder])
    assert _documents(tmp_path / "index") == {
        str(mail): ("eml", None), f"{mail}/lamport-manual.pdf": ("pdf", str(mail))
    }  # fmt: skip
    renamed = mail.rename(folder / "renamed.eml")
    make_indexer().run()
    assert _documents(tmp_path / "index") == {
        str(renamed): ("eml", None), f"{renamed}/lamport-manual.pdf": ("pdf", str(renamed))
    }  # fmt: skip
    message = message_from_bytes(renamed.read_bytes(), policy=policy.default)
    for part in list(message.iter_attachments()):
        message.get_payload().remove(part)  # type: ignore[union-attr]
    renamed.write_bytes(message.as_bytes())
    make_indexer().run()
    assert _documents(tmp_path / "index") == {str(renamed): ("eml", None)}  # the attachment it lost is gone
    shutil.copy(FORMATS / "with-attachment.eml", renamed)
    make_indexer().run()
    renamed.unlink()
    summary = make_indexer().run()
    assert (summary.removed, _documents(tmp_path / "index")) == (2, {})


def _rows_per_document(index: Path) -> dict[str, tuple[str, int]]:
    from tests.helpers import db_rows

    rows = db_rows(index, "SELECT d.path, d.title, count(c.id) FROM documents d JOIN chunks c ON c.doc_id = d.id "
                          "GROUP BY d.id")  # fmt: skip
    return {path: (title, chunks) for path, title, chunks in rows}


def test_a_single_file_can_be_indexed_on_its_own(tmp_path: Path) -> None:
    from tests.reliability.conftest import docsense

    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    paper = downloads / "web-server.docx"
    shutil.copy(FORMATS / "web-server.docx", paper)
    (downloads / "other.txt").write_text("a neighbour that was not asked for: kangaroo")
    index = tmp_path / "index"
    added = docsense("index", str(paper), "--index", str(index), "-q")
    assert added.returncode == 0, added.stderr
    status = json.loads(docsense("status", "--index", str(index), "--json").stdout)
    assert status["folders"] == [str(paper)]
    assert status["documents"] == 1
    found = docsense("search", "awstats", "--index", str(index), "--json", "--mode", "keyword")
    assert json.loads(found.stdout.splitlines()[0])["path"] == str(paper)
    assert "No close match" in docsense("search", "kangaroo", "--index", str(index), "--mode", "keyword").stderr
    note = downloads / "other.txt"
    assert docsense("index", str(note), "--index", str(index), "-q").returncode == 0
    removed = docsense("remove", str(note), "--index", str(index))
    assert removed.returncode == 0, removed.stderr
    paper.unlink()  # a file indexed on its own that is gone is forgotten, as a file in a folder is
    again = docsense("index", "--index", str(index), "-q")
    assert again.returncode == 0, again.stderr
    assert "1 removed" in again.stderr
    status = json.loads(docsense("status", "--index", str(index), "--json").stdout)
    assert (status["folders"], status["documents"]) == ([], 0)


def test_a_blank_page_read_by_ocr_is_a_page_without_text() -> None:
    """Tesseract finds no word on a blank page (tesserocr raises "No text returned" for its words)."""
    from PIL import Image

    from indexer.extract.ocr import OcrSettings, read_words

    assert read_words(Image.new("L", (800, 1000), 255), OcrSettings("eng")) == ("", [])


def test_mail_is_found_by_who_wrote_it_and_when(tmp_path: Path, make_indexer, fake_encoder) -> None:
    from engine.errors import QueryError
    from tests.reliability.conftest import docsense

    folder = tmp_path / "mail"
    shutil.copytree(FORMATS / "containers", folder)
    make_indexer().run([folder])
    box = str(folder / "mail.mbox")
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        thread = {h.path for h in lib.search("new sequences window", limit=20)}
        assert {f"{box}/1", f"{box}/2"} <= thread
        assert {h.path for h in lib.search("new sequences window", limit=20, author="GARRIGUES")} == {f"{box}/2"}
        # to: reads whom a message was sent to: its To, and its Cc
        assert {h.path for h in lib.search("new sequences window to:garrigues", limit=20)} == {f"{box}/1"}
        assert {h.path for h in lib.search("new sequences window to:kre@munnari", limit=20)} == {f"{box}/2"}
        assert {h.path for h in lib.search("new sequences window to:exmh-workers", limit=20)} == thread & {
            f"{box}/1", f"{box}/2"}  # fmt: skip
        day = 1030000000.0  # 2002-08-22 07:06 UTC: message 3 was written that day, 16:42 UTC
        assert {h.path for h in lib.search("solaris", limit=20, after=day, before=day + 86400)} == {f"{box}/3"}
        assert lib.search("solaris", limit=20, after=day + 86400) == []
        with pytest.raises(QueryError, match="the author filter is empty"):
            lib.search("solaris", author="  ")
    index = str(tmp_path / "index")
    found = docsense("search", "solaris", "--index", index, "--from", "padraig", "--after", "2002-08", "--json")
    assert [json.loads(line)["path"] for line in found.stdout.splitlines()] == [f"{box}/3"]
    found = docsense("search", "solaris to:ilug@linux.ie", "--index", index, "--json")
    assert [json.loads(line)["path"] for line in found.stdout.splitlines()] == [f"{box}/3"]
    bad = docsense("search", "solaris", "--index", index, "--before", "last week")
    assert bad.returncode == 2
    assert "--before last week: give a date as YYYY, YYYY-MM or YYYY-MM-DD" in bad.stderr


def test_an_odd_message_costs_a_mailbox_nothing_else(tmp_path: Path, make_indexer) -> None:
    """Raw UTF-8 in a header (as many mailers write it) is read as UTF-8; a message that cannot be read is a
    warning on the mailbox, and the others are indexed."""
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "inbox.mbox").write_bytes(
        "From a@example.org Mon Dec  1 10:00:00 2025\nSubject: Café crème\nFrom: José <j@example.org>\n\n"
        "A first note.\n\nFrom b@example.org Mon Dec  1 11:00:00 2025\nSubject: second\n\nAnother note.\n".encode()
    )
    make_indexer().run([folder])
    from tests.helpers import db_rows

    rows = {path: (title, author) for path, title, author in db_rows(tmp_path / "index", "SELECT path, title, author "
                                                                     "FROM documents")}  # fmt: skip
    box = str(folder / "inbox.mbox")
    assert rows == {f"{box}/1": ("Café crème", "José <j@example.org>"), f"{box}/2": ("second", None)}


def test_a_tar_made_from_its_folder_keeps_its_members(tmp_path: Path, make_indexer) -> None:
    """`tar -C dir -czf x.tgz .` names members ./a.txt: they are documents, not hidden ones."""
    import tarfile

    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("a note about numbats")
    folder = tmp_path / "archives"
    folder.mkdir()
    with tarfile.open(folder / "notes.tgz", "w:gz") as tar:
        tar.add(source, arcname=".")
    summary = make_indexer().run([folder])
    assert list(summary.failed) == []
    assert list(_documents(tmp_path / "index")) == [f"{folder / 'notes.tgz'}/a.txt"]
