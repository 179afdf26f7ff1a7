"""The libraries' private names that adapters/ wraps appear nowhere else in the code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SKIPPED_DIRS = {".venv", ".git", "var", "build", "node_modules"}

PRIVATE_ATTRIBUTES = {
    "_schema": "strawberry (graphql_schema_of)",
    "_strawberry_schema": "strawberry (strawberry_schema_of)",
    "_raw_info": "strawberry (raw_info_of)",
    "_is_default": "strawberry (strawberry.resolvers.is_default_resolver)",
    "_compile_w_cache": "SQLAlchemy (bound_statement)",
    "_compiled_cache": "SQLAlchemy (bound_statement)",
    "_bind_processors": "SQLAlchemy (bound_statement)",
    "_process_parameters_for_postcompile": "SQLAlchemy (bound_statement)",
    "_result_columns": "SQLAlchemy (result_processors)",
    "_cached_result_processor": "SQLAlchemy (result_processors)",
    "_cache": "aiodataloader (pass a cache_map)",
}
PRIVATE_MODULES = {
    "graphql.execution.collect_fields": "adapters.graphql_core",
    "strawberry.schema.schema": "adapters.strawberry",
    "strawberry.schema.schema_converter": "adapters.strawberry",
}
PRIVATE_IMPORTS = {"_is_leaf_type": "strawberry (strawberry.scalars.is_scalar)"}


def _python_files() -> list[Path]:
    tops = [
        p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in SKIPPED_DIRS
    ]
    return [
        path
        for top in tops
        for path in top.rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1])
        and path.relative_to(ROOT).parts[0] != "adapters"
    ]


def _uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in {"self", "cls"}):
                found.append(f"line {node.lineno}: .{node.attr} → {PRIVATE_ATTRIBUTES[node.attr]}")
        elif isinstance(node, ast.ImportFrom) and node.module in PRIVATE_MODULES:
            found.append(f"line {node.lineno}: {node.module} → {PRIVATE_MODULES[node.module]}")
        elif isinstance(node, ast.ImportFrom):
            found += [
                f"line {node.lineno}: {a.name} → {PRIVATE_IMPORTS[a.name]}"
                for a in node.names
                if a.name in PRIVATE_IMPORTS
            ]
    return found


def test_private_names_are_read_through_the_adapters_only() -> None:
    offenders = {}
    for path in _python_files():
        relative = path.relative_to(ROOT)
        if relative.parts[:3] == ("tests", "unit", "adapters"):
            continue
        uses = _uses(ast.parse(path.read_text(encoding="utf-8"), str(relative)))
        if uses:
            offenders[str(relative)] = uses
    assert not offenders, f"use the adapters (adapters/) instead: {offenders}"


def test_the_check_sees_a_private_use() -> None:
    assert _uses(ast.parse("x = schema._schema")) == ["line 1: ._schema → strawberry (graphql_schema_of)"]
    assert _uses(ast.parse("self._cache = {}")) == []
    assert _uses(ast.parse("from strawberry.schema.schema import X")) != []
