"""Random documents through both executors: level first (gql/engine/execution.py) and graphql-core's own.

Every query the API suite sends is already answered twice and compared (`Api.execute` in
tests/api/conftest.py). This adds documents nobody wrote by hand: random selections over the
schema — random fields at every level, aliases, inline fragments, named fragments, `@include`
and `@skip` driven by variables, `__typename`, nested connections with `first`, enum and Boolean
arguments, interfaces and unions (`node`, `nodes` and abstract fields, through inline fragments on
their possible types), fields that raise for the role — under every role, over a small shop
with orders, parcels, after-sales and rejections. Each must give the same JSON (data and errors) both ways.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    is_leaf_type,
    is_object_type,
    parse,
    validate,
)

from adapters.strawberry import ExecutorBase, graphql_schema_of
from gql.engine import LevelFirstExecutor
from gql.ids import encode_id
from gql.schema import schema
from models.after_sales.states import AfterSaleStatus
from models.enums import Role
from models.orders.states import OrderStatus
from services.db import count_statements
from tests.api.conftest import Api
from tests.factories import T0, Seed

ROOTS = (
    "orders",
    "stores",
    "products",
    "afterSales",
    "customers",
    "categories",
    "reviews",
    "campaigns",
    "node",
    "nodes",
)
ROLES = ("hq", "staff", "analyst", "shopper", "anonymous")
DOCUMENTS_PER_ROLE = 12


def _unwrap(type_: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


class DocumentMaker:
    """A random but valid document: fields chosen per type, nested up to `depth` object levels."""

    def __init__(self, gql_schema: GraphQLSchema, rng: random.Random, ids: list[str]) -> None:
        self.schema = gql_schema
        self.rng = rng
        self.ids = ids
        self.fragments: dict[str, str] = {}
        self.uses_flag = False

    def arguments(self, field: GraphQLField) -> str | None:
        """Arguments we can fill: ids of the shop's objects, enums, Booleans and `first`; others left
        out when optional; None when a required one cannot be filled."""
        given = []
        for name, argument in field.args.items():
            value = self.argument(name, argument)
            required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
            if value is None and required:
                return None
            if value is not None and (required or self.rng.random() < 0.5):
                given.append(f"{name}: {value}")
        return f"({', '.join(given)})" if given else ""

    def argument(self, name: str, argument: GraphQLArgument) -> str | None:
        type_: GraphQLInputType = argument.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if name in ("first", "last"):
            return "3"
        if type_ is GraphQLID and name == "id":
            return f'"{self.rng.choice(self.ids)}"'
        if isinstance(type_, GraphQLList) and _unwrap(type_) is GraphQLID and name == "ids":
            return "[" + ", ".join(f'"{i}"' for i in self.rng.sample(self.ids, k=3)) + "]"
        if type_ is GraphQLBoolean:
            return self.rng.choice(("true", "false"))
        if isinstance(type_, GraphQLEnumType):
            return str(self.rng.choice(sorted(type_.values)))
        return None

    def abstract(self, type_: GraphQLInterfaceType | GraphQLUnionType, depth: int) -> str:
        """`__typename`, some of an interface's own fields, and inline fragments on possible types."""
        parts = ["__typename"]
        if isinstance(type_, GraphQLInterfaceType):
            for name in self.rng.sample(sorted(type_.fields), k=min(len(type_.fields), 2)):
                part = self.field(type_, name, depth)
                if part:
                    parts.append(part)
        possible = sorted(self.schema.get_possible_types(type_), key=lambda t: t.name)
        for object_type in self.rng.sample(possible, k=min(len(possible), 3)):
            # aliased per type: possible types may share a field name with different nullability
            selected = self.selection(object_type, depth, alias=f"{object_type.name.lower()}_")
            parts.append(f"... on {object_type.name} {{ {selected} }}")
        return " ".join(parts)

    def selection(self, type_: GraphQLObjectType, depth: int, alias: str = "") -> str:
        names = sorted(type_.fields)
        picked = self.rng.sample(names, k=min(len(names), self.rng.randint(1, 6)))
        chosen = [self.field(type_, name, depth, alias) for name in picked]
        parts = [p for p in chosen if p] or ["__typename"]

        if self.rng.random() < 0.2:
            parts.append("__typename")
        if self.rng.random() < 0.2:
            parts = [f"... on {type_.name} {{ {' '.join(parts)} }}"]
        elif self.rng.random() < 0.15:
            name = f"F{len(self.fragments)}"
            self.fragments[name] = f"fragment {name} on {type_.name} {{ {' '.join(parts)} }}"
            parts = [f"...{name}"]
        return " ".join(parts)

    def field(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str, depth: int, alias: str = ""
    ) -> str | None:
        field = parent.fields[name]
        args = self.arguments(field)
        if args is None:
            return None
        target = _unwrap(field.type)
        head = name + args
        if self.rng.random() < 0.15:
            head = f"a{self.rng.randint(0, 99)}_{name}: {head}"
        if alias:
            head = f"{alias}{head}" if ":" in head.split("(")[0] else f"{alias}{name}: {head}"
        if self.rng.random() < 0.1:
            head += " @include(if: $flag)" if self.rng.random() < 0.5 else " @skip(if: $flag)"
        if is_leaf_type(target):
            return head
        if depth <= 0:
            return None
        if isinstance(target, (GraphQLInterfaceType, GraphQLUnionType)):
            return f"{head} {{ {self.abstract(target, depth - 1)} }}"
        assert is_object_type(target)
        assert isinstance(target, GraphQLObjectType)
        return f"{head} {{ {self.selection(target, depth - 1)} }}"

    def document(self) -> str:
        query = self.schema.query_type
        assert query is not None
        roots = []
        for root in self.rng.sample(ROOTS, k=self.rng.randint(1, 3)):
            part = self.field(query, root, depth=4)
            if part:
                roots.append(part)
        body = f"{{ {' '.join(roots) or '__typename'} }} {' '.join(self.fragments.values())}"
        # a directive may sit on a field dropped afterwards (depth, arguments): declare what is used
        self.uses_flag = "$flag" in body
        return f"query Random($flag: Boolean!) {body}" if self.uses_flag else f"query Random {body}"


