"""What every extractor returns, and the error it raises for a file it cannot read."""

from __future__ import annotations

from dataclasses import dataclass, field


class ExtractionError(Exception):
    """A file that cannot be indexed; ``str(error)`` is the reason shown to the user."""


@dataclass
class Extracted:
    """A document's text and where its pages and sections start in it.

    Attributes:
        text: the whole extracted text.
        page_starts: for paged formats, the offset in ``text`` where each page starts (index 0 is page 1).
        sections: (offset, heading path) pairs in text order, for formats with headings.
        title: the document's own title, if it has one.
        warnings: things that went wrong without stopping extraction (e.g. pages that could not be read).
        members: the documents a file holds: each message or member of a mailbox or an archive (whose own text is
            then empty), or a message's attachments (beside its own text).
    """

    text: str
    page_starts: list[int] | None = None
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str | None = None
    warnings: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)  # the documents an mbox, a zip or a mail holds
    author: str | None = None  # who wrote it, where the format says (a mail's From, a PDF's Author)
    date: float | None = None  # when, in seconds since 1970 (UTC), where the format says
    ocr_pages: int = 0  # how many of its pages were read by OCR
    recipients: str | None = None  # whom it was sent to (a mail's To and Cc)


@dataclass
class Member:
    """One document of a file that holds several: ``name`` is its place there ("12", the 12th message of an mbox;
    "docs/report.pdf" in a zip), ``kind`` its type."""

    name: str
    kind: str
    extracted: Extracted


def flattened(name: str, kind: str, extracted: Extracted) -> list[Member]:
    """A document named ``name`` in a file that holds it, and the documents it holds in turn (a message's
    attachments) below it ("3", "3/report.pdf"), as one flat list of members."""
    inner = [Member(f"{name}/{m.name}", m.kind, m.extracted) for m in extracted.members]
    extracted.members = []
    return [Member(name, kind, extracted), *inner]


def join_heading_path(stack: list[tuple[int, str]]) -> str:
    """'Chapter > Section > Subsection' from a stack of (level, title)."""
    return " > ".join(title for _level, title in stack if title)


def push_heading(stack: list[tuple[int, str]], level: int, title: str) -> None:
    """Put a heading of ``level`` on the stack, dropping those at the same or a deeper level."""
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, title))


class TextBuilder:
    """Builds an Extracted record piece by piece: paragraphs, headings (which give the sections), page breaks.

    Paragraphs are separated by a blank line; a heading is a paragraph of its own and opens a section whose path is
    the headings above it ("Chapter > Section"); ``page()`` starts a new page (a slide, a sheet, a chapter).
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._stack: list[tuple[int, str]] = []
        self.sections: list[tuple[int, str]] = []
        self.page_starts: list[int] = []
        self._pending_pages = 0
        self.warnings: list[str] = []

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _block(self) -> None:
        """Start a block: a blank line after the one before; pages opened since begin here."""
        if self._length:
            self._append("\n\n")
        self.page_starts += [self._length] * self._pending_pages
        self._pending_pages = 0

    def paragraph(self, text: str) -> None:
        text = text.strip()
        if text:
            self._block()
            self._append(text)

    def heading(self, level: int, title: str) -> None:
        title = " ".join(title.split())
        if title:
            self._block()
            push_heading(self._stack, level, title)
            self.sections.append((self._length, join_heading_path(self._stack)))
            self._append(title)

    def lines(self, lines: list[tuple[str, str]]) -> None:
        """A block of lines, each its own section named by its label (a spreadsheet row's cell reference, so that a
        hit says "Sheet1!B12")."""
        lines = [(label, text) for label, text in lines if text.strip()]
        if not lines:
            return
        self._block()
        for number, (label, text) in enumerate(lines):
            if number:
                self._append("\n")
            self.sections.append((self._length, label))
            self._append(text)

    def page(self, heading: str | None = None) -> None:
        """Start a new page (a slide, a sheet, a chapter), headed by ``heading`` at level 1 if given."""
        self._pending_pages += 1
        self._stack.clear()
        if heading:
            self.heading(1, heading)

    def build(
        self,
        title: str | None = None,
        paged: bool = False,
        author: str | None = None,
        date: float | None = None,
        recipients: str | None = None,
    ) -> Extracted:
        self.page_starts += [self._length] * self._pending_pages  # pages left empty at the end
        self._pending_pages = 0
        text = "".join(self._parts)
        if not text.strip():
            raise ExtractionError("no text in this document")
        return Extracted(
            text=text,
            page_starts=(self.page_starts or [0]) if paged else None,
            sections=self.sections,
            title=title,
            warnings=self.warnings,
            author=author,
            date=date,
            recipients=recipients,
        )
