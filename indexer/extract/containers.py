"""Files that hold documents: mailboxes (mbox) and archives (zip, tar, tar.gz/bz2/xz). Each message or member is a
document of its own (``Extracted.members``), read by the extractor of its type; a member that is itself an archive
is opened too, to a depth of MAX_DEPTH.

Archives are read within limits, so that a zip bomb is refused by name instead of followed: at most MAX_MEMBERS
members, none larger than MAX_MEMBER_MB uncompressed, MAX_TOTAL_MB in all, and none that inflates more than
MAX_RATIO times past BOMB_FLOOR_MB.
"""

from __future__ import annotations

import collections
import io
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from engine.errors import escaped_bytes
from indexer.extract.base import Extracted, ExtractionError, Member, flattened

if TYPE_CHECKING:
    from indexer.extract.ocr import OcrSettings

MAX_DEPTH = 2
MAX_MEMBERS = 10_000
MAX_MEMBER_MB = 256
MAX_TOTAL_MB = 2048
MAX_RATIO = 200
BOMB_FLOOR_MB = 16
_FROM_LINE = re.compile(rb"^From \S")
_QUOTED_FROM = re.compile(rb"^>(>*From )")


def _messages(data: bytes) -> Iterator[bytes]:
    """The messages of an mbox: each begins with a "From " line at the start of the file or after a blank line;
    ">From " lines inside are unquoted (mboxrd)."""
    current: list[bytes] = []
    previous_blank = True
    for line in data.splitlines(keepends=True):
        if previous_blank and _FROM_LINE.match(line):
            if current:
                yield b"".join(current)
            current = []
        else:
            current.append(_QUOTED_FROM.sub(rb"\1", line))
        previous_blank = not line.strip()
    if current:
        yield b"".join(current)


def in_part(name: str, part: tuple[int, int]) -> bool:
    """Whether the member ``name`` is read by ``part`` (i, n): a big mailbox or archive is read by n workers at
    once, each taking the members whose name hashes to its i (the same rule tells which stored ones it replaces).
    The name's first part is hashed: a message's attachments ("3/report.pdf") go with it ("3")."""
    index, parts = part
    first = name.split("/", 1)[0]
    return parts <= 1 or zlib.crc32(first.encode("utf-8", "surrogateescape")) % parts == index


def extract_mbox(data: bytes, ocr: OcrSettings | None = None, part: tuple[int, int] = (0, 1)) -> Extracted:
    """The messages of an mbox, and their attachments below them ("3", "3/report.pdf"); those of ``part``, when
    several workers share it (a message's attachments go with it)."""
    from indexer.extract import mail

    if not _FROM_LINE.match(data.lstrip(b"\r\n")[:64]):
        raise ExtractionError('not an mbox mailbox: it does not start with a "From " line')
    members: list[Member] = []
    warnings: list[str] = []
    for number, message in enumerate(_messages(data.lstrip(b"\r\n")), start=1):
        if not in_part(str(number), part):
            continue
        try:
            members += flattened(str(number), "eml", mail.extract(message, ocr=ocr))
        except ExtractionError as exc:
            warnings.append(f"message {number}: {exc}")
        except Exception as exc:  # one odd message must not cost the mailbox its others
            warnings.append(f"message {number}: unexpected error: {type(exc).__name__}: {exc}")
    if not members and part[1] <= 1:
        raise ExtractionError("no message in this mailbox could be read")
    return Extracted(text="", members=members, warnings=warnings)


class _Limits:
    """What an archive (and the archives in it) may still unpack."""

    def __init__(self) -> None:
        self.members = 0
        self.bytes = 0


def _check(name: str, size: int, packed: int | None, limits: _Limits) -> str | None:
    """Why a member is not read, or None."""
    if size > MAX_MEMBER_MB * 2**20:
        return f"{name}: {size / 2**20:,.0f} MB unpacked, more than {MAX_MEMBER_MB} MB: not read"
    if packed is not None and size > BOMB_FLOOR_MB * 2**20 and size > MAX_RATIO * max(packed, 1):
        return f"{name}: a zip bomb ({size / 2**20:,.0f} MB from {packed / 2**10:,.0f} KB): not read"
    if limits.bytes + size > MAX_TOTAL_MB * 2**20:
        return f"{name}: the archive unpacks to more than {MAX_TOTAL_MB} MB: the rest is not read"
    return None


