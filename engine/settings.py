"""One set of settings: resolved once per command or window, frozen, and passed down.

Each setting comes from the first of: a flag (the command line, the window), the environment (DOCSENSE_*), the
config file (TOML in the user config folder), what the index recorded when it was built (its encoder and tagger),
and the default. This is the only module that reads DOCSENSE_* variables, but for two that must act before any
setting exists: DOCSENSE_ALLOW_DOWNLOADS in engine/offline.py (it seals the process at import) and DOCSENSE_FAULT in
engine/faults.py (the crash tests' fault injection).

The config file (``docsense config`` prints where it is) holds what a desktop user would otherwise need environment
variables for::

    encoder = "all-MiniLM-L6-v2"   # or a folder holding a sentence-transformers model
    tagger = "en_core_web_sm"      # or "none", or a token-classification model folder
    reader = "sentence"            # or an extractive-QA model folder
    reranker = "/models/ms-marco-MiniLM-L-6-v2"
    device = "cpu"                 # cuda, mps; default: the GPU when there is one
    threads = 1                    # the cores indexing may use (default: all)
    pdf_reader = "pdfium"          # or pypdf
    theme = "dark"                 # the window's: system, light or dark
    watch = true                   # the window watches its folders from when it opens

    [folders."/home/me/Papers"]
    exclude = ["drafts", "*.tmp"]
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import DocSenseError
from engine.offline import allow_downloads, truthy
from engine.tuning import DEFAULT_TUNING, SearchTuning

APP_NAME = "docsense"
SOURCES = ("flag", "env", "file", "index", "default")
# Files bigger than this are not read; texts longer than this many million characters are not indexed (a 50 MB log
# line would take the CPU encoder hours and drown every search in one file).
MAX_FILE_MB = 512
MAX_TEXT_MB = 20
EXTRACT_TIMEOUT_S = 600  # one file's reading, extraction, chunking and tagging, in a worker process
# The memory (heap and other private writable mappings, RLIMIT_DATA) an extraction worker may use: a 1 MB PDF whose
# content stream inflates to 1 GB took a worker past 2 GB. A worker uses 0.3-1 GB on ordinary files, tagger included.
WORKER_MEMORY_MB = 4096
# Entities are looked for in this many characters of a file at most: the tagger reads about 27,000 characters a
# second on one core here (a 1.4 MB text took 52 s, where the rest of its indexing took seconds).
MAX_TAG_CHARS = 500_000


class SettingsError(DocSenseError):
    """A setting has a value that cannot be used, or the config file cannot be read."""


@dataclass(frozen=True)
class Option:
    """One setting: its name (as in the config file and ``docsense config``), its variable, its kind and default."""

    name: str
    env: str | None
    kind: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    recorded: bool = False  # the index records it when it is built


OPTIONS = (
    Option("index", "DOCSENSE_INDEX", Path, None, "the index folder (default: <home>/index, or the user data folder)"),
    Option("home", "DOCSENSE_HOME", Path, None, "a folder for the default index, cache and config file"),
    Option("cache", "DOCSENSE_CACHE", Path, None, "where converted models are kept (default: <home>/cache)"),
    Option("encoder", "DOCSENSE_ENCODER", str, "all-MiniLM-L6-v2", "the sentence encoder", recorded=True),
    Option("tagger", "DOCSENSE_TAGGER", str, "en_core_web_sm", "the entity tagger (none: no entities)", recorded=True),
    Option("reader", "DOCSENSE_READER", str, "sentence", "what finds answers: 'sentence' or an extractive-QA model"),
    Option("reranker", "DOCSENSE_RERANKER", str, None, "a cross-encoder that re-orders the best hits (default: none)"),
    Option("device", "DOCSENSE_DEVICE", str, None, "cpu, cuda or mps (default: the GPU when there is one)"),
    Option(
        "backend",
        "DOCSENSE_BACKEND",
        str,
        None,
        "the encoder's runtime (default: OpenVINO on a CPU)",
        choices=("torch", "openvino"),
    ),
    Option("vector_store", "DOCSENSE_VECTOR_STORE", str, "faiss-auto", "where a new index keeps its vectors"),
    Option("follow_links", "DOCSENSE_FOLLOW_LINKS", bool, False, "index what symlinks outside a folder lead to"),
    Option("pdf_reader", "DOCSENSE_PDF", str, "pdfium", "how PDFs are read", choices=("pdfium", "pypdf")),
    Option("fusion", "DOCSENSE_FUSION", str, "score", "how the two sides are fused", choices=("score", "rrf")),
    Option("token_budget", "DOCSENSE_TOKEN_BUDGET", int, 0, "tokens per encoder batch (0: the device's default)"),
    Option(
        "threads",
        "DOCSENSE_THREADS",
        int,
        0,
        "the cores indexing may use: extraction and tagging workers, and the encoder's threads (0: all)",
    ),
    Option("max_file_mb", "DOCSENSE_MAX_FILE_MB", int, MAX_FILE_MB, "files bigger than this are skipped (MB)"),
    Option(
        "max_text_mb",
        "DOCSENSE_MAX_TEXT_MB",
        int,
        MAX_TEXT_MB,
        "texts longer than this are skipped (million characters)",
    ),
    Option(
        "extract_timeout_s",
        "DOCSENSE_EXTRACT_TIMEOUT_S",
        int,
        EXTRACT_TIMEOUT_S,
        "the most one file may take to read, in seconds (0: no limit)",
    ),
    Option(
        "worker_memory_mb",
        "DOCSENSE_WORKER_MEMORY_MB",
        int,
        WORKER_MEMORY_MB,
        "the most memory one extraction worker may use, in MB (0: no limit)",
    ),
    Option(
        "max_tag_chars",
        "DOCSENSE_MAX_TAG_CHARS",
        int,
        MAX_TAG_CHARS,
        "entities are looked for in at most this many characters of each file (0: all of it)",
    ),
    Option(
        "ocr",
        "DOCSENSE_OCR",
        str,
        "eng",
        "the languages scanned PDF pages are read in (Tesseract's names: eng, eng+deu; none: no OCR)",
    ),
    Option("watch", "DOCSENSE_WATCH", bool, False, "the window watches its folders for changes from when it opens"),
    Option("theme", "DOCSENSE_THEME", str, "system", "the window's colours", choices=("system", "light", "dark")),
    Option("allow_downloads", "DOCSENSE_ALLOW_DOWNLOADS", bool, False, "let Hugging Face libraries download models"),
    Option("debug", "DOCSENSE_DEBUG", bool, False, "show the traceback of internal errors"),
)
_BY_NAME = {o.name: o for o in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """Every setting's value and where it came from (``sources[name]``: flag, env, file, index or default).

    ``excludes`` maps a folder (absolute) to the glob patterns the config file excludes there; ``search`` is the
    tuning search ranks with (not a user setting: benchmarks and tests pass others).
    """

    index: Path
    home: Path | None
    cache: Path
    encoder: str
    tagger: str
    reader: str
    reranker: str | None
    device: str | None
    backend: str | None
    vector_store: str
    follow_links: bool
    pdf_reader: str
    fusion: str
    token_budget: int
    threads: int
    max_file_mb: int
    max_text_mb: int
    extract_timeout_s: int
    worker_memory_mb: int
    max_tag_chars: int
    ocr: str
    watch: bool
    theme: str
    allow_downloads: bool
    debug: bool
    config_file: Path
    excludes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    search: SearchTuning = DEFAULT_TUNING
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        flags: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
        recorded: Mapping[str, str] | None = None,
    ) -> Settings:
        """The settings of one command or window.

        Args:
            flags: values given on the command line or in the window (None values are not given).
            env: the environment (default: this process's).
            config_file: the TOML file (default: $DOCSENSE_CONFIG, else <home>/config.toml with DOCSENSE_HOME, else
                the user config folder's docsense/config.toml); a missing file is no file.
            recorded: what the index recorded (default: read from the index folder the other sources name).

        Raises:
            SettingsError: a value of the wrong kind or not among the choices, or a config file that is not TOML.
        """
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        env = os.environ if env is None else env
        unknown = set(flags) - set(_BY_NAME)
        if unknown:
            raise SettingsError(f"unknown setting {sorted(unknown)[0]!r}")
        home = _first(flags, env, {}, "home")
        path = config_file or _config_path(env, home[0])
        file = _read_config(path)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for option in OPTIONS:
            if option.recorded:
                continue
            values[option.name], sources[option.name] = _first(flags, env, file, option.name)
        if values["index"] is None:
            values["index"] = default_index_path(values["home"])
        elif isinstance(values["index"], str):
            values["index"] = server_folder(values["index"], values["home"])
        if values["cache"] is None:
            values["cache"] = default_cache_dir(values["home"])
        if recorded is None:
            from engine.index.store import recorded_settings  # only the index package reads the index

            recorded = recorded_settings(Path(values["index"]))
        for option in OPTIONS:
            if option.recorded:
                values[option.name], sources[option.name] = _first(flags, env, file, option.name, recorded)
        folders = file.get("folders") or {}
        if not isinstance(folders, dict) or not all(isinstance(t, dict) for t in folders.values()):
            raise SettingsError(f'the config file {path}: folders are tables, e.g. [folders."/home/me/Papers"]')
        excludes = {
            os.path.abspath(os.path.expanduser(folder)): tuple(str(p) for p in table.get("exclude", ()))
            for folder, table in folders.items()
        }
        if values["allow_downloads"]:
            allow_downloads()
        tuning = replace(DEFAULT_TUNING, fusion=values["fusion"])
        return cls(**values, config_file=path, excludes=excludes, search=tuning, sources=sources)

    def rows(self) -> list[dict[str, Any]]:
        """Every setting as {name, value, source, variable, help}, in a stable order, for ``docsense config``."""
        out = []
        for option in OPTIONS:
            value = getattr(self, option.name)
            out.append(
                {
                    "name": option.name,
                    "value": str(value) if isinstance(value, Path) else value,
                    "source": self.sources.get(option.name, "default"),
                    "variable": option.env,
                    "help": option.help,
                }
            )
        for folder, patterns in sorted(self.excludes.items()):
            out.append({"name": f"folders.{folder}.exclude", "value": list(patterns), "source": "file",
                        "variable": None, "help": "files and folders skipped in this folder"})  # fmt: skip
        return out

    def excludes_for(self, folder: str) -> tuple[str, ...]:
        """The config file's exclude patterns for ``folder`` and the folders above it."""
        folder = os.path.abspath(folder)
        return tuple(
            p for root, patterns in self.excludes.items() if folder == root or folder.startswith(root.rstrip("/") + "/")
            for p in patterns
        )  # fmt: skip


def _first(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    file: Mapping[str, Any],
    name: str,
    recorded: Mapping[str, str] | None = None,
) -> tuple[Any, str]:
    option = _BY_NAME[name]
    if name in flags:
        return _parse(option, flags[name], "a flag"), "flag"
    if option.env and env.get(option.env):
        return _parse(option, env[option.env], option.env), "env"
    if name in file:
        return _parse(option, file[name], "the config file"), "file"
    if recorded and recorded.get(name):
        return _parse(option, recorded[name], "the index"), "index"
    return option.default, "default"


def _encoder_name(value: str) -> str:
    """A folder given as the encoder is named by its resolved path, as the index records it."""
    path = Path(os.path.expanduser(value))
    return str(path.resolve()) if path.is_dir() else value


def _parse(option: Option, raw: Any, where: str) -> Any:
    try:
        if option.kind is bool:
            value: Any = raw if isinstance(raw, bool) else truthy(str(raw))
        elif option.kind is int:
            value = int(raw)
        elif option.name == "index" and is_server_url(raw):
            value = str(raw)  # made a folder of its own once the home folder is known (server_folder)
        elif option.kind is Path:
            value = Path(os.path.expanduser(str(raw)))
        else:
            value = str(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{option.name} from {where} must be {option.kind.__name__}, not {raw!r}") from None
    if option.name == "encoder":
        value = _encoder_name(value)
    if option.choices and value not in option.choices:
        raise SettingsError(f"{option.name} from {where} must be one of {', '.join(option.choices)}, not {value!r}")
    return value


def _config_path(env: Mapping[str, str], home: Path | None) -> Path:
    if env.get("DOCSENSE_CONFIG"):
        return Path(os.path.expanduser(env["DOCSENSE_CONFIG"]))
    if home is not None:
        return Path(home) / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def write_config(path: Path, values: Mapping[str, Any], excludes: Mapping[str, Sequence[str]] | None = None) -> None:
    """Set ``values`` in the config file at ``path`` (None takes a setting out: its default, or the index's, holds
    again) and, with ``excludes``, each folder's excluded patterns (none: the folder's table goes). Everything
    else in the file stays as the user wrote it, comments included. Written whole or not at all.

    Raises:
        SettingsError: a value that ``resolve`` would refuse (nothing is written), or a file that cannot be written.
    """
    import tomlkit

    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc}") from None
    except tomlkit.exceptions.ParseError as exc:
        raise SettingsError(f"the config file {path} is not valid TOML: {exc}") from None
    for name, value in values.items():
        if name not in _BY_NAME or name in ("index", "home"):
            raise SettingsError(f"{name!r} is not a setting the config file can hold")
        if value is None or value == "":
            doc.pop(name, None)
            continue
        parsed = _parse(_BY_NAME[name], value, "the settings")
        doc[name] = str(parsed) if isinstance(parsed, Path) else parsed
    if excludes is not None:
        folders = doc.get("folders")
        if folders is None:
            folders = tomlkit.table(is_super_table=True)
        for folder, patterns in excludes.items():
            key = os.path.abspath(os.path.expanduser(folder))
            kept = [str(p).strip() for p in patterns if str(p).strip()]
            if kept:
                table = folders.get(key) or tomlkit.table()
                table["exclude"] = kept
                folders[key] = table
            elif key in folders:
                table = folders[key]
                table.pop("exclude", None)
                if not table:
                    del folders[key]
        if folders:
            doc["folders"] = folders
        else:
            doc.pop("folders", None)
    text = tomlkit.dumps(doc)
    _read_config_text(text, path)  # what is written reads back, or nothing is
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise SettingsError(f"cannot write the config file {path}: {exc.strerror}") from None


def _read_config_text(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"the config file {path} would not be valid TOML: {exc}") from None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"the config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_BY_NAME) - {"folders"})
    if unknown:
        raise SettingsError(f"the config file {path} has an unknown setting {unknown[0]!r}; see `docsense config`")
    return data


SERVER_FILE = "server.json"  # in an index folder whose rows are on a database server: {"url": ...}
SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(value: object) -> bool:
    """Whether an index location names a database server (a PostgreSQL URL) rather than a folder."""
    return isinstance(value, str) and value.startswith(SERVER_SCHEMES)


def server_folder(url: str, home: Path | None) -> Path:
    """The local folder of the index whose rows are on the server at ``url``: what is this machine's own (the
    writer lock, the window's state) lives there, and SERVER_FILE names the server. Made on first use, beside the
    default index (<home>/servers/, or the user data folder's); readable by this user alone, as the URL may hold a
    password."""
    import hashlib
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    name = "".join(c if c.isalnum() else "-" for c in (parts.path.strip("/") or "postgres"))[:40]
    folder = default_index_path(home).parent / "servers" / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:10]}"
    file = folder / SERVER_FILE
    if not file.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"url": url}, out)
    return folder


def default_index_path(home: Path | None) -> Path:
    """The index folder used when none is given: <home>/index, else the user data folder's."""
    if home is not None:
        return Path(home) / "index"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "index"


def default_cache_dir(home: Path | None) -> Path:
    """Where derived files live (converted models): <home>/cache, else the user cache folder."""
    if home is not None:
        return Path(home) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def debug_requested(env: Mapping[str, str] | None = None) -> bool:
    """DOCSENSE_DEBUG, read without resolving the rest (for the last-resort error handler, which must not fail)."""
    env = os.environ if env is None else env
    return truthy(env.get("DOCSENSE_DEBUG"))
