"""DocSense engine: the index and what reads it. Front ends use ``Library`` and the dataclasses in ``engine.types``.

The names below are imported when first used (PEP 562), so that a light module of the engine (engine.settings,
engine.errors) can be read without numpy, SQLite's helpers and the search path: `docsense search` answered by a
serving process (engine.serve) resolves its settings and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import engine.offline  # noqa: F401  (first: seals the process off the network before any library is imported)
from engine.errors import DocSenseError

if TYPE_CHECKING:
    from engine.library import Library
    from engine.types import Answer, Entity, FailedFile, Progress, RunSummary, SearchHit, Status, Verification

_LAZY = {
    "Library": "engine.library",
    **dict.fromkeys(
        ("Answer", "Entity", "FailedFile", "Progress", "RunSummary", "SearchHit", "Status", "Verification"),
        "engine.types",
    ),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the installed package's metadata once asked (importlib.metadata: 40 ms)
        from importlib import metadata

        try:
            version = metadata.version("docsense")
        except metadata.PackageNotFoundError:  # running from a source tree that was not installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


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
