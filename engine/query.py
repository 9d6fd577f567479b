"""The query language both front ends share: free text, searched by meaning and by keyword, with fields.

    lamport errata ext:pdf after:2005 -draft person:"Leslie Lamport"

- ``ext:`` / ``type:``: a document type (pdf, html, md, txt, docx, eml ...; ``htm``, ``markdown``, ``text``,
  ``mail`` too); given more than once, any of them.
- ``path:``: a folder (every document under it), a file, or a glob; ``~`` is the home folder.
- ``after:`` / ``before:``: written on or after, or before, a date: YYYY, YYYY-MM or YYYY-MM-DD (UTC).
- ``from:``: a part of the author (a mail's From).
- ``to:``: a part of whom a mail was sent to (its To or Cc).
- ``title:``: a part of the document's title (a mail's subject, a PDF's title) or of its file's name.
- ``person:``, ``org:``, ``place:``, ``entity:``: documents that mention that entity.
- ``-word`` or ``-"some words"``: documents holding it are left out.
- ``a OR b``: either word (or "quoted words") in that place: ``apache OR nginx proxy`` searches "apache proxy"
  and "nginx proxy" and keeps each hit's best; ``OR`` in capitals, between two words.
- ``word*``: any word that begins so (two letters at least): the words of the index that do, most common first.

A value is a word or "quoted words". Everything else is the free text, as typed: "quoted words" stay a phrase, and a
name that is no field ("http://example.org", "note: this") or a minus that starts no word ("-5 degrees") is text.
A malformed field is a QueryError that says what to write; a query is parsed once, here, into a ``ParsedQuery``,
never spliced into FTS5 syntax (engine.fts quotes what reaches the keyword index). This module is light (no numpy,
no SQLite), so that `docsense search` can read a query before it knows whether a serving process will answer it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.errors import QueryError
from engine.types import DOC_TYPES

TYPE_ALIASES = {"htm": "html", "markdown": "md", "text": "txt", "mail": "eml", "email": "eml", "tex": "tex"}
ENTITY_FIELDS = ("person", "org", "place", "entity")
FIELDS = ("ext", "type", "path", "after", "before", "from", "to", "title", *ENTITY_FIELDS)
EXAMPLES = {"ext": "ext:pdf", "type": "type:pdf", "path": "path:~/Papers", "after": "after:2020-01-31",
            "before": "before:2021", "from": "from:alice", "to": "to:bob", "title": "title:errata"}  # fmt: skip
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_GLOB_CHARS = re.compile(r"[*?\[]")
T = TypeVar("T")


PREFIX_TERMS = 6  # the index's words a prefix stands for, at most
_PREFIX = re.compile(r'(?<![\w*])(\w{2,})\*(?![\w*])|("[^"]*")')


def expand_prefixes(text: str, terms_starting: Callable[[str, int], list[str]]) -> str:
    """``text`` with each ``word*`` outside double quotes replaced by the words ``terms_starting`` gives for its
    prefix (lower case), or by the bare prefix when it gives none."""

    def one(m: re.Match[str]) -> str:
        if m.group(2) is not None:
            return m.group(2)
        prefix = m.group(1).lower()
        return " ".join(terms_starting(prefix, PREFIX_TERMS)) or prefix

    return _PREFIX.sub(one, text)


# The filters of a ParsedQuery, by the names Library.search and Library.ask take them (and the socket sends them).
FILTERS = ("path", "types", "entity", "author", "after", "before", "excluded", "title", "recipient")


@dataclass(frozen=True)
class ParsedQuery:
    """A query's free text and the filters its fields ask for (None, or empty: not asked)."""

    text: str
    types: tuple[str, ...] = ()
    path: str | None = None
    after: float | None = None
    before: float | None = None
    author: str | None = None
    entity: str | None = None
    excluded: tuple[str, ...] = ()
    title: str | None = None
    recipient: str | None = None

    @property
    def has_fields(self) -> bool:
        return self != ParsedQuery(self.text)

    def filters(self) -> dict[str, Any]:
        """The filters, as keyword arguments of Library.search and Library.ask."""
        return {name: getattr(self, name) for name in FILTERS}


def parse_query(query: str) -> ParsedQuery:
    """The free text and the fields of ``query`` (see the module's text).

    Raises:
        QueryError: a field without a value, an unknown type, a date that is none, two different values for a
            field that takes one, or fields and no words to search for.
    """
    text: list[str] = []
    types: list[str] = []
    excluded: list[str] = []
    one: dict[str, str] = {}  # the fields that take one value: path, after, before, from, entity
    for token in _tokens(query):
        field = _FIELD.fullmatch(token)
        name = field.group(1).lower() if field else ""
        if field and name in FIELDS:
            value = _unquoted(field.group(2))
            if not value:
                example = EXAMPLES.get(name, f'{name}:"Leslie Lamport"')
                raise QueryError(f"{name}: needs a value, e.g. {example}")
            if name in ("ext", "type"):
                types.append(_doc_type(value))
                continue
            key = "entity" if name in ENTITY_FIELDS else name
            if key in one and one[key] != value:
                said = "person:, org:, place: or entity:" if key == "entity" else f"{name}:"
                raise QueryError(f"one {said} at a time ({one[key]!r} and {value!r}): search for each in turn")
            one[key] = value
        elif len(token) > 1 and token[0] == "-" and (token[1] == '"' or token[1].isalpha()):
            word = _unquoted(token[1:])
            if word:
                excluded.append(word)
        else:
            text.append(token)
    free = " ".join(text)
    parsed = ParsedQuery(
        text=free,
        types=tuple(dict.fromkeys(types)),
        path=one.get("path"),
        after=_date(one["after"], "after") if "after" in one else None,
        before=_date(one["before"], "before") if "before" in one else None,
        author=one.get("from"),
        entity=one.get("entity"),
        excluded=tuple(dict.fromkeys(excluded)),
        title=one.get("title"),
        recipient=one.get("to"),
    )
    if not free.strip() and parsed.has_fields:
        raise QueryError("the query has fields but no words to search for: add some words beside them")
    return parsed


