"""The ``docsense`` command: a thin layer over ``engine.Library`` and ``indexer.Indexer``.

Heavy modules (torch, faiss, the engine itself) are imported inside the commands, so ``docsense --help`` is instant.
Errors meant for people become one line on stderr: exit 2 for a usage mistake, 1 for a failure.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

import click

from desktop.format import (
    explanation_lines,
    hit_name,
    languages_line,
    no_match,
    progress_line,
    shown_path,
    spelled,
    unsupported_line,
)
from engine.language import language_name

F = TypeVar("F", bound=Callable[..., Any])
# engine.types.DOC_TYPES, spelled out so that `docsense --help` needs no engine import (a test keeps them equal).
DOC_TYPES = (
    "pdf", "html", "md", "txt", "rst", "org", "tex", "docx", "odt", "odp", "pptx", "xlsx", "ods", "epub", "rtf", "eml",
    "code", "man",
)  # fmt: skip
MAX_WARNINGS_SHOWN = 20  # after an index run; `docsense status` lists every one
MAX_HITS = 1000  # the most hits a search finds for --limit, --offset and --group together
GROUP_DEPTH = 5  # --group finds this many hits a document shown, so that a page of documents fills


# Characters a terminal acts on: C0 and C1 controls (ESC sequences, carriage returns, OSC 52 clipboard writes) and
# the bidirectional overrides that can make a file name read backwards. File names and document text are the
# user's folders' content, not ours: they are shown escaped (\x1b), never raw. Newlines and tabs stay.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``text`` with every character a terminal would act on shown as an escape."""
    return _TERMINAL_CONTROLS.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                                  else f"\\u{ord(m.group(0)):04x}", str(text))  # fmt: skip


def echo(message: object = "", err: bool = False, nl: bool = True) -> None:
    """click.echo, with what came from the user's files made safe for the terminal (``printable``)."""
    click.echo(printable(message), err=err, nl=nl)


def index_option(func: F) -> F:
    return click.option(
        "--index",
        "index_path",
        type=click.Path(file_okay=False),
        help="Index folder (default: DOCSENSE_INDEX, else $DOCSENSE_HOME/index, else your user data folder), or a "
        "PostgreSQL server's URL (postgresql://user@host/db; needs docsense[postgres]).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per line) for programs.")(func)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn user errors into click's, so people get one line and the right exit code; bugs go on to ``main``."""
    from engine.errors import QueryError, explain

    try:
        yield
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:
        error = explain(exc)
        if error is None:
            raise  # a bug: main() prints one line and how to see the traceback
        raise click.ClickException(str(error)) from None


threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="The cores indexing may use: its workers and the encoder's threads (default: all; setting threads).",
)


def _settings(index_path: str | None, recorded: dict[str, str] | None = None, **flags: Any) -> Any:
    """The command's settings, resolved once: flag > environment > config file > the index's values > default
    (``recorded`` instead of the index's values: {} resolves them without reading the index)."""
    from engine.settings import Settings

    # Settings makes a folder a path and keeps a server's URL as it is.
    return Settings.resolve({"index": index_path or None, **flags}, recorded=recorded)


def _open_library(index_path: str | None, reranker: str | None = None) -> Any:
    from engine import Library

    return Library(settings=_settings(index_path, reranker=reranker))


