"""LaTeX source: the text a reader sees, without comments, control words or the preamble's set-up; \\part,
\\chapter, \\section ... \\paragraph give the sections, \\title the title. Arguments that are not text (labels,
references, file names, lengths) go with their command; other commands keep their text (\\emph{word} -> word)."""

from __future__ import annotations

import re

from indexer.extract.base import Extracted, ExtractionError, TextBuilder
from indexer.extract.text import decode_text

_LEVELS = {"part": 0, "chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4, "paragraph": 5}
# Commands whose arguments are not text a reader sees.
_DROP_ARGS = {
    "label", "ref", "eqref", "pageref", "cite", "citep", "citet", "nocite", "usepackage", "documentclass",
    "RequirePackage", "includegraphics", "input", "include", "bibliography", "bibliographystyle", "newcommand",
    "renewcommand", "providecommand", "DeclareMathOperator", "setlength", "addtolength", "setcounter",
    "addtocounter", "vspace", "hspace", "pagestyle", "thispagestyle", "newenvironment", "renewenvironment", "url",
    "hypersetup", "color", "definecolor", "begin", "end", "newtheorem", "graphicspath", "def", "let",
}  # fmt: skip
# Commands some of whose arguments are text: which of their braced arguments to keep (\href{url}{text}).
# Escaped \$, \{ and \} stand in these private-use characters until the unescaped ones are removed.
_DOLLAR, _OPEN, _CLOSE = "\ue000", "\ue001", "\ue002"
_KEEP_ARGS = {"href": (False, True), "hypertarget": (False, True), "hyperlink": (False, True),
              "texorpdfstring": (True, False)}  # fmt: skip
_COMMENT = re.compile(r"(?<!\\)%.*")
_HEADING = re.compile(r"\\(part|chapter|section|subsection|subsubsection|paragraph)\*?\s*(?:\[[^\]]*\])?\s*\{")
_TITLE = re.compile(r"\\title\s*(?:\[[^\]]*\])?\s*\{")
_VERBATIM = re.compile(r"\\begin\{(verbatim|lstlisting|minted|comment)\}.*?\\end\{\1\}", re.DOTALL)
_COMMAND = re.compile(r"\\([A-Za-z@]+)\*?")
_ESCAPES = {"\\&": "&", "\\%": "%", "\\$": _DOLLAR, "\\#": "#", "\\_": "_", "\\{": _OPEN, "\\}": _CLOSE, "~": " ",
            "``": "\u201c", "''": "\u201d", "---": "\u2014", "--": "\u2013", "\\\\": "\n"}  # fmt: skip
_ESCAPE = re.compile("|".join(re.escape(k) for k in sorted(_ESCAPES, key=len, reverse=True)))


def _group(source: str, start: int) -> tuple[str, int]:
    """The text of the brace group that opens just before ``start``, and where it ends (after its '}')."""
    depth, i = 1, start
    while i < len(source) and depth:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        i += 1
    return source[start : i - 1], i


def _plain(source: str) -> str:
    """LaTeX to the words it prints: commands dropped (with their arguments if those are not text), braces and
    math delimiters removed, escapes and ligatures turned into their characters."""
    out: list[str] = []
    i = 0
    while i < len(source):
        match = _COMMAND.match(source, i) if source[i] == "\\" else None
        if match:
            name = match.group(1)
            i = match.end()
            if name in _KEEP_ARGS:
                for keep in _KEEP_ARGS[name]:
                    rest = source[i:].lstrip()
                    if not rest.startswith("{"):
                        break
                    text, i = _group(source, len(source) - len(rest) + 1)
                    if keep:
                        out.append(_plain(text))
                continue
            if name in _DROP_ARGS:
                while True:  # its optional and braced arguments go with it
                    rest = source[i:].lstrip(" ")
                    skip = len(source) - i - len(rest)
                    if rest.startswith("["):
                        close = rest.find("]")
                        i += skip + (close + 1 if close >= 0 else len(rest))
                    elif rest.startswith("{"):
                        _text, i = _group(source, i + skip + 1)
                    else:
                        break
            continue
        if source[i] == "\\":  # an escaped character (\&), a line break (\\) or a spacing command (\,)
            pair = source[i : i + 2]
            out.append(_ESCAPES.get(pair, " " if pair in ("\\,", "\\ ", "\\;", "\\:") else ""))
            i += 2
            continue
        out.append(source[i])
        i += 1
    text = "".join(out)
    text = _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)
    text = re.sub(r"[{}$]", "", text)  # groups and math delimiters; escaped ones come back below
    text = text.replace(_DOLLAR, "$").replace(_OPEN, "{").replace(_CLOSE, "}")
    return re.sub(r"[ \t]+", " ", text)


def extract(data: bytes) -> Extracted:
    source = decode_text(data).replace("\r\n", "\n")
    source = "\n".join(_COMMENT.sub("", line) for line in source.split("\n"))
    source = _VERBATIM.sub("", source)
    title = None
    if found := _TITLE.search(source):
        title = " ".join(_plain(_group(source, found.end())[0]).split()) or None
    begin = source.find("\\begin{document}")
    body = source[begin + len("\\begin{document}") :] if begin >= 0 else source
    end = body.find("\\end{document}")
    body = body[:end] if end >= 0 else body
    out = TextBuilder()
    at = 0
    for heading in _HEADING.finditer(body):
        if heading.start() < at:
            continue
        _paragraphs(body[at : heading.start()], out)
        text, at = _group(body, heading.end())
        out.heading(_LEVELS[heading.group(1)] + 1, _plain(text))
    _paragraphs(body[at:], out)
    try:
        return out.build(title)
    except ExtractionError:
        raise ExtractionError("no text in this LaTeX file (only commands and set-up)") from None


def _paragraphs(source: str, out: TextBuilder) -> None:
    for paragraph in re.split(r"\n\s*\n", source):
        text = " ".join(line.strip() for line in _plain(paragraph).split("\n") if line.strip())
        if text:
            out.paragraph(text)