def field(name: str, value: str) -> str:
    """The query text of field ``name`` with ``value``: ``ext:pdf``, ``person:"Leslie Lamport"``."""
    value = " ".join(value.replace('"', " ").split())
    return f"{name}:{value}" if value and " " not in value else f'{name}:"{value}"'


def without_fields(query: str, names: tuple[str, ...]) -> str:
    """``query`` without its fields called one of ``names`` (any case), the rest as it was (spaces collapsed)."""
    kept = []
    for token in _tokens(query):
        found = _FIELD.fullmatch(token)
        if not (found and found.group(1).lower() in names):
            kept.append(token)
    return " ".join(kept)


def absolute_path_filter(path: str) -> str:
    """A path filter as this process means it: a relative folder or glob is taken from the current folder, ``~``
    is the home folder. What engine.search applies, and what `docsense search` sends a serving process."""
    if _GLOB_CHARS.search(path):
        return os.path.expanduser(path if path.startswith(("*", "/", "~")) else os.path.join(os.getcwd(), path))
    return os.path.abspath(os.path.expanduser(path))


MAX_ALTERNATIVES = 8  # the searches an OR query makes, at most


def alternatives(text: str) -> list[str]:
    """The queries ``text`` stands for when it says ``a OR b``: one per choice of each OR group's alternatives,
    the other words in their places (``apache OR nginx proxy``: "apache proxy", "nginx proxy"); ``[text]`` without
    OR. "OR" at the start or the end, or lower-case "or", is a word.

    Raises:
        QueryError: more than MAX_ALTERNATIVES queries.
    """
    tokens = _tokens(text)
    slots: list[list[str]] = []  # each a word, or an OR group's alternatives
    i = 0
    while i < len(tokens):
        group = [tokens[i]]
        while i + 2 < len(tokens) and tokens[i + 1] == "OR":
            group.append(tokens[i + 2])
            i += 2
        slots.append(group)
        i += 1
    queries = [""]
    for group in slots:
        queries = [f"{q} {choice}".strip() for q in queries for choice in dict.fromkeys(group)]
        if len(queries) > MAX_ALTERNATIVES:
            raise QueryError(f"the query's ORs make more than {MAX_ALTERNATIVES} searches: use fewer")
    return queries


def _tokens(query: str) -> list[str]:
    """``query`` split at whitespace outside double quotes (a token keeps its quotes)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in query:
        if ch == '"':
            quoted = not quoted
        if ch.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        tokens.append("".join(current))
    return tokens


def _unquoted(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
    return " ".join(value.split())


def _doc_type(value: str) -> str:
    kind = value.lower().lstrip(".")
    kind = TYPE_ALIASES.get(kind, kind)
    if kind not in DOC_TYPES:
        raise QueryError(f"unknown type {value!r} in ext:/type:: choose from {', '.join(DOC_TYPES)}")
    return kind


def parse_date(value: str) -> float | None:
    """``value`` (YYYY, YYYY-MM or YYYY-MM-DD, UTC) in seconds since 1970; None when it is no such date."""
    for pattern in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).replace(tzinfo=dt.UTC).timestamp()
        except ValueError:
            continue
    return None


def _date(value: str, name: str) -> float:
    when = parse_date(value)
    if when is None:
        raise QueryError(
            f"{name}:{value} is not a date: write it as YYYY, YYYY-MM or YYYY-MM-DD, e.g. {name}:2020-01-31"
        )
    return when


def with_flags(
    parsed: ParsedQuery,
    path: str | None = None,
    types: tuple[str, ...] = (),
    entity: str | None = None,
    author: str | None = None,
    after: float | None = None,
    before: float | None = None,
    excluded: tuple[str, ...] = (),
    title: str | None = None,
    recipient: str | None = None,
) -> ParsedQuery:
    """``parsed`` with the filters a front end gives beside the query (`docsense search --type ...`, the window's
    facets): types and exclusions add up; a filter given both ways must agree.

    Raises:
        QueryError: a filter given in the query and beside it with different values.
    """

    def one(name: str, field: T | None, flag: T | None) -> T | None:
        if field is not None and flag is not None and field != flag:
            raise QueryError(f"the query's {name}: and the {name} filter beside it differ: give one of them")
        return field if field is not None else flag

    return ParsedQuery(
        text=parsed.text,
        types=tuple(dict.fromkeys((*types, *parsed.types))),
        path=one("path", parsed.path, path),
        after=one("after", parsed.after, after),
        before=one("before", parsed.before, before),
        author=one("from", parsed.author, author),
        entity=one("person", parsed.entity, entity),
        excluded=tuple(dict.fromkeys((*excluded, *parsed.excluded))),
        title=one("title", parsed.title, title),
        recipient=one("to", parsed.recipient, recipient),
    )
