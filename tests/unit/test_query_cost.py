"""The cost model and the static limits, on documents alone (no server, no database)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, OperationDefinitionNode, get_introspection_query, parse

from adapters.strawberry import graphql_schema_of
from bench.document_cache import ADMIN_ORDER_PAGE
from gql.gate.cost import CostModel, operation_cost
from gql.gate.documents import DocumentCache
from gql.gate.limits import cost_budget
from gql.schema import schema
from gql.settings import load_settings
from models.enums import Role
from tests.api.introspection_queries import INTROSPECTION_QUERIES

SCHEMA = graphql_schema_of(schema)
MODEL = CostModel(default_list_size=10, max_page_size=100)


def cost(text: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(text)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation_cost(SCHEMA, document, operation, variables, MODEL)


def test_the_admin_order_page_fits_the_staff_and_hq_budgets() -> None:
    settings = load_settings()
    page = cost(ADMIN_ORDER_PAGE)
    # 2 for the connection + 100 × (order 1 + store 1 + customer 1 + 10 lines × (line 1 + sku 1 + product 1))
    assert page == 2 + 100 * (1 + 1 + 1 + 10 * 3)
    assert page <= cost_budget(settings, Role.STORE_STAFF)
    assert page <= cost_budget(settings, Role.HQ_ADMIN)
    assert cost(ADMIN_ORDER_PAGE.replace("first: 100", "first: 20")) <= cost_budget(settings, Role.SHOPPER)


def test_page_sizes_multiply_and_come_from_variables_too() -> None:
    q = "query($n: Int) { stores(first: $n) { totalCount edges { node { code region { city } } } } }"
    assert cost(q, {"n": 10}) == 2 + 10 * 1
    assert cost(q, {"n": 50}) == 2 + 50 * 1
    assert cost(q) == 2 + 20 * 1  # the default page size
    assert cost("query($n: Int = 7) { stores(first: $n) { edges { node { code } } } }") == 2 + 7
    with pytest.raises(GraphQLError) as refused:
        cost(q, {"n": 101})
    assert refused.value.extensions == {"code": "PAGE_SIZE_EXCEEDED", "field": "first"}


def test_scalars_and_value_types_are_free_and_overrides_weigh_more() -> None:
    assert cost("{ viewer { role } }") == 1
    assert cost("{ __typename }") == 0
    metrics = (
        "{ metrics(range: { preset: TODAY }) { "
        "tradeOverview { paidOrders { value } } funnel { visitors { value } } } }"
    )
    assert cost(metrics) == 1 + 50 + 50 + 2  # two figure objects inside, 1 each
    assert cost("mutation { trackEvents(events: []) { accepted } }") == 1 + 10
    top = "{ metrics(range: { preset: TODAY }) { productRanking(top: 30) { units } } }"
    assert cost(top) == 1 + 50  # the ranking is one aggregate, whatever its top
    hundred = "{ metrics(range: { preset: TODAY }) { productRanking(top: 100) { product { name } } } }"
    assert cost(hundred) == 1 + 50 + 100 * 1


def test_aggregates_cost_per_group_they_may_return() -> None:
    plain = "{ orderAggregate(measures: [COUNT], groupBy: [STORE]) { rows { values { value } } } }"
    assert cost(plain) == 50 + 100 * 1  # top defaults to 100 groups, 1 a row
    expanded = (
        "{ orderLineAggregate(measures: [UNITS], groupBy: [PRODUCT], top: 10) "
        "{ rows { keys { product { name } } } totals { value } } }"
    )
    assert cost(expanded) == 50 + 10 * (1 + 4 * 1)
    coupons = (
        "{ couponAggregate(measures: [ISSUED], groupBy: [COUPON_TEMPLATE], top: 20) "
        "{ rows { keys { couponTemplate { name } } } } }"
    )
    assert cost(coupons) == 50 + 20 * (1 + 4 * 1)
    with pytest.raises(GraphQLError) as refused:
        cost("{ orderAggregate(measures: [COUNT], top: 1001) { groupCount } }")
    assert refused.value.extensions == {"code": "TOO_MANY_GROUPS", "field": "top"}


def test_fragments_and_abstract_types_are_counted_once_per_use() -> None:
    q = """query($id: ID!) { node(id: $id) { ...O ... on Store { code } } }
           fragment O on Order { store { code } lines { sku { spec } } }"""
    assert cost(q, {"id": "x"}) == 1 + 1 + 10 * 2


def _checked(text: str, *, role: Role | None = Role.HQ_ADMIN, **overrides: Any) -> list[str]:
    cache = DocumentCache(SCHEMA, load_settings(**overrides))
    return [e.extensions["code"] for e in cache.check(text, role=role).errors if e.extensions]


def test_limits_have_stable_codes() -> None:
    deep = "{ categories { " + "parent { " * 15 + "name" + " }" * 15 + " } }"
    assert _checked(deep) == ["MAX_DEPTH_EXCEEDED"]
    assert _checked(deep, max_query_depth=20) == []
    aliases = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(31)) + " }"
    assert _checked(aliases) == ["MAX_ALIASES_EXCEEDED"]
    assert _checked("{ stores(first: 101) { totalCount } }") == ["PAGE_SIZE_EXCEEDED"]
    assert _checked("{ stores(last: 100) { totalCount } }") == []
    assert _checked("{ viewer { " + "role " * 2001 + "} }") == ["MAX_TOKENS_EXCEEDED"]
    assert _checked("{ viewer { role } }", max_query_chars=100) == []
    assert _checked("{ viewer { role } }" + " " * 100, max_query_chars=100) == ["DOCUMENT_TOO_LARGE"]
    assert _checked("{ viewer { role ") == ["GRAPHQL_PARSE_FAILED"]
    assert _checked("{ viewer { rolle } }") == ["GRAPHQL_VALIDATION_FAILED"]
    prod: dict[str, Any] = {"environment": "prod", "jwt_secret": "x" * 40}
    assert _checked("{ __schema { types { name } } }", role=None, **prod) == ["INTROSPECTION_DISABLED"]
    assert _checked("{ __schema { types { name } } }", **prod) == []
    figures = "query($id: ID!) { campaign(id: $id) { name stats { orders } data { orders } } }"
    assert _checked(figures, role=Role.SHOPPER) == ["FORBIDDEN"]  # FIELD_AUDIENCE, one error a document
    assert _checked(figures, role=None) == ["UNAUTHENTICATED"]
    assert _checked(figures, role=Role.ANALYST) == []


def test_graphiql_introspection_fits_the_default_limits() -> None:
    assert _checked(get_introspection_query(descriptions=True)) == []


def test_introspection_costs_no_data_points() -> None:
    """It reads no table; `gql/gate/shape.py` bounds it instead (the query cost 16,424 points before)."""
    for name, text in INTROSPECTION_QUERIES.items():
        assert cost(text) == 0, name
    assert cost('{ viewer { role } __type(name: "Order") { fields { type { name } } } }') == 1


def test_suggestions_are_hidden_in_production() -> None:
    dev = DocumentCache(SCHEMA, load_settings()).check("{ viewer { rolle } }", role=Role.HQ_ADMIN)
    assert "Did you mean" in dev.errors[0].message
    prod = load_settings(environment="prod", jwt_secret="x" * 40)
    hidden = DocumentCache(SCHEMA, prod).check("{ viewer { rolle } }", role=Role.HQ_ADMIN)
    assert "Did you mean" not in hidden.errors[0].message


def test_a_remembered_cost_is_the_walks_cost_for_those_variables() -> None:
    """The cost is remembered per operation object and the values of the variables the walk reads;
    other variables do not matter, and a page size over the limit is refused every time."""
    from gql.gate.cost import _walk

    document = parse(
        "query($n: Int, $t: Int, $ids: [ID!]!, $f: OrderFilter) { orders(first: $n, filter: $f)"
        " { edges { node { orderNo lines { quantity } } } } topProducts: nodes(ids: $ids) { id }"
        " stores(first: $t) { edges { node { code } } } }"
    )
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    seen: dict[int, int] = {}
    for n, t, ids, status in [
        (5, 1, ["a"], "COMPLETED"),
        (50, 1, ["a", "b"], None),
        (5, 1, ["a"], "SHIPPED"),
    ] * 2:
        variables = {"n": n, "t": t, "ids": ids, "f": {"status": [status]} if status else None}
        remembered = operation_cost(SCHEMA, document, operation, variables, MODEL)
        assert remembered == _walk(SCHEMA, document, operation, variables, MODEL)
        seen[n * 10 + len(ids)] = remembered
    assert len(set(seen.values())) == 2
    for _ in range(2):
        with pytest.raises(GraphQLError, match="at most 100"):
            operation_cost(SCHEMA, document, operation, {"n": 500, "t": 1, "ids": []}, MODEL)
