"""RTF with striprtf: the text without control words, groups such as fonts and pictures dropped."""

from __future__ import annotations

from indexer.extract.base import Extracted, ExtractionError


def extract(data: bytes) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractionError("not an RTF file: it does not start with {\\rtf")
    try:
        # RTF is 7-bit; \'xx escapes and \uN carry the rest, in the code page the file declares (\ansicpg).
        text = rtf_to_text(data.decode("latin-1"), errors="replace")
    except (ValueError, IndexError, RecursionError) as exc:
        raise ExtractionError(f"damaged RTF: {exc}") from exc
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise ExtractionError("no text in this RTF file")
    return Extracted(text=text)
