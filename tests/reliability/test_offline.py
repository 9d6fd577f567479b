"""No DocSense process reaches for the network: index, search, ask, watch and the window, traced with strace.

Everything runs with ``CI`` unset (OpenVINO's telemetry turns itself off when CI=true, which once hid it), with the
real encoder, the real tagger and an empty model cache, so the OpenVINO conversion and every library's first import
happen under the trace. strace follows every child (extraction workers, multiprocessing's resource tracker,
telemetry senders) and sees the system calls, so a DNS lookup counts as an attempt even when it never connects.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("strace") is None, reason="strace is not installed (apt-get install strace)"
)

# A connection or datagram to an internet address (any family but local sockets and the kernel's netlink).
_NETWORK_CALL = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(\d+, .*sa_family=AF_INET6?\b")
# Files the C library reads only to resolve a host name (user and group lookups read /etc/passwd and /etc/group).
_HOST_LOOKUP = re.compile(r'\bopen(at)?\(.*"/etc/(resolv\.conf|hosts|gai\.conf|host\.conf)"')

WINDOW_SEARCH = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop.window import MainWindow

    app = QApplication(sys.argv[:1])
    win = MainWindow(Path(sys.argv[1]))
    found = []
    def done(hits):
        found.extend(hits)
        win.close()
        app.quit()
    win.search_done.connect(done)
    def start(_status):
        win.query.setText("when is green tea picked")
        win.run_query()
    win.status_done.connect(start)
    QTimer.singleShot(240_000, app.quit)
    win.show()
    app.exec()
    print("window hits:", len(found), found[0].path if found else None)
    sys.exit(0 if found else 3)
    """
)


def traced(tmp_path: Path, name: str, argv: list[str], env: dict[str, str], **kwargs) -> tuple[str, list[str]]:
    """Run ``argv`` under strace; return its output and the network attempts and host lookups of all its processes."""
    trace = tmp_path / f"{name}.strace"
    out = subprocess.run(
        ["strace", "-f", "-qq", "-e", "signal=none", "-e", "trace=connect,sendto,sendmsg,sendmmsg,open,openat",
         "-o", str(trace), *argv],
        env=env, capture_output=True, text=True, timeout=600, **kwargs,
    )  # fmt: skip
    assert out.returncode == 0, f"{name}: {out.stdout}\n{out.stderr}"
    lines = trace.read_text(errors="replace").splitlines()
    attempts = [line for line in lines if _NETWORK_CALL.search(line) or _HOST_LOOKUP.search(line)]
    return out.stdout + out.stderr, attempts


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """The environment a user's shell has: no CI, no Hugging Face or DocSense settings, a home of its own."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "TF_BUILD", "JENKINS_URL", "DO_NOT_TRACK")
        and not k.startswith(("HF_", "TRANSFORMERS_", "DOCSENSE_"))
    }
    env["HOME"] = str(home)
    env["DOCSENSE_HOME"] = str(home / "docsense")  # the default index lives under it
    env["DOCSENSE_CACHE"] = str(tmp_path / "cache")  # empty: the OpenVINO conversion runs under the trace
    return env


@pytest.mark.real_model
def test_no_process_reaches_for_the_network(tmp_path: Path, offline_env: dict[str, str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(3):  # more than one file: the extraction runs in spawned workers
        (folder / f"tea{i}.md").write_text(f"# Tea {i}\n\nGreen tea is picked in spring by Anna Schmidt in Darjeeling.")
    cli = [sys.executable, "-m", "desktop.cli"]
    index = ["--index", str(tmp_path / "index")]
    runs = {
        "index": [*cli, "index", str(folder), *index, "--workers", "2", "-q"],
        "search": [*cli, "search", "when is green tea picked", *index],
        "ask": [*cli, "ask", "Who picks the tea?", *index],
        "window": [sys.executable, "-c", WINDOW_SEARCH, str(tmp_path / "index")],
    }
    env = {**offline_env, "DOCSENSE_TAGGER": "en_core_web_sm"}
    outputs = {}
    for name, argv in runs.items():
        outputs[name], attempts = traced(tmp_path, name, argv, env)
        assert attempts == [], f"{name} reached for the network:\n" + "\n".join(attempts[:20])
    assert "Anna Schmidt" in outputs["ask"]
    assert "tea" in outputs["search"]
    assert "window hits: " in outputs["window"]
    assert list((tmp_path / "cache" / "openvino").glob("*/model.xml")), "the OpenVINO conversion did not run"
    assert not (tmp_path / "home" / "intel").exists(), "OpenVINO's telemetry wrote its client id"


def test_watch_stays_off_the_network(tmp_path: Path, offline_env: dict[str, str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Tea\n\nGreen tea is picked in spring.")
    env = {**offline_env, "DOCSENSE_ENCODER": "hashing-bow-64", "DOCSENSE_TAGGER": "none"}
    index = str(tmp_path / "index")
    cli = [sys.executable, "-m", "desktop.cli"]
    traced(tmp_path, "first", [*cli, "index", str(folder), "--index", index, "-q"], env)
    # watch until a saved file is indexed, then stop it: the trace covers its start, a batch and its end
    script = textwrap.dedent(
        f"""
        import pathlib, subprocess, sys, time
        argv = {[*cli, "watch", "--index", index, "--debounce", "0.2"]!r}
        watch = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen = ""
        def wait_for(text):
            global seen
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and text not in seen:
                seen += watch.stdout.readline()
        wait_for("watching 1 folder")
        pathlib.Path({str(folder / "b.md")!r}).write_text("# Oolong\\n\\nOolong is half oxidised.")
        wait_for("1 indexed")
        watch.terminate()
        rest, _ = watch.communicate(timeout=60)
        print(seen + rest)
        """
    )
    output, attempts = traced(tmp_path, "watch", [sys.executable, "-c", script], env)
    assert "1 indexed" in output, output
    assert attempts == [], "watch reached for the network:\n" + "\n".join(attempts[:20])
