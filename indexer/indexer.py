"""``Indexer``: turn folders into an index, incrementally, with progress, surviving bad files and crashes.

A run: take the writer lock; walk the folders; compare each file with what the index holds (size and mtime, then
content hash); forget files that are gone; send new and changed files to a process pool that extracts, tokenizes and
chunks them; store each group of documents in one SQLite transaction, with its chunks' text (searchable by keyword
from then on) and their views' token ids. Then the second phase embeds the stored chunks that have no vectors yet,
oldest first, in length-sorted batches, each batch's vectors stored in one transaction and added to FAISS. SQLite
commits first and is the source of truth, so a crash at any point leaves documents either fully stored or absent,
and chunks either embedded or waiting: the next run redoes only what is missing, and embeds what waits.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import dataclasses
import fnmatch
import hashlib
import json
import multiprocessing.context
import os
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from engine import __version__
from engine.encoder import Encoder, load_encoder
from engine.errors import DocSenseError, IndexAccessError, escaped_bytes
from engine.faults import crash_point
from engine.index import Index, check_index_folder
from engine.index.store import DB_NAME, STALE_MTIME_NS, DocumentRow, FailureRow, NewChunk, NewDocument
from engine.language import document_language
from engine.lock import WriterLock
from engine.settings import SERVER_FILE, Settings
from engine.tagger import NO_TAGGER, reads_language
from engine.types import FailedFile, Progress, RunSummary
from indexer.discover import (
    FoundFile,
    Unreadable,
    Unsupported,
    discover,
    escaping_link,
    kind_for,
    link_refused,
)
from indexer.extract.containers import in_part
from indexer.work import (
    DocumentParts,
    FileResult,
    FileTask,
    Part,
    TagJob,
    TagResult,
    process_file,
    tag_document,
    worker_context,
    worker_init,
)

SAVE_EVERY_S = 60.0
PROGRESS_EVERY_S = 0.1
LANGUAGE_BATCH = 200  # documents stored before schema 15 whose language is looked for in one transaction


def default_workers(threads: int = 0) -> int:
    """Extraction processes: one a core (of ``threads`` at most, when given), since the main process only stores
    while they run (it embeds after)."""
    return max(1, min(8, threads if threads > 0 else os.cpu_count() or 1))


def _process_pool(
    workers: int, settings: Settings, log: str | None, context: multiprocessing.context.SpawnContext | None = None
) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, each under the settings' memory limit, dying with this one, writing
    what libraries print to ``log`` (None: to this terminal)."""
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context or worker_context(),
        initializer=worker_init,
        initargs=(os.getpid(), settings.worker_memory_mb, log),
    )


@contextlib.contextmanager
def _cores(threads: int) -> Iterator[None]:
    """Run on at most ``threads`` of this thread's CPUs, and so do the workers and threads it starts meanwhile (the
    pools, the encoder's); 0: on all of them. Where the system cannot say (not Linux), the workers' count and the
    encoder's threads bound it alone."""
    get, put = getattr(os, "sched_getaffinity", None), getattr(os, "sched_setaffinity", None)
    before = get(0) if get is not None and put is not None and threads > 0 else None
    if before is None or threads >= len(before):
        yield
        return
    put(0, sorted(before)[:threads])  # type: ignore[misc]
    try:
        yield
    finally:
        put(0, before)  # type: ignore[misc]


def _skipped(rel: str, exclude: Sequence[str]) -> bool:
    """True if a path relative to its indexed folder is hidden or excluded, as discovery would judge it."""
    parts = rel.replace(os.sep, "/").split("/")
    if any(part.startswith(".") and part not in (".", "..") for part in parts):
        return True
    return any(fnmatch.fnmatch(part, p) for part in parts for p in exclude) or any(
        fnmatch.fnmatch(rel, p) for p in exclude
    )


