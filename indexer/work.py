"""The work done in the pools: per file, read, hash, extract, tokenize and cut into windows (the first phase); per
stored document, look for its entities (the second).

Everything here is CPU-bound and independent per file or document, so it runs in worker processes; the main process
stores, and in the second phase embeds. Functions are top-level so that ``spawn`` workers can pickle them.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.context
import os
import signal
import stat
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from engine.errors import ModelError
from engine.faults import crash_point
from engine.language import document_language
from engine.settings import EXTRACT_TIMEOUT_S, MAX_FILE_MB, MAX_TAG_CHARS, MAX_TEXT_MB
from engine.tagger import EntitySpan, Tagger, kept, load_tagger, pieces
from engine.tokenizer import Tokenizer
from engine.views import view_title
from indexer.chunk import Chunk, chunk_text
from indexer.extract import CONTAINERS, Extracted, ExtractionError, extract, ocr


@dataclass(frozen=True)
class FileTask:
    path: str
    root: str
    type: str
    size: int
    mtime_ns: int
    known_sha256: str | None
    tokenizer_json: str
    max_tokens: int
    overlap: int
    pdf_reader: str = "pdfium"
    max_file_mb: int = MAX_FILE_MB
    max_text_mb: int = MAX_TEXT_MB
    allow_downloads: bool = False
    timeout_s: int = EXTRACT_TIMEOUT_S  # in a worker process: the most one file may take (0: no limit)
    ocr: str = "eng"  # the languages scanned pages are read in ("none": not read)
    ocr_cache: str | None = None  # where what OCR read is kept, by page image
    part: tuple[int, int] = (0, 1)  # of a big mailbox or archive: the i-th of n workers' share of its members


@dataclass(kw_only=True)
class DocumentParts:
    """What extraction and cutting make of one document: a file's own (FileResult), or one of the
    documents a mailbox or an archive holds (Part)."""

    text: str = ""
    page_starts: list[int] | None = None
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    author: str | None = None
    date: float | None = None
    ocr_pages: int = 0
    recipients: str | None = None
    language: str = ""  # engine.language's code, '' when it could not be told


@dataclass
class FileResult(DocumentParts):
    task: FileTask
    sha256: str = ""
    unchanged: bool = False
    error: str | None = None
    error_kind: str = "file"  # "bug" when the error is DocSense's, not the file's
    # the documents a mailbox or an archive holds (then no text here), or a mail's attachments (beside its text)
    members: list[Part] = field(default_factory=list)
    shared: bool = False  # the file is read by several workers, this result holds one's share of its members

    @property
    def holds_only(self) -> bool:
        """Whether the file is no document itself, only holds them: a mailbox or an archive (or a worker's share)."""
        return self.task.type in CONTAINERS or self.shared


@dataclass
class Part(DocumentParts):
    """One document of a file that holds several (a message of an mbox, a member of a zip): ``name`` is its place
    there, ``type`` its kind."""

    name: str
    type: str


def _cut(extracted: Extracted, task: FileTask, into: DocumentParts, path: str | None = None) -> None:
    """Check the text's size and cut it into windows, into ``into``."""
    text_limit = task.max_text_mb
    if len(extracted.text) > text_limit * 1024 * 1024:
        raise ExtractionError(
            f"too much text: {len(extracted.text) / 2**20:.0f} M characters, the limit is {text_limit} M "
            "(setting max_text_mb, DOCSENSE_MAX_TEXT_MB)"
        )
    into.text = extracted.text
    into.page_starts = extracted.page_starts
    into.sections = extracted.sections
    into.title = extracted.title
    into.warnings = extracted.warnings
    into.author, into.date, into.ocr_pages = extracted.author, extracted.date, extracted.ocr_pages
    into.recipients = extracted.recipients
    into.language = document_language(extracted.text) or ""
    into.chunks = chunk_text(
        extracted.text,
        _tokenizer(task.tokenizer_json),
        extracted.page_starts,
        extracted.sections,
        max_tokens=task.max_tokens,
        overlap=task.overlap,
        title=view_title(extracted.title, path or task.path),
    )


@dataclass(frozen=True)
class TagJob:
    """One stored document whose entities the second phase looks for."""

    doc_id: int
    path: str
    text: str
    tagger: str
    max_tag_chars: int = MAX_TAG_CHARS  # entities are looked for in this many characters at most (0: all)
    allow_downloads: bool = False
    timeout_s: int = EXTRACT_TIMEOUT_S  # in a worker process: the most one document may take (0: no limit)


@dataclass
class TagResult:
    doc_id: int
    path: str
    entities: list[EntitySpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def tag_document(job: TagJob) -> TagResult:
    """The entities of one document (judged in context: engine.tagger.kept), in its first ``max_tag_chars``
    characters; never raises but for a missing model: a failure is a warning on the document."""
    result = TagResult(job.doc_id, job.path)
    crash_point("tagger", os.path.basename(job.path))
    limited = _IN_WORKER and job.timeout_s > 0
    if limited:
        signal.alarm(job.timeout_s)
    try:
        tagger = _tagger(job.tagger, job.allow_downloads)
        if tagger is None:
            return result
        text = job.text
        if 0 < job.max_tag_chars < len(text):
            text = text[: pieces(text, job.max_tag_chars)[0][1]]  # cut at a paragraph, line or word break
            result.warnings.append(
                f"entities were looked for in its first {len(text):,} characters only, of "
                f"{len(job.text):,} (setting max_tag_chars)"
            )
        result.entities = kept(tagger.tag([text])[0], text)
    except ModelError:
        raise  # a missing or broken model is not this document's fault: stop the run and say so
    except _TooSlow:
        result.entities = []
        result.warnings.append(f"entities were not looked for: it took longer than {job.timeout_s} s")
    except MemoryError:
        result.entities = []
        result.warnings.append("entities were not looked for: it needs more memory than a worker may use")
    except Exception as exc:  # one document's tagging must never stop the run
        result.entities = []
        result.warnings.append(f"entities were not looked for: unexpected error: {type(exc).__name__}: {exc}")
    finally:
        if limited:
            signal.alarm(0)
    return result


@lru_cache(maxsize=4)
def _tokenizer(path: str) -> Tokenizer:
    return Tokenizer(Path(path))


def worker_context() -> multiprocessing.context.SpawnContext:
    """How extraction workers start: spawned, never forked, and blind to the working directory.

    spawn, because forking after torch (or CUDA) has started threads can deadlock the children. A spawned child
    starts as ``python -c ...``, which puts the working directory first on ``sys.path``: a ``multiprocessing.py`` or
    an ``indexer/`` folder in a folder the user indexes from inside would run in every worker and in
    multiprocessing's resource tracker. PYTHONSAFEPATH (Python 3.11's ``-P``) keeps it off the path of every child
    started from now on; this process's own path is not changed.
    """
    os.environ["PYTHONSAFEPATH"] = "1"
    return multiprocessing.get_context("spawn")


_IN_WORKER = False  # set in the pool's processes: only there may a file's time limit use SIGALRM


class _TooSlow(BaseException):
    """Raised by SIGALRM in a worker when one file takes longer than its time limit (a BaseException, so that no
    library's ``except Exception`` swallows it)."""


def _too_slow(_signum: int, _frame: object) -> None:
    raise _TooSlow


def worker_init(parent: int, memory_mb: int = 0, log: str | None = None) -> None:
    """Run in each pool process: die with the indexing process, however it dies; use at most ``memory_mb`` of
    memory; write what libraries print to ``log`` instead of the user's terminal.

    A SIGKILLed parent cannot shut its pool down; without this its workers would wait for work forever. Linux is
    told to send SIGKILL when the parent goes (prctl PR_SET_PDEATHSIG); elsewhere a thread watches the parent pid.

    The memory limit is RLIMIT_DATA (heap and private writable mappings: what a file's extraction allocates), not
    the address space, which libraries reserve far beyond what they use. A file that needs more fails alone: a
    MemoryError names it, and a library that aborts instead (pdfium, a Rust panic) kills only this worker, which
    the pool replaces. What such a library prints as it dies goes to ``log``, which the indexer reads back to say
    why, in one line.
    """
    if log is not None:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        os.dup2(fd, 2)
        os.close(fd)
    if memory_mb > 0:
        try:
            import resource

            limit = memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
        except (ImportError, ValueError, OSError):
            pass  # no such limit here (Windows), or a lower hard limit already holds
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGALRM, _too_slow)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="docsense-parent-watch", daemon=True).start()


