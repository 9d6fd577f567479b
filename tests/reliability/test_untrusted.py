"""Folders DocSense indexes are not trusted: nothing in them runs, whatever the user's working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.conftest import FAST_ENV

DOCSENSE = Path(sys.executable).with_name("docsense")  # the installed command, as a user runs it


def test_modules_planted_in_the_working_directory_never_run(tmp_path: Path) -> None:
    downloaded = tmp_path / "downloaded"
    downloaded.mkdir()
    for i in range(4):  # several files, two workers: the extraction runs in spawned processes
        (downloaded / f"note{i}.md").write_text(f"# Note {i}\n\nPlain words about tea number {i}.")
    marker = tmp_path / "ran"
    payload = f"import pathlib, os\npathlib.Path({str(marker)!r}, str(os.getpid())).touch()\n"
    (downloaded / "multiprocessing.py").write_text(payload)  # what a spawned child imports first
    marker.mkdir()
    for package in ("indexer", "engine"):  # what a worker imports to unpickle its job
        (downloaded / package).mkdir()
        (downloaded / package / "__init__.py").write_text(payload)
    env = {**os.environ, **FAST_ENV}
    env.pop("PYTHONSAFEPATH", None)
    out = subprocess.run(
        [str(DOCSENSE), "index", ".", "--index", str(tmp_path / "index"), "--workers", "2", "-q"],
        cwd=downloaded, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert list(marker.iterdir()) == [], "a module from the indexed folder ran in a DocSense process"
    assert "Indexed 7 files" in out.stderr  # the planted .py files are read as source code, never run