def _as_dict(obj: Any) -> Any:
    """A dataclass (a SearchHit, an Answer), or one as a serving process sent it, as a dict; others as they are."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return dict(vars(obj)) if isinstance(obj, SimpleNamespace) else obj


def _emit_json(obj: Any) -> None:
    # json escapes C0 controls itself; C1 and bidi controls are written as \uXXXX here.
    text = json.dumps(_as_dict(obj), ensure_ascii=False)
    click.echo(_TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))


def _human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _emitted(items: list[Any], as_json: bool, empty: str) -> bool:
    """With --json, print each item as a JSON line; without, say ``empty`` when there is nothing.

    Returns True when nothing is left to print (the caller then prints the items for people).
    """
    if as_json:
        for item in items:
            _emit_json(item)
        return True
    if not items:
        echo(empty, err=True)
        return True
    return False


class ProgressPrinter:
    """Progress on stderr: one line redrawn in place on a terminal, a line every few seconds otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.phase = "scan"

    def __call__(self, p: Any) -> None:
        if p.phase == "scan":
            self._line("Looking for files…", final=not self.tty)
            return
        if p.phase not in ("index", "languages", "embed", "weights", "save"):
            if self.tty:
                click.echo("\r\033[K", err=True, nl=False)
            return
        now = time.monotonic()
        if p.phase == "embed" and self.phase == "index" and not self.tty:
            self.last = 0.0  # the first line of the second phase says the first is done
        if not self.tty and now - self.last < 5 and p.phase in ("index", "languages", "embed", "weights"):
            return
        if p.phase == "embed" and self.phase == "index" and self.tty:
            click.echo("", err=True)  # the first phase's last line stays
        self.phase = p.phase
        self.last = now
        self._line(progress_line(p), final=not self.tty)

    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            width = os.get_terminal_size(sys.stderr.fileno()).columns if sys.stderr.isatty() else 100
            click.echo("\r\033[K" + printable(text)[: width - 1], err=True, nl=False)
        elif final:
            echo(text, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="docsense")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """DocSense: search your own documents by meaning and by keyword, offline."""
    if ctx.invoked_subcommand is None:
        _welcome(ctx)


def _welcome(ctx: click.Context) -> None:
    """What `docsense` alone says: the commands, and the next step for this index."""
    echo(ctx.get_help())
    try:
        index = _settings(None).index
    except Exception as exc:  # a bad config file: say so, and what the welcome would have said
        echo(f"\n{exc}")
        return
    echo("")
    if (index / "docsense.db").exists():
        echo(f'Your index is at {index}. Try: docsense status, or docsense search "your question"')
    else:
        echo("No index yet. Start with a folder of documents, e.g.:  docsense index ~/Documents")


