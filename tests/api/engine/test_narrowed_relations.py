"""Relation loaders read only the columns the operation can read, and answer as if they read all.

The order list's stores, customers, lines, SKUs and products come from narrowed loaders
(gql/engine/narrowed.py): their rows hold only the columns that the fields the operation selects on
those types read (`reads` in each type's RowFields). Every field of each of those types is
selected alone through the list here and compared with the same object fetched by `node(id:)`,
which reads whole rows; a missing or wrong `reads` entry would be an error or a difference.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type, is_leaf_type, parse

import loaders.base
import loaders.joined
from adapters.strawberry import graphql_schema_of
from gql.engine.narrowed import readable_columns
from gql.ids import encode_id
from gql.schema import schema
from gql.schema.catalog import PRODUCT_FIELDS, SKU_FIELDS
from gql.schema.customers import CUSTOMER_FIELDS
from gql.schema.order_lines import ORDER_LINE_FIELDS
from gql.schema.stores import STORE_FIELDS
from models.enums import Role
from services.row_snapshots import read_snapshots, snapshot_type
from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

# (the GraphQL type, the path from an order to objects of it)
RELATIONS = [
    ("Store", ("store",)),
    ("Customer", ("customer",)),
    ("OrderLine", ("lines",)),
    ("Sku", ("lines", "sku")),
    ("Product", ("lines", "sku", "product")),
    ("Product", ("lines", "product")),
]
# Arguments for the fields that require them.
ARGUMENTS = {
    "isOpenAt": '(time: "2026-03-02T10:30:00+08:00")',
    "deliveryFeeAt": '(time: "2026-03-02T10:30:00+08:00")',
    "listing": "(storeId: $store)",
}


def _object_type(name: str) -> GraphQLObjectType:
    found = graphql_schema_of(schema).type_map[name]
    assert isinstance(found, GraphQLObjectType)
    return found


def _selection(type_name: str, name: str) -> str:
    """The field with its required arguments and the least sub-selection it allows."""
    named = get_named_type(_object_type(type_name).fields[name].type)
    field = f"{name}{ARGUMENTS.get(name, '')}"
    return field if is_leaf_type(named) else f"{field} {{ __typename }}"


def _nested(path: tuple[str, ...], inner: str) -> str:
    for step in reversed(path):
        inner = f"{step} {{ {inner} }}"
    return inner


def _found(value: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects at `path` below an order of the answer."""
    values = value if isinstance(value, list) else [value]
    if not path:
        return [v for v in values if v is not None]
    return [found for v in values if v is not None for found in _found(v[path[0]], path[1:])]


@pytest.mark.parametrize(("type_name", "path"), RELATIONS, ids=[".".join(p) for _, p in RELATIONS])
async def test_each_field_of_a_relation_equals_the_object_fetched_by_id(
    api: Api, seed: Seed, type_name: str, path: tuple[str, ...]
) -> None:
    store = encode_id("Store", await seed_order_page(seed, 4))
    for field in sorted(_object_type(type_name).fields):
        await _compare(api, type_name, path, field, store)


async def _compare(api: Api, type_name: str, path: tuple[str, ...], field: str, store: str) -> None:
    selection = _selection(type_name, field)
    uses_store = "$store" in selection
    declared, given = (", $store: ID!", {"store": store}) if uses_store else ("", {})
    # Analysts see masked values (a customer's phone): they matter where a type has such fields.
    viewers = [api.as_hq(), *([api.as_role(Role.ANALYST)] if type_name in ("Customer", "Store") else [])]
    for viewer in viewers:
        listed = await viewer.execute(
            f"query ({declared.lstrip(', ')}) {{ orders(first: 10) {{ edges {{ node {{ "
            f"{_nested(path, f'id {selection}')} }} }} }} }}"
            if uses_store
            else f"{{ orders(first: 10) {{ edges {{ node {{ {_nested(path, f'id {selection}')} }} }} }} }}",
            **given,
        )
        assert listed.errors == [], (field, listed.errors)
        objects = _found([e["node"] for e in listed.data["orders"]["edges"]], path)
        assert objects, field
        for found in {o["id"]: o for o in objects}.values():
            single = await viewer.execute(
                f"query ($id: ID!{declared}) "
                f"{{ node(id: $id) {{ ... on {type_name} {{ id {selection} }} }} }}",
                id=found["id"],
                **given,
            )
            assert single.errors == [], (field, single.errors)
            assert single.data["node"] == found, field


async def test_the_relations_read_only_the_columns_the_operation_reads(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_order_page(seed, 4)
    kept: dict[str, frozenset[str] | None] = {}
    read = read_snapshots

    async def spy(sessions: Any, entity: type[Any], *args: Any) -> list[Any]:
        kept[entity.__name__] = args[-1]
        return await read(sessions, entity, *args)

    def spy_joined(entity: type[Any], keep: frozenset[str] | None = None) -> type[tuple[Any, ...]]:
        kept[entity.__name__] = keep  # the page and its relations read in one statement
        return snapshot_type(entity, keep)

    monkeypatch.setattr(loaders.base, "read_snapshots", spy)
    monkeypatch.setattr(loaders.joined, "snapshot_type", spy_joined)
    document = """{ orders(first: 5) { edges { node {
        store { name } customer { nickname } lines { quantity sku { skuCode product { name } } }
    } } } }"""
    assert (await api.as_hq().execute(document)).errors == []
    assert kept == {
        "Order": frozenset({"id", "store_id", "customer_id", "created_at"}),  # the page's own: ids, sort
        "Store": frozenset({"id", "name"}),
        "Customer": frozenset({"id", "nickname"}),
        "OrderLine": frozenset({"order_id", "quantity", "sku_id"}),
        "Sku": frozenset({"id", "sku_code", "product_id"}),
        "Product": frozenset({"id", "name"}),
    }


def _columns(document: str, fields: Any) -> frozenset[str] | None:
    parsed = parse(document)
    operation = parsed.definitions[0]
    fragments = {d.name.value: d for d in parsed.definitions[1:]}  # type: ignore[attr-defined]
    return readable_columns(graphql_schema_of(schema), operation, fragments, fields)  # type: ignore[arg-type]


def test_fields_are_gathered_from_fragments_interfaces_and_every_path() -> None:
    document = """
    query { orders(first: 1) { edges { node { store { ...S } lines { id } } } }
            node(id: "x") { id ... on Store { phone } } stores(first: 1) { edges { node { code } } } }
    fragment S on Store { name region { city } }
    fragment Unused on Customer { nickname }
    """
    assert _columns(document, STORE_FIELDS) == frozenset(
        {"id", "name", "province", "city", "district", "phone", "code"}
    )
    assert _columns(document, CUSTOMER_FIELDS) == frozenset({"id", "nickname"})
    assert _columns(document, ORDER_LINE_FIELDS) == frozenset({"id"})
    assert _columns(document, SKU_FIELDS) == frozenset({"id"})  # `id` on the Node interface


def test_a_field_that_does_not_say_what_it_reads_reads_every_column() -> None:
    document = "{ products(first: 1) { edges { node { name audit { listable } } } } }"
    assert _columns(document, PRODUCT_FIELDS) is None
