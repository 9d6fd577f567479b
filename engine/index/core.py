"""An open index folder: the SQLite store, the FAISS vectors kept in step with it, and the encoder it was built with."""

from __future__ import annotations

import os
from pathlib import Path

from engine.encoder import Encoder, load_encoder
from engine.errors import EncoderMismatchError, IndexAccessError
from engine.index.store import DB_NAME, Store
from engine.index.vectors import VectorIndex


class Index:
    """Both halves of an index folder, opened together.

    Args:
        folder: the index folder.
        encoder: the encoder to use, or its name; None means the one the index was built with (or the default
            for a new index).
        create: make the folder and an empty index if there is none.
    """

    def __init__(self, folder: Path, encoder: Encoder | str | None = None, create: bool = False) -> None:
        self.folder = Path(folder).expanduser().resolve()
        if not (self.folder / DB_NAME).exists():
            if not create:
                raise IndexAccessError(f"no index at {self.folder}: create one with `docsense index FOLDER`")
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise IndexAccessError(f"cannot create the index folder {self.folder}: {exc.strerror}") from exc
        elif not os.access(self.folder, os.R_OK):
            raise IndexAccessError(f"cannot read the index folder {self.folder}: permission denied")
        try:
            self.store = Store(self.folder)
        except Exception as exc:
            if isinstance(exc, IndexAccessError):
                raise
            raise IndexAccessError(f"cannot open {self.folder / DB_NAME}: {exc}") from exc
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
        self.encoder_name = recorded or requested or os.environ.get("DOCSENSE_ENCODER") or ""
        self._vectors: VectorIndex | None = None
        self._saved_version: int | None = None

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded on first use (model loading is slow, and a keyword search does not need it)."""
        if self._encoder is None:
            self._encoder = load_encoder(self.encoder_name or None)
            self.encoder_name = self._encoder.name
        return self._encoder

    def record_encoder(self) -> None:
        """Write the encoder's name and size into a new index; call inside a transaction."""
        if not self.store.get_meta("encoder"):
            self.store.set_meta("encoder", self.encoder.name)
            self.store.set_meta("dim", str(self.encoder.dim))

    @property
    def dim(self) -> int:
        recorded = self.store.get_meta("dim")
        return int(recorded) if recorded else self.encoder.dim

    def vectors(self) -> VectorIndex:
        """The FAISS index, loaded from its file, or rebuilt from SQLite when the file is missing or stale."""
        if self._vectors is None:
            loaded = VectorIndex.load(self.folder, self.dim)
            if loaded is not None and loaded[1] == self.store.vectors_version():
                self._vectors = loaded[0]
                self._saved_version = loaded[1]
            else:
                self._vectors = self.rebuild_vectors()
        return self._vectors

    def rebuild_vectors(self) -> VectorIndex:
        ids, vecs = self.store.all_vectors(self.dim)
        vectors = VectorIndex(self.dim)
        vectors.add(ids, vecs)
        return vectors

    def reload(self) -> None:
        """Forget the in-memory vectors, so that the next search sees what another process has written."""
        self._vectors = None
        self._saved_version = None

    def replace_vectors(self, vectors: VectorIndex) -> None:
        """Use ``vectors`` (rebuilt from the rows) from now on; the next save writes them whatever the version."""
        self._vectors = vectors
        self._saved_version = None

    def save_vectors(self) -> None:
        """Write the FAISS file if the vectors changed since it was loaded or last saved."""
        version = self.store.vectors_version()
        if self._vectors is not None and version != self._saved_version:
            self._vectors.save(self.folder, version)
            self._saved_version = version

    def size_bytes(self) -> int:
        total = 0
        for entry in self.folder.iterdir():
            if entry.is_file():
                total += entry.stat().st_size
        return total

    def close(self) -> None:
        self.store.close()