@lru_cache(maxsize=2)
def _tagger(name: str, allow_downloads: bool = False) -> Tagger | None:
    return load_tagger(name, allow_downloads)


def _read(path: str, limit: int) -> bytes:
    """The file's bytes. It is opened without blocking and must be a regular file once open (a file swapped for a
    FIFO or a device after discovery would hang the run or read forever); at most ``limit`` MB are read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ExtractionError("not a regular file (a FIFO, a socket or a device): not read")
            too_large = f"too large: {{size}} MB, the limit is {limit} MB (setting max_file_mb, DOCSENSE_MAX_FILE_MB)"
            if st.st_size > limit * 1024 * 1024:
                raise ExtractionError(too_large.format(size=f"{st.st_size / 2**20:.0f}"))
            cap = limit * 1024 * 1024
            # As much as it holds (read() would allocate all it is asked for at once), and a byte more to see
            # whether it grew since it was measured: then the rest, up to the limit.
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:
                parts = [data]
                while (have := sum(map(len, parts))) <= cap and (part := fh.read(min(1 << 24, cap + 1 - have))):
                    parts.append(part)
                data = b"".join(parts)
            if len(data) > cap:
                raise ExtractionError(too_large.format(size=f"more than {limit}"))
            return data
    except FileNotFoundError as exc:
        raise ExtractionError("the file disappeared before it could be read") from exc
    except PermissionError as exc:
        raise ExtractionError("permission denied") from exc
    except OSError as exc:
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from exc


def process_file(task: FileTask) -> FileResult:
    """Do all the per-file work for ``task``; never raises, failures come back as ``error``."""
    result = FileResult(task)
    crash_point("worker", os.path.basename(task.path))
    limited = _IN_WORKER and task.timeout_s > 0
    if limited:
        signal.alarm(task.timeout_s)
        ocr.on_page = lambda: signal.alarm(task.timeout_s)  # each scanned page read is progress, not a hang
    try:
        _process(task, result)
    except _TooSlow:
        result.chunks, result.text = [], ""
        result.error = f"took longer than {task.timeout_s} s to read (setting extract_timeout_s): skipped"
    finally:
        if limited:
            signal.alarm(0)
            ocr.on_page = None
    return result


def _cut_members(extracted: Extracted, task: FileTask, result: FileResult) -> None:
    """The documents a file holds, each cut and tagged, into ``result.members``; one too big to index is a warning."""
    for member in extracted.members:
        part = Part(member.name, member.kind)
        try:
            _cut(member.extracted, task, part, f"{task.path}/{member.name}")
        except ExtractionError as exc:  # one member too big to index: the others still are
            result.warnings.append(f"{member.name}: {exc}")
            continue
        if part.chunks:
            result.members.append(part)


def _process(task: FileTask, result: FileResult) -> None:
    try:
        data = _read(task.path, task.max_file_mb)
        result.sha256 = hashlib.sha256(data).hexdigest()
        if task.known_sha256 == result.sha256:
            result.unchanged = True
            return
        extracted = extract(task.type, data, task.pdf_reader, ocr.OcrSettings(task.ocr, task.ocr_cache), task.part)
        del data
        if task.part[1] > 1:
            result.shared = True  # one of several workers' share: its members, maybe none
        if result.holds_only:  # a mailbox or an archive: its messages or members are all
            result.warnings = extracted.warnings
            _cut_members(extracted, task, result)
            if not result.members and not result.shared:
                result.error = "no text to index in any of its documents"
            return
        _cut(extracted, task, result)
        if not result.chunks:
            result.error = "no text to index"
            return
        _cut_members(extracted, task, result)  # a mail's attachments
    except ModelError:
        raise  # a missing or broken model is not this file's fault: stop the run and say so
    except ExtractionError as exc:
        result.error = str(exc)
    except MemoryError:
        result.chunks, result.text = [], ""
        result.error = "needs more memory than a worker may use (setting worker_memory_mb, DOCSENSE_WORKER_MEMORY_MB)"
    except Exception as exc:  # one bad file must never stop the run
        result.error = f"unexpected error: {type(exc).__name__}: {exc}"
        result.error_kind = "bug"