class Indexer:
    """Builds and updates one index folder.

    Args:
        index_path: the index folder (created if needed); None means the settings' one.
        encoder: the encoder, or its name; None means the settings' (the index's own, unless a flag, the
            environment or the config file names another).
        workers: extraction processes; 0 runs extraction in this process (handy for tests and debugging).
        exclude: glob patterns of files and folders to skip (matched on names and on paths below each folder). Given,
            they are remembered for the folders of the run; not given, each folder's remembered ones apply. The
            config file's patterns for a folder apply too.
        wait: when another process is writing to the index, wait for it instead of failing.
        tagger: the entity tagger's name ("none" tags nothing); None means the settings'.
        settings: the command's settings, resolved once (engine.settings); None resolves them, the arguments above
            counting as flags.
    """

    def __init__(
        self,
        index_path: Path | str | None = None,
        encoder: Encoder | str | None = None,
        workers: int | None = None,
        exclude: Sequence[str] | None = None,
        max_tokens: int = 512,
        overlap: int = 64,
        wait: bool = False,
        tagger: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        flags = {
            "index": Path(index_path) if index_path else None,
            "encoder": encoder if isinstance(encoder, str) else None,
            "tagger": tagger,
        }
        self.settings = settings or Settings.resolve(flags)
        self.index_path = Path(index_path) if index_path else self.settings.index
        self._encoder_arg = encoder if encoder is not None and not isinstance(encoder, str) else self.settings.encoder
        self.workers = default_workers(self.settings.threads) if workers is None else workers
        self.exclude = tuple(exclude) if exclude else None
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.wait = wait
        self.tagger = tagger or self.settings.tagger
        # A watcher's runs keep their tagging processes (spaCy loaded once) between runs: see keep_pools.
        self.keep_pools = False
        self._kept_pools: list[tuple[int, cf.ProcessPoolExecutor, str]] = []  # (workers, pool, log file)

    # -- public -------------------------------------------------------------------------------------------

    def close_pools(self) -> None:
        """End the tagging processes kept between runs (``keep_pools``): a watcher stopping, or idle a while."""
        kept, self._kept_pools = self._kept_pools, []
        for _workers, pool, log in kept:
            pool.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(OSError):
                os.unlink(log)

    def _take_pool(self, workers: int) -> tuple[cf.ProcessPoolExecutor, str] | None:
        """A kept pool of ``workers`` processes that still works, if there is one."""
        for i, (width, pool, log) in enumerate(self._kept_pools):
            if width == workers and not getattr(pool, "_broken", False):
                del self._kept_pools[i]
                return pool, log
        return None

    @property
    def encoder(self) -> Encoder:
        """The encoder runs embed with, loaded now if no run loaded it yet. A run keeps the one it loaded for the
        next (a watcher's batches load the model once), and searches beside the runs can share it (`docsense
        watch` serving): embedding is safe from several threads at once."""
        if isinstance(self._encoder_arg, str):
            s = self.settings
            self._encoder_arg = load_encoder(self._encoder_arg, s.device, s.backend, s.token_budget, s.cache, s.threads)
        return self._encoder_arg

    def run(
        self,
        folders: Iterable[str | Path] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        paths: Iterable[str | Path] | None = None,
    ) -> RunSummary:
        """Index ``folders`` (default: the folders the index already has) and return what was done."""
        last = None
        for last in self.iter_run(folders, should_stop, paths):
            if on_progress:
                on_progress(last)
        if last is None or last.summary is None:  # iter_run always ends with a summary
            raise RuntimeError("indexing ended without a summary")
        return last.summary

    def remove_folder(self, folder: str | Path) -> int:
        """Forget a folder and every document found under it; returns how many documents were removed."""
        target = os.path.abspath(os.fspath(folder))
        with self._open(create=False) as (index, _lock):
            known = index.store.folders()
            if target not in known:
                raise DocSenseError(f"{target} is not an indexed folder; indexed folders: {', '.join(known) or 'none'}")
            documents = len(index.store.documents_under(target))
            with index.write() as change:
                change.remove_folder(target)
            index.save_vectors()
            return documents

    def repair(self) -> list[str]:
        """Rebuild what is inconsistent from what is intact; returns what was done, for people to read.

        A damaged database (SQLite's own check fails, it is empty, or not a database at all) is never rebuilt
        from: what of it proves intact moves to a new database (engine/index/salvage.py), and the documents that
        do not are read again from their files. Then rows of files that no longer exist are removed; the full-text
        index is rebuilt from the chunk rows; the FAISS file is rebuilt from the vectors SQLite keeps (fixing a
        missing, stale or damaged file and orphan vectors) and saved atomically.
        """
        from engine.index.salvage import database_damage, rows_damage, salvage

        path = self.index_path.expanduser().resolve()
        on_server = (path / SERVER_FILE).exists()  # the server keeps its own files whole: nothing to salvage
        if not (path / DB_NAME).exists() and not on_server:
            raise IndexAccessError(f"no index at {path}: index a folder first (`docsense index FOLDER`)")
        check_index_folder(path)
        actions: list[str] = []
        saved = None
        if not on_server:
            lock = WriterLock(path).acquire(wait=self.wait)
            try:
                damage = database_damage(path) or rows_damage(path)
                saved = salvage(path, damage) if damage else None
            finally:
                lock.release()
        if saved is not None:
            actions += saved.report()
        with self._open(create=False) as (index, _lock):
            actions += index.repair(index.store.gone_documents())
            folders = index.store.folders()
        if saved is not None and folders:
            summary = self.run()  # the documents left out are new files to this index: read them again
            actions.append(
                f"read {summary.indexed} documents again from their files ({len(summary.failed)} could not be read)"
            )
        return actions

    def iter_run(
        self,
        folders: Iterable[str | Path] | None = None,
        should_stop: Callable[[], bool] | None = None,
        paths: Iterable[str | Path] | None = None,
    ) -> Iterator[Progress]:
        """Index ``folders``, yielding progress; the last event has phase "done" and the run's summary.

        Args:
            folders: the folders to index; None means those the index already has.
            should_stop: polled between files; True stops the run early (what was stored stays).
            paths: only look at these files and folders (inside the indexed folders), e.g. those a watcher saw
                change; a path that no longer exists is removed from the index.
        """
        if folders is not None:
            folders = _checked_folders(folders)  # before the index is opened: a bad folder creates no index
        with self._open(create=folders is not None) as (index, _lock), _cores(self.settings.threads):
            yield from _Run(self, index, folders, should_stop or (lambda: False), paths).steps()

    # -- internals ----------------------------------------------------------------------------------------

    def _open(self, create: bool = True) -> _Opened:
        return _Opened(self, create)


SHARE_BYTES = 8 * 2**20  # a mailbox or an archive bigger than this is shared out among the workers


def _documents(result: FileResult) -> list[tuple[str, str | None, DocumentParts]]:
    """(path, container, document) for each document a file's result holds: the file itself (but a mailbox or an
    archive), and each message or member of a mailbox or an archive, or attachment of a mail, at a path below the
    file's ("inbox.mbox/12", "inbox.mbox/12/report.pdf", "papers.zip/a/b.pdf", "note.eml/report.pdf")."""
    path = result.task.path
    own: list[tuple[str, str | None, DocumentParts]] = [] if result.holds_only else [(path, None, result)]
    return own + [(f"{path}/{part.name}", path, part) for part in result.members]


def _checked_folders(folders: Iterable[str | Path]) -> list[str]:
    """The folders (or single files) as absolute paths, each once; a DocSenseError names the first that is neither
    a folder nor a regular file."""
    roots = [os.path.abspath(os.fspath(f)) for f in folders]
    for root in roots:
        if not (os.path.isdir(root) or os.path.isfile(root)):
            what = "does not exist" if not os.path.exists(root) else "is neither a folder nor a file"
            raise DocSenseError(f"{root} {what}")
    return list(dict.fromkeys(roots))


class _Opened:
    """Writer lock and index, opened together and closed in reverse order.

    With ``create`` False, a folder without an index is an error, not a new index. A new index folder that could
    not be opened, or whose first run failed before it stored a document (a bad encoder, say), is removed again: a
    failed command leaves nothing behind.
    """

    def __init__(self, owner: Indexer, create: bool) -> None:
        self.owner = owner
        self.create = create

    def __enter__(self) -> tuple[Index, WriterLock]:
        path = self.owner.index_path.expanduser().resolve()
        if not (path / DB_NAME).exists() and not (path / SERVER_FILE).exists() and not self.create:
            raise IndexAccessError(f"no index at {path}: index a folder first (`docsense index FOLDER`)")
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir(mode=0o700)  # atomic: of two processes starting on a new path, one creates it
            self.new = True
        except FileExistsError:
            self.new = False
        except OSError as exc:
            raise IndexAccessError(f"cannot create the index folder {path}: {exc.strerror}") from exc
        check_index_folder(path)  # another user's, or writable by others: refused before anything is written in it
        try:
            self.lock = WriterLock(path).acquire(wait=self.owner.wait)
        except BaseException:
            if self.new:
                _remove_empty(path)  # someone else may be using it by now: only an empty folder goes
            raise
        try:
            self.index = Index(path, encoder=self.owner._encoder_arg, create=True, settings=self.owner.settings)
        except BaseException:
            if self.new:
                _remove_new_index(path)
            self.lock.release()
            raise
        return self.index, self.lock

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if isinstance(self.owner._encoder_arg, str) and self.index.loaded_encoder is not None:
            self.owner._encoder_arg = self.index.loaded_encoder  # kept for the next run
        try:
            empty = exc_type is not None and self.new and self.index.store.counts()[0] == 0
        except Exception:
            empty = False
        try:
            self.index.close()
        finally:
            if empty:  # a new index that failed before it held anything: as if the command had never run
                _remove_new_index(self.path)
            self.lock.release()


def _remove_empty(path: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or not ours to remove): it stays
        os.rmdir(path)


def _remove_new_index(path: Path) -> None:
    """Remove the files a new index made in ``path`` (only those, by name), then the folder if nothing else is in it.
    Called with the writer lock held."""
    from engine.index.vectors import FAISS_NAME, SIDECAR_NAME
    from engine.lock import LOCK_NAME

    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", FAISS_NAME, f"{FAISS_NAME}.tmp", SIDECAR_NAME,
                 f"{SIDECAR_NAME}.tmp", LOCK_NAME):  # fmt: skip
        try:
            (path / name).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            return  # something we cannot remove: leave the folder as it is
    _remove_empty(path)


