"""HTML: visible text with block structure kept as line breaks, and the heading path (h1-h6) of every section."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from indexer.extract.base import Extracted, ExtractionError, join_heading_path, push_heading
from indexer.extract.text import bom_encoding, decode_text

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav"}
# Page chrome marked by its ARIA role: menus, breadcrumbs, search boxes, site banners and footers. Sphinx, MkDocs,
# Docusaurus and most CMS themes mark them so; their words would otherwise open every chunk of every page.
_SKIP_ROLES = {"navigation", "search", "banner", "contentinfo"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section", "table",
    "tr", "td", "th", "ul", "caption",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SPACES = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        # The element being skipped, and how deep inside nested elements of the same name the parser is.
        # Only that name is counted: unclosed <p> or <li> inside a skipped block cannot swallow the rest of the page.
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.pre_depth = 0
        self.title: str | None = None
        self.in_title = False
        self.heading_level = 0
        self.heading_text: list[str] = []
        self.heading_start = 0
        self.stack: list[tuple[int, str]] = []
        self.sections: list[tuple[int, str]] = []

    def _emit(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.length += len(text)

    def _break(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self._emit("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag not in _VOID and (tag in _SKIP or dict(attrs).get("role") in _SKIP_ROLES):
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag == "pre":
            self.pre_depth += 1
        if tag in _BLOCK:
            self._break()
        if tag in _HEADINGS:
            self.heading_level = _HEADINGS[tag]
            self.heading_text = []
            self.heading_start = self.length

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _HEADINGS and self.heading_level:
            heading = _SPACES.sub(" ", "".join(self.heading_text)).strip().rstrip("¶").strip()
            if heading:
                push_heading(self.stack, self.heading_level, heading)
                self.sections.append((self.heading_start, join_heading_path(self.stack)))
            self.heading_level = 0
        if tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title = _SPACES.sub(" ", (self.title or "") + data).strip() or None
        if self.skip_tag is not None:
            return
        if not self.pre_depth:
            data = _SPACES.sub(" ", data)
            if self.parts and self.parts[-1].endswith(("\n", " ")):
                data = data.lstrip(" ")
        if self.heading_level:
            self.heading_text.append(data)
        self._emit(data)


def decode_html(data: bytes) -> str:
    """The page's text, its encoding found as browsers find it (WHATWG encoding sniffing): a byte-order mark
    first, then a ``<meta charset>`` among the first bytes, then the text heuristics. A declaration found that way
    cannot be true of UTF-16 (the bytes that spell it are ASCII), so "utf-16" there means UTF-8, as the standard
    says; an unknown name is ignored."""
    if bom_encoding(data):
        return decode_text(data)
    m = _CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii").lower()
        if name.startswith(("utf-16", "utf16", "ucs-2", "unicode")):
            name = "utf-8"
        elif name == "x-user-defined":
            name = "windows-1252"
        try:
            return data.decode(name, errors="replace")
        except LookupError:
            pass
    return decode_text(data)


def extract(data: bytes) -> Extracted:
    parser = _TextParser()
    parser.feed(decode_html(data))
    parser.close()
    text = "".join(parser.parts)
    if not text.strip():
        raise ExtractionError("no visible text in this HTML page")
    return Extracted(text=text, sections=parser.sections, title=parser.title)
