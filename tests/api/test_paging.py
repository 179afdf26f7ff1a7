"""Cursor paging walks every order exactly once, forward and backward, across timestamp ties."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import Api
from tests.factories import T0, Seed

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String) {
  orders(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { orderNo } }
  }
}
"""


async def _seven_orders_with_ties(seed: Seed) -> list[str]:
    store, customer = await seed.store(), await seed.customer()
    _, skus = await seed.product()
    nos = []
    for i in range(7):
        created = T0 + timedelta(minutes=i // 3)  # groups of three share a timestamp
        order = await seed.order(store, customer, [(skus[0], 1)], created_at=created, order_no=f"N{i}")
        nos.append(order.order_no)
    # newest first, ties broken by id descending (later insert first)
    return list(reversed(nos))


async def _walk(api: Api, forward: bool, size: int) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        args: dict[str, Any] = (
            {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
        )
        r = await api.execute(PAGE, **args)
        assert r.errors == []
        conn = r.data["orders"]
        nodes = [e["node"]["orderNo"] for e in conn["edges"]]
        seen = seen + nodes if forward else nodes + seen
        info = conn["pageInfo"]
        more = info["hasNextPage"] if forward else info["hasPreviousPage"]
        if not more:
            return seen
        cursor = info["endCursor"] if forward else info["startCursor"]


async def test_forward_and_backward_walks_agree(api: Api, seed: Seed) -> None:
    expected = await _seven_orders_with_ties(seed)
    hq = api.as_hq()
    for size in (1, 2, 3, 7, 100):
        assert await _walk(hq, True, size) == expected, size
        assert await _walk(hq, False, size) == expected, size


async def test_page_info_and_cursors(api: Api, seed: Seed) -> None:
    expected = await _seven_orders_with_ties(seed)
    hq = api.as_hq()
    first = (await hq.execute(PAGE, first=3)).data["orders"]
    assert first["totalCount"] == 7
    assert first["pageInfo"]["hasNextPage"]
    assert not first["pageInfo"]["hasPreviousPage"]
    middle = (await hq.execute(PAGE, first=2, after=first["pageInfo"]["endCursor"])).data["orders"]
    assert [e["node"]["orderNo"] for e in middle["edges"]] == expected[3:5]
    assert middle["pageInfo"]["hasPreviousPage"]
    assert middle["totalCount"] == 7
    back = (await hq.execute(PAGE, last=2, before=middle["edges"][0]["cursor"])).data["orders"]
    assert [e["node"]["orderNo"] for e in back["edges"]] == expected[1:3]
    assert back["pageInfo"]["hasNextPage"]
    assert back["pageInfo"]["hasPreviousPage"]
    empty = (await hq.execute(PAGE, first=0)).data["orders"]
    assert empty["edges"] == []
    assert empty["pageInfo"]["startCursor"] is None


async def test_bad_paging_input_is_a_coded_error(api: Api, seed: Seed) -> None:
    await _seven_orders_with_ties(seed)
    hq = api.as_hq()
    assert (await hq.execute(PAGE, first=101)).error_codes == ["PAGE_SIZE_EXCEEDED"]
    assert (await hq.execute(PAGE, first=1, last=1)).error_codes == ["BAD_USER_INPUT"]
    r = await hq.execute(PAGE, first=2, after="bm90IGEgY3Vyc29y")
    assert r.error_codes == ["INVALID_CURSOR"]
    assert r.errors[0]["extensions"]["field"] == "after"
    # a store cursor handed to the order list
    stores = (await hq.execute("{ stores(first: 1) { edges { cursor } } }")).data["stores"]["edges"]
    assert (await hq.execute(PAGE, first=2, after=stores[0]["cursor"])).error_codes == ["INVALID_CURSOR"]
