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
