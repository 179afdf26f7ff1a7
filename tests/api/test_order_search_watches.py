"""Watch lists: `watchOrder` / `unwatchOrder`, read back with `watched:true` in the order search.

Four orders, A-D: A and B at SH001, C at HZ001, D shipped by the HQ warehouse. Each caller's list
is their own — two HQ users with the same query see their own watches — and only orders the
caller may see can be watched.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from gql.gate.auth import mint_token
from gql.ids import encode_id
from models.enums import Fulfillment, Role
from models.orders.states import OrderStatus as S
from models.orders.watches import OrderWatch
from tests.api.conftest import Api, Response
from tests.conftest import Database
from tests.factories import Seed

LIST = """
query($filter: OrderFilter, $q: String) {
  orders(first: 100, filter: $filter, query: $q) { totalCount edges { node { orderNo } } }
}
"""
WATCH = """
mutation($id: ID!, $key: String) { watchOrder(input: {orderId: $id, idempotencyKey: $key}) {
  watched order { orderNo } userErrors { code field message } } }
"""
UNWATCH = """
mutation($id: ID!) { unwatchOrder(input: {orderId: $id}) {
  watched order { orderNo } userErrors { code field message } } }
"""


@pytest.fixture
async def shop(seed: Seed) -> dict[str, Any]:
    sh = await seed.store("SH001")
    hz = await seed.store("HZ001")
    buyer = await seed.customer("13800001111")
    _, (sku,) = await seed.product("车厘子")
    ids: dict[str, Any] = {"SH001": sh.id}
    for i, (letter, store) in enumerate((("A", sh), ("B", sh), ("C", hz), ("D", None)), start=1):
        fulfillment = Fulfillment.EXPRESS if store is None else Fulfillment.STORE_DELIVERY
        order = await seed.order(
            store, buyer, [(sku, 1)], order_no=f"202611010000000{i}", status=S.PENDING_SHIPMENT,
            fulfillment=fulfillment,
        )  # fmt: skip
        ids[letter] = encode_id("Order", order.id)
        ids[order.order_no] = letter
    return ids


def letters(shop: dict[str, Any], r: Response) -> str:
    assert r.errors == [], r.errors
    found = sorted(shop[e["node"]["orderNo"]] for e in r.data["orders"]["edges"])
    assert r.data["orders"]["totalCount"] == len(found)
    return "".join(found)


def hq_user(api: Api, subject: str) -> Api:
    return Api(api.http, api.settings, api.gateway, mint_token(api.settings, Role.HQ_ADMIN, subject))


async def watch(caller: Api, order_id: str) -> dict[str, Any]:
    r = await caller.execute(WATCH, id=order_id)
    assert r.errors == [], r.errors
    payload: dict[str, Any] = r.data["watchOrder"]
    return payload


async def test_each_caller_sees_their_own_watch_list(api: Api, shop: dict[str, Any]) -> None:
    first, second = hq_user(api, "hq-1"), hq_user(api, "hq-2")
    staff = api.as_staff(shop["SH001"])
    for caller, letter in ((first, "A"), (first, "D"), (second, "C"), (staff, "A"), (staff, "B")):
        payload = await watch(caller, shop[letter])
        assert payload["watched"] is True
        assert payload["userErrors"] == []
        assert shop[payload["order"]["orderNo"]] == letter
    # the same statement for two users of one role: each gets their own list
    assert letters(shop, await first.execute(LIST, q="watched:true")) == "AD"
    assert letters(shop, await second.execute(LIST, q="watched:true")) == "C"
    assert letters(shop, await first.execute(LIST, filter={"watched": True})) == "AD"
    assert letters(shop, await second.execute(LIST, filter={"watched": True})) == "C"
    assert letters(shop, await staff.execute(LIST, q="watched:yes")) == "AB"
    assert letters(shop, await first.execute(LIST, q="watched:false")) == "BC"
    assert letters(shop, await first.execute(LIST, filter={"not": {"watched": True}})) == "BC"
    assert letters(shop, await first.execute(LIST, q="watched:true warehouse:store")) == "A"
    counts = "query($q: String) { orderStatusCounts(query: $q) { total } }"
    r = await second.execute(counts, q="watched:true OR watched:false")
    assert r.data["orderStatusCounts"]["total"] == 4
    r = await staff.execute(counts, q="watched:true")
    assert r.data["orderStatusCounts"]["total"] == 2


async def test_watching_twice_is_one_watch_and_unwatching_is_idempotent(
    api: Api, shop: dict[str, Any], db: Database
) -> None:
    hq = hq_user(api, "hq-1")
    await watch(hq, shop["B"])
    await watch(hq, shop["B"])
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OrderWatch)) == 1
    for _ in range(2):
        r = await hq.execute(UNWATCH, id=shop["B"])
        assert r.data["unwatchOrder"]["watched"] is False
        assert r.data["unwatchOrder"]["userErrors"] == []
    assert letters(shop, await hq.execute(LIST, q="watched:true")) == ""
    # an idempotency key replays the first result
    r1 = await hq.execute(WATCH, id=shop["C"], key="k-1")
    r2 = await hq.execute(WATCH, id=shop["C"], key="k-1")
    assert r1.data == r2.data
    assert r1.data["watchOrder"]["watched"] is True


async def test_only_visible_orders_can_be_watched(api: Api, shop: dict[str, Any]) -> None:
    staff = api.as_staff(shop["SH001"])
    r = await staff.execute(WATCH, id=shop["C"])
    assert r.data["watchOrder"] == {
        "watched": False,
        "order": None,
        "userErrors": [{"code": "NOT_FOUND", "field": ["input", "orderId"], "message": "no such order"}],
    }
    r = await staff.execute(WATCH, id=encode_id("Store", 1))
    assert r.data["watchOrder"]["userErrors"][0]["code"] == "BAD_USER_INPUT"
    assert letters(shop, await staff.execute(LIST, q="watched:true")) == ""


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SHOPPER])
async def test_analysts_and_shoppers_may_not_watch(api: Api, shop: dict[str, Any], role: Role) -> None:
    caller = api.as_shopper(1) if role is Role.SHOPPER else api.as_role(role)
    r = await caller.execute(WATCH, id=shop["A"])
    assert r.error_codes == ["FORBIDDEN"]
    # their search still takes the term: nothing is on a list they cannot have
    assert (await caller.execute(LIST, q="watched:true")).data["orders"]["totalCount"] == 0


async def test_bad_watched_values_are_coded(api: Api, shop: dict[str, Any]) -> None:
    r = await api.as_hq().execute(LIST, q="watched:maybe")
    assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 9}
