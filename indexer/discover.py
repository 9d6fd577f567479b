"""Find the documents under a folder: supported types only, no hidden entries, no excluded globs, no symlink loops."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.extract import kind_of, suffix_of


@dataclass(frozen=True)
class FoundFile:
    path: str
    root: str
    type: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Unreadable:
    """A folder or file the walk could not look into, and why. With ``keeps``, what the index holds of it (and
    under it) stays as it was: a folder unreadable for now (its permissions, a mount gone) is not a folder emptied."""

    path: str
    reason: str
    keeps: bool = True


@dataclass(frozen=True)
class Unsupported:
    """A file of a type DocSense does not read: counted by ``suffix`` (".dwg", or "" for none), never silent."""

    path: str
    suffix: str


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns)


def in_maildir(folder: str) -> bool:
    """Whether ``folder`` is the cur/ or new/ of a Maildir, which keeps one message a file, named by the mail
    program ("1733.M5P6.host:2,S"): every file there is a message."""
    return os.path.basename(folder) in ("cur", "new") and all(
        os.path.isdir(os.path.join(os.path.dirname(folder), part)) for part in ("cur", "new", "tmp")
    )


def kind_for(path: str) -> str | None:
    """The kind of the file at ``path``: by its suffix, or "eml" in a Maildir; None for a type DocSense does not
    read."""
    return kind_of(os.path.basename(path)) or ("eml" if in_maildir(os.path.dirname(path)) else None)


def escaping_link(path: str, root: str) -> str | None:
    """Where the symlink ``path`` leads when that is outside the folder ``root`` (None: not a link, or it stays in)."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    inside = os.path.realpath(root)
    if target == inside or target.startswith(inside.rstrip("/") + "/"):
        return None
    return target


def link_refused(target: str) -> str:
    return f"a link to {target}, outside the indexed folder: not followed (setting follow_links to index it)"


def _cannot_look(exc: OSError, folder: str) -> str:
    if isinstance(exc, PermissionError):
        return f"permission denied: the folder {folder} can be listed but not entered (it lacks execute permission)"
    return f"cannot look at it: {exc.strerror or exc}"


def _found(path: str, root: str, st: os.stat_result, kind: str | None) -> FoundFile | Unsupported:
    """A regular file: one to read if DocSense reads its ``kind``, else one counted by its suffix."""
    if kind:
        return FoundFile(path, root, kind, st.st_size, st.st_mtime_ns)
    return Unsupported(path, suffix_of(path))


def discover(
    root: str | Path, exclude: Sequence[str] = (), follow_links: bool = False
) -> Iterator[FoundFile | Unreadable | Unsupported]:
    """Walk ``root`` depth-first in name order and yield every file: those it reads as FoundFile, the others as
    Unsupported; and every place it could not read.

    Hidden files and folders (names starting with '.') are skipped, as is anything whose name or path relative
    to ``root`` matches one of the ``exclude`` globs. Symlinks that stay inside ``root`` are followed; one that
    leads outside it (to /proc, to /etc/shadow) is not, unless ``follow_links``, and is reported by name. A folder
    already visited (by device and inode) is never entered twice, so links that loop cannot trap the walk.
    """
    root_str = os.path.abspath(os.fspath(root))
    if os.path.isfile(root_str):  # a file indexed on its own (`docsense index FILE`)
        yield _found(root_str, root_str, os.stat(root_str), kind_for(root_str))
        return
    seen: set[tuple[int, int]] = set()
    stack = [root_str]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Unreadable(folder, f"cannot read folder: {exc.strerror or exc}")
            continue
        subfolders = []
        maildir = in_maildir(folder)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = os.path.relpath(entry.path, root_str).replace(os.sep, "/")
            if exclude and _excluded(rel, entry.name, exclude):
                continue
            if not follow_links and entry.is_symlink() and (target := escaping_link(entry.path, root_str)):
                yield Unreadable(entry.path, link_refused(target), keeps=False)
                continue
            try:
                st = entry.stat()  # follows symlinks
            except FileNotFoundError:
                continue  # a dangling symlink, or a file removed while we walk: nothing to index
            except OSError as exc:
                # The folder can be listed but not entered (read without execute permission): its names are
                # known, nothing else. Those that would be indexed, and its folders, are named with the reason.
                if entry.is_dir(follow_symlinks=False) or kind_of(entry.name):
                    yield Unreadable(entry.path, _cannot_look(exc, folder))
                continue
            if stat.S_ISDIR(st.st_mode):
                subfolders.append(entry.path)
            elif stat.S_ISREG(st.st_mode):
                yield _found(entry.path, root_str, st, kind_of(entry.name) or ("eml" if maildir else None))
        stack.extend(reversed(subfolders))
