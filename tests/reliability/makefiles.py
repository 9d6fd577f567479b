"""Awkward real files, made on the spot: a PDF of many pages, a huge single line, a deep tree."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, pages: int, inflates_to_mb: int = 0) -> Path:
    """A valid PDF with ``pages`` pages, each with one line of text (Helvetica), written without a library.

    With ``inflates_to_mb``, each page's content stream is compressed (FlateDecode) and followed by that many MB
    of spaces, which compress about 1000 to 1: a memory bomb (1 GB of content in a 1 MB file)."""
    import zlib

    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for i in range(pages):
        content = f"BT /F1 12 Tf 72 720 Td (Page {i + 1} of the long report about topic {i % 97}.) Tj ET".encode()
        if inflates_to_mb:
            deflate = zlib.compressobj(9)
            spaces = b" " * 2**20
            packed = [deflate.compress(content)] + [deflate.compress(spaces) for _ in range(inflates_to_mb)]
            content = b"".join([*packed, deflate.flush()])
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream")
        else:
            objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % content_id
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def write_long_line(path: Path, megabytes: int) -> Path:
    word = b"lorem "
    with open(path, "wb") as fh:
        chunk = word * (1024 * 1024 // len(word))
        for _ in range(megabytes):
            fh.write(chunk)
    return path


def write_deep_tree(root: Path, depth: int) -> Path:
    folder = root
    for i in range(depth):
        folder = folder / f"d{i}"
    folder.mkdir(parents=True)
    (folder / "deep.txt").write_text(f"a note kept {depth} folders deep")
    return folder / "deep.txt"
