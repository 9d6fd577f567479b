"""Errors the engine raises for people to read: each says what happened and, where it can, what to do."""

from __future__ import annotations


class DocSenseError(Exception):
    """Base class of every error meant for the user rather than for a developer."""


class IndexAccessError(DocSenseError):
    """The index folder cannot be opened, read or written."""


class IndexBusyError(DocSenseError):
    """Another process holds the index for writing."""

    def __init__(self, path: str, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"index {path} is in use by {who}; wait for it to finish or stop it")
        self.pid = pid


class EncoderMismatchError(DocSenseError):
    """The index was built with another encoder than the one configured."""


class QueryError(DocSenseError):
    """A query that cannot be run (empty, or a filter that is not valid)."""


class ModelError(DocSenseError):
    """A model cannot be loaded."""


class DamagedIndexError(IndexAccessError):
    """A file of the index is damaged."""


def escaped_bytes(text: str) -> str | None:
    """None if ``text`` is valid UTF-8; else ``text`` with the bytes that are not (which file names, command-line
    arguments and archive members bring as surrogate escapes) shown escaped: "caf\\xe9.txt"."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


FIX_DAMAGE = "run `docsense verify --repair`; if that cannot fix it, delete the index folder and index again"
KEPT = "what was stored is kept"


def explain(exc: BaseException) -> DocSenseError | None:
    """The user error that ``exc`` stands for, with what to do about it; None if it is a bug.

    The conditions a user can act on: a full disk, a permission or a read-only file system, an index database that
    is read-only, locked or damaged. Everything else (a TypeError, an unexpected sqlite3 error) is a bug and is
    reported as one, with its traceback where the user asks for it, never dressed up as "is the disk full?".
    """
    import errno

    if isinstance(exc, DocSenseError):
        return exc
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return IndexAccessError(f"the disk is full{where}; free some space and run the command again ({KEPT})")
        if exc.errno == errno.EDQUOT:
            return IndexAccessError(f"your disk quota is used up{where}; free some space and run again ({KEPT})")
        if exc.errno == errno.EROFS:
            return IndexAccessError(f"read-only file system{where}; choose an index folder you can write to")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return IndexAccessError(f"permission denied{where}; check who owns it and its permissions")
        if exc.errno == errno.ELOOP:
            return IndexAccessError(
                f"a symbolic link stands where DocSense writes{where}: it is not followed; remove it"
            )
        if exc.errno == errno.EIO:
            return IndexAccessError(f"the disk could not be read or written{where} (input/output error): check it")
        return None
    from engine.index.store import database_error  # only the index package knows SQLite

    return database_error(exc)
