"""Argument values refused before execution (gql/gate/input_checks.py): lists past their ceiling, strings
with NUL or a lone surrogate — inline or in variables, at any depth — with a code naming the value,
and not one resolver run."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gql.gate.input_checks import DEFAULT_LIST_CEILING
from gql.gate.limits import COUNTERS
from models.enums import Role
from tests.api.conftest import Api, Response
from tests.api.gated_app import gated_api

ORDERS = "query($f: OrderFilter) { orders(first: 1, filter: $f) { totalCount } }"
PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { userErrors { code } } }"


async def _refused(api: Api, document: str, **variables: Any) -> dict[str, Any]:
    """The one error of a request refused before any resolver ran."""
    executions = COUNTERS.executions
    r = await api.execute(document, **variables)
    assert COUNTERS.executions == executions, r.body
    assert r.status == 200
    assert r.data is None
    assert len(r.errors) == 1, r.errors
    error: dict[str, Any] = r.errors[0]
    return error


def _code_and_field(error: dict[str, Any]) -> tuple[str, str]:
    return error["extensions"]["code"], error["extensions"]["field"]


@pytest.mark.parametrize("n", [DEFAULT_LIST_CEILING + 1, 5_000, 50_000])
async def test_a_filter_list_past_its_ceiling_is_refused_before_coercion(n: int) -> None:
    async with gated_api() as api:
        shopper = api.as_shopper(1)
        error = await _refused(shopper, ORDERS, f={"or": [{"text": f"x{i}"} for i in range(n)]})
        assert _code_and_field(error) == ("BAD_USER_INPUT", "$f.or")
        assert error["extensions"]["maximum"] == DEFAULT_LIST_CEILING


async def test_every_list_position_has_a_ceiling_inline_and_in_variables() -> None:
    ids = [f"id{i}" for i in range(DEFAULT_LIST_CEILING + 1)]
    async with gated_api() as api:
        hq = api.as_hq()
        listed = orjson.dumps(ids).decode()
        inline = f"{{ orders(first: 1, filter: {{ and: [{{ storeIds: {listed} }}] }}) {{ totalCount }} }}"
        assert _code_and_field(await _refused(hq, inline)) == ("BAD_USER_INPUT", "filter.and.0.storeIds")
        error = await _refused(hq, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids)
        assert _code_and_field(error) == ("PAGE_SIZE_EXCEEDED", "$ids")
        error = await _refused(hq, f"{{ nodes(ids: {listed}) {{ id }} }}")
        assert _code_and_field(error) == ("PAGE_SIZE_EXCEEDED", "ids")
        error = await _refused(
            hq,
            "query($codes: [String!]) { orders(first: 1, filter: { storeCodes: $codes }) { totalCount } }",
            codes=ids,
        )
        assert _code_and_field(error) == ("BAD_USER_INPUT", "$codes")
        cart = [{"skuId": "x", "quantity": 1}] * (DEFAULT_LIST_CEILING + 1)
        order = {"fulfillment": "EXPRESS", "lines": cart, "consignee": _consignee("张三")}
        error = await _refused(api.as_shopper(1), PLACE, input=order)
        assert _code_and_field(error) == ("BAD_USER_INPUT", "$input.lines")


async def test_a_batch_keeps_room_above_its_business_limit() -> None:
    """501 events are the service's BATCH_TOO_LARGE in userErrors; past twice that, the gate's."""
    track = "mutation($e: [VisitEventInput!]!) { trackEvents(events: $e) { accepted } }"
    event = {"eventId": "e", "pageType": "HOME", "occurredAt": "2026-11-01T00:00:00Z"}
    async with gated_api() as api:
        error = await _refused(api, track, e=[event] * 1_001)
        assert _code_and_field(error) == ("BATCH_TOO_LARGE", "$e")


def _consignee(name: str) -> dict[str, str]:
    return {"name": name, "phone": "13800138000", "city": "上海市", "address": "张江路1号"}


NUL_CASES = [
    ('{ stores(first: 1, filter: { search: "SH\\u0000" }) { totalCount } }', {}, "filter.search", None),
    (
        "query($s: String) { stores(first: 1, filter: { search: $s }) { totalCount } }",
        {"s": "SH\x00"},
        "$s",
        None,
    ),
    (
        "query($n: String) { products(first: 1, filter: { name: $n }) { totalCount } }",
        {"n": "苹果\x00"},
        "$n",
        None,
    ),
    (
        "query($f: ProductFilter) { products(first: 1, filter: $f) { totalCount } }",
        {"f": {"name": "苹果\x00"}},
        "$f.name",
        None,
    ),
    (
        '{ orders(first: 1, filter: { or: [{ text: "a" }, { storeCodes: ["SH001", "SH\\u0000"] }] }) '
        "{ totalCount } }",
        {},
        "filter.or.1.storeCodes.1",
        Role.HQ_ADMIN,
    ),
    (
        PLACE,
        {"input": {"fulfillment": "EXPRESS", "lines": [], "consignee": _consignee("张\x00三")}},
        "$input.consignee.name",
        Role.SHOPPER,
    ),
    ('{ store(code: "SH\\u0000") { id } }', {}, "code", None),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "U3RvcmU6MQ==\x00"}, "$id", None),
]


@pytest.mark.parametrize(("document", "variables", "field", "role"), NUL_CASES)
async def test_a_nul_byte_is_bad_user_input_naming_the_value(
    document: str, variables: dict[str, Any], field: str, role: Role | None
) -> None:
    async with gated_api() as api:
        caller = api.as_shopper(1) if role is Role.SHOPPER else api.as_role(role) if role else api
        error = await _refused(caller, document, **variables)
        assert _code_and_field(error) == ("BAD_USER_INPUT", field)
        assert "NUL" in error["message"]


async def _post_raw(api: Api, body: bytes) -> Response:
    r = await api.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    return Response(r.status_code, r.json())


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        (b'{"s": "SH\\ud800"}', "$s"),
        (b'{"s": "\\udc80x"}', "$s"),
        (b'{"f": {"search": "\\ud83d"}}', None),
    ],
)
async def test_a_lone_surrogate_in_variables_is_bad_user_input(variables: bytes, field: str | None) -> None:
    document = (
        b"query($s: String) { stores(first: 1, filter: { search: $s }) { totalCount } }"
        if field
        else b"query($f: StoreFilter) { stores(first: 1, filter: $f) { totalCount } }"
    )
    body = b'{"query": "' + document + b'", "variables": ' + variables + b"}"
    async with gated_api() as api:
        executions = COUNTERS.executions
        r = await _post_raw(api, body)
        assert COUNTERS.executions == executions
        assert r.status == 200
        assert r.error_codes == ["BAD_USER_INPUT"]
        assert r.errors[0]["extensions"]["field"] == (field or "$f.search")
        assert "surrogate" in r.errors[0]["message"]


async def test_a_lone_surrogate_outside_the_variables_is_a_bad_request() -> None:
    async with gated_api() as api:
        r = await _post_raw(api, b'{"query": "{ viewer { role } } # \\ud800"}')
        assert r.status == 400
        assert r.error_codes == ["BAD_REQUEST"]


async def _refused_while_reading(api: Api, document: str, **variables: Any) -> dict[str, Any]:
    """The one error of a query refused by its resolver before any statement (no database here)."""
    r = await api.execute(document, **variables)
    assert r.status == 200
    assert len(r.errors) == 1, r.errors
    error: dict[str, Any] = r.errors[0]
    return error


async def test_the_filter_conditions_are_counted_as_read_and_refused_at_the_first_too_many() -> None:
    """Two lists of 60 (each within its ceiling): the 101st condition is named, nothing built further."""
    half = [{"text": f"x{i}"} for i in range(60)]
    async with gated_api() as api:
        error = await _refused_while_reading(api.as_hq(), ORDERS, f={"or": [{"and": half}, {"and": half}]})
        assert _code_and_field(error) == ("BAD_USER_INPUT", "filter.or.1.and.40.text")
        assert "at most 100 conditions" in error["message"]


QUERY = "query($q: String) { orders(first: 1, query: $q) { totalCount } }"


@pytest.mark.parametrize(
    "text",
    [
        "a OR " * 200_000 + "a",  # 1 MB, under the body limit
        " OR ".join(f"a{i}" for i in range(101)),
        "(" * 5_000 + "a" + ")" * 5_000,
        "NOT " * 250 + "a",
    ],
)
async def test_the_query_string_is_bounded_before_it_is_built(text: str) -> None:
    async with gated_api() as api:
        error = await _refused_while_reading(api.as_hq(), QUERY, q=text)
        assert error["extensions"]["code"] == "INVALID_QUERY_SYNTAX"
        assert error["extensions"]["column"] >= 1
