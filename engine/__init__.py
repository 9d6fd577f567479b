"""DocSense engine: the index and what reads it. Front ends use ``Library`` and the dataclasses in ``engine.types``."""

from __future__ import annotations

from importlib import metadata as _metadata

import engine.offline  # noqa: F401  (first: seals the process off the network before any library is imported)
from engine.errors import DocSenseError
from engine.library import Library
from engine.types import Answer, Entity, FailedFile, Progress, RunSummary, SearchHit, Status, Verification

try:
    __version__ = _metadata.version("docsense")
except _metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "Answer",
    "DocSenseError",
    "Entity",
    "FailedFile",
    "Library",
    "Progress",
    "RunSummary",
    "SearchHit",
    "Status",
    "Verification",
]
