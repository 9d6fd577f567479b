"""Readers: the default sentence reader with the real encoder and tagger, and an extractive-QA checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelError
from engine.reader import Passage, load_reader
from engine.reader.extractive import ExtractiveReader, best_span
from engine.reader.text import blocks, expected_labels, sentences
from tests.engine.tiny_models import make_qa_model

TEXT = (
    "The xr package\n"
    "David Carlisle\n"
    "\n"
    "This package implements a system for external references. If one document needs to refer to sections of "
    "another, say aaa.tex, then load xr in the main document. The package was last revised on 10 May 2020.\n"
    "\n"
    "Bananas are yellow fruit that grow in tropical climates. They are rich in potassium."
)


def test_sentences_and_blocks() -> None:
    spans = sentences(TEXT)
    texts = [TEXT[a:b] for a, b in spans]
    assert texts[:4] == [
        "The xr package",
        "David Carlisle",
        "This package implements a system for external references.",
        "If one document needs to refer to sections of another, say aaa.tex, then load xr in the main document.",
    ]
    assert [TEXT[a:b].split("\n")[0] for a, b in blocks(TEXT)] == [
        "The xr package",
        "This package implements a system for external references. If one document needs to refer to sections of "
        "another, say aaa.tex, then load xr in the main document. The package was last revised on 10 May 2020.",
        "Bananas are yellow fruit that grow in tropical climates. They are rich in potassium.",
    ]
    assert len(blocks(TEXT, [TEXT.index("The package was")])) == 4


# The top of errata.pdf (texlive-latex-base-doc) as pdfium extracts it: a break at every printed line.
PDF_PAGE = (
    "Errata to the Second Edition of the LATEX Manual\n"
    "Leslie Lamport\n"
    "5 August 2021\n"
    "These are all the errors and omissions to the manual, LATEX: A Document\n"
    "Preparation System, second edition, published by Addison-Wesley, reported as\n"
    "of 5 August 2021. Positions in the book are indicated by page and line number,\n"
    "where the top line of a page is number 1 and the bottom line is number \u22121.\n"
    "Errors Corrected in the First Printing\n"
    "page 25, example of verse environment\n"
)


def test_hard_wrapped_lines_are_joined_into_sentences_headings_and_names_are_not() -> None:
    texts = [PDF_PAGE[a:b] for a, b in sentences(PDF_PAGE)]
    assert texts == [
        "Errata to the Second Edition of the LATEX Manual",
        "Leslie Lamport",
        "5 August 2021",
        "These are all the errors and omissions to the manual, LATEX: A Document\n"
        "Preparation System, second edition, published by Addison-Wesley, reported as\nof 5 August 2021.",
        "Positions in the book are indicated by page and line number,\n"
        "where the top line of a page is number 1 and the bottom line is number \u22121.",
        "Errors Corrected in the First Printing",
        "page 25, example of verse environment",
    ]


def test_long_runs_are_cut() -> None:
    text = "word " * 300
    assert all(b - a <= 400 for a, b in sentences(text))
    assert sentences("   \n\n ") == []


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        ("Who wrote it?", ("PERSON",)),
        ("Who is the author of the geometry package?", ("PERSON",)),
        ("Who founded the Debian project?", ("PERSON", "ORG")),
        ("When was it revised?", ("DATE", "TIME")),
        ("what year did it start", ("DATE", "TIME")),
        ("Where is Falcot?", ("GPE", "LOC", "FAC")),
        ("How many pages?", ("CARDINAL", "QUANTITY")),
        ("How do I load it?", ()),
        ("Why is it so?", ()),
        ("In what year was Debian created?", ("DATE", "TIME")),  # a preposition before the question word
        ("On which port does the CUPS web interface listen?", ("NUMBER",)),
        ("Where is the GRUB 2 configuration file stored?", ("PATH", "GPE", "LOC", "FAC")),  # on a disk
        ("Where was the book published?", ("GPE", "LOC", "FAC")),
        ("Where in the world is the site located?", ("GPE", "LOC", "FAC")),
        ("Which French publisher brought it out?", ("ORG",)),
        ("Which command of the xr package refers to another document?", ("COMMAND",)),
        ("Which environment does the verbatim package provide?", ("ENVIRONMENT",)),
    ],
)
def test_expected_labels(question: str, labels: tuple[str, ...]) -> None:
    assert expected_labels(question) == labels


@pytest.fixture(scope="module")
def sentence_reader(real_encoder):
    from engine.tagger import load_tagger

    return load_reader("sentence", real_encoder, load_tagger("en_core_web_sm"))


def test_sentence_reader_finds_the_sentence(sentence_reader) -> None:
    found = sentence_reader.locate("How do I refer to sections of another document?", TEXT)
    assert found is not None
    # The answer starts in the block about external references, at its start or at the sentence itself.
    assert TEXT[found.start : found.end] in (
        "This package implements a system for external references.",
        "If one document needs to refer to sections of another, say aaa.tex, then load xr in the main document.",
    )


def test_sentence_reader_narrows_to_a_person_or_a_date(sentence_reader) -> None:
    who = sentence_reader.locate("Who wrote the xr package?", TEXT)
    assert who is not None
    assert TEXT[who.start : who.end] == "David Carlisle"
    when = sentence_reader.locate("When was the xr package last revised?", TEXT)
    assert when is not None
    assert TEXT[when.start : when.end] == "10 May 2020"
    assert TEXT[when.sentence_start : when.sentence_end] == "The package was last revised on 10 May 2020."


def test_the_reader_finds_numbers_paths_and_commands_itself(sentence_reader) -> None:
    text = (
        "Printing is administered through a web interface at http://localhost:631/ on every machine. "
        "APT keeps a copy of each downloaded .deb file in the directory /var/cache/apt/archives/ until it is "
        "cleaned. To refer to another document, give \\externaldocument{aaa} in the preamble of the main file. "
        "A block of text is skipped from \\begin{comment} to the next \\end{comment}."
    )
    for question, answer in [
        ("On which port does the printing web interface listen?", "631"),
        ("Where does APT keep the .deb files it downloads?", "/var/cache/apt/archives/"),
        ("Which command refers to another document?", "\\externaldocument"),
        ("Which environment skips a block of text?", "\\begin{comment}"),
    ]:
        found = sentence_reader.locate(question, text)
        assert found is not None, question
        assert text[found.start : found.end] == answer


# From the Debian Administrator's Handbook (sections 12.4.1 and 6.4) and verbatim.pdf (texlive-latex-base-doc).
MUNIN = (
    "12.4.1. Setting Up Munin\nThe purpose of Munin is to monitor many machines; therefore, it quite naturally uses "
    "a client/server architecture. The central host \u2014 the grapher \u2014 collects data from all the monitored "
    "hosts, and generates historical graphs.\n12.4.1.1. Configuring Hosts To Monitor\nThe first step is to install "
    "the munin-node package. The daemon installed by this package listens on port 4949 and sends back the data "
    "collected by all the active plugins. Each plugin is a simple program returning a description of the collected "
    "data as well as the latest measured value. Plugins are stored in /usr/share/munin/plugins/, but only those "
    "with a symbolic link in /etc/munin/plugins/ are really used. When the package is installed, a set of active "
    "plugins is determined based on the available software and the current configuration of the host. However, "
    "this autoconfiguration depends on a feature that each plugin must provide, and it is usually a good idea to "
    "review and tweak the results by hand. Browsing /etc/munin/plugins/ is therefore a good way of getting an idea "
    "of what each plugin is about. The munin-node daemon must be told which hosts may query it. This involves "
    "allow directives in the /etc/munin/munin-node.conf file. An administrator will usually add a similar line "
    "containing the IP address of the grapher host, then restart the daemon with systemctl restart munin-node."
)
APT_FILE = (
    "6.4. The apt-file Command\nSometimes we refer to a file or a command and you might wonder, in which package "
    "it will be found. Fortunately the Debian repositories not only contain information about all the binary "
    "packages provided, but also all the files shipped with them. This information is stored in files named "
    "Contents-arch.gz and Contents-udeb-arch.gz. This information is not automatically downloaded by APT. Instead "
    "it needs the apt-file update command (from the similar named package) to retrieve the contents of all package "
    "sources mentioned in /etc/apt/sources.list. By default it downloads Contents*.pdiff files as described in "
    "sidebar TIP Incremental updates to reduce the amount of data necessary to be downloaded. To update the "
    "database on a weekly base, the following entry can be added to /etc/crontab if convenient. \n@weekly root "
    "test -x /usr/bin/apt-file && /usr/bin/apt-file update >> /dev/null 2>&1\nAfter the database has been "
    "updated, the command apt-file search pattern will list all packages, which contain a filename or path "
    "containing the pattern. \n$ apt-file search bin/axi-cache\napt-xapian-index: /usr/bin/axi-cache\nThe "
    "command apt-file list package will list all files shipped with the package instead. \nTIP Listing a package "
    "contents and finding a file's package\nSimilar to apt-file list the command dpkg -L package lists all files, "
    "but only for an installed package. To find the package, a local file belongs to, use dpkg -S file (see "
    "Section 5.4.3). To list all local files not belonging to any installed package, you might want to take a "
    "look at the cruft or the cruft-ng package. \n"
)
VERBATIM = (
    "This package reimplements the LaTeX verbatim and verbatim* environments. In addition it provides a comment "
    "environment that skips any commands or text between \\begin{comment} and the next \\end{comment}. "
    "LaTeX's verbatim and verbatim* environments have a few features that may give rise to problems. Since TeX "
    "has to read all the text between the \\begin{verbatim} and the \\end{verbatim} before it can output "
    "anything, long verbatim listings may overflow TeX's memory."
)


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("Which port does the munin-node daemon listen on?", MUNIN, "4949"),
        ("Which command tells me which installed package a file belongs to?", APT_FILE, "dpkg -S"),
        ("Which environment does the verbatim package provide for skipping a block of text?", VERBATIM,
         "comment environment"),
    ],
)  # fmt: skip
def test_what_a_pattern_finds_is_looked_for_further_down_and_in_the_sentence_itself(
    sentence_reader, question: str, text: str, answer: str
) -> None:
    """A port's number eight sentences below the best one; of two close commands, the one in the sentence nearest the
    question ("dpkg -L" stands in the one whose neighbours are nearer); an environment by its name, neither the
    one the question names nor an \\end."""
    found = sentence_reader.locate(question, text)
    assert found is not None, question
    assert text[found.start : found.end] == answer


def test_an_answer_goes_on_into_the_sentence_that_continues_it(sentence_reader) -> None:
    """The sentence that matches the question best, and the next one when it points back to it ("It just needs
    ..."), where the answer stands; a next sentence that does not point back is left out."""
    text = (
        "11.2.2. Adding support for SSL\nApache 2.4 includes the SSL module (mod_ssl) required for secure HTTP "
        "(HTTPS) out of the box. It just needs to be enabled with a2enmod ssl, then the required directives have "
        "to be added to the configuration files. A configuration example is provided in "
        "/etc/apache2/sites-available/default-ssl.conf."
    )
    found = sentence_reader.locate("How do I enable HTTPS support (mod_ssl) in Apache?", text)
    assert found is not None
    assert text[found.start : found.end] == (
        "Apache 2.4 includes the SSL module (mod_ssl) required for secure HTTP (HTTPS) out of the box. It just needs "
        "to be enabled with a2enmod ssl, then the required directives have to be added to the configuration files."
    )


def test_when_asks_for_a_point_in_time_not_a_duration(sentence_reader) -> None:
    text = "The long term support project started in June 2014. Each release is supported for at least 5 years."
    found = sentence_reader.locate("When did the long term support project start?", text)
    assert found is not None
    assert text[found.start : found.end] == "June 2014"


def test_a_named_documents_byline_says_who_wrote_it(sentence_reader, real_encoder) -> None:
    """ "Who wrote the url package?": url.pdf's opening names its author on a line of its own, though another
    document's sentences talk more about URLs."""
    opening = "url.sty version 3.4\nDonald Arseneau\n2013-09-16\nThe package defines a form of \\verb command."
    babel = "Babel\nVersion 3.84\nJavier Bezos\nCurrent maintainer\nJohannes L. Braams\nOriginal author\nContents"
    other = "URLs in sources.list name the mirror that APT fetches packages from, as Raphael Hertzog wrote."
    passages = [Passage("apt.html", other, 0), Passage("url.pdf", opening, 0, rank=1, named=True)]
    (found,) = sentence_reader.read("Who wrote the url package?", passages, limit=1)
    assert (found.doc, opening[found.start : found.end]) == ("url.pdf", "Donald Arseneau")
    unnamed = [Passage("apt.html", other, 0), Passage("url.pdf", opening, 0, rank=1)]
    assert sentence_reader.read("Who wrote the url package?", unnamed, limit=1)[0].doc == "apt.html"
    (found,) = sentence_reader.read("Who was the original author of babel?", [Passage("b", babel, 0, named=True)])
    assert babel[found.start : found.end] == "Johannes L. Braams"


def test_sentence_reader_says_no_answer(sentence_reader) -> None:
    assert sentence_reader.locate("What is the interest rate of the central bank of Mongolia?", TEXT) is None


def test_passage_offsets_are_document_offsets(sentence_reader) -> None:
    offset = 1000
    (found,) = sentence_reader.read("What colour are bananas?", [Passage("doc.txt", TEXT, offset)], limit=1)
    assert found.doc == "doc.txt"
    assert TEXT[found.start - offset : found.end - offset] == "Bananas are yellow fruit that grow in tropical climates."


def test_best_span_decoding() -> None:
    start = np.array([9.0, 1.0, 5.0, 0.0, 4.0, 0.0])
    end = np.array([9.0, 0.0, 1.0, 6.0, 0.0, 7.0])
    allowed = np.array([False, True, True, True, True, True])  # [CLS] is never an answer
    assert best_span(start, end, allowed, max_len=30) == (2, 5, 12.0)
    assert best_span(start, end, allowed, max_len=3) == (2, 3, 11.0)  # spans longer than max_len are out
    assert best_span(start, end, allowed, max_len=1) == (5, 5, 7.0)
    assert best_span(start, np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), allowed, max_len=30) == (2, 2, 5.0)
    assert best_span(start, end, np.zeros(6, dtype=bool), max_len=30) is None


