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
    """

    text: str
    page_starts: list[int] | None = None
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str | None = None
    warnings: list[str] = field(default_factory=list)


def join_heading_path(stack: list[tuple[int, str]]) -> str:
    """'Chapter > Section > Subsection' from a stack of (level, title)."""
    return " > ".join(title for _level, title in stack if title)


def push_heading(stack: list[tuple[int, str]], level: int, title: str) -> None:
    """Put a heading of ``level`` on the stack, dropping those at the same or a deeper level."""
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, title))
