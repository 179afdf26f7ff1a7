"""What a document selects below the current field, as paths of field names.

Resolvers use it to do only the work the client asked for (the order list prefetches the
relations it selects, the group-buy page computes its per-viewer part only when `viewer` is
selected). Fragments and inline fragments are looked through; aliases do not matter (the paths
hold field names); directives are not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.schema.name_converter import NameConverter

from adapters.strawberry import raw_info_of
from gql.context import Info
from gql.engine.row_views import RowFields

Path = tuple[str, ...]


def selected_paths(info: Info) -> frozenset[Path]:
    """Every path of field names the document selects below the current field (through fragments).

    The paths depend on the field's nodes and the document's fragments only (directives are not
    evaluated, as strawberry's `selected_fields` does not), so they are read off the AST once per
    set of field nodes (the document cache keeps one parsed document per query text).
    """
    raw = raw_info_of(info)
    nodes = tuple(raw.field_nodes)
    key = tuple(map(id, nodes))
    found = _PATHS.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], nodes, strict=True)):
        return found[1]
    paths = _paths(nodes, raw.fragments)
    if len(_PATHS) >= _MAX_PATHS:
        _PATHS.clear()
    _PATHS[key] = (nodes, paths)
    return paths


def _paths(nodes: Iterable[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]) -> frozenset[Path]:
    found: set[Path] = set()

    def walk(selection_set: SelectionSetNode | None, prefix: Path) -> None:
        for s in selection_set.selections if selection_set is not None else ():
            if isinstance(s, FieldNode):
                path = (*prefix, s.name.value)
                found.add(path)
                walk(s.selection_set, path)
            elif isinstance(s, InlineFragmentNode):
                walk(s.selection_set, prefix)
            elif isinstance(s, FragmentSpreadNode):
                walk(fragments[s.name.value].selection_set, prefix)

    for node in nodes:
        walk(node.selection_set, ())
    return frozenset(found)


_PATHS: dict[tuple[int, ...], tuple[tuple[FieldNode, ...], frozenset[Path]]] = {}
"""By the field nodes' ids; the nodes are held, so an id cannot be reused while its entry lives."""
_MAX_PATHS = 2_000


def selected_columns(
    info: Info, paths: frozenset[Path], at: Path, fields: RowFields[Any]
) -> frozenset[str] | None:
    """The row attributes the fields selected under `at` (an object of `fields`' type) read.

    None when any selected field does not say what it reads (`RowFields.columns`): the caller then
    reads every column. `__typename` reads nothing.
    """
    names = {p[len(at)] for p in paths if len(p) == len(at) + 1 and p[: len(at)] == at}
    return columns_of(fields, names, info.schema.config.name_converter)


def columns_of(
    fields: RowFields[Any], names: Iterable[str], converter: NameConverter
) -> frozenset[str] | None:
    """The row attributes the GraphQL fields `names` of `fields`' type read (`RowFields.columns`);
    None when one of them does not say, or is not a field of the type. `__typename` reads nothing."""
    python = _python_names(converter, fields.cls)
    wanted = []
    for name in names:
        if name.startswith("__"):
            continue
        found = python.get(name)
        if found is None:
            return None
        wanted.append(found)
    return fields.columns(wanted)


def selected_python_fields(info: Info, cls: type[Any]) -> frozenset[str]:
    """The Python names of the fields of the strawberry type `cls` (the current field's type, or
    its list's) that the document selects directly below the current field."""
    python = _python_names(info.schema.config.name_converter, cls)
    return frozenset(python[p[0]] for p in selected_paths(info) if len(p) == 1 and p[0] in python)


def _python_names(converter: NameConverter, cls: type[Any]) -> dict[str, str]:
    """GraphQL field name → Python name, for the strawberry type `cls` (once per process)."""
    found = _PYTHON_NAMES.get(cls)
    if found is None:
        definition = cls.__strawberry_definition__
        found = _PYTHON_NAMES[cls] = {converter.from_field(f): f.python_name for f in definition.fields}
    return found


_PYTHON_NAMES: dict[type[Any], dict[str, str]] = {}
