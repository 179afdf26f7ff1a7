"""graphql-core's executor internals that the level-first engine (gql/engine/) relies on.

graphql-core 3.3 exposes `Executor` for subclassing, but marks the methods the engine calls
`:meta private:` and keeps field collection in the unexported `graphql.execution.collect_fields`.
This module is the one place that names them:

- `collect_root_fields` and `collect_subfields`: a selection's fields grouped by response key
  (`GroupedFieldSet`: key → `FieldDetailsList`, each detail with its `node`), and whether it defers;
- `EXECUTOR_METHODS`: the executor methods the engine's subclass calls or overrides, with their
  parameters; `CYCLIC_ATTRIBUTES`: the executor's attributes holding bound methods of itself;
- `new_path`: a `Path` built as the named tuple it is, without its Python-level `__new__`;
- `FragmentDetails` (the values of the executor's `fragments`) and `fragment_definitions`: the
  operation's fragment definition nodes by name, as the AST walks of the engine need them.

tests/unit/adapters/test_graphql_core.py pins all of it against `TESTED_VERSION`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLObjectType
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
)
from graphql.pyutils import Path

__all__ = [
    "CYCLIC_ATTRIBUTES",
    "EXECUTOR_METHODS",
    "TESTED_VERSION",
    "FieldDetailsList",
    "FragmentDetails",
    "GroupedFieldSet",
    "collect_root_fields",
    "collect_subfields",
    "fragment_definitions",
    "new_path",
]

TESTED_VERSION = "3.3.2"

EXECUTOR_METHODS: dict[str, tuple[str, ...]] = {
    "execute_operation": ("self", "serially"),
    "build_response": ("self", "data"),
    "finish": ("self", "result"),
    "build_resolve_info": ("self", "field_def", "field_nodes", "parent_type", "path"),
    "collect_subfields": ("self", "return_type", "field_details_list"),
    "ensure_valid_runtime_type": (
        "self",
        "runtime_type_name",
        "return_type",
        "field_details_list",
        "info",
        "result",
    ),
}
"""Executor methods the engine calls (or overrides: `execute_operation`), by their parameters."""

CYCLIC_ATTRIBUTES = ("async_helpers",)
"""Executor attributes holding bound methods of the executor: dropped once an operation has run."""


def fragment_definitions(executor: Any) -> dict[str, FragmentDefinitionNode]:
    """The operation's fragment definitions by name (`executor.fragments` holds `FragmentDetails`)."""
    definitions: dict[str, FragmentDefinitionNode] = executor.fragment_definitions
    return definitions


new_path = partial(tuple.__new__, Path)
"""`Path(prev, key, typename)` from a 3-tuple: the same immutable value graphql-core builds."""


def collect_root_fields(executor: Any, root_type: GraphQLObjectType) -> tuple[GroupedFieldSet, bool]:
    """The operation's root fields on `root_type`, as `execute_operation` collects them, and
    whether any is deferred."""
    grouped, defers, _ = collect_fields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        root_type,
        executor.operation,
        executor.hide_suggestions,
    )
    return grouped, bool(defers)


def collect_subfields(
    executor: Any, type_: GraphQLObjectType, details: FieldDetailsList
) -> tuple[GroupedFieldSet, bool]:
    """The subfields of `details` on `type_` (memoized by the executor), and whether any is deferred."""
    grouped, defers, _ = executor.collect_subfields(type_, details)
    return grouped, bool(defers)