async def _shop(seed: Seed) -> dict[str, Any]:
    north, south = await seed.store("SH001"), await seed.store("SH002")
    alice, bob = await seed.customer(), await seed.customer()
    _, skus = await seed.product(prices=(1299, 2599, 399))
    ids = [encode_id("Store", s.id) for s in (north, south)] + [encode_id("Customer", alice.id)]
    ids += [encode_id("Product", p) for p in {s.product_id for s in skus}]
    statuses = [
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.PENDING_ACCEPTANCE,
        OrderStatus.CANCELLED,
    ]
    for i in range(8):
        order = await seed.order(
            north if i % 2 else south,
            alice if i % 3 else bob,
            [(skus[i % 3], 1 + i % 2), (skus[(i + 1) % 3], 1)],
            status=statuses[i % 4],
            created_at=T0 + timedelta(hours=i),
            parcels=1 if statuses[i % 4] in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) else 0,
        )
        ids.append(encode_id("Order", order.id))
        if i % 4 == 1:
            sale = await seed.after_sale(order, AfterSaleStatus.PENDING_REVIEW)
            ids.append(encode_id("AfterSale", sale.id))
        if i == 2:
            await seed.rejection(order, north, T0 + timedelta(hours=i, minutes=5))
    return {"north": north.id, "alice": alice.id, "ids": ids}


def _viewer(api: Api, role: str, north: int, alice: int) -> Api:
    return {
        "hq": lambda: api.as_hq(),
        "staff": lambda: api.as_staff(north),
        "analyst": lambda: api.as_role(Role.ANALYST),
        "shopper": lambda: api.as_shopper(alice),
        "anonymous": lambda: api,
    }[role]()


@pytest.mark.parametrize("role", ROLES)
async def test_random_documents_answer_the_same_on_both_executors(api: Api, seed: Seed, role: str) -> None:
    ids = await _shop(seed)
    viewer = _viewer(api, role, ids["north"], ids["alice"])
    rng = random.Random(f"differential-{role}")
    answered = 0
    for _ in range(DOCUMENTS_PER_ROLE):
        maker = DocumentMaker(graphql_schema_of(schema), rng, ids["ids"])
        document = maker.document()
        assert validate(graphql_schema_of(schema), parse(document)) == [], document
        variables = {"flag": rng.random() < 0.5} if maker.uses_flag else {}
        r = await viewer.execute(document, **variables)  # compared with graphql-core inside execute
        assert r.status == 200, document
        answered += r.data is not None
    assert answered > 0


async def test_errors_and_nulls_fall_back_to_identical_answers(api: Api, seed: Seed) -> None:
    """Forbidden fields, unknown ids and masked fields: graphql-core's errors, paths and partial data."""
    ids = await _shop(seed)
    shopper = api.as_shopper(ids["alice"])
    r = await shopper.execute(
        """query ($id: ID!, $missing: ID!) {
          mine: orders(first: 3) { edges { node { orderNo customer { nickname phone } } } }
          customers(first: 2) { edges { node { nickname } } }
          store(id: $id) { code }
          gone: node(id: $missing) { id }
        }""",
        id=encode_id("Store", ids["north"]),
        missing=encode_id("Order", 999_999),
    )
    # customers is non-null and forbidden to shoppers: the error nulls the whole answer, both ways
    assert [e["path"] for e in r.errors] == [["customers"]]
    assert r.data is None
    nulls = await shopper.execute(
        """query ($missing: ID!) { gone: node(id: $missing) { id } order(id: $missing) { orderNo }
          mine: orders(first: 3) { edges { node { orderNo store { code } } } } }""",
        missing=encode_id("Order", 999_999),
    )
    assert nulls.errors == []
    assert (nulls.data["gone"], nulls.data["order"]) == (None, None)
    assert len(nulls.data["mine"]["edges"]) == 3


async def test_level_first_batches_no_worse_than_graphql_core(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _shop(seed)
    document = """{ orders(first: 8) { edges { node {
        store { name } customer { nickname } lines { sku { product { name } } }
        parcels { traces { state } } afterSales { status } allocationRecords { fromStore { code } }
    } } } }"""
    hq = api.as_hq()
    counts = []
    for executor in ("level first", "graphql-core"):
        if executor == "graphql-core":
            standard = ExecutorBase.execute_operation
            monkeypatch.setattr(LevelFirstExecutor, "execute_operation", standard)

        with count_statements() as counter:
            r = await hq.execute(document)
        assert r.errors == []
        counts.append(counter.count)
    level_first, graphql_core = counts
    # page, stores, customers, lines, SKUs, products, parcels, traces, after-sales, records, their stores
    assert level_first <= graphql_core <= 11
