"""Searches for other processes: a process that has the index open answers `docsense search` over a local socket.

A cold `docsense search` loads the encoder and the vectors before it can answer; a process that already has them
(`docsense serve`, `docsense watch`) answers in milliseconds. It listens on a Unix socket in the index folder
(engine.endpoint.socket_path), which only its user can open: the socket file is mode 0600 in a folder of the
user's, and each connection's peer must be the same user (SO_PEERCRED, where the system has it). No TCP port is opened.

The protocol is one JSON object a line, one request and one answer a connection (desktop/remote.py is the client):
``{"op": "search", "query": ..., "limit": ..., "path": ..., "types": [...], "modes": [...], "entity": ...,
"author": ..., "after": ..., "before": ..., "excluded": [...], "title": ..., "recipient": ...}`` (the query's
fields already read by the client, engine.query) is answered by ``{"hits": [SearchHit as a dict, ...], "searched":
..., "fixes": {...}, "unknown": [...]}``, or by ``{"error": message, "usage": true|false}`` for a query or index
the user can put right. ``{"op": "ask", ...}`` (the same filters) is answered by ``{"answers": [Answer as a dict,
...], "searched": ..., "fixes": {...}}``. ``{"op": "ping"}`` is answered by ``{"pid": ..., "index": ...}``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.endpoint import PROTOCOL, private_folder, socket_path
from engine.errors import IndexAccessError, QueryError, explain
from engine.library import Library
from engine.query import FILTERS

MAX_REQUEST = 1 << 20  # bytes
log = logging.getLogger(__name__)
T = TypeVar("T")


def _here(fn: Callable[[], T]) -> T:
    return fn()


class SearchServer:
    """Answers searches on the index's socket from one Library (``make_library``), one request at a time.
    ``start`` serves in a daemon thread, ``serve_bound`` in this one; ``close`` stops.

    Args:
        index_folder: the index served.
        make_library: opens the Library (or returns one already open).
        run: calls a function where the Library may be used, and returns what it returned: by default in the
            serving thread; the window runs it in its library's thread, between its own searches.
        owned: whether the Library is closed when serving stops (not one the caller keeps using).

    Raises (from ``bind``):
        IndexAccessError: another process already serves this index, or the socket cannot be made.
    """

    def __init__(
        self,
        index_folder: Path,
        make_library: Callable[[], Library],
        run: Callable[[Callable[[], Any]], Any] = _here,
        owned: bool = True,
    ) -> None:
        self.path = socket_path(index_folder)
        self.index_folder = Path(os.path.abspath(index_folder))
        self._make_library = make_library
        self._run = run
        self._owned = owned
        self._library: Library | None = None
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.failure: str | None = None  # why it stopped serving, if it could not open the index
        self.answered = 0  # requests answered

    def bind(self) -> None:
        if not self.index_folder.is_dir():
            raise IndexAccessError(f"no index at {self.index_folder}: create one with `docsense index FOLDER`")
        if self.path.parent != self.index_folder and not private_folder(self.path.parent):
            raise IndexAccessError(f"{self.path.parent} is not a folder only you can open: not serving searches")
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise IndexAccessError(f"another DocSense process already serves {self.index_folder}")
            self.path.unlink()  # left by a process that ended without closing it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is created 0600: no moment at which others could connect
        try:
            sock.bind(os.fspath(self.path))
        except OSError as exc:
            sock.close()
            raise IndexAccessError(f"cannot make the search socket {self.path}: {exc.strerror or exc}") from exc
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(16)
        sock.settimeout(0.2)  # so that close() is seen
        self._sock = sock

    def start(self) -> None:
        """Bind, then serve in a daemon thread."""
        self.bind()
        self._thread = threading.Thread(target=self._serve, name="docsense-serve", daemon=True)
        self._thread.start()

    def serve_bound(self) -> None:
        """Serve in this thread, after ``bind``, until ``close`` (or an interrupt)."""
        self._serve()

    def stop(self) -> None:
        """Ask the serving thread to stop, without waiting for it (``close`` waits)."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _serve(self) -> None:
        assert self._sock is not None
        try:
            try:
                self._library = self._run(self._open)
            except Exception as exc:  # searches are then answered by the commands themselves
                if self._stop.is_set():  # stopped while it opened the index (the window closing): nothing to say
                    return
                error = explain(exc)
                if error is None:
                    raise
                self.failure = str(error)
                if self._thread is not None:  # beside other work (watch): said here; serve_bound's caller says it
                    log.warning("not answering searches for other commands: %s", self.failure)
                return
            self.ready.set()
            while not self._stop.is_set():
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                with conn:
                    self._answer(conn)
        finally:
            self.ready.set()
            self._sock.close()
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
            if self._library is not None and self._owned:
                self._library.close()

    def _open(self) -> Library:
        library = self._make_library()
        library.index.vectors()  # loaded now, not on the first query
        library.index.encoder  # noqa: B018  (loaded now too)
        return library

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if not _same_user(conn):
                return
            data = b""
            while not data.endswith(b"\n") and len(data) < MAX_REQUEST:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            request = json.loads(data.decode("utf-8", "surrogateescape"))
        except (OSError, ValueError) as exc:
            reply = {"error": f"a bad request: {exc}", "usage": True}
        else:
            try:
                reply = self._run(lambda: self.handle(request))
            except Exception as exc:  # the window closing meanwhile
                reply = {"error": f"the serving process could not answer: {exc}"}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply, ensure_ascii=True).encode() + b"\n")
        self.answered += 1

    def handle(self, request: Any) -> dict[str, Any]:
        """The answer to one request (a decoded JSON object)."""
        library = self._library
        assert library is not None
        if not isinstance(request, dict) or request.get("v", PROTOCOL) != PROTOCOL:
            return {"error": "a request this server does not know", "usage": True}
        op = request.get("op")
        if op == "ping":
            return {"pid": os.getpid(), "index": str(self.index_folder)}
        if op not in ("search", "ask"):
            return {"error": f"unknown request {op!r}", "usage": True}
        try:
            library.index.refresh()
            query = request.get("query")
            if not isinstance(query, str):
                raise QueryError("the query must be text")
            filters: dict[str, Any] = {name: request.get(name) for name in FILTERS}
            filters["types"] = tuple(filters["types"] or ())
            filters["excluded"] = tuple(filters["excluded"] or ())
            if op == "ask":
                answers = library.ask(query, limit=int(request.get("limit", 3)), **filters)
                searched, fixes = library.spelled(query)
                return {"answers": [dataclasses.asdict(a) for a in answers], "searched": searched, "fixes": fixes}
            hits = library.search(
                query, limit=int(request.get("limit", 10)), modes=tuple(request.get("modes") or ("meaning", "keyword")),
                **filters,
            )  # fmt: skip
            searched, fixes = library.spelled(query)
            unknown = [] if hits else library.unknown_words(query)
            return {"hits": [dataclasses.asdict(h) for h in hits], "searched": searched, "fixes": fixes,
                    "unknown": unknown}  # fmt: skip
        except QueryError as exc:
            return {"error": str(exc), "usage": True}
        except (TypeError, ValueError) as exc:
            return {"error": f"a bad request: {exc}", "usage": True}
        except Exception as exc:
            error = explain(exc)
            if error is None:
                log.exception("a search on the socket failed")
                return {"error": f"the serving process failed on this search ({type(exc).__name__}: {exc})"}
            return {"error": str(error)}


def _answers(path: Path) -> bool:
    """Whether a process listens on the socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1)
    try:
        probe.connect(os.fspath(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def _same_user(conn: socket.socket) -> bool:
    """Whether the connecting process is this user's (always true where the system cannot say)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()
