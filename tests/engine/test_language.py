"""engine.language on real pages: Debian Reference's Git section in German, Japanese and Chinese, git's own page."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.language import document_language, language_name, query_language
from indexer.extract import extract

LANGUAGES = Path(__file__).resolve().parents[1] / "data" / "languages"


@pytest.mark.parametrize(
    ("name", "code"),
    [("debian-reference-de-git.txt", "de"), ("debian-reference-ja-git.txt", "ja"),
     ("debian-reference-zh-cn-git.txt", "zh")],
)  # fmt: skip
def test_a_page_in_another_language_is_told_by_its_prose_not_its_english_commands(name: str, code: str) -> None:
    text = (LANGUAGES / name).read_text()
    assert "Git" in text
    assert "Debian" in text
    assert document_language(text) == code


def test_an_english_reference_page_is_english() -> None:
    page = extract("html", (LANGUAGES / "git-stash.html").read_bytes())
    assert document_language(page.text) == "en"


def test_too_little_text_has_no_language() -> None:
    assert document_language("") is None
    assert document_language("3.14 2.71 1.41 " * 50) is None  # numbers, no letters
    assert document_language("Invoice 2024-113") is None


def test_a_short_query_in_latin_letters_says_no_language_one_in_another_script_does() -> None:
    assert query_language("git stash") is None  # CLD3 would guess wildly from two words
    assert query_language("Lamport errata") is None
    assert query_language("How do I find which commit introduced a bug?") == "en"
    assert query_language("Wie kann ich die letzte Änderung rückgängig machen?") == "de"
    assert query_language("変更を元に戻す") == "ja"
    assert query_language("如何撤销提交") == "zh"
    assert query_language("LDAP サーバーの設定") == "ja"  # read whole, CLD3 says Russian: kana says Japanese
    assert query_language("Как отменить коммит git") == "ru"
    assert language_name("ja") == "Japanese"
    assert language_name("xx") == "xx"
