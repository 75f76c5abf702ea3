"""The layers point one way: models/ ← geo/ ← resolvers/ ← schema/ ← app/, and batch/ beside schema/.

Geo and resolvers never import a higher layer (issue 7); schema and the worker's jobs read app's context and
settings, which app passes down.

A module may import its own layer and the layers below it, never one above (README, "Layout").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "models": set(),
    "geo": {"models"},
    "resolvers": {"models", "geo"},
    # The importers talk to the database through batch.sessions.Sessions, never app.database.
    "batch/imports": {"models", "geo", "resolvers", "batch"},
    # The worker's jobs take the settings and the database the CLI wires for them.
    "batch": {"models", "geo", "resolvers", "app"},
    "schema": {"models", "geo", "resolvers", "app"},
}
PROJECT = {"models", "geo", "resolvers", "batch", "schema", "app"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & PROJECT


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_runs_back_up(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path) - ALLOWED[package] - {package.split("/")[0]}
    }
    assert not wrong, sorted(wrong)
