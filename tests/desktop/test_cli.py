"""The docsense command, through click's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli import cli
from tests.helpers import hold_writer_lock


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOCSENSE_ENCODER", "hashing-bow-64")  # fast; the real model has its own tests
    return CliRunner()


@pytest.fixture
def indexed(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> Path:
    index = tmp_path / "idx"
    result = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(index), "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    return index


def test_cli_types_are_the_engines() -> None:
    from desktop.cli import DOC_TYPES
    from engine.types import DOC_TYPES as ENGINE_TYPES
    from indexer.extract import KINDS

    assert DOC_TYPES == ENGINE_TYPES
    assert ENGINE_TYPES == KINDS


def test_every_command_has_help(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output


def test_index_names_broken_files_and_exits_0(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(tmp_path / "i"), "--workers", "0"])
    assert result.exit_code == 0
    assert "Indexed 20 files" in result.stderr
    assert "5 failed" in result.stderr
    assert f"skipped {corpus_copy}/broken/password-protected.pdf: encrypted, no password" in result.stderr


def test_index_json_summary(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    args = ["index", str(corpus_copy / "html"), "--index", str(tmp_path / "i"), "--workers", "0", "-q", "--json"]
    result = runner.invoke(cli, args)
    summary = json.loads(result.stdout)
    assert summary["indexed"] == 5
    assert summary["failed"] == []
    assert result.stderr == ""  # -q: no progress; --json: the summary goes to stdout only


def test_search_json_lines(runner: CliRunner, indexed: Path) -> None:
    result = runner.invoke(cli, ["search", "apache virtual host", "--index", str(indexed), "--json", "-n", "3"])
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 3
    assert set(hits[0]) >= {"path", "score", "page", "start", "end", "heading", "snippet", "matched"}
    assert hits[0]["path"].endswith("sect.http-web-server.html")
    assert hits[0]["page"] is None


def test_search_text_shows_path_page_score_snippet(runner: CliRunner, indexed: Path) -> None:
    args = ["search", "Lamport errata", "--index", str(indexed), "--type", "pdf", "-n", "2"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0
    hits = [json.loads(line) for line in runner.invoke(cli, [*args, "--json"]).stdout.splitlines()]
    assert hits[0]["path"].endswith("lamport-manual.pdf")
    assert hits[0]["page"] >= 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f" 1. {hits[0]['path']}:{hits[0]['page']}  {hits[0]['strength']} match  {hits[0]['score']:.4f}  "
        f"[{hits[0]['matched']}]"
    )
    assert hits[0]["heading"] is None  # a PDF without an outline: no heading line
    assert lines[1] == f"    {hits[0]['snippet']}"
    assert "Errata to the Second Edition" in lines[1]
    assert lines[2].startswith(" 2. ")


def test_search_errors(runner: CliRunner, indexed: Path, tmp_path: Path) -> None:
    empty = runner.invoke(cli, ["search", "  ", "--index", str(indexed)])
    assert empty.exit_code == 2
    assert "empty" in empty.stderr
    assert "Traceback" not in empty.output
    bad_type = runner.invoke(cli, ["search", "x", "--index", str(indexed), "--type", "dwg"])
    assert bad_type.exit_code == 2
    missing = runner.invoke(cli, ["search", "x", "--index", str(tmp_path / "nothing")])
    assert missing.exit_code == 1
    assert "no index at" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("query", ['"unbalanced', "NOT AND (", "\x1b[2J", "*", "a" * 5000, "col:x^2"])
def test_hostile_queries(runner: CliRunner, indexed: Path, query: str) -> None:
    result = runner.invoke(cli, ["search", query, "--index", str(indexed), "--json"])
    assert result.exit_code in (0, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_status_and_verify_json(runner: CliRunner, indexed: Path, corpus_copy: Path) -> None:
    status = json.loads(runner.invoke(cli, ["status", "--index", str(indexed), "--json"]).stdout)
    assert status["documents"] == 20
    assert {"path": str(corpus_copy / "broken" / "empty.txt"), "reason": "empty file"} in status["failed"]
    assert status["encoder"] == "hashing-bow-64"
    assert status["device"] == "CPU"
    assert status["size_bytes"] > 0
    ok = runner.invoke(cli, ["verify", "--index", str(indexed), "--json"])
    assert (ok.exit_code, json.loads(ok.stdout)) == (0, {"ok": True, "problems": []})
    (corpus_copy / "pdf" / "xr.pdf").unlink()
    bad = runner.invoke(cli, ["verify", "--index", str(indexed), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["problems"] == [f"file gone from disk: {corpus_copy / 'pdf' / 'xr.pdf'}"]


def test_remove(runner: CliRunner, indexed: Path, corpus_copy: Path) -> None:
    result = runner.invoke(cli, ["remove", str(corpus_copy / "html"), "--index", str(indexed)])
    assert result.exit_code == 1
    assert "not an indexed folder" in result.stderr
    result = runner.invoke(cli, ["remove", str(corpus_copy), "--index", str(indexed)])
    assert result.exit_code == 0
    assert "20 documents" in result.stdout
    status = json.loads(runner.invoke(cli, ["status", "--index", str(indexed), "--json"]).stdout)
    assert (status["documents"], status["chunks"], status["failed"]) == (0, 0, [])


def test_default_index_is_under_docsense_home(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    home = Path(os.environ["DOCSENSE_HOME"])
    assert runner.invoke(cli, ["index", str(corpus_copy / "markdown"), "--workers", "0", "-q"]).exit_code == 0
    assert (home / "index" / "docsense.db").is_file()
    assert (home / "index").stat().st_mode & 0o077 == 0  # the owner's only


def test_second_writer_is_told_who_holds_the_index(runner: CliRunner, tmp_path: Path, corpus_copy: Path) -> None:
    from engine.lock import WriterLock

    index = tmp_path / "busy"
    index.mkdir()
    holder = hold_writer_lock(index, 30)
    try:
        result = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(index), "-q"])
        assert result.exit_code == 1
        assert f"in use by process {holder.pid}" in result.stderr
        assert WriterLock(index).holder() == holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_help_is_fast_and_loads_no_heavy_modules() -> None:
    code = (
        "import sys; sys.argv=['docsense','--help']\n"
        "from desktop.cli import main\n"
        "try: main()\nexcept SystemExit: pass\n"
        "names = ('torch', 'faiss', 'transformers', 'sentence_transformers', 'PySide6')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_docsense_alone_shows_help_and_the_next_step(runner: CliRunner, corpus_copy: Path) -> None:
    first = runner.invoke(cli, [])
    assert first.exit_code == 0
    assert "Commands:" in first.stdout
    assert "No index yet" in first.stdout
    assert runner.invoke(cli, ["index", str(corpus_copy / "markdown"), "--workers", "0", "-q"]).exit_code == 0
    again = runner.invoke(cli, [])
    assert "Your index is at" in again.stdout


def test_watch_command_indexes_a_new_file_and_stops_cleanly(corpus_copy: Path, tmp_path: Path) -> None:
    import signal
    import time

    env = {**os.environ, "DOCSENSE_ENCODER": "hashing-bow-64", "DOCSENSE_TAGGER": "none"}
    index = tmp_path / "watched"
    folder = corpus_copy / "markdown"
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "watch", str(folder), "--index", str(index), "--debounce", "0.2"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "watching 1 folder" in line:
                break
        (folder / "fresh.md").write_text("# Quokka\n\nThe quokka is a small marsupial.")
        deadline = time.monotonic() + 30
        found = []
        while time.monotonic() < deadline and not found:
            time.sleep(0.2)
            result = CliRunner().invoke(cli, ["search", "quokka", "--index", str(index), "--json", "--mode", "keyword"],
                                        env={"DOCSENSE_ENCODER": "hashing-bow-64"})  # fmt: skip
            found = [json.loads(line)["path"] for line in result.stdout.splitlines()]
        assert found == [str(folder / "fresh.md")]
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0
    assert "Stopped watching." in rest


def test_ask_answers_with_where_and_keeps_type_filters(runner: CliRunner, indexed: Path) -> None:
    question = "How do I restrict access to a directory in Apache?"
    text = runner.invoke(cli, ["ask", question, "--index", str(indexed)])
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("1. ")
    assert "score" in text.stdout.splitlines()[1]
    lines = runner.invoke(cli, ["ask", question, "--index", str(indexed), "--json"]).stdout.splitlines()
    anywhere = [json.loads(line) for line in lines]  # one JSON object a line
    assert {Path(a["path"]).suffix for a in anywhere} - {".pdf"}
    in_pdfs = runner.invoke(cli, ["ask", question, "--index", str(indexed), "--type", "pdf", "--json"])
    assert in_pdfs.exit_code == 0, in_pdfs.output
    answers = [json.loads(line) for line in in_pdfs.stdout.splitlines()]
    assert answers
    assert {Path(a["path"]).suffix for a in answers} == {".pdf"}
    bad = runner.invoke(cli, ["ask", question, "--index", str(indexed), "--type", "dwg"])
    assert bad.exit_code == 2


def test_status_says_when_vectors_were_made_an_older_way(runner: CliRunner, indexed: Path, corpus_copy: Path) -> None:
    import sqlite3

    def status() -> dict:
        return json.loads(runner.invoke(cli, ["status", "--index", str(indexed), "--json"]).stdout)

    assert status()["outdated"] == 0
    assert "Outdated" not in runner.invoke(cli, ["status", "--index", str(indexed)]).stdout
    with sqlite3.connect(indexed / "docsense.db") as conn:  # as the view migration marks an index's documents
        conn.execute("UPDATE documents SET mtime_ns = -1, sha256 = ''")
    assert status()["outdated"] == 20
    text = runner.invoke(cli, ["status", "--index", str(indexed)]).stdout
    assert "Outdated:  20 documents" in text
    assert "docsense index" in text
    # A run makes them again; one it had marked but not reached (killed) is still counted.
    index_run = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(indexed), "--workers", "0", "--quiet"])
    assert index_run.exit_code == 0, index_run.output
    assert status()["outdated"] == 0
    with sqlite3.connect(indexed / "docsense.db") as conn:
        conn.execute("UPDATE documents SET mtime_ns = -1 WHERE path LIKE '%xr.pdf'")
    assert status()["outdated"] == 1


def test_a_failed_command_creates_no_index(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    new = tmp_path / "new-index"
    no_folder = runner.invoke(cli, ["index", str(tmp_path / "no" / "such"), "--index", str(new)])
    assert no_folder.exit_code == 1
    assert f"{tmp_path / 'no' / 'such'} does not exist" in no_folder.stderr
    remove = runner.invoke(cli, ["remove", str(corpus_copy), "--index", str(new)])
    assert remove.exit_code == 1
    assert f"no index at {new}" in remove.stderr
    repair = runner.invoke(cli, ["verify", "--repair", "--index", str(new)])
    assert repair.exit_code == 1
    no_folders = runner.invoke(cli, ["index", "--index", str(new)])
    assert no_folders.exit_code == 1
    bad_model = runner.invoke(
        cli, ["index", str(corpus_copy / "html"), "--index", str(new)], env={"DOCSENSE_ENCODER": str(tmp_path / "nope")}
    )
    assert bad_model.exit_code == 1
    assert "nope" in bad_model.stderr
    assert not new.exists()


def test_extraction_warnings_reach_the_run_summary_and_status(runner: CliRunner, corpus_dir: Path, tmp_path: Path):
    import io

    from pypdf import PdfReader, PdfWriter

    folder = tmp_path / "papers"
    folder.mkdir()
    writer = PdfWriter(clone_from=PdfReader(corpus_dir / "pdf/xr.pdf"))
    box = writer.pages[0].mediabox
    writer.insert_blank_page(box.width, box.height, index=1)
    buf = io.BytesIO()
    writer.write(buf)
    (folder / "xr-with-a-blank-page.pdf").write_bytes(buf.getvalue())
    index = str(tmp_path / "idx")
    run = runner.invoke(cli, ["index", str(folder), "--index", index, "--workers", "0"])
    assert run.exit_code == 0, run.output
    said = f"  indexed {folder / 'xr-with-a-blank-page.pdf'}, but: page 2 without text"
    assert said in run.stderr
    status = json.loads(runner.invoke(cli, ["status", "--index", index, "--json"]).stdout)
    assert [w["reason"] for w in status["warnings"]] == [
        "page 2 without text (blank, or scanned: their words are not searchable)"
    ]
    assert "Warnings:  1 (indexed, but)" in runner.invoke(cli, ["status", "--index", index]).stdout


def test_file_names_and_text_never_reach_the_terminal_raw(runner: CliRunner, tmp_path: Path) -> None:
    """Escape sequences in a file's name or text (a clipboard write, a screen clear, a carriage return, a bidi
    override) are shown escaped; --json stays valid JSON with the real name."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    name = "notes\x1b]52;c;ZXZpbA==\x07\r\u202e.txt"
    (folder / name).write_text("Green tea \x1b[2J is picked in spring.\x9b31m Oolong is half oxidised.")
    index = str(tmp_path / "idx")
    run = runner.invoke(cli, ["index", str(folder), "--index", index, "--workers", "0"])
    assert run.exit_code == 0, run.output
    text = runner.invoke(cli, ["search", "green tea", "--index", index])
    status = runner.invoke(cli, ["status", "--index", index])
    for out in (text.stdout, status.stdout):
        assert not set(out) & {"\x1b", "\x07", "\r", "\x9b", "\u202e"}, repr(out)
    assert "notes\\x1b]52;c;ZXZpbA==\\x07\\x0d\\u202e.txt" in text.stdout
    assert "Green tea \\x1b[2J is picked" in text.stdout
    as_json = runner.invoke(cli, ["search", "green tea", "--index", index, "--json"]).stdout
    assert not set(as_json) & {"\x9b", "\u202e"}
    assert json.loads(as_json.splitlines()[0])["path"] == str(folder / name)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([b"search", b"tea", b"--path", b"/tmp/\xff\xfe"], "the path filter is not valid UTF-8 text: /tmp/\\xff\\xfe"),
        ([b"entities", b"/tmp/\xff.pdf"], "the path filter is not valid UTF-8 text: /tmp/\\xff.pdf"),
        ([b"entities", b"--label", b"\xff"], "the label is not valid UTF-8 text: \\xff"),
        ([b"search", b"tea", b"--entity", b"Ren\xe9"], "the entity filter is not valid UTF-8 text: Ren\\xe9"),
    ],
)
def test_arguments_that_are_not_utf8_are_usage_errors(indexed: Path, args: list[bytes], says: str) -> None:
    """Bytes that are not UTF-8 on the command line (issue 19: they were "internal error")."""
    env = {**os.environ, "DOCSENSE_ENCODER": "hashing-bow-64"}
    run = subprocess.run([sys.executable.encode(), b"-m", b"desktop.cli", *args, b"--index", os.fsencode(indexed)],
                         env=env, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines()[-1] == f"Error: {says}"
    assert "internal error" not in run.stderr


def test_search_explain_says_why(runner: CliRunner, indexed: Path) -> None:
    args = ["search", "apache virtual host", "--index", str(indexed), "-n", "2", "--explain"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("why: holds") == 2
    assert "its closest part (cosine" in result.stdout
    lines = [json.loads(line) for line in runner.invoke(cli, [*args, "--json"]).stdout.splitlines()]
    assert [w for w, _share in lines[0]["explanation"]["matched"]] == ["apache", "virtual", "host"]


@pytest.fixture
def served(indexed: Path):
    """A SearchServer on the index, as `docsense serve` runs one, in a thread of this process."""
    from engine import Library
    from engine.serve import SearchServer

    server = SearchServer(indexed, lambda: Library(indexed))
    server.start()
    assert server.ready.wait(60)
    assert server.failure is None
    yield server
    server.close()


def test_a_serving_process_answers_searches_as_the_command_would(
    runner: CliRunner, indexed: Path, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.chdir(corpus_copy)
    commands = [
        ["search", "apache virtual host", "-n", "3"],
        ["search", "apache virtual host", "--json", "-n", "3"],
        ["search", "Lamport errata", "--path", "pdf", "-n", "2"],  # relative to this folder, not the server's
        ["search", "Lamport errata path:pdf ext:pdf -webcomp", "-n", "3"],  # the query's fields, read here too
        ["search", "license latex package", "--group", "--sort", "date", "--offset", "1", "-n", "3", "--json"],
        ["ask", "Who wrote the xr package?", "--json"],
        ["ask", "Who wrote the xr package? ext:pdf", "-n", "1"],
        ["search", "labels in another document title:xr", "-n", "2"],
        ["search", "qwzxv blorptang"],
        ["search", "  "],
        ["search", "apache after:yesterday"],
    ]

    def run_all() -> list[tuple[int, str, str]]:
        out = []
        for args in commands:
            result = runner.invoke(cli, [*args, "--index", str(indexed)])
            out.append((result.exit_code, result.stdout, result.stderr))
        return out

    alone = run_all()
    assert [code for code, _out, _err in alone] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2]
    assert alone[7][1].count("xr") == 2  # title: is sent to the server too
    assert json.loads(alone[5][1].splitlines()[0])["path"].endswith(".pdf")  # ask's answers come over it too
    assert "after:yesterday is not a date" in alone[-1][2]
    server = request.getfixturevalue("served")
    assert run_all() == alone
    # Every one of them was answered by the server, but the malformed query, which this command refuses itself.
    assert server.answered == len(commands) - 1
    fielded = alone[3][1]
    assert fielded.count(".pdf") == 3
    assert "webcomp" not in fielded
    assert "/pdf/" in fielded


def test_the_serving_process_sees_what_is_indexed_meanwhile(
    runner: CliRunner, indexed: Path, served, tmp_path: Path
) -> None:
    from desktop.remote import request

    assert request(indexed, {"op": "ping"})["pid"] == os.getpid()
    ask = {"op": "search", "query": "zanzibar quokka", "limit": 3, "modes": ["meaning"]}  # the vectors in memory
    assert request(indexed, ask)["hits"]  # the nearest of what there is
    new = tmp_path / "new"
    new.mkdir()
    (new / "quokka.txt").write_text("The quokka of Zanzibar is a small and friendly marsupial.")
    result = runner.invoke(cli, ["index", str(new), "--index", str(indexed), "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    hits = request(indexed, ask)["hits"]
    assert hits[0]["path"] == str(new / "quokka.txt")


def test_only_one_process_serves_an_index_and_only_to_its_user(indexed: Path, served) -> None:
    from desktop.remote import request
    from engine import Library
    from engine.endpoint import socket_path
    from engine.errors import IndexAccessError
    from engine.serve import SearchServer

    path = socket_path(indexed)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(IndexAccessError, match="already serves"):
        SearchServer(indexed, lambda: Library(indexed)).bind()
    assert request(indexed, {"op": "dance"}) == {"error": "unknown request 'dance'", "usage": True}
    served.close()
    assert not path.exists()
    assert request(indexed, {"op": "ping"}) is None  # nobody serves: the command opens the index itself
    # A socket left by a process that was killed is replaced.
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(os.fspath(path))
    left.close()
    again = SearchServer(indexed, lambda: Library(indexed))
    again.start()
    try:
        assert again.ready.wait(60)
        assert request(indexed, {"op": "ping"})["pid"] == os.getpid()
    finally:
        again.close()


def test_serve_says_when_there_is_no_index(runner: CliRunner, tmp_path: Path) -> None:
    for folder in (tmp_path / "nothing", tmp_path):  # no folder; a folder without an index
        result = runner.invoke(cli, ["serve", "--index", str(folder)])
        assert result.exit_code == 1
        assert "no index at" in result.stderr
        assert "Serving" not in result.stderr
        assert not (folder / "search.sock").exists()


def test_search_pages_sorts_and_groups(runner: CliRunner, indexed: Path) -> None:
    def run(*args: str) -> list[dict]:
        result = runner.invoke(cli, ["search", "license latex package", "--index", str(indexed), "--json", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    best = run("-n", "10")
    assert len(best) == 10
    assert run("-n", "5", "--offset", "5") == best[5:]
    newest = run("-n", "10", "--sort", "date")
    assert sorted(map(json.dumps, newest)) == sorted(map(json.dumps, best))  # the same hits, in another order
    dates = [h["date"] for h in newest]
    assert None not in dates
    assert dates == sorted(dates, reverse=True)
    names = [os.path.basename(h["path"]).lower() for h in run("-n", "10", "--sort", "name")]
    assert names == sorted(names)
    grouped = run("-n", "4", "--group")
    paths = [h["path"] for h in grouped]
    assert len(set(paths)) == len(paths) == 4  # one line a document
    assert paths[0] == best[0]["path"]
    assert grouped[0]["hits_in_document"] == sum(h["path"] == paths[0] for h in run("-n", "20"))
    text = runner.invoke(cli, ["search", "license latex package", "--index", str(indexed), "--group", "-n", "2"])
    assert "hits in it)" in text.stdout


def test_status_names_the_languages_of_the_documents(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    languages = Path(__file__).resolve().parents[1] / "data" / "languages"
    for page in ("debian-reference-ja-git.txt", "debian-reference-de-git.txt"):
        shutil.copy(languages / page, corpus_copy)
    index = tmp_path / "idx"
    result = runner.invoke(cli, ["index", str(corpus_copy), "--index", str(index), "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(cli, ["status", "--index", str(index), "--json"]).stdout)
    told = dict(data["languages"])
    assert told["ja"] == 1
    assert told["de"] == 1
    assert max(told, key=told.get) == "en"
    text = runner.invoke(cli, ["status", "--index", str(index)]).stdout
    line = next(line for line in text.splitlines() if line.startswith("Languages:"))
    assert line.startswith(f"Languages: English {told['en']}")
    assert "German 1" in line
    assert "Japanese 1" in line
    assert "pages in a query's language rank above those in others" in text
    # Hits in several languages say each one's.
    found = runner.invoke(cli, ["search", "tar cpio", "--index", str(index), "-n", "10"])
    ranks = [line for line in found.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert any(line.endswith("Japanese") for line in ranks), found.stdout
    assert any(line.endswith("English") for line in ranks)
    alone = runner.invoke(cli, ["search", "apache virtual host", "--index", str(index), "-n", "3"]).stdout
    assert "English" not in alone  # one language among the hits: nothing to say
