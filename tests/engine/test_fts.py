from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.fts import build_fts_query, build_near_query, content_words


def fts_table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    rows = ["the quick brown fox", "NEAR AND NOT OR", "café au lait", "c++ and c# compilers", "alpha beta gamma"]
    conn.executemany("INSERT INTO t(text) VALUES (?)", [(r,) for r in rows])
    return conn


def match(conn: sqlite3.Connection, query: str) -> list[str]:
    fts = build_fts_query(query)
    if fts is None:
        return []
    near = build_near_query(query)
    if near is not None:
        conn.execute("SELECT text FROM t WHERE t MATCH ?", (near,)).fetchall()  # must parse too
    return [r[0] for r in conn.execute("SELECT text FROM t WHERE t MATCH ? ORDER BY bm25(t)", (fts,))]


def test_near_pairs_neighbouring_words() -> None:
    assert build_near_query("How do I copy a file?") == 'NEAR("copy" "file", 5)'
    assert build_near_query('"quick brown" fox', distance=2) == 'NEAR("quick" "brown", 2) OR NEAR("brown" "fox", 2)'
    assert build_near_query("fox") is None
    assert build_near_query("the fox the fox") is None  # one word, repeated
    conn = fts_table()
    conn.execute("INSERT INTO t(text) VALUES ('the quick dog saw one brown fox')")
    got = [r[0] for r in conn.execute("SELECT text FROM t WHERE t MATCH ?", (build_near_query("quick fox", 1),))]
    assert got == ["the quick brown fox"]  # within one word of each other; four apart does not count


def test_words_are_quoted_and_ored() -> None:
    assert build_fts_query("quick fox") == '"quick" OR "fox"'
    assert build_fts_query("the") == '"the"'  # only stopwords: keep them
    assert build_fts_query("") is None
    assert build_fts_query("  ()*^: ") is None


def test_phrases_in_quotes_stay_phrases() -> None:
    q = build_fts_query('"brown fox" jumps')
    assert q is not None
    assert q.startswith('"brown fox"')
    conn = fts_table()
    assert match(conn, '"brown fox"')[0] == "the quick brown fox"


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "a AND", "NOT", "(((", "col:value", "fox*", "^start", "NEAR(a b)", "a OR OR b", "\x00\x1b[31m",
     "'; DROP TABLE t; --", '""""', "c++", "🙂 emoji"],
)  # fmt: skip
def test_hostile_queries_run(query: str) -> None:
    match(fts_table(), query)  # must not raise


def test_operators_are_plain_words() -> None:
    conn = fts_table()
    assert match(conn, "NEAR") == ["NEAR AND NOT OR"]
    assert match(conn, "cafe") == ["café au lait"]  # diacritics folded


def test_content_words_drop_stopwords_and_repeats() -> None:
    assert content_words("What is the Fox, the fox?") == ["fox"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=80))
def test_any_text_makes_a_valid_query_that_changes_nothing(text: str) -> None:
    conn = fts_table()
    before = conn.execute("SELECT rowid, text FROM t ORDER BY rowid").fetchall()
    match(conn, text)
    assert conn.execute("SELECT rowid, text FROM t ORDER BY rowid").fetchall() == before
