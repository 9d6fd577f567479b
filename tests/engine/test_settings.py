"""One set of settings: flag > environment > config file > the index's recorded values > default, with sources."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli import cli
from engine.settings import OPTIONS, Settings, SettingsError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's environment: no DOCSENSE_* but a home of its own (and what the test adds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSENSE_")}
    return {**env, "DOCSENSE_HOME": str(tmp_path / "home"), **extra}


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    """The same for CliRunner, which adds its env to this process's: None removes a variable."""
    gone: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DOCSENSE_")}
    return {**gone, "DOCSENSE_HOME": str(tmp_path / "home"), **extra}


def test_each_setting_comes_from_the_first_source_that_has_it(tmp_path: Path) -> None:
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir()
    config.write_text('tagger = "none"\nreader = "/models/squad"\nencoder = "hashing-bow-32"\n')
    env = _env(tmp_path, DOCSENSE_READER="sentence", DOCSENSE_RERANKER="/models/ms-marco")
    recorded = {"encoder": "hashing-bow-64", "tagger": "en_core_web_sm"}
    settings = Settings.resolve({"reranker": "/flag/reranker"}, env=env, recorded=recorded)
    got = {name: (getattr(settings, name), settings.sources[name]) for name in ("reranker", "reader", "tagger")}
    assert got == {
        "reranker": ("/flag/reranker", "flag"),  # the flag beats the environment
        "reader": ("sentence", "env"),  # the environment beats the file
        "tagger": ("none", "file"),  # the file beats what the index recorded
    }
    assert (settings.encoder, settings.sources["encoder"]) == ("hashing-bow-32", "file")
    config.write_text("")
    settings = Settings.resolve(env=env, recorded=recorded)
    assert (settings.encoder, settings.sources["encoder"]) == ("hashing-bow-64", "index")  # the index beats defaults
    assert (settings.pdf_reader, settings.sources["pdf_reader"]) == ("pdfium", "default")
    assert settings.index == tmp_path / "home" / "index"
    assert settings.config_file == config


def test_bad_values_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="max_file_mb from DOCSENSE_MAX_FILE_MB must be int, not 'lots'"):
        Settings.resolve(env=_env(tmp_path, DOCSENSE_MAX_FILE_MB="lots"), recorded={})
    with pytest.raises(SettingsError, match="pdf_reader from a flag must be one of pdfium, pypdf"):
        Settings.resolve({"pdf_reader": "acrobat"}, env=_env(tmp_path), recorded={})
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir()
    config.write_text("encoder = \n")
    with pytest.raises(SettingsError, match=f"the config file {config} is not valid TOML"):
        Settings.resolve(env=_env(tmp_path), recorded={})
    config.write_text('encodr = "x"\n')
    with pytest.raises(SettingsError, match="unknown setting 'encodr'"):
        Settings.resolve(env=_env(tmp_path), recorded={})
    result = CliRunner().invoke(cli, ["status"], env=_cli_env(tmp_path))
    assert result.exit_code == 1
    assert "unknown setting 'encodr'" in result.stderr
    assert "Traceback" not in result.output


def test_config_lists_every_setting_with_its_source(tmp_path: Path) -> None:
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir()
    config.write_text('device = "cpu"\n\n[folders."/srv/papers"]\nexclude = ["drafts", "*.tmp"]\n')
    result = CliRunner().invoke(cli, ["config", "--json"], env=_cli_env(tmp_path, DOCSENSE_TAGGER="none"))
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {o.name for o in OPTIONS} | {"folders./srv/papers.exclude"}
    assert all({"name", "value", "source"} <= set(r) for r in rows.values())
    assert (rows["tagger"]["value"], rows["tagger"]["source"]) == ("none", "env")
    assert (rows["device"]["value"], rows["device"]["source"]) == ("cpu", "file")
    assert (rows["encoder"]["value"], rows["encoder"]["source"]) == ("all-MiniLM-L6-v2", "default")
    assert rows["folders./srv/papers.exclude"]["value"] == ["drafts", "*.tmp"]
    text = CliRunner().invoke(cli, ["config"], env=_cli_env(tmp_path)).stdout
    assert text.splitlines()[0] == f"Config file: {config}"
    assert any(line.split() == ["device", "cpu", "[file]"] for line in text.splitlines())


