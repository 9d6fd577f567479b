"""Fault injection for the crash tests: die by SIGKILL at a named point, the n-th time it is reached.

Inert unless DOCSENSE_FAULT is set (``point`` or ``point:n``), which only the reliability tests do. The points are
the moments a crash is most likely to hurt: after extraction and inside the transaction that stores a group of
documents (the first phase), after embedding a batch and inside the transaction that stores its vectors (the
second), and halfway through writing the FAISS file and its sidecar.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def crash_point(name: str, detail: str | None = None) -> None:
    """SIGKILL this process if DOCSENSE_FAULT names this point and this is its n-th passage.

    With ``detail`` (e.g. a file name), DOCSENSE_FAULT=point:detail kills on that detail every time.
    """
    spec = os.environ.get("DOCSENSE_FAULT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    if detail is not None:
        if nth == detail:
            os.kill(os.getpid(), signal.SIGKILL)
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
