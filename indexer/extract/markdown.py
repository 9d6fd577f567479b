"""Markdown: the source text as it is, with the heading path of every ATX (#) and setext heading."""

from __future__ import annotations

import re

from indexer.extract.base import Extracted, ExtractionError, join_heading_path, push_heading
from indexer.extract.text import decode_text

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def extract(data: bytes) -> Extracted:
    text = decode_text(data).replace("\r\n", "\n")
    if not text.strip():
        raise ExtractionError("empty file")
    sections: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []
    title = None
    offset = 0
    in_fence = False
    # YAML front matter (--- ... ---) is metadata: its closing --- must not make a setext heading.
    in_front_matter = text.startswith("---\n")
    prev_line, prev_offset = "", 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        stripped = line.rstrip("\n")
        if in_front_matter:
            if number > 0 and stripped.strip() in ("---", "..."):
                in_front_matter = False
                stripped = ""
        elif _FENCE.match(stripped):
            in_fence = not in_fence
        elif not in_fence:
            level, heading, at = 0, "", offset
            if m := _ATX.match(stripped):
                level, heading = len(m.group(1)), m.group(2).strip()
            elif (m := _SETEXT.match(stripped)) and prev_line.strip() and not _ATX.match(prev_line):
                level, heading, at = (1 if m.group(1)[0] == "=" else 2), prev_line.strip(), prev_offset
            if level and heading:
                push_heading(stack, level, heading)
                sections.append((at, join_heading_path(stack)))
                if title is None and level == 1:
                    title = heading
        prev_line, prev_offset = stripped, offset
        offset += len(line)
    return Extracted(text=text, sections=sections, title=title)
