"""The per-file work done in the extraction pool: read, hash, extract, tokenize and cut into windows.

Everything here is CPU-bound and independent per file, so it runs in worker processes; the main process only
embeds and stores. Functions are top-level so that ``spawn`` workers can pickle them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from engine.errors import ModelError
from engine.tagger import NO_TAGGER, EntitySpan, Tagger, load_tagger
from engine.tokenizer import Tokenizer
from indexer.chunk import Chunk, chunk_text
from indexer.extract import ExtractionError, extract


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
    tagger: str = NO_TAGGER


@dataclass
class FileResult:
    task: FileTask
    sha256: str = ""
    unchanged: bool = False
    error: str | None = None
    text: str = ""
    page_starts: list[int] | None = None
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entities: list[EntitySpan] = field(default_factory=list)


@lru_cache(maxsize=4)
def _tokenizer(path: str) -> Tokenizer:
    return Tokenizer(Path(path))


@lru_cache(maxsize=2)
def _tagger(name: str) -> Tagger | None:
    return load_tagger(name)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError as exc:
        raise ExtractionError("the file disappeared before it could be read") from exc
    except PermissionError as exc:
        raise ExtractionError("permission denied") from exc
    except OSError as exc:
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from exc


def process_file(task: FileTask) -> FileResult:
    """Do all the per-file work for ``task``; never raises, failures come back as ``error``."""
    result = FileResult(task)
    try:
        data = _read(task.path)
        result.sha256 = hashlib.sha256(data).hexdigest()
        if task.known_sha256 == result.sha256:
            result.unchanged = True
            return result
        extracted = extract(task.type, data)
        del data
        result.text = extracted.text
        result.page_starts = extracted.page_starts
        result.sections = extracted.sections
        result.title = extracted.title
        result.warnings = extracted.warnings
        result.chunks = chunk_text(
            extracted.text,
            _tokenizer(task.tokenizer_json),
            extracted.page_starts,
            extracted.sections,
            max_tokens=task.max_tokens,
            overlap=task.overlap,
        )
        if not result.chunks:
            result.error = "no text to index"
        tagger = _tagger(task.tagger)
        if tagger is not None and not result.error:
            result.entities = tagger.tag([extracted.text])[0]
    except ModelError:
        raise  # a missing or broken model is not this file's fault: stop the run and say so
    except ExtractionError as exc:
        result.error = str(exc)
    except MemoryError:
        result.error = "too large to index in the memory available"
    except Exception as exc:  # one bad file must never stop the run
        result.error = f"unexpected error: {type(exc).__name__}: {exc}"
    return result