def test_extractive_reader_over_strided_windows(tmp_path: Path) -> None:
    model = make_qa_model(tmp_path / "qa", "paris")
    reader = load_reader(str(model), encoder=None, tagger=None)  # type: ignore[arg-type]
    assert isinstance(reader, ExtractiveReader)
    filler = "The weather was mild and the streets were quiet that morning. " * 60  # several 384-token windows
    text = filler + "The capital of France is Paris, on the Seine. " + filler
    (found,) = reader.read("What is the capital of France?", [Passage("f.txt", text, 10)], limit=1)
    assert text[found.start - 10 : found.end - 10] == "Paris"
    assert text[found.sentence_start - 10 : found.sentence_end - 10] == "The capital of France is Paris, on the Seine."
    assert reader.spans("What is the capital?", filler) == []  # nothing beats the no-answer score
    strict = ExtractiveReader(str(model), null_threshold=1e9)
    assert strict.read("What is the capital of France?", [Passage("f.txt", text, 0)]) == []


def test_unknown_reader_is_a_clear_error(real_encoder) -> None:
    with pytest.raises(ModelError, match="unknown reader"):
        load_reader("no-such-reader", real_encoder, None)


def test_an_entity_answers_only_when_it_names_what_the_question_does_not_and_looks_like_a_name() -> None:
    from engine.reader.sentence import _answers
    from engine.tagger import EntitySpan

    asked = {"wrote", "debian", "handbook"}

    def span(text: str, label: str = "PERSON") -> EntitySpan:
        return EntitySpan(0, len(text), label, text, text.lower())

    assert _answers(span("Raphaël Hertzog"), asked)
    assert not _answers(span("The Debian Developers", "ORG"), asked)  # names what the question names
    assert not _answers(span("LATEX"), asked)  # one word in capitals: a tagger's person, no one's name
    assert not _answers(span("doc", "ORG"), asked)
    assert _answers(span("1994", "DATE"), asked)
    assert _answers(span("one year", "DATE"), asked)  # how long?
    assert not _answers(span("one year", "DATE"), asked, when=True)  # but not when?
    assert _answers(span("Christmas 1993", "DATE"), asked, when=True)


