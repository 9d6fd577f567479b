"""Which language a document, or a query, is written in (CLD3, Google's compact neural language identifier).

The default encoder was trained on English: a page in Korean or Japanese with a few English words and URLs in it
embeds near any English question about those words, and its rare English words make strong keyword matches. Knowing
each document's language lets search keep a query from matching pages in another language by accident
(engine.search), and lets status say what an index holds.

CLD3 comes from PyPI as ``cld3-py`` (its module is ``gcld3``, Apache 2.0): a wheel of under 1 MB that loads in
milliseconds, so a cold search can afford it. It names languages by ISO 639-1 codes ("en", "de", "ja", "zh").
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

SAMPLE_CHARS = 4_000  # each of a document's three samples (its start, middle and end)
MIN_LETTERS = 200  # a document with fewer letters has no language said (a form, a table of numbers, code)
MIN_SHARE = 0.5  # a document's language is that of at least this share of its text, reliably told
QUERY_WORDS = 4  # a query in Latin letters is judged by itself from this many words on
QUERY_PROBABILITY = 0.95  # ... when CLD3 is this sure and says its guess is reliable
NON_LATIN_LETTERS = 2  # a query with this many letters of another script is judged by itself at any length

# Letters outside the Latin script: Greek, Cyrillic, Armenian, Hebrew, Arabic, the Indic scripts, Thai, Georgian,
# Hangul, kana and the CJK ideographs. A query in one of them says its language at any length.
_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0900-\u0dff"
                        r"\u0e00-\u0e7f\u10a0-\u10ff\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff"
                        r"\uac00-\ud7af\uf900-\ufaff]")  # fmt: skip
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w.-]*")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


@cache
def _identifier() -> Any:
    import gcld3

    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=SAMPLE_CHARS * 3 * 4)  # UTF-8: 4 bytes at most


def _base(code: str) -> str:
    """CLD3's code without its script ("zh-Latn" is Chinese written in Latin letters: "zh")."""
    return code.split("-")[0]


def document_language(text: str) -> str | None:
    """The language ``text`` is written in, or None when it has too few letters to tell or CLD3 is not sure (a
    page of code, a list of names, a bilingual text). Three samples (start, middle, end) read together keep a long
    text's cost bounded and a front page in another language from deciding alone; a sample alone can be wrong
    with confidence (a salad of English nouns reads as Danish), the three together are not."""
    letters = len(_LETTER.findall(text, 0, min(len(text), SAMPLE_CHARS * 3)))
    if letters < MIN_LETTERS:
        return None
    if len(text) > SAMPLE_CHARS * 3:
        middle = len(text) // 2 - SAMPLE_CHARS // 2
        text = "\n".join((text[:SAMPLE_CHARS], text[middle : middle + SAMPLE_CHARS], text[-SAMPLE_CHARS:]))
    # The language of most of the text's spans: one classification of a text with code and commands in between
    # can be far off (Chinese with shell lines reads as Marathi), while its Chinese spans are reliably Chinese.
    top = _identifier().FindTopNMostFreqLangs(text, 1)[0]
    if top.language == "und" or not top.is_reliable or top.proportion < MIN_SHARE:
        return None
    return _base(top.language)


def query_language(query: str) -> str | None:
    """The language a query is written in when it says so by itself, else None (then the index's main language is
    assumed). Short queries in Latin letters say too little: CLD3 takes "errata" for Basque, "Lamport" for
    Japanese. A query in another script says it at any length, judged by its letters of that script alone (CLD3
    reads "LDAP サーバーの設定" as Russian, "サーバーの設定" as Japanese); kana is Japanese, Hangul Korean."""
    runs = _NON_LATIN.findall(query)
    if len(runs) >= NON_LATIN_LETTERS:
        if _KANA.search(query):
            return "ja"
        if _HANGUL.search(query):
            return "ko"
        return _base(_identifier().FindLanguage(_LATIN_WORD.sub(" ", query)).language)
    if len(re.findall(r"\w+", query)) < QUERY_WORDS:
        return None
    found = _identifier().FindLanguage(query)
    return _base(found.language) if found.is_reliable and found.probability >= QUERY_PROBABILITY else None


LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


def language_name(code: str) -> str:
    """A language's name in English for people ("ja": "Japanese"); the code itself for one not listed."""
    return LANGUAGE_NAMES.get(code, code)
