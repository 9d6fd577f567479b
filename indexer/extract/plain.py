"""Source code and other plain-text formats, told by their suffix: read as text, with headings where the format
has them (reStructuredText's underlined titles, Org mode's stars)."""

from __future__ import annotations

import re

from indexer.extract.base import Extracted
from indexer.extract.text import decode_text

# An underline (or over- and underline) of one repeated punctuation character at least as long as the title.
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")
_ORG_HEADING = re.compile(r"^(\*+)\s+(.*\S)\s*$")


def _rst_sections(text: str) -> list[tuple[int, str]]:
    """Titles are ranked by the order their adornment style first appears (rst has no fixed levels)."""
    styles: list[str] = []
    stack: list[tuple[int, str]] = []
    sections: list[tuple[int, str]] = []
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for i in range(1, len(lines)):
        under = _RST_ADORNMENT.match(lines[i])
        title = lines[i - 1].strip()
        if not under or not title or _RST_ADORNMENT.match(lines[i - 1]) or len(lines[i].rstrip()) < len(title):
            continue
        over = i >= 2 and lines[i - 2].strip() == lines[i].strip()
        style = ("over" if over else "") + under.group(1)
        if style not in styles:
            styles.append(style)
        level = styles.index(style) + 1
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append((offsets[i - 1], " > ".join(t for _l, t in stack)))
    return sections


def _org_sections(text: str) -> list[tuple[int, str]]:
    stack: list[tuple[int, str]] = []
    sections: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        if match := _ORG_HEADING.match(line):
            level = len(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, match.group(2)))
            sections.append((offset, " > ".join(t for _l, t in stack)))
        offset += len(line) + 1
    return sections


def extract(data: bytes, kind: str) -> Extracted:
    text = decode_text(data).replace("\r\n", "\n")
    if kind == "rst":
        return Extracted(text=text, sections=_rst_sections(text))
    if kind == "org":
        return Extracted(text=text, sections=_org_sections(text))
    return Extracted(text=text)
