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


def test_a_person_written_shorter_is_counted_and_found_with_the_full_name(
    make_indexer, docs: Path, tmp_path: Path, fake_encoder
):
    (docs / "manual.md").write_text("# Manual\n\nLeslie Lamport wrote the first LaTeX manual in 1985.\n")
    (docs / "letter.md").write_text("# Letter\n\nThe reply about the manual was signed by L. Lamport in 1986.\n")
    (docs / "other.md").write_text("# Other\n\nDonald Knuth wrote the TeXbook about the manual's language.\n")
    make_indexer(tagger="en_core_web_sm").run([docs])
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        people = {e.norm: e for e in lib.entities(label="PERSON")}
        assert "l. lamport" not in people  # counted in the full name
        lamport = people["leslie lamport"]
        assert (lamport.count, lamport.document_count, set(lamport.forms)) == (2, 2, {"leslie lamport", "l. lamport"})
        found = {Path(h.path).name for h in lib.search("manual", limit=10, entity="Leslie Lamport")}
    assert found == {"manual.md", "letter.md"}


def test_an_index_tagged_before_its_entities_were_judged_is_judged_when_opened(tmp_path: Path) -> None:
    from engine.index.schema import MIGRATIONS, m011_entities_in_context
    from engine.index.store import Store

    store = Store(tmp_path)
    text = "Bug reports go to the bug tracker: a bug is a bug. Leslie Lamport wrote the manual."
    with store.transaction() as conn:
        conn.execute("INSERT INTO documents(path, folder, type, size, mtime_ns, sha256, indexed_at) "
                     "VALUES ('/d/a.txt', '/d', 'txt', 1, 1, '', 0)")  # fmt: skip
        conn.execute("INSERT INTO texts(doc_id, text, sections) VALUES (1, ?, '[]')", (text,))
        for surface in ("Bug", "Leslie Lamport"):
            start = text.index(surface)
            conn.execute(
                'INSERT INTO entities(doc_id, start, "end", label, text, norm) VALUES (1, ?, ?, "PERSON", ?, ?)',
                (start, start + len(surface), surface, surface.lower()),
            )
        # as an index made before m011: what the migrations after it added goes
        conn.execute("DROP INDEX chunks_pending")
        conn.execute("ALTER TABLE chunks DROP COLUMN pending")
        conn.execute("DROP INDEX documents_untagged")
        conn.execute("ALTER TABLE documents DROP COLUMN untagged")
        conn.execute("ALTER TABLE documents DROP COLUMN recipients")
        conn.execute("DROP INDEX documents_language")
        conn.execute("ALTER TABLE documents DROP COLUMN language")
        conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(m011_entities_in_context)}")
    store.close()
    store = Store(tmp_path)
    assert [r[0] for r in store.conn.execute("SELECT text FROM entities")] == ["Leslie Lamport"]
    store.close()


def test_the_english_tagger_leaves_pages_in_other_languages_alone(make_indexer, docs: Path, tmp_path: Path,
                                                                  fake_encoder) -> None:  # fmt: skip
    """spaCy's English model in a page of Japanese or German finds table numbers as dates and nouns as people;
    such pages are not tagged by it (a tagger of the user's own would tag them)."""
    import shutil

    data = Path(__file__).resolve().parents[1] / "data"
    shutil.copy(data / "corpus" / "html" / "sect.ldap-directory.html", docs)
    for page in ("debian-reference-ja-git.txt", "debian-reference-de-git.txt"):
        shutil.copy(data / "languages" / page, docs)
    make_indexer(tagger="en_core_web_sm").run([docs])
    with Library(tmp_path / "index", encoder=fake_encoder) as lib:
        tagged = {Path(p).name for e in lib.entities(limit=500, per_entity_documents=10) for p in e.documents}
        assert lib.status().untagged_documents == 0  # none is left waiting either
    assert tagged == {"sect.ldap-directory.html"}
