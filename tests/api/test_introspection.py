"""Introspection as GraphiQL, Apollo's tools and graphql-js send it, by role and environment, and its abuse.

The real query texts (`introspection_queries.py`) answer with the schema for every caller allowed
to introspect; they cost no data points and are bounded by the introspection rules instead
(`gql/gate/shape.py`): `ofType` and list nesting, one `__schema` per operation, aliases and the expanded
size of the introspection selection.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.enums import Role
from tests.api.conftest import Api, Response
from tests.api.gated_app import gated_api
from tests.api.introspection_queries import GRAPHQL_JS_DEFAULT, INTROSPECTION_QUERIES

TYPE_REF = "kind name " + "ofType { kind name " * 9 + "}" * 9


def _as(api: Api, role: Role | None) -> Api:
    if role is Role.SHOPPER:
        return api.as_shopper(1)
    if role is Role.STORE_STAFF:
        return api.as_staff(1)
    return api.as_role(role) if role else api


async def _post(api: Api, query: str, operation_name: str | None = "IntrospectionQuery") -> Response:
    """As the tools post it: the text and its operation name, no variables."""
    headers = {"authorization": f"Bearer {api.token}"} if api.token else {}
    body: dict[str, Any] = {"query": query}
    if operation_name is not None:
        body["operationName"] = operation_name
    r = await api.http.post("/graphql", json=body, headers=headers)
    return Response(r.status_code, r.json())


def _assert_schema(r: Response) -> None:
    assert r.status == 200
    assert r.errors == [], r.errors
    names = {t["name"] for t in r.data["__schema"]["types"]}
    assert {"Query", "Mutation", "Order", "__Schema"} <= names
    assert r.data["__schema"]["queryType"]["name"] == "Query"
    assert r.body["extensions"]["cost"]["requestedQueryCost"] == 0


@pytest.mark.parametrize("name", sorted(INTROSPECTION_QUERIES))
async def test_the_real_introspection_queries_answer_hq_and_analysts_in_production(name: str) -> None:
    async with gated_api(environment="prod") as api:
        for role in (Role.HQ_ADMIN, Role.ANALYST):
            _assert_schema(await _post(_as(api, role), INTROSPECTION_QUERIES[name]))


@pytest.mark.parametrize(
    ("environment", "role", "allowed"),
    [
        ("prod", None, False),
        ("prod", Role.SHOPPER, False),
        ("prod", Role.STORE_STAFF, False),
        ("prod", Role.HQ_ADMIN, True),
        ("prod", Role.ANALYST, True),
        ("dev", None, True),
        ("dev", Role.SHOPPER, True),
        ("dev", Role.STORE_STAFF, True),
        ("dev", Role.HQ_ADMIN, True),
        ("dev", Role.ANALYST, True),
    ],
)
async def test_graphql_js_introspection_by_role_and_environment(
    environment: str, role: Role | None, allowed: bool
) -> None:
    async with gated_api(environment=environment) as api:
        r = await _post(_as(api, role), GRAPHQL_JS_DEFAULT)
        if allowed:
            _assert_schema(r)
        else:
            assert r.data is None
            assert r.error_codes == ["INTROSPECTION_DISABLED"]


async def test_public_introspection_lets_everyone_run_graphiqls_query_in_production() -> None:
    async with gated_api(environment="prod", public_introspection=True) as api:
        for role in (None, Role.SHOPPER, Role.STORE_STAFF):
            _assert_schema(await _post(_as(api, role), INTROSPECTION_QUERIES["graphiql_3_8_3_app"]))


def _aliased_types(n: int) -> str:
    return "{ __schema { " + " ".join(f"t{i}: types {{ name }}" for i in range(n)) + " } }"


FULL_TYPE = (
    "fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name"
    " description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }"
    " inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true)"
    " { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }"
    " fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }"
    f" fragment TypeRef on __Type {{ {TYPE_REF} }}"
)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        # ofType nested deeper than any tool asks (graphql-js: 9)
        (
            "{ __schema { types { fields { type { " + "ofType { " * 11 + "name" + " }" * 11 + " } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        ('{ __type(name: "Order") { ' + "ofType { " * 30 + "name" + " }" * 30 + " } }", "MAX_DEPTH_EXCEEDED"),
        # lists of types nested in lists of types: each level multiplies the answer
        (
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            "{ __schema { types { interfaces { possibleTypes { interfaces { name } } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        # the same through fragments
        (
            "{ __schema { types { ...A } } } fragment A on __Type { fields { type { ...B } } }"
            " fragment B on __Type { fields { type { fields { name } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        # __schema more than once (aliases), directly and through fragments
        ("{ a: __schema { types { name } } b: __schema { types { name } } }", "MAX_ALIASES_EXCEEDED"),
        (
            "{ ...S __schema { types { name } } } fragment S on Query { again: __schema { types { name } } }",
            "MAX_ALIASES_EXCEEDED",
        ),
        # aliases that repeat the schema's lists
        (_aliased_types(11), "MAX_ALIASES_EXCEEDED"),
        (
            "{ " + " ".join(f't{i}: __type(name: "Order") {{ name }}' for i in range(11)) + " }",
            "MAX_ALIASES_EXCEEDED",
        ),
        # the full type listing six times over: under the alias cap, over the size cap
        (
            "{ __schema { "
            + " ".join(f"t{i}: types {{ ...FullType }}" for i in range(6))
            + " } } "
            + FULL_TYPE,
            "DOCUMENT_TOO_LARGE",
        ),
    ],
)
async def test_introspection_abuse_is_refused_for_callers_who_may_introspect(query: str, code: str) -> None:
    async with gated_api(environment="prod") as api:
        r = await api.as_hq().execute(query)
        assert r.data is None
        assert r.error_codes == [code], r.errors


async def test_a_few_aliases_and_one_full_listing_are_fine() -> None:
    async with gated_api(environment="prod") as api:
        r = await api.as_hq().execute(_aliased_types(3))
        assert r.errors == []
        assert len(r.data["__schema"]["t2"]) > 50
        r = await api.as_hq().execute("{ __schema { types { ...FullType } } } " + FULL_TYPE)
        assert r.errors == []
        r = await api.as_hq().execute(
            '{ order: __type(name: "Order") { name } store: __type(name: "Store") { name } }'
        )
        assert r.data == {"order": {"name": "Order"}, "store": {"name": "Store"}}


async def test_introspection_beside_data_costs_only_the_data() -> None:
    async with gated_api(environment="prod") as api:
        r = await api.as_hq().execute("{ viewer { role } __schema { queryType { name } } __typename }")
        assert r.errors == []
        assert r.body["extensions"]["cost"]["requestedQueryCost"] == 1
