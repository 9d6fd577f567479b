"""Formatting shared by the command line and the window (no Qt here: the CLI imports it)."""

from __future__ import annotations


def human_time(seconds: float | None) -> str:
    """A duration for people: "42s", "3m07s", "2h05m"; "?" when unknown."""
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def unsupported_line(counts: tuple[tuple[str, int], ...] | list[tuple[str, int]], shown: int = 8) -> str:
    """ "skipped 3 files of types DocSense does not read: .xyz 2, .dwg 1" (the commonest ``shown`` suffixes)."""
    total = sum(n for _suffix, n in counts)
    kinds = ", ".join(f"{suffix or '(no suffix)'} {n:,}" for suffix, n in counts[:shown])
    more = f", and {len(counts) - shown} more types" if len(counts) > shown else ""
    return f"skipped {total:,} file{'s' if total != 1 else ''} of types DocSense does not read: {kinds}{more}"
