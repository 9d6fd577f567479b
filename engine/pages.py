"""Mapping character offsets in a document's text to its pages."""

from __future__ import annotations

import bisect


def page_of(page_starts: list[int], offset: int) -> int:
    """The 1-based page that holds character ``offset``, given where each page starts."""
    return max(1, bisect.bisect_right(page_starts, offset))