def test_a_name_or_date_cut_short_by_the_tagger_is_made_whole() -> None:
    from engine.reader.sentence import _whole
    from engine.tagger import EntitySpan

    text = "The original author, Johannes L. Braams, wrote it on 5 August 2021 in Utrecht."
    passage = Passage("doc", text, 100)
    name = text.index("Johannes")
    cut = EntitySpan(100 + name, 100 + name + len("Johannes L."), "PERSON", "Johannes L.", "johannes l.")
    assert _whole(cut, passage).text == "Johannes L. Braams"
    month = text.index("August")
    date = EntitySpan(100 + month, 100 + month + len("August 2021"), "DATE", "August 2021", "august 2021")
    whole = _whole(date, passage)
    assert (whole.text, text[whole.start - 100 : whole.end - 100]) == ("5 August 2021", "5 August 2021")
    spi = "Debian's assets are managed by Software in the Public Interest, a non-profit."
    at = spi.index("Software")
    org = EntitySpan(at, at + len("Software"), "ORG", "Software", "software")
    assert _whole(org, Passage("doc", spi, 0)).text == "Software in the Public Interest"


def test_a_heading_that_asks_the_question_leads_to_its_answer(sentence_reader) -> None:
    text = (
        "How do I copy a file?\n\n"
        "The shutil module contains a copyfile() function.\n\n"
        "How do I read a file?\n\n"
        "Files are copied and read with functions that copy and read file objects, and copying a file is common."
    )
    found = sentence_reader.locate("How do I copy a file?", text)
    assert found is not None
    assert text[found.start : found.end] == "The shutil module contains a copyfile() function."


def test_a_date_further_from_the_best_sentence_still_answers_when(sentence_reader, monkeypatch) -> None:
    import engine.reader.sentence as sentence

    text = (
        "What Is Debian?\n\nDebian is a free operating system, and the Debian project creates it. "
        "The project was created by volunteers who share its goals and make every release together. "
        "When he created Debian, in 1993, Ian Murdock had clear objectives, which he expressed in the manifesto."
    )
    found = sentence_reader.locate("In what year was Debian created?", text)
    assert found is not None
    assert text[found.start : found.end] == "1993"
    monkeypatch.setattr(sentence, "ENTITY_FAR", 0.0)  # only the sentences close to the best: the heading wins
    found = sentence_reader.locate("In what year was Debian created?", text)
    assert found is not None
    assert text[found.start : found.end] == "What Is Debian?"
