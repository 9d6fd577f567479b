"""DocSense indexer: folders in, index out. Front ends use ``Indexer``.

``Indexer`` is imported when first used (PEP 562): a front end that only needs to know file kinds
(indexer.extract.kind_of) does not load the index and the models' code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.indexer import Indexer

__all__ = ["Indexer"]


def __getattr__(name: str) -> Any:
    if name == "Indexer":
        from indexer.indexer import Indexer

        globals()["Indexer"] = Indexer
        return Indexer
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
