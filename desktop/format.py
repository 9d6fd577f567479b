"""Formatting shared by the command line and the window (no Qt here: the CLI imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.types import Explanation, Progress

# What a search that found nothing says (a query no document matches by its words, or comes close to in meaning)
NO_MATCH = "No close match: no document has enough of these words, and none is close in meaning."


def no_match(unknown: Sequence[str] = ()) -> str:
    """Why a search has no hits, naming the words no document holds (``unknown``, from Library.unknown_words)."""
    if not unknown:
        return NO_MATCH
    return f"No close match: no document has {_listed(unknown)}, and none is close in meaning."


def spelled(searched: str, fixes: dict[str, str]) -> str:
    """What a search did with misspelt words (Library.spelled): searched for ``searched`` instead."""
    return (
        f"Searched for '{searched}': no document has {_listed(list(fixes))}. Put a word in double quotes to search "
        "for it as typed."
    )


def explanation_lines(why: Explanation) -> list[str]:
    """Why a hit is one, in two lines: the keyword side's words, then the meaning side's closest part and the words
    of it that pull most (engine.explain)."""
    held = ", ".join(f"'{w}' {share:.2f}" for w, share in why.matched)
    keyword = f"why: holds {held} of the query's word weight" if held else "why: holds none of the query's words"
    keyword += f"; lacks {', '.join(repr(w) for w in why.missing)}" if why.missing else ""
    if why.cosine is None or why.view is None:
        return [keyword]
    view = " ".join(why.view.split()).lstrip(" .,;:)]}")
    view = view if len(view) <= 90 else view[:87] + "..."
    pulls = ", ".join(f"{w} +{share:.3f}" for w, share in why.pulls) or "-"
    return [keyword, f'     its closest part (cosine {why.cosine:.2f}): "{view}"; the words that pull: {pulls}']


def _listed(words: Sequence[str]) -> str:
    quoted = [f"'{w}'" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def human_time(seconds: float | None) -> str:
    """A duration for people: "42s", "3m07s", "2h05m"; "?" when unknown."""
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def unsupported_line(counts: tuple[tuple[str, int], ...] | list[tuple[str, int]], shown: int = 8) -> str:
    """ "skipped 3 files of types DocSense does not read: .xyz 2, .dwg 1" (the commonest ``shown`` suffixes)."""
    total = sum(n for _suffix, n in counts)
    kinds = ", ".join(f"{suffix or '(no suffix)'} {n:,}" for suffix, n in counts[:shown])
    more = f", and {len(counts) - shown} more types" if len(counts) > shown else ""
    return f"skipped {total:,} file{'s' if total != 1 else ''} of types DocSense does not read: {kinds}{more}"


def languages_line(counts: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> str:
    """ "English 200, German 1, Japanese 1 (3 not told)": the index's languages, most documents first."""
    from engine.language import language_name

    told = [f"{language_name(code)} {n:,}" for code, n in counts if code]
    untold = sum(n for code, n in counts if not code)
    if not told:
        return f"not told for any of its {untold:,} documents" if untold else "none told yet"
    return ", ".join(told) + (f" ({untold:,} not told)" if untold else "")


def file_of(path: str) -> str:
    """The file on disk that holds the document at ``path``: itself, or for a message of a mailbox or a member of
    an archive ("inbox.mbox/12", "papers.zip/a/b.pdf"), the mailbox or the archive (no such path exists below a
    file, so the first that exists going up is it)."""
    import os

    found = path
    while found and not os.path.exists(found) and os.path.dirname(found) != found:
        found = os.path.dirname(found)
    return found if os.path.exists(found) else path


def shown_path(path: str) -> str:
    """A document's path as people read it, a " > " (shown as U+203A) before each file inside a file: "inbox.mbox >
    12" for a message of a mailbox, "inbox.mbox > 12 > report.pdf" for its attachment, "papers.zip > a/b.pdf" for a
    member of an archive, "papers.zip > old.tar > c.txt" for one inside an archive in it; a file's own path as it
    is."""
    return _shown(path, file_of(path))


def _shown(path: str, holder: str) -> str:
    """shown_path, given the file on disk that holds ``path``."""
    from indexer.extract import CONTAINERS, kind_of

    if holder == path:
        return path
    holders = ("eml", *CONTAINERS)  # a mail, a mailbox or an archive holds what follows it
    shown, run = [holder], []
    message_next = kind_of(holder) == "mbox"  # a mailbox's documents are its messages' numbers
    for piece in path[len(holder) + 1 :].split("/"):
        run.append(piece)
        if message_next or kind_of(piece) in holders:
            shown.append("/".join(run))
            run = []
            message_next = not message_next and kind_of(piece) == "mbox"
    return " \u203a ".join(shown + (["/".join(run)] if run else []))


def hit_name(path: str, doc_type: str, title: str | None, folder: bool = True) -> str:
    """How a hit's document is named in a list: its shown path (without its folder, unless ``folder``), and for a
    message of a mailbox its subject ("inbox.mbox \u203a 12: Re: the plan")."""
    import os

    holder = file_of(path)
    shown = _shown(path, holder)
    if not folder:
        shown = os.path.basename(holder) + shown[len(holder) :]
    return f"{shown}: {title}" if doc_type == "eml" and title and holder != path else shown


def progress_line(p: Progress) -> str:
    """One line on where an indexing run stands, for the CLI and the window."""
    if p.phase == "save":
        return "Saving the vector index…"
    if p.phase == "languages":
        return (f"Telling the language of documents an older DocSense indexed: {p.languages_told:,} of "
                f"{p.to_tell:,}  ETA {human_time(p.eta_s)}")  # fmt: skip
    if p.phase == "weights":
        share = 100.0 * p.weighed / p.to_weigh if p.to_weigh else 100.0
        return (f"Weighing the common words of a big index, for quick keyword search: {share:.0f}%  "
                f"ETA {human_time(p.eta_s)}")  # fmt: skip
    if p.phase == "embed":
        share = 100.0 * p.embedded / p.to_embed if p.to_embed else 100.0
        text = (
            f"Keyword search covers every file. Embedding for meaning search: {p.embedded:,} of {p.to_embed:,} "
            f"windows ({share:.0f}%)"
            + (f", entities: {p.tagged:,} of {p.to_tag:,} documents" if p.to_tag else "")
            + f"  {p.chunks_per_s:.1f} windows/s  ETA {human_time(p.eta_s)}"
        )
    else:
        share = 100.0 * p.files_done / p.files_total if p.files_total else 100.0
        text = (
            f"[{p.files_done}/{p.files_total}] {share:5.1f}%  {p.chunks_done} windows stored  "
            f"{p.chunks_per_s:.1f} windows/s  ETA {human_time(p.eta_s)}"
        )
    if p.failed:
        text += f"  {p.failed} failed"
    return text
