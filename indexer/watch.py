"""Keep an index current while files change: watchdog events, debounced, coalesced, then a targeted index run.

Editors save through temporary files and renames, and copies arrive in pieces, so a changed path is only indexed
once it has been quiet for ``debounce_s`` and its size and mtime have stopped moving; but a file its writer closed
(inotify's close-after-write) or that a rename put in place is complete, and is indexed at once (the watcher's
next look, within 0.25 s): a saved file is searchable with its new text in well under 2 s. Events that arrive while a
batch is being indexed wait for the next one; a burst of thousands of events (an unpacked archive, a git checkout)
becomes one run over the distinct paths, each file indexed once. A rename with unchanged content only changes the
stored path (the indexer matches content hashes), and a moved or deleted folder is looked at as a whole.

The watcher takes the index's writer lock only while it writes, waiting for another writer to finish, so searches
(which never need the lock) and a manual `docsense index` both keep working beside it.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from engine.errors import explain
from engine.types import Progress, RunSummary
from indexer.discover import kind_for
from indexer.indexer import Indexer

log = logging.getLogger(__name__)
KEEP_POOLS_S = 120.0  # the tagging processes a batch started are kept this long for the next (spaCy loaded once)

INOTIFY_HINT = (
    "the system's inotify watch limit is reached, so DocSense falls back to polling (slower, uses more CPU). "
    "To raise the limit: sudo sysctl fs.inotify.max_user_watches=524288 (and add that line to /etc/sysctl.conf "
    "to keep it)"
)


@dataclass(frozen=True)
class WatchEvent:
    """What the watcher tells its user: a batch done, a notice, or an error."""

    kind: str  # "ready", "batch", "notice", "error"
    message: str
    summary: RunSummary | None = None
    paths: tuple[str, ...] = field(default_factory=tuple)


class Watcher:
    """Watches the folders of an index and keeps it up to date, in background threads.

    Args:
        indexer: the Indexer that writes the index (its encoder is loaded once and reused).
        folders: folders to watch; None means the folders the index already has.
        debounce_s: how long a path must be quiet before it is indexed.
        on_event: called (from the watcher's thread) with each WatchEvent.
        on_progress: called with indexing progress for each batch.
        poll: use polling instead of inotify (also the fallback when inotify is out of watches).
    """

    def __init__(
        self,
        indexer: Indexer,
        folders: Iterable[str | Path] | None = None,
        debounce_s: float = 1.0,
        on_event: Callable[[WatchEvent], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        poll: bool = False,
    ) -> None:
        self.indexer = indexer
        self.folders = [os.path.abspath(os.fspath(f)) for f in folders] if folders is not None else None
        self.debounce_s = debounce_s
        self.on_event = on_event or (lambda event: None)
        self.on_progress = on_progress
        self.poll = poll
        self._pending: dict[str, float] = {}
        self._complete: set[str] = set()  # pending paths closed after writing, or renamed into place: due at once
        self._stat: dict[str, tuple[int, int] | None] = {}  # a pending path's size and mtime at the last look
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._observer: object | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._watching = False
        self.batches = 0

    # -- life ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Catch up with changes made while nobody watched, then start watching. Returns at once."""
        self._thread = threading.Thread(target=self._run, name="docsense-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; waits for a batch in progress to finish storing what it has."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop_observer()

    @property
    def running(self) -> bool:
        """True while the watcher's thread is alive (it ends on stop(), or when the first run fails)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def ready(self) -> bool:
        """True once the catch-up run was done and events were being watched (it stays True after stop())."""
        return self._watching

    def wait_ready(self, timeout: float | None = 60.0) -> bool:
        """Block until the first catch-up run is done and events are being watched."""
        return self._ready.wait(timeout)

    def _run(self) -> None:
        try:
            summary = self.indexer.run(self.folders, on_progress=self.on_progress, should_stop=self._stop.is_set)
            self.on_event(WatchEvent("batch", "caught up", summary))
            folders = self.folders or self._indexed_folders()
            self._start_observer(folders)
            self._watching = True
            self.on_event(WatchEvent("ready", f"watching {len(folders)} folder(s): {', '.join(folders)}"))
        except Exception as exc:
            self.on_event(WatchEvent("error", _described(exc)))
            self._ready.set()
            return
        self._ready.set()
        self.indexer.keep_pools = True
        last_batch = time.monotonic()
        try:
            while not self._stop.is_set():
                self._wake.wait(0.25)
                self._wake.clear()
                batch = self._due()
                if batch and not self._stop.is_set():
                    self._index(batch)
                    last_batch = time.monotonic()
                elif time.monotonic() - last_batch > KEEP_POOLS_S:
                    self.indexer.close_pools()  # idle: the kept processes go
        finally:
            self.indexer.keep_pools = False
            self.indexer.close_pools()

    def _indexed_folders(self) -> list[str]:
        from engine.index import Index

        index = Index(self.indexer.index_path, settings=self.indexer.settings)  # the command's, resolved once
        try:
            return index.store.folders()
        finally:
            index.close()

    # -- events -------------------------------------------------------------------------------------------

    def _start_observer(self, folders: list[str]) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = _Handler(self)
        if not self.poll:
            observer = Observer()
            try:
                for folder in folders:
                    where, below = _watched(folder)
                    observer.schedule(handler, where, recursive=below)
                observer.start()
                self._observer = observer
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EMFILE):
                    raise
                self.on_event(WatchEvent("notice", INOTIFY_HINT))
                try:
                    observer.stop()
                except Exception:  # an observer that failed to start may not stop cleanly either
                    log.debug("inotify observer did not stop", exc_info=True)
        polling = PollingObserver(timeout=2)
        for folder in folders:
            where, below = _watched(folder)
            polling.schedule(handler, where, recursive=below)
        polling.start()
        self._observer = polling

    def _stop_observer(self) -> None:
        observer = self._observer
        if observer is not None:
            observer.stop()  # type: ignore[attr-defined]
            observer.join(10)  # type: ignore[attr-defined]
            self._observer = None

    def notice(self, *paths: str, complete: bool = False) -> None:
        """Note that ``paths`` changed (or appeared, or went): index them once they are quiet, or at the next look
        when they are ``complete`` (closed after writing, or renamed into place)."""
        now = time.monotonic()
        with self._lock:
            for path in paths:
                if _interesting(path):
                    self._pending[path] = now
                    if complete:
                        self._complete.add(path)
                    else:
                        self._complete.discard(path)  # written again since
        if complete:
            self._wake.set()

    def _due(self) -> list[str]:
        """The pending paths that have been quiet for debounce_s and whose size and mtime stopped changing."""
        now = time.monotonic()
        ready = []
        with self._lock:
            for path, last in list(self._pending.items()):
                if path in self._complete:
                    ready.append(path)
                    del self._pending[path]
                    self._stat.pop(path, None)
                    self._complete.discard(path)
                    continue
                if now - last < self.debounce_s:
                    continue
                current = _stat(path)  # None: gone (a delete, or the old name of a rename)
                if path not in self._stat:
                    # One more look soon: does it stay the same? Gone paths wait too, so that both names of a
                    # rename land in the same batch and the indexer can match them by content.
                    self._stat[path] = current
                    self._pending[path] = now - self.debounce_s / 2
                    continue
                if self._stat[path] != current:
                    self._stat[path] = current  # still being written: look again after another quiet spell
                    self._pending[path] = now
                    continue
                ready.append(path)
                del self._pending[path]
                self._stat.pop(path, None)
        return sorted(ready)

    def _index(self, paths: list[str]) -> None:
        started = time.monotonic()
        try:
            summary = self.indexer.run(
                self.folders, on_progress=self.on_progress, should_stop=self._stop.is_set, paths=paths
            )
        except Exception as exc:  # the watcher keeps going; the user hears about it
            self.on_event(WatchEvent("error", _described(exc), paths=tuple(paths)))
            return
        self.batches += 1
        took = time.monotonic() - started
        self.on_event(
            WatchEvent(
                "batch",
                f"{len(paths)} changed path(s): {summary.indexed} indexed, {summary.renamed} renamed, "
                f"{summary.removed} removed, {len(summary.failed)} failed ({took:.1f} s)",
                summary,
                tuple(paths),
            )
        )


def _described(exc: Exception) -> str:
    """A user error's message, or a bug's type and message (with its traceback logged): never a bare message."""
    error = explain(exc)
    if error is not None:
        return str(error)
    log.exception("the watcher's indexing run failed")
    return f"internal error: {type(exc).__name__}: {exc} (a bug in DocSense; the traceback is in the log)"


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _watched(root: str) -> tuple[str, bool]:
    """What to watch for an indexed root: a folder and all below it; a file indexed on its own, by its folder (the
    runs it starts only look inside the indexed roots, so its neighbours stay out)."""
    return (root, True) if not os.path.isfile(root) else (os.path.dirname(root), False)


def _interesting(path: str) -> bool:
    """Supported documents and folders; not editors' temporary files, not hidden ones."""
    name = os.path.basename(path)
    if not name or name.startswith(".") or name.endswith("~"):
        return False
    return kind_for(path) is not None or os.path.splitext(name)[1] == "" or os.path.isdir(path)


class _Handler(FileSystemEventHandler):
    """Every event becomes pending paths."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        kind = getattr(event, "event_type", "")
        if kind in ("opened", "closed_no_write"):
            return
        paths = [os.fsdecode(getattr(event, "src_path", ""))]
        dest = getattr(event, "dest_path", "")
        if dest:
            paths.append(os.fsdecode(dest))
        # Closed after writing, or moved (both names at once, so that the indexer can pair them by content).
        self.watcher.notice(*[p for p in paths if p], complete=kind in ("closed", "moved"))
