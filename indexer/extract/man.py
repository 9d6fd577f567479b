"""Manual pages: roff source with the man macros (``ls.1``, or gzipped as Debian installs them, ``ls.1.gz``). The
text a reader sees, requests and font escapes dropped; .SH and .SS give the sections (NAME, SYNOPSIS, DESCRIPTION
...), .TH the title ("TEE(1)"). A file named like a man page that is not one (a rotated log, ``syslog.1``) is read
as plain text."""

from __future__ import annotations

import gzip
import io
import re
import shlex
import zlib

from indexer.extract.base import Extracted, ExtractionError, TextBuilder
from indexer.extract.text import decode_text

MAX_UNPACKED = 64 * 2**20  # a gzipped man page is a few KB; a bomb named .1.gz is not read past this
_NAMED = {
    "em": "\u2014", "en": "\u2013", "bu": "\u2022", "lq": "\u201c", "rq": "\u201d", "oq": "\u2018", "cq": "\u2019",
    "aq": "'", "dq": '"', "co": "\u00a9", "rg": "\u00ae", "tm": "\u2122", "hy": "-", "mi": "-", "pl": "+",
    "mu": "\u00d7",
    "<=": "\u2264", ">=": "\u2265", "->": "\u2192", "<-": "\u2190", "de": "\u00b0", "ba": "|", "ti": "~", "ha": "^",
}  # fmt: skip
_ESCAPE = re.compile(
    r"\\(?:f(?:\[[^\]]*\]|\(..|.)"  # font changes: \fB \fI \fR \fP \f(CW \f[CR]
    r"|s[+-]?\d+|s\(\d\d"  # size changes
    r"|\((?P<two>..)|\[(?P<long>[^\]]*)\]"  # named glyphs: \(em \[em]
    r"|\*(?:\((?P<str2>..)|\[(?P<strl>[^\]]*)\]|(?P<str1>.))"  # strings: \*(lq \*R
    r"|(?P<one>.))"  # one character: \- \e \& \| \^ \% \c \,  \/
)
_ONE = {"-": "-", "e": "\\", " ": " ", "~": " ", "0": " ", "t": "\t"}
_STRINGS = {"lq": "\u201c", "rq": "\u201d", "R": "\u00ae", "Tm": "\u2122"}
_ALTERNATING = {"BR", "RB", "BI", "IB", "IR", "RI"}
_FONT = {"B", "I", "SM", "SB"}
_BREAKS = {"PP", "P", "LP", "TP", "TQ", "IP", "HP", "br", "sp", "RS", "RE", "nf", "fi", "EX", "EE", "SY", "YS"}


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if name := m.group("two") or m.group("long"):
            return _NAMED.get(name, "")
        if string := m.group("str2") or m.group("strl") or m.group("str1"):
            return _STRINGS.get(string, "")
        if (char := m.group("one")) is not None:
            return _ONE.get(char, "")
        return ""  # a font or size change

    return _ESCAPE.sub(one, text)


def _arguments(rest: str) -> list[str]:
    try:
        return shlex.split(rest, posix=True)
    except ValueError:  # an unbalanced quote
        return rest.split()


def _unpacked(data: bytes) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
            unpacked = packed.read(MAX_UNPACKED + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExtractionError(f"damaged gzip file: {exc}") from exc
    if len(unpacked) > MAX_UNPACKED:
        raise ExtractionError(f"unpacks to more than {MAX_UNPACKED // 2**20} MB: not a man page, not read")
    return unpacked


def extract(data: bytes) -> Extracted:
    source = decode_text(_unpacked(data)).replace("\r\n", "\n")
    if not re.search(r"^\.(TH|Dd|SH)\b", source[:4096], re.MULTILINE):
        return Extracted(text=source)  # named like a man page, but plain text
    out = TextBuilder()
    title = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.paragraph(" ".join(" ".join(paragraph).split()))
            paragraph.clear()

    for line in source.split("\n"):
        if line.startswith((".", "'")):
            macro, _, rest = line[1:].strip().partition(" ")
            if macro.startswith('\\"') or not macro:
                continue  # a comment, or an empty request
            args = [_unescape(a) for a in _arguments(rest)]
            if macro == "TH" and args:
                title = f"{args[0]}({args[1]})" if len(args) > 1 else args[0]
            elif macro in ("SH", "SS"):
                flush()
                out.heading(1 if macro == "SH" else 2, " ".join(args).title() if macro == "SH" else " ".join(args))
            elif macro in _ALTERNATING:
                paragraph.append("".join(args))
            elif macro in _FONT:
                paragraph.append(" ".join(args))
            elif macro in _BREAKS:
                flush()
                if macro == "IP" and args and args[0] not in ("\u2022", "*", "-"):
                    paragraph.append(args[0])
            elif macro in ("UR", "MT", "UE", "ME", "OP"):
                paragraph.append(" ".join(args))
            continue  # other requests (.so, .de, .ad, .nh, .in ...) carry no text a reader sees
        paragraph.append(_unescape(line))
    flush()
    return out.build(title)
