"""Where a serving process listens for an index's searches (engine.serve; desktop/remote.py is the client).

Light on purpose: the client imports this and nothing heavier.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SOCKET_NAME = "search.sock"
PROTOCOL = 1
MAX_SOCKET_PATH = 100  # bytes: sun_path holds 108 on Linux, 104 on macOS


def socket_path(index_folder: Path) -> Path:
    """The socket in the index folder; where that path is too long for a socket, one named by a hash of the folder
    in the user's runtime folder ($XDG_RUNTIME_DIR, else /tmp/docsense-<uid>, which only the user can enter)."""
    folder = Path(os.path.abspath(index_folder))
    path = folder / SOCKET_NAME
    if len(os.fsencode(path)) < MAX_SOCKET_PATH:
        return path
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/docsense-{os.getuid()}"
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:20]
    return Path(runtime) / f"docsense-{digest}.sock"


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` is the user's own and closed to others (made so when it is missing)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.lstat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o077 and not folder.is_symlink()