@cli.command()
@click.argument("folders", nargs=-1, type=click.Path(), metavar="[FOLDER|FILE]...")
@index_option
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files or folders matching GLOB (repeatable).")
@click.option("--workers", type=click.IntRange(min=0), help="Extraction processes (0: in this process).")
@threads_option
@click.option("--wait", is_flag=True, help="If another process is writing to the index, wait for it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@json_option
def index(
    folders: tuple[str, ...],
    index_path: str | None,
    exclude: tuple[str, ...],
    workers: int | None,
    threads: int | None,
    wait: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Index FOLDERS and FILES (default: those already in the index), or bring the index up to date.

    Only new and changed files are read again; files that are gone are removed. Files that cannot be read are
    listed with the reason and skipped; the run goes on.
    """
    from indexer import Indexer

    printer = None if quiet else ProgressPrinter()
    with user_errors():
        settings = _settings(index_path, threads=threads)
        indexer = Indexer(workers=workers, exclude=exclude or None, wait=wait, settings=settings)
        try:
            summary = indexer.run(list(folders) or None, on_progress=printer)
        except KeyboardInterrupt:
            echo("\nInterrupted: what was stored is kept; run the same command to resume.", err=True)
            sys.exit(130)
    if as_json:
        _emit_json(summary)
    else:
        rate = summary.tokens / summary.elapsed_s if summary.elapsed_s else 0.0
        echo(
            f"Indexed {_count(summary.indexed, 'file')} ({_count(summary.chunks, 'chunk')}, "
            f"{summary.tokens:,} tokens, {_count(summary.pages, 'page')}) in {summary.elapsed_s:.1f} s, "
            f"{rate:,.0f} tokens/s; {summary.unchanged} unchanged, {summary.renamed} renamed, "
            f"{summary.removed} removed, {len(summary.failed)} failed.",
            err=True,
        )
        for failure in summary.failed:
            echo(f"  skipped {failure.path}: {failure.reason}", err=True)
        if summary.unsupported:
            echo(f"  {unsupported_line(summary.unsupported)}", err=True)
        for warning in summary.warnings[:MAX_WARNINGS_SHOWN]:
            echo(f"  indexed {warning.path}, but: {warning.reason}", err=True)
        if len(summary.warnings) > MAX_WARNINGS_SHOWN:
            more = len(summary.warnings) - MAX_WARNINGS_SHOWN
            echo(f"  ... and {more} more warnings: `docsense status` lists them all", err=True)


def _dates(after: str | None, before: str | None) -> tuple[float | None, float | None]:
    """--after and --before as seconds since 1970 (UTC): YYYY, YYYY-MM or YYYY-MM-DD; a usage error otherwise."""

    from engine.query import parse_date

    def parse(value: str | None, name: str) -> float | None:
        when = None if value is None else parse_date(value)
        if value is not None and when is None:
            raise click.UsageError(f"{name} {printable(value)!s}: give a date as YYYY, YYYY-MM or YYYY-MM-DD")
        return when

    return parse(after, "--after"), parse(before, "--before")


@cli.command()
@click.argument("query")
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 1000), help="Hits to show.")
@click.option("--path", "path_filter", metavar="FOLDER|GLOB", help="Only documents under FOLDER or matching GLOB.")
@click.option("--type", "types", multiple=True, type=click.Choice(DOC_TYPES), help="Only this type (repeatable).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "meaning", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Search by meaning, by keyword, or both fused.",
)
@click.option("--entity", metavar="TEXT", help="Only documents that mention this entity (see `docsense entities`).")
@click.option("--from", "author", metavar="TEXT", help="Only documents whose author (a mail's From) contains TEXT.")
@click.option("--after", metavar="DATE", help="Only documents written on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--before", metavar="DATE", help="Only documents written before DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option(
    "--reranker",
    metavar="MODEL",
    help="Re-order the best hits with this cross-encoder (a local folder; default: DOCSENSE_RERANKER, else none).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Say why each hit is one: the query words it holds, and the words of its closest part that pull it "
    "towards the query (the encoder's own token vectors; the first takes a few seconds).",
)
@click.option("--sort", type=click.Choice(["score", "date", "name"]), default="score", show_default=True,
              help="Order of the hits shown: best first, newest first, or by file name.")  # fmt: skip
@click.option("--offset", default=0, type=click.IntRange(0, MAX_HITS), help="Skip the first N hits (paging).")
@click.option("--group", is_flag=True, help="One line per document: its best hit, and how many it has.")
@json_option
def search(
    query: str,
    index_path: str | None,
    limit: int,
    path_filter: str | None,
    types: tuple[str, ...],
    mode: str,
    entity: str | None,
    author: str | None,
    after: str | None,
    before: str | None,
    reranker: str | None,
    explain: bool,
    sort: str,
    offset: int,
    group: bool,
    as_json: bool,
) -> None:
    """Search the index for QUERY, by meaning and by keyword.

    QUERY may hold fields, which filter as the options do: ext:pdf (or type:), path:~/Papers, after:2020,
    before:2021-06, from:alice, to:bob, title:errata, person:"Leslie Lamport" (or org:, place:), and -word to
    leave out the documents that hold a word. "Quoted words" are a phrase; word* stands for the words that begin
    so.
    """
    modes = ("meaning", "keyword") if mode == "hybrid" else (mode,)
    when = _dates(after, before)
    # The hits arranged (grouped, sorted, paged) are the best ones found: enough for a page of documents.
    wanted = min(MAX_HITS, (offset + limit) * (GROUP_DEPTH if group else 1))
    with user_errors():
        # Where the index is, without reading it (what it recorded only matters to a process that opens it).
        light = _settings(index_path, recorded={}, reranker=reranker)
        served = None
        if not explain and light.reranker is None:  # a process that has the index open answers in milliseconds
            from desktop.remote import request

            served = request(light.index, {
                "op": "search", "limit": wanted, "modes": list(modes),
                **_served_query(query, path_filter, types, entity, author, when),
            })  # fmt: skip
        if served is not None:
            hits, unknown = _served_hits(served, as_json)
            library = None
        else:
            library = _open_library(index_path, reranker)
            hits = library.search(
                query, limit=wanted, path=path_filter, types=types, modes=modes, entity=entity, author=author,
                after=when[0], before=when[1],
            )  # fmt: skip
            searched, fixes = library.spelled(query)
            if fixes and not as_json:
                echo(spelled(searched, fixes), err=True)
            unknown = [] if hits else library.unknown_words(query)
        shown = _arranged(hits, sort, offset, limit, group)
        whys = [library.explain(query, hit) for hit, _n in shown] if explain and library is not None else []
    if as_json:
        for i, (hit, count) in enumerate(shown):
            row = _as_dict(hit)
            if group:
                row["hits_in_document"] = count
            if whys:
                row["explanation"] = dataclasses.asdict(whys[i])
            _emit_json(row)
        return
    if not shown:
        echo(no_match(unknown) if not hits else f"no hits past the first {offset}", err=True)
        return
    # Hits in several languages say each one's: one in another language than the query's is ranked lower.
    mixed = len({h.language for h, _n in shown if h.language}) > 1
    for rank, (hit, count) in enumerate(shown, start=offset + 1):
        name = hit_name(hit.path, hit.doc_type, hit.title)
        where = f"{name}:{hit.page}" if hit.page else name
        more = f"  ({count} hits in it)" if group and count > 1 else ""
        language = f"  {language_name(hit.language)}" if mixed and hit.language else ""
        click.echo(
            f"{rank:2d}. {click.style(printable(where), bold=True)}  {hit.strength} match  {hit.score:.4f}  "
            f"[{hit.matched if hit.embedded else 'keyword; not embedded yet'}]{language}{more}"
        )
        if hit.heading:
            echo(f"    § {hit.heading}")
        echo(f"    {hit.snippet}")
        for line in explanation_lines(whys[rank - offset - 1]) if whys else ():
            echo(f"    {line}")


def _arranged(hits: list[Any], sort: str, offset: int, limit: int, group: bool) -> list[tuple[Any, int]]:
    """The hits to show, with how many hits their document has among those found: one a document with ``group``
    (its best), in ``sort`` order (score; date, newest first; name), from the ``offset``-th on, ``limit`` of them."""
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.path] = counts.get(hit.path, 0) + 1
    if group:
        hits = list({hit.path: hit for hit in reversed(hits)}.values())[::-1]  # each document's first, in order
    if sort == "date":
        hits = sorted(hits, key=lambda h: (h.date is None, -(h.date or 0.0)))
    elif sort == "name":
        hits = sorted(hits, key=lambda h: (os.path.basename(h.path).lower(), h.path))
    return [(hit, counts[hit.path]) for hit in hits[offset : offset + limit]]


def _served_query(
    query: str,
    path: str | None,
    types: tuple[str, ...],
    entity: str | None,
    author: str | None,
    when: tuple[float | None, float | None],
) -> dict[str, Any]:
    """The query and its filters (the options' and the query's fields) as a serving process takes them: the
    fields are read here, so that path: means this folder's path, not the server's."""
    from engine.query import absolute_path_filter, parse_query, with_flags

    q = with_flags(parse_query(query), path, types, entity, author, *when)
    return {"query": q.text, **q.filters(), "path": q.path and absolute_path_filter(q.path)}


def _raise_served_error(served: dict[str, Any]) -> None:
    """A serving process's error is this command's: a usage error when the user can put the query right."""
    if "error" in served:
        error = str(served["error"])
        raise click.UsageError(error) if served.get("usage") else click.ClickException(error)


def _served_hits(served: dict[str, Any], as_json: bool) -> tuple[list[Any], list[str]]:
    """The hits a serving process sent, and the query's words no document holds. Its errors are this command's."""
    _raise_served_error(served)
    if served.get("fixes") and not as_json:
        echo(spelled(served["searched"], served["fixes"]), err=True)
    hits = served.get("hits") or []
    return [SimpleNamespace(**hit) for hit in hits], list(served.get("unknown") or [])


@cli.command()
@index_option
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
def serve(index_path: str | None, quiet: bool) -> None:
    """Keep the index open and answer searches from other `docsense` commands, until stopped (Ctrl+C).

    `docsense search` asks this process first (over a socket in the index folder that only you can open), so it
    answers in a fraction of a second instead of loading the model each time. `docsense watch` does this too.
    """
    import signal

    from engine import Library
    from engine.serve import SearchServer

    with user_errors():
        settings = _settings(index_path)
        library = Library(settings=settings)  # opened first, so that an index that is not there is said first
        server = SearchServer(settings.index, lambda: library)
        server.bind()

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    if not quiet:
        echo(f"Serving searches of {shown_path(str(settings.index))} (Ctrl+C stops).", err=True)
    try:
        with user_errors():
            server.serve_bound()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    if server.failure:
        raise click.ClickException(server.failure)
    if not quiet:
        echo("Stopped serving.", err=True)


@cli.command()
@click.argument("folders", nargs=-1, type=click.Path(file_okay=False))
@index_option
@click.option(
    "--debounce",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    metavar="SECONDS",
    help="How long a file must be quiet before it is indexed.",
)
@click.option("--poll", is_flag=True, help="Poll for changes instead of using inotify.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files or folders matching GLOB (repeatable).")
@threads_option
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
def watch(
    folders: tuple[str, ...], index_path: str | None, debounce: float, poll: bool, exclude: tuple[str, ...],
    threads: int | None, quiet: bool,
) -> None:  # fmt: skip
    """Keep the index current while files change, until stopped (Ctrl+C).

    Watches FOLDERS (default: the folders already in the index). New and changed files are indexed once they are
    quiet, deleted ones removed, renamed ones re-pathed without re-embedding. Searches keep working meanwhile.
    """
    import signal
    import threading

    from indexer import Indexer
    from indexer.watch import Watcher, WatchEvent

    failed = threading.Event()

    def report(event: WatchEvent) -> None:
        if event.kind == "error":
            failed.set()
        if quiet and event.kind != "error":
            return
        stamp = time.strftime("%H:%M:%S")
        echo(f"[{stamp}] {event.message}", err=True)
        if event.summary is not None:
            for failure in event.summary.failed:
                echo(f"  skipped {failure.path}: {failure.reason}", err=True)

    from engine import Library
    from engine.errors import IndexAccessError
    from engine.serve import SearchServer

    with user_errors():
        settings = _settings(index_path, threads=threads)
        indexer = Indexer(exclude=exclude or None, wait=True, settings=settings)
    watcher = Watcher(indexer, list(folders) or None, debounce, on_event=report,
                      on_progress=None if quiet else ProgressPrinter(), poll=poll)  # fmt: skip
    # Searches from other commands are answered here while watching (engine.serve).
    server = SearchServer(settings.index, lambda: Library(settings=settings, encoder=indexer.encoder))  # one model
    try:
        server.start()
    except IndexAccessError as exc:
        echo(f"Not answering searches for other commands: {exc}", err=True)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    watcher.start()
    try:
        while watcher.running:  # the thread ends when the first catch-up run fails, or on stop()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        server.close()
    echo("Stopped watching.", err=True)
    if failed.is_set() and not watcher.ready:
        sys.exit(1)


@cli.command()
@click.argument("question")
@index_option
@click.option("--path", "path_filter", metavar="FILE|FOLDER", help="Only this document (or folder, or glob).")
@click.option("--type", "types", multiple=True, type=click.Choice(DOC_TYPES), help="Only this type (repeatable).")
@click.option("--entity", metavar="TEXT", help="Only documents that mention this entity (see `docsense entities`).")
@click.option("--from", "author", metavar="TEXT", help="Only documents whose author (a mail's From) contains TEXT.")
@click.option("--after", metavar="DATE", help="Only documents written on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--before", metavar="DATE", help="Only documents written before DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--limit", "-n", default=3, show_default=True, type=click.IntRange(1, 20), help="Answers to show.")
@json_option
def ask(
    question: str,
    index_path: str | None,
    path_filter: str | None,
    types: tuple[str, ...],
    entity: str | None,
    author: str | None,
    after: str | None,
    before: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Answer QUESTION from your documents: the span that answers it, where it stands (document, page, offsets)."""
    when = _dates(after, before)
    with user_errors():
        from desktop.remote import request

        served = request(_settings(index_path, recorded={}).index, {
            "op": "ask", "limit": limit, **_served_query(question, path_filter, types, entity, author, when)
        })  # fmt: skip
        if served is not None:  # a process that has the index (and the reader) loaded answers
            _raise_served_error(served)
            answers: list[Any] = [SimpleNamespace(**a) for a in served.get("answers") or []]
            searched, fixes = served.get("searched", question), served.get("fixes") or {}
        else:
            library = _open_library(index_path)
            answers = library.ask(
                question, limit=limit, path=path_filter, types=types, entity=entity, author=author, after=when[0],
                before=when[1],
            )  # fmt: skip
            searched, fixes = library.spelled(question)
        if fixes and not as_json:
            echo(spelled(searched, fixes), err=True)
    if _emitted(answers, as_json, "No answer found in the index."):
        return
    for rank, a in enumerate(answers, start=1):
        where = f"{shown_path(a.path)}:{a.page}" if a.page else shown_path(a.path)
        click.echo(f"{rank}. {click.style(printable(' '.join(a.answer.split())), bold=True)}")
        echo(f"   {where}  [{a.start}:{a.end}]  score {a.score:.3f}")
        if a.sentence and (a.start, a.end) != (a.sentence_start, a.sentence_end):
            echo(f"   {a.sentence}")


@cli.command()
@click.argument("file", required=False, type=click.Path())
@index_option
@click.option("--label", help="Only this kind: PERSON, ORG, GPE, LOC, DATE, MONEY, ...")
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(1, 10000), help="Entities to show.")
@json_option
def entities(file: str | None, index_path: str | None, label: str | None, limit: int, as_json: bool) -> None:
    """The people, organisations, places and dates your documents mention (in FILE, or in all of them)."""
    with user_errors():
        found = _open_library(index_path).entities(path=os.path.abspath(file) if file else None, label=label,
                                                   limit=limit)  # fmt: skip
    if _emitted(found, as_json, "No entities found (was the index built with DOCSENSE_TAGGER=none?)."):
        return
    for e in found:
        docs = f"{e.document_count} document{'s' if e.document_count != 1 else ''}"
        echo(f"{e.count:5d}  {e.label:<9} {e.text}  ({docs})")


@cli.command()
@index_option
@json_option
def status(index_path: str | None, as_json: bool) -> None:
    """What the index holds: documents, chunks, failures, encoder, device, size."""
    with user_errors():
        st = _open_library(index_path).status()
    if as_json:
        data = dataclasses.asdict(st)
        data["failed"] = [dataclasses.asdict(f) for f in st.failed]
        _emit_json(data)
        return
    echo(f"Index:     {st.index_path} ({_human_size(st.size_bytes)})")
    echo(f"Folders:   {', '.join(st.folders) or 'none'}")
    echo(f"Documents: {st.documents}")
    echo(f"Chunks:    {st.chunks}")
    if st.pending_chunks:
        echo(
            f"Meaning:   search by meaning covers {st.chunks - st.pending_chunks:,} of {st.chunks:,} windows; "
            f"{st.pending_documents:,} documents are found by keyword only until they are embedded (`docsense "
            "index` goes on with it)"
        )
    if st.untagged_documents:
        echo(f"Entities:  {st.untagged_documents:,} documents wait to be tagged (`docsense index` goes on with it)")
    if st.languages:
        echo(f"Languages: {languages_line(st.languages)}")
        if sum(1 for code, _n in st.languages if code) > 1:
            echo("           pages in a query's language rank above those in others that match it as well (the "
                 "language it is written in, else the commonest)")  # fmt: skip
    echo(f"Encoder:   {st.encoder} on {st.device}")
    if st.backend_note:
        echo(f"           {st.backend_note}")
    echo(f"Tagger:    {st.tagger}")
    echo(f"Reader:    {st.reader}")
    echo(f"Reranker:  {st.reranker or 'none'}")
    if st.outdated:
        echo(
            f"Outdated:  {st.outdated} documents' vectors were made by an older DocSense: run `docsense index` "
            "to make them again (searches use the old ones until then)"
        )
    echo(f"Failed:    {len(st.failed)}")
    for failure in st.failed:
        echo(f"  {failure.path}: {failure.reason}")
    if st.ocr_pages:
        echo(f"OCR:       {st.ocr_pages:,} scanned page{'s' if st.ocr_pages != 1 else ''} read by OCR")
    if st.unsupported:
        echo(f"Not read:  {unsupported_line(st.unsupported)}")
    if st.warnings:
        echo(f"Warnings:  {len(st.warnings)} (indexed, but)")
        for warning in st.warnings:
            echo(f"  {warning.path}: {warning.reason}")


@cli.command()
@index_option
@click.option("--repair", is_flag=True, help="Rebuild what is inconsistent from what is intact, then check again.")
@click.option("--wait", is_flag=True, help="With --repair: if another process is writing, wait for it.")
@json_option
def verify(index_path: str | None, repair: bool, wait: bool, as_json: bool) -> None:
    """Check the index: vectors against database rows, and indexed files against the disk. Exit 1 if not ok."""
    with user_errors():
        if repair:
            from indexer import Indexer

            for action in Indexer(wait=wait, settings=_settings(index_path)).repair():
                echo(f"repair: {action}", err=True)
        from engine.errors import DamagedIndexError, explain
        from engine.types import Verification

        try:
            result = _open_library(index_path).verify()
        except Exception as exc:
            damage = explain(exc)
            if not isinstance(damage, DamagedIndexError):
                raise
            result = Verification(ok=False, problems=(f"database: {damage}",))  # verify's answer, not an error
    if as_json:
        _emit_json({"ok": result.ok, "problems": list(result.problems)})
    elif result.ok:
        echo("ok")
    else:
        for problem in result.problems:
            echo(problem)
    if not result.ok:
        sys.exit(1)


@cli.command()
@index_option
@json_option
def config(index_path: str | None, as_json: bool) -> None:
    """Every setting, its value and where it came from (flag, env, file, index or default).

    Settings come from the first of: a flag, the environment (DOCSENSE_*), the config file, what the index
    recorded when it was built, the default. The config file is TOML; its path is shown first.
    """
    with user_errors():
        settings = _settings(index_path)
    rows = settings.rows()
    if as_json:
        for row in rows:
            _emit_json(row)
        return
    exists = (
        "" if settings.config_file.is_file() else " (not there: every setting has its default or comes from elsewhere)"
    )
    echo(f"Config file: {settings.config_file}{exists}")
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        automatic = row["name"] in ("device", "backend")
        value = ("(automatic)" if automatic else "(none)") if row["value"] is None else row["value"]
        echo(f"  {row['name']:<{width}}  {value}  [{row['source']}]")


@cli.command()
@click.argument("target", metavar="FOLDER|URL")
@index_option
@click.option("--quiet", is_flag=True, help="No progress line.")
def copy(target: str, index_path: str | None, quiet: bool) -> None:
    """Copy the index into a new one at FOLDER, or on a PostgreSQL server (postgresql://user@host/db), with its
    vectors: nothing is read or embedded again. --index names the index copied (default: yours)."""
    from pathlib import Path

    from engine.index import Index
    from engine.index.transfer import copy_index
    from engine.lock import WriterLock

    with user_errors():
        source_settings = _settings(index_path)
        target_settings = _settings(target)
        if target_settings.index == source_settings.index:
            raise click.UsageError("the copy needs another place than the index it copies")
        source = Index(source_settings.index, settings=source_settings)
        folder = Path(target_settings.index)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with WriterLock(folder).acquire():
            copy = Index(folder, encoder=source.encoder_name, create=True, settings=target_settings)
            printer = ProgressPrinter()
            try:
                for done, total in copy_index(source, copy):
                    now = time.monotonic()
                    if not quiet and (printer.tty or now - printer.last >= 5 or done == total):
                        printer.last = now
                        printer._line(f"Copying documents with their vectors: {done:,} of {total:,}", final=True)
            finally:
                copy.close()
                source.close()
    if not quiet and printer.tty:
        echo("", err=True)
    echo(f"Copied the index to {target}: search it with --index {target}")


@cli.command()
@click.argument("folder", type=click.Path(), metavar="FOLDER|FILE")
@index_option
@click.option("--wait", is_flag=True, help="If another process is writing to the index, wait for it.")
def remove(folder: str, index_path: str | None, wait: bool) -> None:
    """Remove FOLDER and every document under it from the index (the files themselves are not touched)."""
    from indexer import Indexer

    with user_errors():
        removed = Indexer(wait=wait, settings=_settings(index_path)).remove_folder(folder)
    echo(f"Removed {os.path.abspath(folder)} ({removed} documents) from the index.")


def main() -> None:
    """Console entry point: a bug shows one line and how to get the traceback, not the traceback itself."""
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:
        from engine.errors import explain
        from engine.settings import debug_requested

        if debug_requested():
            raise
        error = explain(exc)
        if error is not None:
            echo(f"Error: {error}", err=True)
            sys.exit(1)
        echo(f"docsense: internal error: {type(exc).__name__}: {exc}", err=True)
        echo("Run again with DOCSENSE_DEBUG=1 to see the traceback, and please report it.", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
