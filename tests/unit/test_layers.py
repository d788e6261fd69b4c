"""The layers of the tree hold: the import-linter contracts of pyproject.toml (drawn in docs/design.md)."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_imports_only_from_the_layers_below_it_and_the_domain_does_no_io(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=os.fspath(ROOT / "pyproject.toml"), no_cache=True) == 0
