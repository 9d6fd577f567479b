"""An open index folder: the SQLite store, the FAISS vectors kept in step with it, and the encoder it was built with."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.encoder import Encoder, load_encoder
from engine.errors import EncoderMismatchError, IndexAccessError
from engine.index import impacts as keyword_weights
from engine.index.impacts import Impacts
from engine.index.schema import SCHEMA_VERSION
from engine.index.store import DB_NAME, NewDocument, Store, database_error, disk_full
from engine.index.vectors import (
    BACKENDS,
    DEFAULT_BACKEND,
    FAISS_NAME,
    SIDECAR_NAME,
    VectorIndex,
    VectorStore,
    backend,
)
from engine.settings import SERVER_FILE, Settings
from engine.tagger import EntitySpan


def server_url(folder: Path) -> str | None:
    """The database server an index folder's rows are on (its SERVER_FILE), or None for an index of its own."""
    try:
        return str(json.loads((folder / SERVER_FILE).read_text())["url"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        shown = folder / SERVER_FILE
        raise IndexAccessError(f"{shown} does not name a server ({exc}): delete it to start again") from exc


def _shown(url: str) -> str:
    """A server URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def check_index_folder(folder: Path) -> None:
    """Refuse an index folder another user owns or can write to: in a shared place such as /tmp they could plant
    links where DocSense writes (writer.lock, the vector file's temporary) and overwrite the user's files."""
    st = os.stat(folder)
    if st.st_uid != os.getuid():
        raise IndexAccessError(
            f"the index folder {folder} belongs to another user (uid {st.st_uid}): keep your index in a folder of "
            "your own (the default is in your data folder)"
        )
    # Others may never write; the group only when it is not the user's own (umask 002 gives g+w to private groups).
    if st.st_mode & 0o002 or (st.st_mode & 0o020 and st.st_gid != os.getgid()):
        raise IndexAccessError(
            f"the index folder {folder} can be written by others (mode {stat.S_IMODE(st.st_mode):o}): "
            f"run `chmod go-w {folder}`, or keep your index in a folder of your own"
        )


class Change:
    """The writes of one ``Index.write()``: rows go to SQLite at once, in its open transaction; the vectors they
    remove and add reach the vector store when that transaction commits, so no caller keeps the two in step."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.removed: list[int] = []
        self.added_ids: list[int] = []
        self.added_vectors: list[np.ndarray] = []

    def put_document(self, doc: NewDocument) -> None:
        """Store ``doc`` (its chunks' vectors included) in place of whatever ``doc.path`` held."""
        removed, added = self._store.put_document(doc)
        self.removed += removed
        for chunk_id, c in zip(added, doc.chunks, strict=True):
            if c.vector is not None:  # the others wait for the second phase (set_vectors)
                self.added_ids.append(chunk_id)
                self.added_vectors.append(c.vector)

    def set_vectors(self, vectors: dict[int, np.ndarray]) -> None:
        """The second phase: the vectors of chunks stored without them (a chunk deleted meanwhile is skipped)."""
        for chunk_id in self._store.set_vectors(vectors):
            self.added_ids.append(chunk_id)
            self.added_vectors.append(vectors[chunk_id])

    def delete_documents(self, paths: Iterable[str]) -> None:
        self.removed += self._store.delete_documents(paths)

    def record_failure(
        self,
        path: str,
        folder: str,
        reason: str,
        size: int | None,
        mtime_ns: int | None,
        kind: str = "file",
        keep_document: bool = False,
    ) -> None:
        """Note that ``path`` could not be indexed (``kind``: "file" or "bug"); a stale copy of it goes, unless
        ``keep_document`` (the file could not be looked at for now, which says nothing of its content)."""
        from engine import __version__

        self.removed += self._store.record_failure(
            path, folder, reason, size, mtime_ns, kind, __version__, keep_document
        )

    def remove_folder(self, folder: str) -> None:
        """Forget an indexed folder, its documents and its failures."""
        self.removed += self._store.remove_folder(folder)

    # -- rows only (no vectors change) ---------------------------------------------------------------------

    def put_entities(self, doc_id: int, entities: Sequence[EntitySpan], warnings: Sequence[str] = ()) -> None:
        """The second phase: a document's entities, stored without them."""
        self._store.put_entities(doc_id, entities, warnings)

    def set_languages(self, languages: dict[int, str]) -> None:
        """The languages of documents stored before their language was looked for (engine.language)."""
        self._store.set_languages(languages)

    def rename_document(self, old: str, new: str, folder: str, size: int, mtime_ns: int) -> None:
        self._store.rename_document(old, new, folder, size, mtime_ns)

    def touch_document(self, doc_id: int, size: int, mtime_ns: int) -> None:
        self._store.touch_document(doc_id, size, mtime_ns)

    def touch_members(self, container: str, size: int, mtime_ns: int) -> None:
        self._store.touch_members(container, size, mtime_ns)

    def forget_failure(self, path: str) -> None:
        self._store.forget_failure(path)

    def add_folder(self, path: str) -> None:
        self._store.add_folder(path)

    def set_folder_excludes(self, path: str, patterns: Sequence[str]) -> None:
        self._store.set_folder_excludes(path, patterns)

    def set_meta(self, key: str, value: str) -> None:
        self._store.set_meta(key, value)

    def mark_all_stale(self) -> None:
        self._store.mark_all_stale()


@dataclass
class _Counts:
    """What an Index counted since the rows last changed (``key``)."""

    key: tuple[int, int]
    windows: int | None = None
    documents: int | None = None
    languages: dict[str, int] | None = None
    not_in: dict[str, set[int]] = field(default_factory=dict)
    per_document: dict[int, int] = field(default_factory=dict)
    terms: dict[str, int] = field(default_factory=dict)


class Index:
    """Both halves of an index folder, opened together.

    Args:
        folder: the index folder.
        encoder: the encoder to use, or its name; None means the settings' (which name the one the index was built
            with, unless a flag, the environment or the config file names another).
        create: make the folder and an empty index if there is none.
        settings: the settings of the command (the encoder's device, backend, batch size and cache folder); None
            resolves them for this folder.
    """

    def __init__(
        self,
        folder: Path,
        encoder: Encoder | str | None = None,
        create: bool = False,
        settings: Settings | None = None,
    ) -> None:
        self.folder = Path(folder).expanduser().resolve()
        self.settings = settings or Settings.resolve({"index": self.folder})
        self.server = server_url(self.folder)
        if self.server is not None:  # the rows are on a database server (engine.index.postgres)
            check_index_folder(self.folder)
            self.readonly = False
            self.store = self._open_server(self.server, create)
        else:
            self.store = self._open_folder(create)
        self._encoder: Encoder | None = None
        requested: str | None = None
        if isinstance(encoder, str):
            requested = encoder
        elif encoder is not None:
            self._encoder, requested = encoder, encoder.name
        recorded = self.store.get_meta("encoder")
        if recorded and requested and recorded != requested:
            raise EncoderMismatchError(
                f"the index at {self.folder} was built with encoder {recorded!r}, not {requested!r}: "
                "use another --index folder for the new encoder, or delete this one to rebuild it"
            )
        self.encoder_name = recorded or requested or self.settings.encoder
        self._vectors: VectorStore | None = None
        # The index's own kind of vector store; a new one takes the settings' (engine/index/vectors.py: BACKENDS).
        new = not self.store.get_meta("encoder")
        self.vectors_backend = self.store.get_meta("vectors_backend") or (
            self.settings.vector_store if new else DEFAULT_BACKEND
        )
        if new and self.vectors_backend not in BACKENDS:
            raise IndexAccessError(
                f"unknown vector_store {self.vectors_backend!r}: choose from {', '.join(sorted(BACKENDS))}"
            )
        self._make_vectors, self._load_vectors = backend(self.vectors_backend)
        self._saved_version: int | None = None
        self._seen_version: int | None = None  # the rows' vectors_version the vectors in memory hold
        self._writes = 0  # changes this Index committed (with the store's data_version: whether rows changed)
        self._cached: _Counts | None = None
        self._impacts: tuple[str, Impacts | None] | None = None  # the keyword weights and their token

    @property
    def shown_server(self) -> str:
        """The server the rows are on, for people to read (no password); "" for an index of its own."""
        return _shown(self.server) if self.server is not None else ""

    def _open_folder(self, create: bool) -> Store:
        """The SQLite database in the index folder (made when ``create``), read-only where it cannot be written."""
        if not (self.folder / DB_NAME).exists():
            if not create:
                raise IndexAccessError(f"no index at {self.folder}: create one with `docsense index FOLDER`")
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise IndexAccessError(f"cannot create the index folder {self.folder}: {exc.strerror}") from exc
        elif not os.access(self.folder, os.R_OK):
            raise IndexAccessError(f"cannot read the index folder {self.folder}: permission denied")
        check_index_folder(self.folder)  # before anything is opened or written in it
        # An index in a folder this user cannot write (a read-only share, a folder made read-only) can still be
        # searched: it is opened read-only, and writing to it says why it cannot.
        self.readonly = not create and not (
            os.access(self.folder, os.W_OK) and os.access(self.folder / DB_NAME, os.W_OK)
        )
        if create and not os.access(self.folder, os.W_OK):
            raise IndexAccessError(
                f"the index folder {self.folder} is read-only: it can be searched, but changing the index needs "
                f"write access to it (`chmod u+w {self.folder}`)"
            )
        try:
            store = self._open_store(create)
        except Exception as exc:
            if isinstance(exc, IndexAccessError):
                raise
            raise database_error(exc, self.folder) or IndexAccessError(
                f"cannot open {self.folder / DB_NAME}: {exc}"
            ) from exc
        if self.readonly and store.schema_version() < SCHEMA_VERSION:
            store.close()
            raise IndexAccessError(
                f"{self.folder / DB_NAME} was made by an older DocSense and must be upgraded before it can be read, "
                f"which needs write access to its folder: make it writable (`chmod u+w {self.folder}`) and run the "
                "command again"
            )
        return store

    def _open_server(self, url: str, create: bool) -> Store:
        """The rows on the database server at ``url``."""
        from engine.index.postgres import PostgresStore

        try:
            return PostgresStore(url, create=create)
        except ImportError as exc:
            raise IndexAccessError(
                f"the index {self.folder} is on a PostgreSQL server: install DocSense's server support "
                "(`pip install 'docsense[postgres]'`)"
            ) from exc
        except Exception as exc:
            if isinstance(exc, IndexAccessError):
                raise
            raise IndexAccessError(f"cannot open the index on {_shown(url)}: {str(exc).strip()}") from exc

    def _open_store(self, create: bool) -> Store:
        """The database, for writing when it can be; searching goes on, read-only, on a disk too full for the
        -shm file SQLite needs to open it for writing."""
        try:
            return Store(self.folder, readonly=self.readonly)
        except sqlite3.OperationalError:
            if create or self.readonly or not disk_full(self.folder):
                raise
            self.readonly = True
            return Store(self.folder, readonly=True, frozen=True)

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded on first use (model loading is slow, and a keyword search does not need it)."""
        if self._encoder is None:
            s = self.settings
            self._encoder = load_encoder(self.encoder_name, s.device, s.backend, s.token_budget, s.cache, s.threads)
            self.encoder_name = self._encoder.name
        return self._encoder

    @property
    def loaded_encoder(self) -> Encoder | None:
        """The encoder, if something needed it (None: nothing was embedded or searched by meaning)."""
        return self._encoder

    def record_encoder(self) -> None:
        """Write the encoder's name and size into a new index; call inside a transaction."""
        if not self.store.get_meta("encoder"):
            self.store.set_meta("encoder", self.encoder.name)
            self.store.set_meta("dim", str(self.encoder.dim))
            self.store.set_meta("vectors_backend", self.vectors_backend)

    @property
    def dim(self) -> int:
        recorded = self.store.get_meta("dim")
        return int(recorded) if recorded else self.encoder.dim

    def vectors(self) -> VectorStore:
        """The FAISS index, loaded from its file, or rebuilt from SQLite when the file is missing or stale."""
        if self._vectors is None and self.server is not None:
            from engine.index.postgres import ServerVectors

            self._vectors = ServerVectors(self.store)  # type: ignore[arg-type]
            self._saved_version = self._seen_version = self.store.vectors_version()
        if self._vectors is None:
            version = self.store.vectors_version()
            loaded = self._load_vectors(self.folder, self.dim)
            if loaded is not None and loaded[1] == version:
                self._vectors = self._attached(loaded[0])
                self._saved_version = loaded[1]
            else:
                self._vectors = self.rebuild_vectors()
            self._seen_version = version
        return self._vectors

    def refresh(self) -> None:
        """Forget the vectors in memory if another process has changed the rows since they were read, so that a
        long-lived reader (engine.serve) answers from what is stored now; the rows themselves are always read fresh."""
        if self._vectors is not None and self._seen_version != self.store.vectors_version():
            self.reload()

    def _attached(self, vectors: VectorStore) -> VectorStore:
        """``vectors``, told where the exact vectors are when it keeps only codes (engine.index.ann)."""
        attach = getattr(vectors, "attach", None)
        if attach is not None:
            attach(lambda ids: self.store.vectors_of(list(ids), self.dim))
        return vectors

    @contextmanager
    def write(self) -> Iterator[Change]:
        """One change to the index: what the block does to the rows is one SQLite transaction (all or nothing), and
        once it commits the vectors it removed and added are applied to the vector store in memory. ``save_vectors``
        writes them to disk; until then a crash costs a rebuild from the rows, never a wrong answer."""
        vectors = self.vectors()  # loaded (or rebuilt) before the change
        change = Change(self.store)
        try:
            with self.store.transaction():
                yield change
        except sqlite3.Error as exc:
            error = database_error(exc, self.folder)
            if error is None:
                raise
            raise error from exc
        self._writes += 1
        vectors.remove(change.removed)
        vectors.add(change.added_ids, change.added_vectors)
        self._seen_version = self.store.vectors_version()

    def _counts(self) -> _Counts:
        """What searches count, read again only after the rows changed (this Index's own writes, or another
        process's: SQLite's data_version), so a search pays for none of it while nothing changes."""
        key = (self.store.data_version(), self._writes)
        if self._cached is None or self._cached.key != key:
            self._cached = _Counts(key)
        return self._cached

    def window_count(self) -> int:
        """How many windows the index holds."""
        counts = self._counts()
        if counts.windows is None:
            counts.windows = self.store.window_count()
        return counts.windows

    def document_count(self) -> int:
        """How many documents the index holds."""
        counts = self._counts()
        if counts.documents is None:
            counts.documents = self.store.document_count()
        return counts.documents

    def window_counts(self, doc_ids: Iterable[int]) -> dict[int, int]:
        """{document: how many windows it has} for ``doc_ids`` (0 for one no longer stored)."""
        known = self._counts().per_document
        doc_ids = list(doc_ids)
        missing = sorted(set(doc_ids) - known.keys())
        if missing:
            known.update(dict.fromkeys(missing, 0) | self.store.window_counts(missing))
        return {d: known[d] for d in doc_ids}

    def term_counts(self, terms: Iterable[str]) -> dict[str, int]:
        """{term: how many windows hold it} for ``terms`` (stemmed as the keyword index stems them): counting reads
        every window a term is in (66 ms for a query's words in a million windows), so each term is counted once
        while the rows stay as they are."""
        known = self._counts().terms
        terms = list(dict.fromkeys(terms))
        missing = [t for t in terms if t not in known]
        if missing:
            known.update(self.store.term_counts(missing))
        return {t: known[t] for t in terms}

    def impacts(self) -> Impacts | None:
        """The common terms' stored keyword weights (engine.index.impacts), or None when this index has none that
        belong to its database. Read again when another process has built them anew."""
        token = self.store.get_meta(keyword_weights.META_KEY)
        if token is None or self.server is not None:
            return None
        if self._impacts is None or self._impacts[0] != token:
            self._impacts = (token, keyword_weights.load(self.store, self.folder))
        return self._impacts[1]

    def build_impacts(self, least: int | None = None) -> Generator[tuple[int, int], None, None]:
        """Store the keyword weights of the terms at least ``least`` windows (COMMON_AT) hold in place of the old
        ones, yielding (windows weighed, of how many) as it goes; closed early, the old ones stay."""
        least = keyword_weights.COMMON_AT if least is None else least
        token = yield from keyword_weights.build(self.store, self.folder, least)
        with self.write() as change:
            change.set_meta(keyword_weights.META_KEY, token)

    def impacts_due(self) -> bool:
        """Whether the keyword weights are worth building now: the index has BUILD_AT windows or more
        (engine.index.impacts), and none are stored or its windows changed by a quarter since."""
        if self.server is not None:  # a server's keyword side has no weights yet (issue 17)
            return False
        windows, last = self.window_count(), self.store.last_chunk_id()
        if windows < keyword_weights.BUILD_AT or last > keyword_weights.MAX_ID:
            return False
        built = self.impacts()
        if built is None:
            return True
        return abs(windows - built.windows) > windows // 4 or last - built.last > windows // 4

    def languages(self) -> dict[str, int]:
        """{language code: its documents}, most first ('' for those whose language could not be told)."""
        counts = self._counts()
        if counts.languages is None:
            counts.languages = self.store.languages()
        return counts.languages

    def documents_not_in(self, language: str) -> set[int]:
        """The documents written in another language than ``language``."""
        others = self._counts().not_in
        if language not in others:
            others[language] = self.store.documents_not_in(language)
        return others[language]

    def rebuild_vectors(self) -> VectorStore:
        if self.server is not None:  # nothing to rebuild: the server's rows are the vectors
            return self.vectors()
        ids, vecs = self.store.all_vectors(self.dim)
        vectors: VectorStore = self._make_vectors(self.dim)
        vectors.add(ids, vecs)
        return self._attached(vectors)

    def reload(self) -> None:
        """Forget the in-memory vectors, so that the next search sees what another process has written."""
        self._vectors = None
        self._saved_version = None

    def replace_vectors(self, vectors: VectorStore) -> None:
        """Use ``vectors`` (rebuilt from the rows) from now on; the next save writes them whatever the version."""
        self._vectors = self._attached(vectors)
        self._saved_version = None

    def save_vectors(self) -> None:
        """Write the FAISS file if the vectors changed since it was loaded or last saved."""
        version = self.store.vectors_version()
        if self._vectors is not None and version != self._saved_version:
            self._vectors.save(self.folder, version)
            self._saved_version = version

    # -- verify and repair --------------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """What is wrong with the index's own files: the database, the vector file against the rows."""
        store = self.store
        problems: list[str] = []
        check = store.quick_check()
        if check != "ok":  # nothing else can be trusted: what the damage hides is not looked for
            return [f"database: {check} (`docsense verify --repair` saves what is intact)"]
        if self.server is not None:  # one transaction writes rows and vectors: no file to disagree with them
            return problems
        if store.counts()[0]:
            from engine.index.salvage import disagreeing

            bad, seen = disagreeing(store.conn, self.dim)  # every document: 0.2 s for 5,575 chunks here
            if bad:
                problems.append(
                    f"database: {len(bad)} of {seen} documents have rows that disagree with each other (the first: "
                    f"{bad[0]}; `docsense verify --repair` reads them again)"
                )
        loaded = self._load_vectors(self.folder, self.dim)
        if loaded is None:
            damage = self._make_vectors.diagnose(self.folder, self.dim) if self._keeps_files() else None
            if damage:
                problems.append(f"vectors: {damage}")
            elif (self.folder / FAISS_NAME).exists() or store.counts()[1]:
                problems.append(f"vectors: {FAISS_NAME} is missing or unreadable")
            return problems
        vectors, version = loaded
        if version != store.vectors_version():
            problems.append(
                f"vectors: {FAISS_NAME} was saved at version {version}, the database is at "
                f"{store.vectors_version()} ({SIDECAR_NAME})"
            )
        chunk_ids = store.chunk_ids()
        faiss_ids = set(vectors.ids().tolist())
        row_ids = set(chunk_ids.tolist())
        if missing := row_ids - faiss_ids:
            problems.append(f"vectors: {len(missing)} chunks have no vector in {FAISS_NAME}")
        if orphans := faiss_ids - row_ids:
            problems.append(f"vectors: {len(orphans)} vectors in {FAISS_NAME} belong to no chunk")
        if not missing and not orphans and isinstance(vectors, VectorIndex) and not getattr(vectors, "compressed", 0):
            problems += self._compare_sample(vectors, chunk_ids)
        return problems

    def _keeps_files(self) -> bool:
        """Whether this index's vector store is one of the FAISS files in its folder."""
        return isinstance(self._make_vectors, type) and issubclass(self._make_vectors, VectorIndex)

    def _compare_sample(self, vectors: VectorIndex, ids: np.ndarray, sample: int = 256) -> list[str]:
        """Content, not only structure: a sample of the chunks ``ids`` whose vectors in the file are compared with
        those their rows keep."""
        if len(ids) == 0:
            return []
        chosen = np.random.default_rng(0).choice(ids, size=min(sample, len(ids)), replace=False)
        differ = 0
        for chunk_id, rows in self.store.vectors_of(chosen.tolist(), self.dim).items():
            stored = rows.astype(np.float16).astype(np.float32)
            if not np.allclose(vectors.vectors_of(chunk_id, len(rows)), stored, atol=1e-3):
                differ += 1
        return (
            [f"vectors: {differ} of {len(chosen)} chunks sampled differ from their rows in {FAISS_NAME}"]
            if differ
            else []
        )

    def repair(self, gone: list[str]) -> list[str]:
        """Rebuild what is inconsistent from what is intact; ``gone``: documents whose files no longer exist.

        Their rows are removed; the full-text index is rebuilt from the chunk rows; the vector file is rebuilt from
        the vectors SQLite keeps (fixing a missing, stale or damaged file and orphan vectors) and saved atomically.
        Returns what was done, for people to read. Call with the writer lock held.
        """
        actions = []
        with self.write() as change:
            change.delete_documents(gone)
            self.store.rebuild_keyword_index()
        if gone:
            actions.append(f"removed {len(gone)} documents whose files are gone")
        actions.append("rebuilt the keyword index from the chunks")
        if self.server is not None:
            return actions
        vectors = self.rebuild_vectors()
        self.replace_vectors(vectors)
        self.save_vectors()
        actions.append(f"rebuilt the vector file from the database ({len(vectors)} vectors)")
        check = self.store.quick_check()
        if check != "ok":
            actions.append(f"the database itself is damaged ({check}): delete the index folder and index again")
        return actions

    def size_bytes(self) -> int:
        """The bytes of the index's files: the database, the vectors, the keyword weights."""
        if self.server is not None:
            return int(self.store.size_bytes())  # type: ignore[attr-defined]
        total = 0
        for folder in (self.folder, self.folder / keyword_weights.FOLDER):
            for entry in folder.iterdir() if folder.is_dir() else ():
                if entry.is_file():
                    total += entry.stat().st_size
        return total

    def close(self) -> None:
        self.store.close()
