"""DocSense indexer: folders in, index out. Front ends use ``Indexer``."""

from __future__ import annotations

from indexer.indexer import Indexer

__all__ = ["Indexer"]
