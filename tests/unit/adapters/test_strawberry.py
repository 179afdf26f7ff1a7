"""What adapters/strawberry.py relies on in strawberry, pinned."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLInt, GraphQLObjectType, build_schema
from strawberry.resolvers import is_default_resolver
from strawberry.types import Info

from adapters.strawberry import (
    TESTED_VERSION,
    ExecutorBase,
    field_definition,
    graphql_schema_of,
    is_strawberry_is_type_of,
    make_info,
    raw_info_of,
    strawberry_schema_of,
)

INSTALLED = version("strawberry-graphql")
UPGRADED = f"strawberry-graphql {INSTALLED} (adapters/strawberry.py was checked against {TESTED_VERSION})"

SEEN: list[Info] = []


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Shop(Named):
    city: str


@strawberry.type
class Query:
    plain: int = 1

    @strawberry.field
    def shop(self, info: Info) -> Shop:
        SEEN.append(info)
        return Shop(name="One", city="Hangzhou")


SCHEMA = strawberry.Schema(query=Query)


def test_the_installed_version_is_the_one_checked() -> None:
    assert INSTALLED == TESTED_VERSION, (
        f"{UPGRADED}: run the tests of this module; when they pass, set TESTED_VERSION to {INSTALLED}"
    )


def test_the_schemas_lead_to_each_other() -> None:
    graphql_schema = graphql_schema_of(SCHEMA)
    assert isinstance(graphql_schema.get_type("Shop"), GraphQLObjectType), UPGRADED
    assert strawberry_schema_of(graphql_schema) is SCHEMA, UPGRADED
    assert strawberry_schema_of(build_schema("type Query { a: Int }")) is None, UPGRADED


def test_the_default_executor_is_the_base() -> None:
    assert SCHEMA.execution_context_class is ExecutorBase, UPGRADED
    subclassed = strawberry.Schema(query=Query, execution_context_class=type("Sub", (ExecutorBase,), {}))
    assert subclassed.execute_sync("{ plain }", root_value=Query()).data == {"plain": 1}, UPGRADED


def test_an_info_wraps_a_resolve_info_and_can_be_made_over_one() -> None:
    SEEN.clear()
    assert SCHEMA.execute_sync("{ shop { name } }").data == {"shop": {"name": "One"}}, UPGRADED
    raw = raw_info_of(SEEN[0])
    assert (raw.field_name, raw.parent_type.name, raw.path.as_list()) == ("shop", "Query", ["shop"]), UPGRADED
    query = graphql_schema_of(SCHEMA).query_type
    assert query is not None
    definition = field_definition(query.fields["shop"])
    assert definition is not None, UPGRADED
    assert definition.python_name == "shop", UPGRADED
    made = make_info(Info, raw, definition)
    assert (made.field_name, made.python_name, made.context) == ("shop", "shop", raw.context), UPGRADED


def test_basic_fields_have_the_default_resolver() -> None:
    query = graphql_schema_of(SCHEMA).query_type
    assert query is not None
    plain, shop = query.fields["plain"], query.fields["shop"]
    assert plain.resolve is not None, UPGRADED
    assert is_default_resolver(plain.resolve), UPGRADED
    assert shop.resolve is not None, UPGRADED
    assert not is_default_resolver(shop.resolve), UPGRADED
    definition = field_definition(plain)
    assert definition is not None, UPGRADED
    assert definition.is_basic_field, UPGRADED
    assert field_definition(GraphQLField(GraphQLInt)) is None, UPGRADED


def test_strawberry_s_own_is_type_of_is_told_from_others() -> None:
    shop = graphql_schema_of(SCHEMA).get_type("Shop")
    assert isinstance(shop, GraphQLObjectType), UPGRADED
    assert shop.is_type_of is not None, UPGRADED
    assert is_strawberry_is_type_of(shop.is_type_of), f"{UPGRADED}: its generated is_type_of moved"
    no_info: Any = None
    assert shop.is_type_of(Shop(name="a", city="b"), no_info) is True, UPGRADED
    assert not is_strawberry_is_type_of(lambda obj, info: True), UPGRADED
