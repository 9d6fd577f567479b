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
