"""Entity groups as the index counts them (the real spaCy tagger on small real-looking notes)."""

from __future__ import annotations

from pathlib import Path

from engine import Library


def test_every_document_that_mentions_an_entity_is_counted(make_indexer, docs: Path, tmp_path: Path, fake_encoder):
    for i in range(25):  # more documents than the sample of paths an entity carries
        (docs / f"note{i:02d}.md").write_text(f"# Meeting {i}\n\nFrank Mittelbach reviewed the multicol code again.\n")
    with (docs / "note00.md").open("a") as note:
        note.write("\nThe next day Frank Mittelbach reviewed the multicol code again.\n")  # twice in one document
    (docs / "other.md").write_text("# Other\n\nLeslie Lamport wrote the first LaTeX manual.\n")
    make_indexer(tagger="en_core_web_sm").run([docs])
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        people = {e.norm: e for e in lib.entities(label="PERSON", per_entity_documents=5)}
    frank = people["frank mittelbach"]
    assert frank.text == "Frank Mittelbach"
    assert (frank.count, frank.document_count) == (26, 25)
    assert frank.documents == tuple(str(docs / f"note{i:02d}.md") for i in range(5))  # the first 5, in path order
    assert (people["leslie lamport"].document_count, people["leslie lamport"].documents) == (
        1,
        (str(docs / "other.md"),),
    )
    assert next(iter(people)) == "frank mittelbach"  # most mentioned first
