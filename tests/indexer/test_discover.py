from __future__ import annotations

import os
from pathlib import Path

from indexer.discover import FoundFile, Unsupported, discover


def found(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return sorted(os.path.relpath(f.path, root) for f in discover(root, exclude) if isinstance(f, FoundFile))


def test_supported_types_hidden_and_excluded(tmp_path: Path) -> None:
    for rel in ["a.pdf", "b.TXT", "c.md", "d.html", "e.htm", "f.dwg", ".hidden.txt", ".git/x.md", "sub/g.txt",
                "node_modules/h.md", "sub/deep/i.markdown"]:  # fmt: skip
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert found(tmp_path, ("node_modules",)) == [
        "a.pdf", "b.TXT", "c.md", "d.html", "e.htm", "sub/deep/i.markdown", "sub/g.txt",
    ]  # fmt: skip
    assert found(tmp_path, ("node_modules", "sub/deep/*", "*.htm")) == ["a.pdf", "b.TXT", "c.md", "d.html", "sub/g.txt"]


def test_types_and_stat(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("hello")
    (tmp_path / "b.dwg").write_text("a type DocSense does not read")
    (f, other) = list(discover(tmp_path))
    assert other == Unsupported(str(tmp_path / "b.dwg"), ".dwg")
    assert isinstance(f, FoundFile)
    assert f.type == "md"
    assert f.size == 5
    assert f.root == str(tmp_path)
    assert f.mtime_ns == (tmp_path / "a.md").stat().st_mtime_ns


def test_symlink_loops_are_walked_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "doc.txt").write_text("x")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    assert found(tmp_path) == ["a/doc.txt"]


def test_unreadable_folder_is_reported(unprivileged) -> None:
    root = unprivileged.home / "docs"
    locked = root / "locked"
    locked.mkdir(parents=True)
    (locked / "x.txt").write_text("x")
    (root / "y.txt").write_text("y")
    locked.chmod(0)
    code = (
        "import sys\nfrom indexer.discover import discover\n"
        "for item in discover(sys.argv[1]): print(type(item).__name__, item.path, sep='\\t')"
    )
    try:
        walked = unprivileged.python(code, str(root))
    finally:
        locked.chmod(0o755)
    assert walked.returncode == 0, walked.stderr
    assert walked.stdout.splitlines() == [f"FoundFile\t{root / 'y.txt'}", f"Unreadable\t{locked}"]


def test_links_that_leave_the_folder_are_not_followed_but_named(tmp_path: Path, make_indexer, monkeypatch) -> None:
    import os

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "real.txt").write_text("a note of the user's")
    (docs / "alias.txt").symlink_to(docs / "real.txt")  # inside the folder: followed
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("what a planted link should not expose")
    (docs / "secret.txt").symlink_to(outside / "secret.txt")
    (docs / "proc").symlink_to("/proc")
    summary = make_indexer().run([docs])
    assert sorted(os.path.basename(p) for p in _indexed(tmp_path)) == ["alias.txt", "real.txt"]
    reasons = {f.path: f.reason for f in summary.failed}
    assert reasons == {
        str(
            docs / "proc"
        ): "a link to /proc, outside the indexed folder: not followed (setting follow_links to index it)",
        str(docs / "secret.txt"): f"a link to {outside / 'secret.txt'}, outside the indexed folder: not followed "
        "(setting follow_links to index it)",
    }
    # A watcher's targeted run does not follow it either.
    assert make_indexer().run(paths=[docs / "secret.txt"]).indexed == 0
    # The setting follows them (here: the link to a file; /proc stays out of this test).
    (docs / "proc").unlink()
    monkeypatch.setenv("DOCSENSE_FOLLOW_LINKS", "1")
    followed = make_indexer().run([docs])
    assert followed.indexed == 1
    assert "secret.txt" in {os.path.basename(p) for p in _indexed(tmp_path)}


def _indexed(tmp_path: Path) -> list[str]:
    from tests.helpers import db_rows

    return [r[0] for r in db_rows(tmp_path / "index", "SELECT path FROM documents")]
