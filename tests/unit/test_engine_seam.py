"""The engine has one seam: outside gql/engine/, code imports `gql.engine` and nothing below it.

Only the engine's own tests (tests/<tier>/engine/) may import its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gql.engine

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".git", "var", "build", "node_modules", ".latest-venv"}
ENGINE_MODULES = {p.stem for p in (ROOT / "gql" / "engine").rglob("*.py") if p.stem != "__init__"}


def _python_files() -> list[Path]:
    tops = [
        p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in SKIPPED_DIRS
    ]
    return [
        path
        for top in tops
        for path in top.rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1])
    ]


def _may_reach_inside(relative: Path) -> bool:
    parts = relative.parts
    return parts[:2] == ("gql", "engine") or (parts[0] == "tests" and "engine" in parts[1:-1])


def _private_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("gql.engine.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module.startswith("gql.engine."):
                found.append(node.module)
            elif node.module == "gql.engine":
                found += [f"gql.engine.{a.name}" for a in node.names if a.name in ENGINE_MODULES]
    return found


def test_nothing_outside_the_engine_imports_its_modules() -> None:
    offenders = {}
    for path in _python_files():
        relative = path.relative_to(ROOT)
        if _may_reach_inside(relative):
            continue
        imports = _private_imports(ast.parse(path.read_text(encoding="utf-8"), str(relative)))
        if imports:
            offenders[str(relative)] = imports
    assert not offenders, f"import these through `gql.engine` (its __all__) instead: {offenders}"


def test_the_check_sees_the_engine_and_the_public_names_exist() -> None:
    assert {"execution", "walk_steps", "row_views"} <= ENGINE_MODULES
    assert _private_imports(ast.parse("from gql.engine.execution import LevelFirstExecutor")) == [
        "gql.engine.execution"
    ]
    assert _private_imports(ast.parse("from gql.engine import walk_steps, Relation")) == [
        "gql.engine.walk_steps"
    ]
    assert _private_imports(ast.parse("from gql.engine import Relation")) == []
    assert all(hasattr(gql.engine, name) for name in gql.engine.__all__)
    assert not ENGINE_MODULES.intersection(gql.engine.__all__)
