"""What adapters/graphql_core.py relies on in graphql-core's executor, pinned."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from graphql import FieldNode, FragmentDefinitionNode, GraphQLObjectType, build_schema, parse
from graphql.execution import Executor
from graphql.pyutils import Path

from adapters.graphql_core import (
    CYCLIC_ATTRIBUTES,
    EXECUTOR_METHODS,
    TESTED_VERSION,
    FragmentDetails,
    collect_root_fields,
    collect_subfields,
    fragment_definitions,
    new_path,
)
from adapters.strawberry import ExecutorBase

INSTALLED = version("graphql-core")
UPGRADED = f"graphql-core {INSTALLED} (adapters/graphql_core.py was checked against {TESTED_VERSION})"

SCHEMA = build_schema("type Query { a: Int, shop: Shop }  type Shop { name: String, id: ID }")
DOCUMENT = parse("{ a x: a ...F shop { name ... on Shop { id } } }  fragment F on Query { a }")


def _executor() -> Executor[None]:
    built = Executor.build(SCHEMA, DOCUMENT, None)
    assert isinstance(built, Executor), f"{UPGRADED}: Executor.build no longer builds from a document"
    return built


def test_the_installed_version_is_the_one_checked() -> None:
    assert INSTALLED == TESTED_VERSION, (
        f"{UPGRADED}: run the tests of this module; when they pass, set TESTED_VERSION to {INSTALLED}"
    )


def test_root_fields_are_grouped_by_response_key_in_document_order() -> None:
    query = SCHEMA.query_type
    assert isinstance(query, GraphQLObjectType)
    grouped, defers = collect_root_fields(_executor(), query)
    assert list(grouped) == ["a", "x", "shop"], UPGRADED
    assert len(grouped["a"]) == 2, f"{UPGRADED}: a fragment's field no longer joins its key's group"
    assert all(isinstance(d.node, FieldNode) for d in grouped["a"]), UPGRADED
    assert defers is False, UPGRADED


def test_subfields_are_grouped_through_inline_fragments() -> None:
    executor = _executor()
    query, shop = SCHEMA.query_type, SCHEMA.get_type("Shop")
    assert isinstance(query, GraphQLObjectType)
    assert isinstance(shop, GraphQLObjectType)
    details = collect_root_fields(executor, query)[0]["shop"]
    grouped, defers = collect_subfields(executor, shop, details)
    assert list(grouped) == ["name", "id"], UPGRADED
    assert collect_subfields(executor, shop, details)[0] is grouped, f"{UPGRADED}: no longer memoized"
    assert defers is False, UPGRADED


def test_the_executor_methods_the_engine_calls_keep_their_parameters() -> None:
    for name, parameters in EXECUTOR_METHODS.items():
        method = getattr(ExecutorBase, name, None)
        assert method is not None, f"{UPGRADED}: the executor has no {name}"
        found = tuple(inspect.signature(method).parameters)
        assert found == parameters, f"{UPGRADED}: {name}{found}, the engine calls {name}{parameters}"


def test_the_cyclic_attributes_exist() -> None:
    executor = _executor()
    for name in CYCLIC_ATTRIBUTES:
        assert name in executor.__dict__, f"{UPGRADED}: the executor has no {name} to drop"


def test_a_path_is_a_named_tuple_of_prev_key_typename() -> None:
    root = new_path((None, "shop", "Query"))
    path = new_path((root, 0, None))
    assert path == Path(Path(None, "shop", "Query"), 0, None), UPGRADED
    assert path.as_list() == ["shop", 0], UPGRADED


def test_the_fragment_definitions_are_kept_beside_their_details() -> None:
    executor = _executor()
    definitions = fragment_definitions(executor)
    assert list(definitions) == ["F"], UPGRADED
    assert isinstance(definitions["F"], FragmentDefinitionNode), UPGRADED
    details = executor.fragments["F"]
    assert isinstance(details, FragmentDetails), UPGRADED
    assert details.definition is definitions["F"], UPGRADED
