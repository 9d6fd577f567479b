"""The client side of engine.serve: ask the process that has the index open, if there is one.

Only the standard library and engine.endpoint are imported here, so that a `docsense search` answered by a
serving process costs the interpreter's start and little more.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from engine.endpoint import PROTOCOL, socket_path

TIMEOUT = 60.0  # seconds: a search on a big index, or the server's first one while it loads


def request(index_folder: Path, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The serving process's answer to ``payload``, or None when no process serves the index (no socket, nobody
    listening, or not ours): the caller then opens the index itself."""
    path = socket_path(Path(index_folder))
    try:
        if not path.is_socket() or path.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect(os.fspath(path))
        sock.sendall(json.dumps({"v": PROTOCOL, **payload}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None  # a socket left behind, or a server that stopped meanwhile
    finally:
        sock.close()
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
