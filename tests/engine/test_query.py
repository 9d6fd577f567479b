"""The query language (engine.query): fields, exclusions and free text, parsed once; fuzzed with hypothesis."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import QueryError
from engine.query import ParsedQuery, absolute_path_filter, field, parse_query, without_fields


def day(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def test_fields_become_filters_and_the_rest_stays_text() -> None:
    parsed = parse_query('lamport errata ext:pdf type:HTM after:2005 before:2021-06 -draft person:"Leslie  Lamport"')
    assert parsed == ParsedQuery(
        text="lamport errata",
        types=("pdf", "html"),
        after=day("2005-01-01"),
        before=day("2021-06-01"),
        entity="Leslie Lamport",
        excluded=("draft",),
    )
    assert parse_query("apache path:~/notes from:alice@example.org").path == "~/notes"
    assert parse_query("apache path:~/notes from:alice@example.org").author == "alice@example.org"
    assert parse_query('printers -"line printer" -lpd').excluded == ("line printer", "lpd")


@pytest.mark.parametrize(
    "query",
    [
        "How do I copy a file?",
        "Is there an equivalent to C\u2019s onexit() in Python?",
        "curses/termcap for Python",
        "see http://example.org/page and note: this",
        '"exact phrase" with -5 degrees and well-known words',
        "a lone - sign, and C++ -- the language",
    ],
)
def test_plain_text_and_unknown_names_stay_as_typed(query: str) -> None:
    assert parse_query(query) == ParsedQuery(" ".join(query.split()))


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("apache ext:", "ext: needs a value, e.g. ext:pdf"),
        ("apache ext:exe", "unknown type 'exe'"),
        ("apache after:yesterday", "after:yesterday is not a date"),
        ("apache before:2021-13", "before:2021-13 is not a date"),
        ("apache path:/a path:/b", "one path: at a time"),
        ("apache person:Knuth org:Debian", "one person:, org:, place: or entity: at a time"),
        ("ext:pdf after:2020", "no words to search for"),
        ('person:""', "person: needs a value"),
    ],
)
def test_a_malformed_query_says_what_to_write(query: str, says: str) -> None:
    with pytest.raises(QueryError, match=says.replace("(", r"\(").replace("+", r"\+")):
        parse_query(query)


def test_a_path_filter_means_what_this_process_means(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_path_filter("notes") == str(tmp_path / "notes")
    assert absolute_path_filter("notes/*.md") == str(tmp_path / "notes" / "*.md")
    assert absolute_path_filter("*.pdf") == "*.pdf"  # any PDF, wherever it is
    assert absolute_path_filter("~/x") == os.path.expanduser("~/x")
    assert absolute_path_filter("/abs/*.md") == "/abs/*.md"


PIECES = [*'abc XYZ:-"*~/.2019éß', "ext:", "path:", "after:", "person:", " -", "pdf", "2020-01"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=20).map("".join))
def test_any_text_parses_or_says_why(text: str) -> None:
    try:
        parsed = parse_query(text)
    except QueryError as exc:
        message = str(exc)  # a message, never a traceback
        assert message
        return
    # The fields and exclusions are all taken out: what is left parses as free text alone.
    assert parse_query(parsed.text) == ParsedQuery(parsed.text)


def test_facets_write_fields_that_parse_back() -> None:
    assert field("ext", "pdf") == "ext:pdf"
    assert field("person", 'Leslie "Les" Lamport') == 'person:"Leslie Les Lamport"'
    query = f"errata {field('person', 'Leslie Lamport')} ext:pdf -draft"
    assert parse_query(query).entity == "Leslie Lamport"
    assert without_fields(query, ("person", "org")) == "errata ext:pdf -draft"
    assert without_fields('"ext:pdf in a phrase" ext:pdf', ("ext",)) == '"ext:pdf in a phrase"'


def test_a_prefix_stands_for_the_words_that_begin_so() -> None:
    from engine.query import expand_prefixes

    terms = {"virt": ["virtual", "virtualis"], "zz": []}
    asked: list[tuple[str, int]] = []

    def starting(prefix: str, limit: int) -> list[str]:
        asked.append((prefix, limit))
        return terms.get(prefix, [])

    assert expand_prefixes('Virt* hosts "conf* files" zz* a* x*y', starting) == (
        'virtual virtualis hosts "conf* files" zz a* x*y'  # quoted: as typed; one letter, or inside a word: text
    )
    assert [p for p, _ in asked] == ["virt", "zz"]


def test_or_makes_one_query_for_each_choice() -> None:
    from engine.query import alternatives

    assert alternatives("apache OR nginx proxy") == ["apache proxy", "nginx proxy"]
    assert alternatives("a OR b c OR d") == ["a c", "a d", "b c", "b d"]
    assert alternatives('"virtual hosts" OR vhosts') == ['"virtual hosts"', "vhosts"]
    for plain in ("cats or dogs", "OR gate", "this OR", "x"):  # lower case, or OR with nothing on one side: words
        assert alternatives(plain) == [plain]
    with pytest.raises(QueryError, match="more than 8 searches"):
        alternatives("a OR b c OR d e OR f g OR h")
