"""The 售后退款 list: filters, tab counts, one record with its timeline, and who sees what."""

from __future__ import annotations

from typing import Any

from tests.api.after_sale_flow import APPROVE, REQUEST, ask, done, shipped_order
from tests.api.conftest import Api
from tests.api.order_flow import key, open_shop
from tests.factories import Seed

LIST = """query($f: AfterSaleFilter, $first: Int, $after: String) {
  afterSales(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { afterSaleNo status type initiator order { orderNo } store { code } } } }
  afterSaleStatusCounts(filter: $f) { total byStatus { status count } } }"""
ONE = """query($id: ID!) { afterSale(id: $id) { afterSaleNo status refundAmount { cents }
  lines { quantity amount { cents } line { productName } }
  timeline { action fromStatus toStatus actorType }
  availableActions { action allowed reason } } }"""


async def _three(api: Api, seed: Seed) -> tuple[Any, list[dict[str, Any]]]:
    shop = await open_shop(seed, stock=50)
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    made = []
    for kind in ("REFUND_ONLY", "RETURN_AND_REFUND", "REFUND_ONLY"):
        order = await shipped_order(api, shop)
        made.append(
            done(await buyer.execute(REQUEST, input=ask(order, kind)), "requestAfterSale")["afterSale"]
        )
    done(
        await staff.execute(APPROVE, input={"afterSaleId": made[0]["id"], "idempotencyKey": key()}),
        "approveAfterSale",
    )
    return shop, made


async def test_list_filters_and_counts(api: Api, seed: Seed) -> None:
    shop, made = await _three(api, seed)
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(LIST, first=2)
    listed = r.data["afterSales"]
    assert listed["totalCount"] == 3
    assert [e["node"]["afterSaleNo"] for e in listed["edges"]] == [
        made[2]["afterSaleNo"],
        made[1]["afterSaleNo"],
    ]
    rest = await staff.execute(LIST, first=2, after=listed["pageInfo"]["endCursor"])
    assert [e["node"]["afterSaleNo"] for e in rest.data["afterSales"]["edges"]] == [made[0]["afterSaleNo"]]
    counts = {c["status"]: c["count"] for c in r.data["afterSaleStatusCounts"]["byStatus"]}
    assert counts["PENDING_REVIEW"] == 2
    assert counts["REFUNDED"] == 1
    assert r.data["afterSaleStatusCounts"]["total"] == 3

    r = await staff.execute(LIST, f={"status": ["PENDING_REVIEW"], "type": ["RETURN_AND_REFUND"]})
    assert [e["node"]["afterSaleNo"] for e in r.data["afterSales"]["edges"]] == [made[1]["afterSaleNo"]]
    assert r.data["afterSaleStatusCounts"]["total"] == 1  # the tabs ignore the status, not the other filters
    order_no = made[0]["afterSaleNo"][:-3]
    r = await staff.execute(LIST, f={"orderNo": order_no})
    assert [e["node"]["order"]["orderNo"] for e in r.data["afterSales"]["edges"]] == [order_no]


async def test_one_after_sale_with_timeline_and_buttons(api: Api, seed: Seed) -> None:
    shop, made = await _three(api, seed)
    r = await api.as_staff(shop.a.id).execute(ONE, id=made[1]["id"])
    one = r.data["afterSale"]
    assert one["status"] == "PENDING_REVIEW"
    assert one["lines"] == [{"quantity": 1, "amount": {"cents": 1500}, "line": {"productName": "红富士苹果"}}]
    assert one["timeline"] == [
        {"action": "REQUEST", "fromStatus": None, "toStatus": "PENDING_REVIEW", "actorType": "CUSTOMER"}
    ]
    allowed = {a["action"] for a in one["availableActions"] if a["allowed"]}
    assert allowed == {"APPROVE_RETURN", "REJECT", "ESCALATE"}  # the store may hand it to HQ (客服介入)
    buyer_view = (await api.as_shopper(shop.customer_id).execute(ONE, id=made[1]["id"])).data["afterSale"]
    assert {a["action"] for a in buyer_view["availableActions"] if a["allowed"]} == {"WITHDRAW"}
    too_early = [a for a in buyer_view["availableActions"] if a["action"] == "ESCALATE"]
    assert too_early == [{"action": "ESCALATE", "allowed": False, "reason": "ESCALATION_NOT_DUE"}]


async def test_scope(api: Api, seed: Seed) -> None:
    shop, made = await _three(api, seed)
    other_store = api.as_staff(shop.b.id)
    assert (await other_store.execute(LIST)).data["afterSales"]["totalCount"] == 0
    assert (await other_store.execute(ONE, id=made[0]["id"])).data == {"afterSale": None}
    stranger = api.as_shopper((await seed.customer("13600009999")).id)
    assert (await stranger.execute(LIST)).data["afterSaleStatusCounts"]["total"] == 0
    assert (await api.as_hq().execute(LIST)).data["afterSales"]["totalCount"] == 3
    anonymous = await api.execute(LIST)
    assert anonymous.data is None
    assert set(anonymous.error_codes) == {"UNAUTHENTICATED"}