class _Run:
    """The state of one indexing run."""

    def __init__(
        self,
        owner: Indexer,
        index: Index,
        folders: Iterable[str | Path] | None,
        stop: Callable[[], bool],
        paths: Iterable[str | Path] | None = None,
    ) -> None:
        self.owner = owner
        self.scope = sorted({os.path.abspath(os.fspath(p)) for p in paths}) if paths is not None else None
        self.index = index
        self.store = index.store
        self.stop = stop
        self.started = time.monotonic()
        self.roots = self._roots(folders)
        self.failed: list[FailedFile] = []
        self.warned: list[FailedFile] = []  # indexed, with something extraction noticed (a page not read ...)
        self.unsupported: collections.Counter[str] = collections.Counter()  # files DocSense does not read, by suffix
        self.shares_stored: collections.Counter[str] = collections.Counter()  # of a shared mailbox, shares stored
        self.failed_shared: set[str] = set()
        self.indexed = self.unchanged = self.removed = self.renamed = self.chunks = self.tokens = self.pages = 0
        self.files_done = self.files_total = self.files_seen = 0
        self.bytes_done = self.bytes_total = 0
        self.embed_chunks = self.embed_total = 0  # the second phase's windows embedded, of those it had to
        self.tagged = self.tag_total = 0  # and its documents tagged
        self.first_tagged_at = 0.0
        self.embed_s = 0.0
        self.embed_started = time.monotonic()
        self.last_save = time.monotonic()
        self.current: str | None = None
        self.tagger = owner.tagger
        # Each folder's excludes: those given to this run, else those remembered from the run that gave them; and
        # the config file's for the folder.
        remembered = self.store.folder_excludes()
        self.excludes = {
            root: tuple(
                dict.fromkeys(
                    (*(owner.exclude if owner.exclude is not None else remembered.get(root, ())),
                     *owner.settings.excludes_for(root))
                )
            )
            for root in self.roots
        }  # fmt: skip

    def _roots(self, folders: Iterable[str | Path] | None) -> list[str]:
        stored = self.store.folders() if folders is None else []
        # A file indexed on its own that is gone from a folder that is still there is forgotten by a whole run, with
        # its documents, as a file in a folder would be (a folder that is gone is an error: an unmounted disk must
        # not empty the index). The watcher's runs never forget one: an editor saving a file deletes it a moment.
        missing_files = [r for r in stored if not os.path.exists(r) and self._was_file(r)]
        self.gone_files = [r for r in missing_files if self.scope is None and os.path.isdir(os.path.dirname(r))]
        roots = _checked_folders(folders if folders is not None else [r for r in stored if r not in missing_files])
        if not roots and not missing_files:
            raise DocSenseError("no folders to index: give one, e.g. `docsense index ~/Documents`")
        return roots

    def _was_file(self, root: str) -> bool:
        return (
            self.store.document_by_path(root) is not None
            or bool(self.store.members_of(root))
            or root in dict(self.store.failures())
        )

    # -- steps --------------------------------------------------------------------------------------------

    def steps(self) -> Iterator[Progress]:
        encoder = self.index.encoder
        with self.index.write() as change:  # loads (or rebuilds) the vectors before the run changes anything
            self.index.record_encoder()
            change.set_meta("tagger", self.tagger)
            for root in self.gone_files:
                self.removed += len(self.store.documents_under(root))
                change.remove_folder(root)
            for root in self.roots:
                change.add_folder(root)
                if self.owner.exclude is not None:  # given: remembered for the next runs, the window's and watch's
                    change.set_folder_excludes(root, self.owner.exclude)
        yield Progress("scan")
        tasks = self._plan(encoder)
        self.files_total = len(tasks)
        self.bytes_total = sum(t.size for t in tasks) or 1
        yield self._progress("index")
        cancelled = False
        pending: list[FileResult] = []
        pending_windows = 0
        group = 1024 if encoder.device.startswith("cuda") else 32
        last_progress = 0.0
        for result in self._results(tasks):
            crash_point("extracted")
            self.files_done += 1
            self.bytes_done += result.task.size
            self.current = result.task.path
            if result.error or result.unchanged:
                self._store_quick(result)
            else:
                pending.append(result)
                pending_windows += len(result.chunks) + sum(len(p.chunks) for p in result.members)
            if pending_windows >= group:
                self._flush(pending)
                pending, pending_windows = [], 0
            if time.monotonic() - last_progress >= PROGRESS_EVERY_S:
                last_progress = time.monotonic()
                yield self._progress("index")
            if self.stop():
                cancelled = True
                break
        self._flush(pending)  # a cancel keeps the files already extracted, too
        self._complete_shares(tasks)
        if self.scope is None and not cancelled:  # what a whole walk found that DocSense does not read
            with self.index.write() as change:
                change.set_meta("unsupported", json.dumps(dict(self._unsupported())))
        if not cancelled:
            cancelled = yield from self._second_phase(encoder, group)
        if self.index.server is None:  # a server's vectors were written with their rows
            yield self._progress("save")
            self.index.save_vectors()
        if not cancelled and self.index.impacts_due():
            yield from self._keyword_weights()
        summary = RunSummary(
            files_seen=self.files_seen,
            indexed=self.indexed,
            unchanged=self.unchanged,
            removed=self.removed,
            renamed=self.renamed,
            failed=tuple(self.failed),
            chunks=self.chunks,
            tokens=self.tokens,
            pages=self.pages,
            elapsed_s=time.monotonic() - self.started,
            embed_s=self.embed_s,
            cancelled=cancelled,
            warnings=tuple(self.warned),
            unsupported=self._unsupported(),
        )
        yield Progress(**{**self._progress("done").__dict__, "summary": summary})

    def _root_of(self, path: str) -> str | None:
        """The indexed folder that holds ``path`` (the deepest one), or None."""
        holders = [r for r in self.roots if path == r or path.startswith(r.rstrip("/") + "/")]
        return max(holders, key=len) if holders else None

    def _shares(self, task: FileTask) -> list[FileTask]:
        """A big mailbox or archive is read by several workers at once, each taking a share of its members
        (indexer/extract/containers.py: in_part); any other file by one."""
        workers = self.owner.workers
        # Mailboxes only: an archive's members may be archives, whose own members a share could not tell apart.
        if task.type != "mbox" or workers <= 1 or task.size <= SHARE_BYTES:
            return [task]
        parts = min(workers * 2, max(2, task.size // SHARE_BYTES))
        # Read again in full: "unchanged" could not tell that a share of an earlier, stopped run is missing.
        return [dataclasses.replace(task, part=(i, parts), known_sha256=None) for i in range(parts)]

    def _unsupported(self) -> tuple[tuple[str, int], ...]:
        """The suffixes of the files not read, the commonest first (then by name)."""
        return tuple(sorted(self.unsupported.items(), key=lambda item: (-item[1], item[0])))

    def _discover(self) -> tuple[dict[str, FoundFile], list[Unreadable]]:
        """The supported files in scope: everything under the roots, or only the given paths."""
        found: dict[str, FoundFile] = {}
        unreadable: list[Unreadable] = []
        if self.scope is None:
            walks = [(root, root) for root in self.roots]
        else:
            walks = []
            for path in self.scope:
                root = self._root_of(path)
                if root is None or _skipped(os.path.relpath(path, root), self.excludes[root]):
                    continue
                if not self.owner.settings.follow_links and (target := escaping_link(path, root)):
                    unreadable.append(Unreadable(path, link_refused(target), keeps=False))
                elif os.path.isdir(path):
                    walks.append((root, path))
                elif os.path.isfile(path) and (kind := kind_for(path)):
                    st = os.stat(path)
                    found[path] = FoundFile(path, root, kind, st.st_size, st.st_mtime_ns)
        for root, top in walks:
            for item in discover(top, self.excludes[root], self.owner.settings.follow_links):
                if isinstance(item, Unreadable):
                    unreadable.append(item)
                elif isinstance(item, Unsupported):
                    self.unsupported[item.suffix] += 1
                else:
                    found.setdefault(item.path, dataclasses.replace(item, root=root))
        return found, unreadable

    def _plan(self, encoder: Encoder) -> list[FileTask]:
        """Walk the roots (or the paths in scope); forget what is gone; return the files to (re)index."""
        found, unreadable = self._discover()
        self.files_seen = len(found)
        known: dict[str, DocumentRow] = {}
        failures: dict[str, FailureRow] = {}
        for place in self.roots if self.scope is None else self.scope:
            if self.scope is None or self._root_of(place):
                known.update(self.store.documents_under(place, nested=self.scope is not None))
                failures.update(self.store.failures_under(place, nested=self.scope is not None))
        # A mailbox or an archive has no row of its own: its documents say what it was when read (all of them must
        # agree: a run stopped while several workers shared the file may have stored only some of their shares).
        held: dict[str, list[DocumentRow]] = collections.defaultdict(list)
        for row in known.values():
            if row.container:
                held[row.container].append(row)
        tasks: list[FileTask] = []
        bad_names: list[FoundFile] = []
        recovered: list[str] = []
        for path, f in found.items():
            if escaped_bytes(path) is not None:
                bad_names.append(f)
                continue
            doc = known.get(path) or self.store.document_by_path(path)
            if doc is None and path in held:
                doc = next((d for d in held[path] if (d.size, d.mtime_ns) != (f.size, f.mtime_ns)), held[path][0])
            failure = failures.get(path)
            if doc and doc.size == f.size and doc.mtime_ns == f.mtime_ns:
                self.unchanged += 1
                if failure:
                    recovered.append(path)  # unreadable for a while (its folder's permissions), readable again
                continue
            if (
                failure
                and (failure.size, failure.mtime_ns) == (f.size, f.mtime_ns)
                and (failure.kind != "bug" or failure.version == __version__)
            ):
                continue  # failed before and not changed since: the recorded reason still holds (a bug's, until an
                # upgrade, which may have fixed it)
            tasks.append(
                FileTask(
                    path=path,
                    root=f.root,
                    type=f.type,
                    size=f.size,
                    mtime_ns=f.mtime_ns,
                    known_sha256=doc.sha256 if doc else None,
                    tokenizer_json=str(encoder.tokenizer.path),
                    max_tokens=self.owner.max_tokens,
                    overlap=self.owner.overlap,
                    pdf_reader=self.owner.settings.pdf_reader,
                    max_file_mb=self.owner.settings.max_file_mb,
                    max_text_mb=self.owner.settings.max_text_mb,
                    allow_downloads=self.owner.settings.allow_downloads,
                    timeout_s=self.owner.settings.extract_timeout_s,
                    ocr=self.owner.settings.ocr,
                    ocr_cache=str(self.owner.settings.cache / "ocr"),
                )
            )
        kept = [u.path.rstrip("/") for u in unreadable if u.keeps]
        gone = [
            p
            for p, doc in known.items()
            if p not in found and doc.container not in found and not any(p == k or p.startswith(k + "/") for k in kept)
        ]
        # A file that holds documents (a mail with attachments) is read again under its new name, not renamed
        renames = self._renames(tasks, [known[p] for p in gone if not known[p].container and p not in held])
        moved = {old for old, _task in renames}
        gone = [p for p in gone if p not in moved]
        renamed_paths = {task.path for _old, task in renames}
        tasks = [share for t in tasks if t.path not in renamed_paths for share in self._shares(t)]
        with self.index.write() as change:
            for old, task in renames:
                change.rename_document(old, task.path, task.root, task.size, task.mtime_ns)
            self.renamed = len(renames)
            change.delete_documents(gone)
            for path in failures:
                if path not in found or path in recovered:
                    change.forget_failure(path)
            for f in bad_names:
                shown = escaped_bytes(f.path) or f.path
                change.record_failure(shown, f.root, "file name is not valid UTF-8", f.size, f.mtime_ns)
                self.failed.append(FailedFile(shown, "file name is not valid UTF-8"))
            for u in unreadable:
                shown = escaped_bytes(u.path) or u.path
                root = self._root_of(shown) or self.roots[0]
                reason = u.reason
                if u.keeps and (shown in known or self.store.document_by_path(shown)):
                    reason += "; the copy indexed before is kept"
                change.record_failure(shown, root, reason, None, None, keep_document=u.keeps)
                self.failed.append(FailedFile(shown, reason))
        self.removed += len(gone)
        # Failures recorded in earlier runs that still hold are part of this run's answer too.
        retried = {t.path for t in tasks}
        for path, reason in self.store.failures():
            if path in failures and path in found and path not in retried:
                self.failed.append(FailedFile(path, reason))
        return sorted(tasks, key=lambda t: t.path)

    @staticmethod
    def _renames(tasks: list[FileTask], gone: list[DocumentRow]) -> list[tuple[str, FileTask]]:
        """New files that are documents gone from elsewhere (same type, size and content): (old path, task).

        A rename or a move then only changes the path: nothing is extracted or embedded again.
        """
        by_size: dict[tuple[str, int], list[DocumentRow]] = {}
        for doc in gone:
            by_size.setdefault((doc.type, doc.size), []).append(doc)
        renames = []
        for task in tasks:
            candidates = by_size.get((task.type, task.size))
            if task.known_sha256 is not None or not candidates:
                continue
            try:
                with open(task.path, "rb") as fh:
                    digest = hashlib.file_digest(fh, "sha256").hexdigest()
            except OSError:
                continue
            match = next((d for d in candidates if d.sha256 == digest), None)
            if match is not None:
                candidates.remove(match)
                renames.append((match.path, task))
        return renames

    def _results(self, tasks: list[FileTask]) -> Iterator[FileResult]:
        # Even one file goes to a worker: only there do the time and memory limits hold (workers=0 is for tests).
        if self.owner.workers <= 0 or not tasks:
            for task in tasks:
                yield process_file(task)
            return
        pending = collections.deque(tasks)
        while pending:
            in_flight = yield from self._pool_pass(pending, min(self.owner.workers, len(pending)))
            # A worker died (out of memory, a crash in a library): one of the files it had is to blame. Each is
            # tried again alone; the one that kills its worker alone too is skipped and named.
            for task in in_flight:
                last_words: list[str] = []
                if (yield from self._pool_pass(collections.deque([task]), 1, last_words)):
                    yield FileResult(task, error=self._crashed(last_words), error_kind="bug")

    def _crashed(self, last_words: list[str]) -> str:
        limit = self.owner.settings.worker_memory_mb
        why = (
            f"it needed more than the {limit:,} MB a worker may use (setting worker_memory_mb), or hit a bug in a "
            "library"
            if limit > 0
            else "out of memory, or a bug in a library"
        )
        said = f"; its last words: {last_words[0][:200]}" if last_words else ""
        return f"the extractor crashed on this file: {why}{said}"

    def _pool_pass(
        self, pending: collections.deque[FileTask], workers: int, last_words: list[str] | None = None
    ) -> Generator[FileResult, None, list[FileTask]]:
        """Run ``pending`` tasks in a fresh pool, yielding results; returns the tasks in flight if the pool broke
        (and puts what the workers printed as they died in ``last_words``)."""
        context = worker_context()
        fd, log = tempfile.mkstemp(prefix="docsense-worker-", suffix=".log")
        os.close(fd)
        try:
            broken = yield from self._run_pool(pending, workers, context, None if self.owner.settings.debug else log)
            if broken and last_words is not None:
                with open(log, encoding="utf-8", errors="replace") as fh:  # what it said first (then a backtrace)
                    last_words += [line.strip() for line in fh.read(4096).splitlines() if line.strip()][:1]
            return broken
        finally:
            os.unlink(log)

    def _run_pool(
        self,
        pending: collections.deque[FileTask],
        workers: int,
        context: multiprocessing.context.SpawnContext,
        log: str | None,
    ) -> Generator[FileResult, None, list[FileTask]]:
        with _process_pool(workers, self.owner.settings, log, context) as pool:
            running: dict[cf.Future[FileResult], FileTask] = {}
            try:
                while pending or running:
                    while pending and len(running) < workers * 4:
                        task = pending.popleft()
                        running[pool.submit(process_file, task)] = task
                    done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        try:
                            result = future.result()  # a ModelError from the worker ends the run here
                        except cf.process.BrokenProcessPool:
                            return list(running.values())
                        del running[future]
                        yield result
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return []

    def _store_quick(self, result: FileResult) -> None:
        """Record a failure, or note that a touched file's content did not change."""
        task = result.task
        with self.index.write() as change:
            if result.error:
                change.delete_documents(self._members_of(task))
                change.record_failure(task.path, task.root, result.error, task.size, task.mtime_ns, result.error_kind)
                if task.path not in self.failed_shared:  # a file several workers share is named once
                    self.failed.append(FailedFile(task.path, result.error))
                if task.part[1] > 1:
                    self.failed_shared.add(task.path)
            else:
                doc = self.store.document_by_path(task.path)
                if doc:
                    change.touch_document(doc.id, task.size, task.mtime_ns)
                change.touch_members(task.path, task.size, task.mtime_ns)
                self.unchanged += task.part[0] == 0

    def _complete_shares(self, tasks: list[FileTask]) -> None:
        """Mark the documents of each mailbox whose shares were all stored as current (see _flush)."""
        done = {
            t.path: t for t in tasks
            if t.part[1] > 1 and self.shares_stored[t.path] == t.part[1] and t.path not in self.failed_shared
        }  # fmt: skip
        if done:
            with self.index.write() as change:
                for t in done.values():
                    change.touch_members(t.path, t.size, t.mtime_ns)

    def _members_of(self, task: FileTask) -> list[str]:
        """The stored documents of a mailbox or an archive that a result of ``task`` replaces: all of them, or those
        of its share."""
        prefix = len(task.path) + 1
        return [p for p in self.store.members_of(task.path) if in_part(p[prefix:], task.part)]

    def _keyword_weights(self) -> Generator[Progress, None, None]:
        """Weigh a big index's common words for the keyword side (engine.index.impacts: a query's keyword side
        then takes milliseconds, not a second, in a million windows), with progress; a cancel keeps the old
        weights, and the next run that finds them due weighs again."""
        started = last = time.monotonic()
        building = self.index.build_impacts()
        try:
            for done, total in building:
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    took = last - started
                    eta = took * (total - done) / done if done else None
                    yield dataclasses.replace(self._progress("weights"), weighed=done, to_weigh=total, eta_s=eta)
                if self.stop():
                    return
        finally:
            building.close()

    def _languages_of_older_documents(self) -> Generator[Progress, None, None]:
        """Documents stored before their language was looked for get it from their stored text (a few
        milliseconds each), a batch a transaction, so search can tell their language from the first run on."""
        total = self.store.untold_count()
        if not total:
            return
        told, started = 0, time.monotonic()
        while batch := self.store.documents_without_language(LANGUAGE_BATCH):
            with self.index.write() as change:
                change.set_languages({doc_id: document_language(text) or "" for doc_id, text in batch})
            told += len(batch)
            took = time.monotonic() - started
            eta = took * (total - told) / told if told < total else 0.0
            yield dataclasses.replace(self._progress("languages"), languages_told=told, to_tell=total, eta_s=eta)
            if self.stop():
                return

    def _second_phase(self, encoder: Encoder, group: int) -> Generator[Progress, None, bool]:
        """Embed the chunks stored without vectors and look for the entities of the documents stored without them
        (this run's, and any an earlier run left), oldest first: ``group`` windows at a time are embedded here
        while a pool tags documents, and each batch's vectors, and each document's entities, are stored in a
        transaction of their own. Returns whether the run was stopped."""
        yield from self._languages_of_older_documents()
        self.embed_total = self.store.pending_count()[0]
        untagged = self.store.untagged_documents() if self.tagger != NO_TAGGER else []
        self.tag_total = len(untagged)
        if not self.embed_total and not untagged:
            return False
        self.store.checkpoint()
        yield self._progress("embed")
        last_progress = self.embed_started = time.monotonic()
        with _Tagging(self, untagged) as tagging:
            while True:
                batch = self.store.pending_chunks(group)
                if batch:
                    self._embed(batch, encoder)
                elif tagging.done:
                    return False
                else:
                    tagging.widen()  # nothing left to embed: every core tags
                for result in tagging.poll(block=not batch):
                    with self.index.write() as change:
                        change.put_entities(result.doc_id, result.entities, result.warnings)
                        crash_point("entities-stored")
                    self.tagged += 1
                    if self.tagged == 1:  # the tagging rate is counted from here: the pool's start-up is no rate
                        self.first_tagged_at = time.monotonic()
                    self.warned += [FailedFile(result.path, w) for w in result.warnings]
                if time.monotonic() - self.last_save >= SAVE_EVERY_S:
                    self.index.save_vectors()
                    self.last_save = time.monotonic()
                if time.monotonic() - last_progress >= PROGRESS_EVERY_S:
                    last_progress = time.monotonic()
                    yield self._progress("embed")
                if self.stop():
                    return True

    def _embed(self, batch: list[tuple[int, list[list[int]]]], encoder: Encoder) -> None:
        """Embed a batch of waiting chunks ((id, views' token ids)) and store their vectors."""
        started = time.monotonic()
        flat = encoder.embed_ids([v for _id, views in batch for v in views])
        crash_point("embedded")
        self.embed_s += time.monotonic() - started
        bounds = np.cumsum([0, *(len(views) for _id, views in batch)])
        with self.index.write() as change:
            change.set_vectors({chunk_id: flat[bounds[i] : bounds[i + 1]] for i, (chunk_id, _) in enumerate(batch)})
            crash_point("vectors-stored")
        self.embed_chunks += len(batch)

    def _flush(self, results: list[FileResult]) -> None:
        """Store the documents of ``results``, their chunks without vectors (the second phase embeds them)."""
        if not results:
            return
        documents = [(r, path, container, d) for r in results for path, container, d in _documents(r)]
        windows = [c.token_ids for *_rest, d in documents for c in d.chunks]
        with self.index.write() as change:
            for r in results:
                change.delete_documents(self._members_of(r.task))  # what it holds now replaces what it held
                if r.holds_only:
                    self.warned += [FailedFile(r.task.path, w) for w in r.warnings]
                if r.shared:
                    self.shares_stored[r.task.path] += 1
            for r, path, container, d in documents:
                new_chunks = []
                for c in d.chunks:
                    new_chunks.append(
                        NewChunk(
                            ord=c.ord,
                            start=c.start,
                            end=c.end,
                            page_start=c.page_start,
                            page_end=c.page_end,
                            heading=c.heading,
                            text=d.text[c.start : c.end],
                            n_tokens=len(c.token_ids),
                            vector=None,
                            view_spans=tuple(c.view_spans),
                            pending=c.views,
                        )
                    )
                t = r.task
                change.put_document(
                    NewDocument(
                        path=path,
                        folder=t.root,
                        type=d.type if isinstance(d, Part) else t.type,
                        size=t.size,
                        # A share of a mailbox is stored as stale until every share is in (_complete_shares): a run
                        # stopped halfway leaves a mailbox that the next run reads again, not one it thinks current.
                        mtime_ns=STALE_MTIME_NS if r.shared else t.mtime_ns,
                        sha256=r.sha256,
                        pages=len(d.page_starts) if d.page_starts is not None else None,
                        title=d.title,
                        text=d.text,
                        page_starts=d.page_starts,
                        sections=d.sections,
                        chunks=new_chunks,
                        # the second phase looks for its entities, where the tagger reads its language
                        untagged=self.tagger != NO_TAGGER and reads_language(self.tagger, d.language),
                        warnings=d.warnings,
                        container=container,
                        author=d.author,
                        recipients=d.recipients,
                        language=d.language,
                        date=d.date,
                        ocr_pages=d.ocr_pages,
                    )
                )
                self.warned += [FailedFile(path, w) for w in d.warnings]
                crash_point("in-transaction")
        self.indexed += sum(1 for r in results if r.task.part[0] == 0)  # a file read by several workers once
        self.chunks += len(windows)
        self.tokens += sum(len(w) for w in windows)
        self.pages += sum(len(d.page_starts or ()) for *_rest, d in documents)

    def _progress(self, phase: str) -> Progress:
        elapsed = time.monotonic() - self.started
        eta = None
        if self.bytes_done and phase == "index":
            eta = elapsed * (self.bytes_total - self.bytes_done) / self.bytes_done
        rate = self.chunks / elapsed if elapsed > 0 else 0.0
        if phase == "embed":
            embedding = time.monotonic() - self.embed_started
            rate = self.embed_chunks / embedding if embedding > 0 else 0.0
            left = []
            if self.embed_chunks and self.embed_total > self.embed_chunks:
                left.append(embedding * (self.embed_total - self.embed_chunks) / self.embed_chunks)
            if self.tagged > 1 and self.tag_total > self.tagged:
                tagging = time.monotonic() - self.first_tagged_at
                left.append(tagging * (self.tag_total - self.tagged) / (self.tagged - 1))
            if self.embed_chunks or self.tagged > 1:
                eta = max(left, default=0.0)
        return Progress(
            phase=phase,  # type: ignore[arg-type]
            files_done=self.files_done,
            files_total=self.files_total,
            chunks_done=self.chunks,
            embedded=self.embed_chunks,
            to_embed=self.embed_total,
            tagged=self.tagged,
            to_tag=self.tag_total,
            failed=len(self.failed),
            elapsed_s=elapsed,
            chunks_per_s=rate,
            tokens_per_s=self.tokens / elapsed if elapsed > 0 else 0.0,
            eta_s=eta,
            current=self.current,
        )


class _Tagging:
    """The second phase's tagging: the documents ``doc_ids`` sent to a pool of taggers, a few at a time, their
    entities handed back by ``poll``; with no workers (tests), one document tagged here per poll.

    A tagger that kills its worker (a crash in a library, out of memory) takes the documents in flight with it:
    each is tried again alone, and the one that kills its worker alone too gets no entities and a warning.
    """

    def __init__(self, run: _Run, doc_ids: Sequence[int]) -> None:
        self.run = run
        self.queue = collections.deque(doc_ids)
        self.suspects: collections.deque[int] = collections.deque()
        self.running: dict[cf.Future[TagResult], TagJob] = {}
        self.workers = max(1, run.owner.workers - 1) if run.owner.workers > 0 else 0  # a core embeds
        self.pool: cf.ProcessPoolExecutor | None = None
        self.alone = False  # a suspect runs alone in the pool
        self.retired: list[cf.ProcessPoolExecutor] = []  # narrower pools finishing what they have (widen)
        self.made: dict[cf.ProcessPoolExecutor, tuple[int, str]] = {}  # each pool's width and log file

    def __enter__(self) -> _Tagging:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop_pool()

    @property
    def done(self) -> bool:
        return not self.queue and not self.suspects and not self.running

    def _job(self, doc_id: int) -> TagJob | None:
        found = self.run.store.path_and_text(doc_id)
        if found is None:  # deleted since (a watcher's run, a removed folder)
            return None
        s = self.run.owner.settings
        return TagJob(doc_id, *found, self.run.tagger, s.max_tag_chars, s.allow_downloads, s.extract_timeout_s)

    def poll(self, block: bool) -> list[TagResult]:
        """The documents tagged since the last poll; with ``block``, wait for at least one (unless none is left)."""
        if self.workers == 0:
            while self.queue:
                job = self._job(self.queue.popleft())
                if job is not None:
                    return [tag_document(job)]
            return []
        self._submit()
        if not self.running:
            return []
        done, _ = cf.wait(self.running, timeout=None if block else 0, return_when=cf.FIRST_COMPLETED)
        results = []
        for future in done:
            job = self.running.pop(future)
            try:
                results.append(future.result())  # a ModelError (the tagger is missing) ends the run here
            except cf.process.BrokenProcessPool:
                results += self._broken(job)
                break
        return results

    def _broken(self, job: TagJob) -> list[TagResult]:
        """The pool died with ``job`` (and whatever else was running) in it."""
        in_flight = [job, *self.running.values()]
        self.running.clear()
        self._stop_pool(broken=True)
        if self.alone:  # it killed its worker alone: the culprit
            return [
                TagResult(job.doc_id, job.path, warnings=["entities were not looked for: the tagger crashed on it"])
            ]
        self.suspects.extend(j.doc_id for j in in_flight)
        return []

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        """A pool of ``workers`` taggers: one an earlier run of this Indexer kept, else a new one."""
        owner = self.run.owner
        kept = owner._take_pool(self.workers) if owner.keep_pools else None
        if kept is not None:
            self.made[kept[0]] = (self.workers, kept[1])
            return kept[0]
        fd, log = tempfile.mkstemp(prefix="docsense-tagger-", suffix=".log")  # what its libraries print
        os.close(fd)
        settings = owner.settings
        pool = _process_pool(self.workers, settings, None if settings.debug else log)
        self.made[pool] = (self.workers, log)
        return pool

    def _submit(self) -> None:
        if self.pool is None:
            if not self.queue and not self.suspects:
                return  # nothing to start a pool for (a wider one, once the few documents are in flight)
            self.pool = self._new_pool()
        # Suspects go one at a time, alone in the pool, before anything else.
        if self.suspects and not self.running:
            self.alone = True
            while self.suspects and not self.running:
                job = self._job(self.suspects.popleft())
                if job is not None:
                    self.running[self.pool.submit(tag_document, job)] = job
            return
        if self.alone and self.running:
            return  # a suspect still runs alone
        self.alone = False
        while self.queue and len(self.running) < self.workers * 2:
            job = self._job(self.queue.popleft())
            if job is not None:
                self.running[self.pool.submit(tag_document, job)] = job

    def widen(self) -> None:
        """Tag on every core from now on (the encoder is done): new documents go to a pool as wide as the
        extraction's, while the narrow one finishes those it has."""
        wide = max(1, self.run.owner.workers)
        if self.workers == 0 or self.workers >= wide or self.suspects or self.alone:
            return
        self.workers = wide
        if self.pool is not None:
            self.retired.append(self.pool)
            self.pool = None

    def _stop_pool(self, broken: bool = False) -> None:
        """Stop the pools, or, when this Indexer keeps its pools and they are idle and whole, keep them for its
        next run."""
        pools = [*self.retired, *([self.pool] if self.pool is not None else [])]
        owner = self.run.owner
        keep = owner.keep_pools and not broken and not self.running and not self.suspects and not self.alone
        for pool in pools:
            width, log = self.made.pop(pool)
            if keep and not getattr(pool, "_broken", False) and all(w != width for w, _p, _l in owner._kept_pools):
                owner._kept_pools.append((width, pool, log))  # its log goes with it (close_pools removes it)
            else:
                pool.shutdown(wait=True, cancel_futures=True)
                with contextlib.suppress(OSError):
                    os.unlink(log)
        self.retired.clear()
        self.pool = None