def test_the_index_records_its_encoder_and_tagger_for_later_commands(tmp_path: Path, corpus_copy: Path) -> None:
    env = _cli_env(tmp_path, DOCSENSE_ENCODER="hashing-bow-64", DOCSENSE_TAGGER="none")
    index = str(tmp_path / "idx")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(corpus_copy / "html"), "--index", index, "-q"], env=env).exit_code == 0
    listed = runner.invoke(cli, ["config", "--json", "--index", index], env=_cli_env(tmp_path)).stdout
    rows = {r["name"]: r for r in map(json.loads, listed.splitlines())}
    assert (rows["encoder"]["value"], rows["encoder"]["source"]) == ("hashing-bow-64", "index")
    assert (rows["tagger"]["value"], rows["tagger"]["source"]) == ("none", "index")
    status = json.loads(runner.invoke(cli, ["status", "--index", index, "--json"], env=_cli_env(tmp_path)).stdout)
    assert (status["encoder"], status["tagger"], status["reader"], status["reranker"]) == (
        "hashing-bow-64", "none", "sentence", None,
    )  # fmt: skip
    assert status["backend_note"] == "the fake encoder (hashing-bow) runs no model"


def test_no_module_reads_docsense_variables_but_settings(tmp_path: Path) -> None:
    """engine/settings.py is the one reader; offline.py and faults.py act before any setting exists."""
    import re

    repo = Path(__file__).resolve().parents[2]
    allowed = {"engine/settings.py", "engine/offline.py", "engine/faults.py"}
    reads = re.compile(r"""(environ(\.get)?\s*[\[(]|getenv\s*\()\s*["']DOCSENSE_""")
    found = [
        f"{path.relative_to(repo)}:{n}"
        for package in ("engine", "indexer", "desktop")
        for path in sorted((repo / package).rglob("*.py"))
        if str(path.relative_to(repo)) not in allowed
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if reads.search(line)
    ]
    assert found == []
    assert reads.search('os.environ.get("DOCSENSE_TAGGER")')  # the pattern sees a read


def test_an_encoder_folder_is_named_as_the_index_records_it(tmp_path: Path) -> None:
    model = tmp_path / "models" / "mine"
    model.mkdir(parents=True)
    roundabout = f"{tmp_path}/models/../models/mine"
    settings = Settings.resolve(env=_env(tmp_path, DOCSENSE_ENCODER=roundabout), recorded={})
    assert settings.encoder == str(model.resolve())
    assert Settings.resolve(env=_env(tmp_path, DOCSENSE_ENCODER="hashing-bow-64"), recorded={}).encoder == (
        "hashing-bow-64"
    )


def test_config_file_shapes_and_unknown_vector_stores_are_clear_errors(tmp_path: Path, corpus_copy: Path) -> None:
    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir()
    config.write_text('folders = "everywhere"\n')
    with pytest.raises(SettingsError, match="folders are tables"):
        Settings.resolve(env=_env(tmp_path), recorded={})
    config.write_text("")
    env = _cli_env(tmp_path, DOCSENSE_ENCODER="hashing-bow-64", DOCSENSE_VECTOR_STORE="qdrant")
    result = CliRunner().invoke(cli, ["index", str(corpus_copy / "html"), "--index", str(tmp_path / "i")], env=env)
    assert result.exit_code == 1
    assert "unknown vector_store 'qdrant': choose from faiss-auto, faiss-flat" in result.stderr
    assert not (tmp_path / "i").exists()


def test_write_config_keeps_the_users_comments_and_reads_back(tmp_path: Path) -> None:
    from engine.settings import write_config

    config = tmp_path / "home" / "config.toml"
    config.parent.mkdir()
    config.write_text('# my models\ntagger = "none"  # no entities: faster\nreader = "/models/squad"\n\n'
                      '[folders."/home/me/Papers"]\nexclude = ["drafts"]\n')  # fmt: skip
    papers, notes = "/home/me/Papers", str(tmp_path / "notes")
    write_config(config, {"theme": "dark", "watch": True, "reader": None, "ocr": "none"},
                 {papers: ["drafts", "*.tmp", " "], notes: ["old"]})  # fmt: skip
    text = config.read_text()
    assert "# my models" in text
    assert "# no entities: faster" in text
    settings = Settings.resolve(env=_env(tmp_path), recorded={})
    assert (settings.theme, settings.sources["theme"]) == ("dark", "file")
    assert settings.watch is True
    assert (settings.reader, settings.sources["reader"]) == ("sentence", "default")  # taken out: the default again
    assert settings.ocr == "none"
    assert settings.tagger == "none"  # left as it was
    assert settings.excludes == {papers: ("drafts", "*.tmp"), notes: ("old",)}
    write_config(config, {}, {papers: []})  # no patterns left: the folder's table goes
    assert "Papers" not in config.read_text()
    assert Settings.resolve(env=_env(tmp_path), recorded={}).excludes == {notes: ("old",)}
    before = config.read_text()
    with pytest.raises(SettingsError, match=r"theme .* must be one of system, light, dark"):
        write_config(config, {"theme": "purple"})
    with pytest.raises(SettingsError, match=r"threads .* must be int"):
        write_config(config, {"threads": "many"})
    assert config.read_text() == before  # a refused value writes nothing
