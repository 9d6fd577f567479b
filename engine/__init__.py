"""DocSense engine: the index and what reads it. Front ends use ``Library`` and the dataclasses in ``engine.types``."""

from __future__ import annotations

import engine.offline  # noqa: F401  (first: seals the process off the network before any library is imported)
from engine.errors import DocSenseError
from engine.library import Library
from engine.types import Answer, Entity, FailedFile, Progress, RunSummary, SearchHit, Status, Verification

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
