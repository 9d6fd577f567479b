"""The rules between layers (DESIGN.md): engine/ and indexer/ import no Qt; desktop/ imports no torch or faiss;
engine/ never imports indexer/ or desktop/; indexer/ never imports desktop/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "engine": ("PySide6", "PyQt5", "PyQt6", "desktop", "indexer"),
    "indexer": ("PySide6", "PyQt5", "PyQt6", "desktop"),
    "desktop": ("torch", "faiss", "transformers", "sentence_transformers"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_rules(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert broken == []


def test_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import torch.nn\nfrom PySide6.QtCore import Qt\nfrom . import sibling\n")
    assert imported_modules(sample) == {"torch.nn", "PySide6.QtCore"}