def _read_capped(stream: IO[bytes], size: int) -> bytes:
    """A member's bytes, never more than it declared (a member that lies about its size is cut there)."""
    return stream.read(size)


def _entries(data: bytes) -> Iterator[tuple[str, int, int | None, object]]:
    """(name, size, packed size, opener) for each regular member of a zip or tar archive."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        archive = zipfile.ZipFile(io.BytesIO(data))
        for info in archive.infolist():
            if not info.is_dir():
                yield info.filename, info.file_size, info.compress_size, lambda info=info: archive.open(info)
        return
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 (closed below, after the walk)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ExtractionError(f"damaged archive: {exc}") from exc
    with tar:
        for member in tar:
            if member.isfile():  # links, devices and folders are not documents (and a link is never followed)
                yield member.name, member.size, None, lambda member=member: tar.extractfile(member)


def extract_archive(
    data: bytes,
    ocr: OcrSettings | None = None,
    depth: int = 0,
    limits: _Limits | None = None,
    part: tuple[int, int] = (0, 1),
) -> Extracted:
    """The documents of a zip or tar archive (tar.gz, tar.bz2, tar.xz too); those of ``part``, when several workers
    share it."""
    from indexer.extract import CONTAINERS, extract, kind_of

    limits = limits or _Limits()
    members: list[Member] = []
    warnings: list[str] = []
    unsupported: collections.Counter[str] = collections.Counter()
    try:
        for raw_name, size, packed, opener in _entries(data):
            # "./a.txt" (tar -C dir .) is "a.txt"; a name that is not UTF-8 is shown with its bytes escaped
            name = raw_name.removeprefix("./")
            name = escaped_bytes(name) or name
            if any(piece.startswith(".") or piece == "__MACOSX" for piece in name.split("/") if piece):
                continue
            if not in_part(name, part):
                continue
            kind = kind_of(name)
            if kind is None:
                unsupported[os.path.splitext(name)[1].lower()] += 1
                continue
            limits.members += 1
            if limits.members > MAX_MEMBERS:
                warnings.append(f"more than {MAX_MEMBERS:,} members: the rest is not read")
                break
            if reason := _check(name, size, packed, limits):
                warnings.append(reason)
                if "the rest is not read" in reason:
                    break
                continue
            try:
                with opener() as stream:  # type: ignore[operator]
                    content = _read_capped(stream, size)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
                # an encrypted member, a damaged one, or one packed a way zipfile cannot unpack (Deflate64)
                warnings.append(f"{name}: cannot be unpacked ({exc or type(exc).__name__})")
                continue
            limits.bytes += len(content)
            try:
                if kind in CONTAINERS:
                    if depth + 1 >= MAX_DEPTH:
                        warnings.append(f"{name}: an archive inside an archive inside an archive: not opened")
                        continue
                    inner = (
                        extract_archive(content, ocr, depth + 1, limits)
                        if kind != "mbox"
                        else extract_mbox(content, ocr)
                    )
                    members += [Member(f"{name}/{m.name}", m.kind, m.extracted) for m in inner.members]
                    warnings += [f"{name}: {w}" for w in inner.warnings]
                else:
                    members += flattened(name, kind, extract(kind, content, ocr=ocr))  # a mail's attachments too
            except ExtractionError as exc:
                warnings.append(f"{name}: {exc}")
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"damaged zip archive: {exc}") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise ExtractionError(f"damaged archive: {exc}") from exc
    if unsupported:
        kinds = ", ".join(f"{suffix or '(no suffix)'} {n}" for suffix, n in unsupported.most_common(8))
        count = sum(unsupported.values())
        warnings.append(f"{count} member{'s' if count != 1 else ''} of types DocSense does not read: {kinds}")
    if not members and part[1] <= 1:
        reason = warnings[0] if warnings else "no member of a type DocSense reads"
        raise ExtractionError(f"nothing indexed in this archive: {reason}")
    return Extracted(text="", members=members, warnings=warnings)
