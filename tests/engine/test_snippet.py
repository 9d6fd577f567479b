from __future__ import annotations

from engine.snippet import best_window, make_snippet


def test_snippet_goes_where_the_query_words_are() -> None:
    text = "filler " * 100 + "the ldap directory server configuration " + "filler " * 100
    snippet, offset, anchor = make_snippet(text, ["ldap", "server"])
    assert text[anchor:].startswith(("ldap", "server"))
    assert "ldap directory server" in snippet
    assert text[offset:].startswith(snippet.lstrip("…")[:20])
    assert len(snippet) <= 245


def test_snippet_prefers_distinct_terms() -> None:
    text = "apple " * 30 + "x " * 200 + "apple banana cherry " + "y " * 200
    start, end, _anchor = best_window(text, ["apple", "banana", "cherry"])
    assert "banana" in text[start:end]
    assert "cherry" in text[start:end]


def test_short_text_is_whole() -> None:
    assert make_snippet("short text", ["x"]) == ("short text", 0, 0)


def test_no_match_starts_at_the_beginning() -> None:
    snippet, offset, _anchor = make_snippet("word " * 200, ["absent"])
    assert offset == 0
    assert snippet.endswith("…")


def test_the_rarest_word_anchors_the_snippet() -> None:
    text = " ".join(f"Page {i} of the long report." for i in range(1, 60))
    snippet, _start, anchor = make_snippet(text, ["page", "7", "long", "report"])
    assert text[anchor : anchor + 2] == "7 "  # "7" occurs once; "page", "long", "report" on every line
    assert "Page 7 of the long report" in snippet


def test_snippet_within_a_part_of_the_text() -> None:
    text = "apples grow on trees. " * 5 + "pears are green and sweet. " + "plums are purple. " * 5
    a = text.index("pears")
    b = a + len("pears are green and sweet.")
    snippet, start, anchor = make_snippet(text, ["apples"], within=(a, b))
    assert a <= start < b  # taken from the part, though the word asked for is elsewhere
    assert anchor == a
    assert snippet == "…pears are green and sweet.…"
    whole, start, _anchor = make_snippet(text, ["apples"])
    assert start == 0
    assert whole.startswith("apples grow")
