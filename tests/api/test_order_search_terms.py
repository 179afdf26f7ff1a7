"""The order search's later terms — store name, payment serial number, buyer phone, HQ warehouse,
any campaign — typed and as a query string, over a hand-built shop of four orders, A-D.

Each case names exactly the orders it must return, and the typed filter and the query string must
both return them (one compiler). Phone terms keep the phone rules: analysts may not use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from models.enums import Fulfillment, PaymentKind, PaymentMethod, PaymentStatus, Role
from models.orders.states import OrderStatus as S
from models.payments import PaymentTransaction
from tests.api.conftest import Api, Response
from tests.factories import Seed

LIST = """
query($filter: OrderFilter, $q: String) {
  orders(first: 100, filter: $filter, query: $q) { totalCount edges { node { orderNo } } }
}
"""
T = datetime(2026, 11, 1, 2, tzinfo=UTC)


@dataclass
class Shop:
    names: dict[str, str]
    """order number → letter"""
    xihu_id: int


@pytest.fixture
async def shop(seed: Seed) -> Shop:
    jingan = await seed.store("SH001", name="静安寺店")
    xihu = await seed.store("HZ001", name="西湖店")
    zhang = await seed.customer("13800001111", nickname="张三")
    li = await seed.customer("13900002222", nickname="李四")
    zhao = await seed.customer("13700003333", nickname="赵六")
    _, (sku,) = await seed.product("车厘子")
    campaign = await seed.campaign()
    specs: list[tuple[str, Any, Any, dict[str, Any]]] = [
        # A: 静安寺店, Zhang buys for himself, in a campaign, paid with serial 4200000001
        ("A", jingan, zhang, {"status": S.PENDING_SHIPMENT, "campaign_id": campaign.id}),
        # B: 西湖店, Li buys and sends it to Zhang's phone
        ("B", xihu, li, {"status": S.PENDING_SHIPMENT, "consignee_phone": "13800001111"}),
        # C: the HQ warehouse ships Zhang's order; paid (serial 4200000003), then refunded (5000000009)
        ("C", None, zhang, {"status": S.COMPLETED, "fulfillment": Fulfillment.EXPRESS}),
        # D: 西湖店, unpaid
        ("D", xihu, zhao, {"status": S.PENDING_PAYMENT}),
    ]
    names = {}
    for i, (letter, store, customer, fields) in enumerate(specs, start=1):
        order = await seed.order(store, customer, [(sku, 1)], order_no=f"202611010000000{i}", **fields)
        names[order.order_no] = letter
        serials = {"A": [("4200000001", PaymentKind.PAY)], "C": [
            ("4200000003", PaymentKind.PAY), ("5000000009", PaymentKind.REFUND)
        ]}.get(letter, [])  # fmt: skip
        for k, (serial, kind) in enumerate(serials):
            await seed._add(
                PaymentTransaction(
                    transaction_no=f"{kind.value[0]}{order.order_no}{k:02d}",
                    kind=kind,
                    order_id=order.id,
                    method=PaymentMethod.WECHAT_PAY,
                    amount=order.payable_amount,
                    status=PaymentStatus.SUCCEEDED,
                    gateway_reference=serial,
                    created_at=T,
                    completed_at=T,
                )
            )
    return Shop(names, xihu.id)


def letters(shop: Shop, r: Response) -> str:
    assert r.errors == [], r.errors
    found = sorted(shop.names[e["node"]["orderNo"]] for e in r.data["orders"]["edges"])
    assert r.data["orders"]["totalCount"] == len(found)
    return "".join(found)


CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "storeName": ({"storeName": "静安"}, "storeName:静安", "A"),
    "storeName shared": ({"storeName": "店"}, "storename:店", "ABD"),
    "storeName not": ({"not": {"storeName": "静安"}}, "-storename:静安", "BCD"),
    "serial of a payment": ({"paymentSerialNo": "4200000001"}, "serial:4200000001", "A"),
    "serial of a refund": ({"paymentSerialNo": "5000000009"}, "serial:5000000009", "C"),
    "serial is exact": ({"paymentSerialNo": "42000000"}, "serial:42000000", ""),
    "buyerPhone last four": ({"buyerPhone": "1111"}, "buyerPhone:1111", "AC"),
    "buyerPhone whole": ({"buyerPhone": "+86 139-0000-2222"}, "buyerphone:13900002222", "B"),
    "phone is buyer or consignee": ({"phone": "1111"}, "phone:1111", "ABC"),
    "consignee phone only": (
        {"phone": "1111", "not": {"buyerPhone": "1111"}}, "phone:1111 -buyerphone:1111", "B"
    ),
    "hqWarehouse": ({"hqWarehouse": True}, "warehouse:hq", "C"),
    "hqWarehouse false": ({"hqWarehouse": False}, "warehouse:store", "ABD"),
    "hqWarehouse not": ({"not": {"hqWarehouse": True}}, "-warehouse:总部", "ABD"),
    "hasCampaign": ({"hasCampaign": True}, "campaign:any", "A"),
    "hasCampaign false": ({"hasCampaign": False}, "campaign:none", "BCD"),
    "combined": (
        {"or": [{"hqWarehouse": True}, {"hasCampaign": True}], "buyerPhone": "1111"},
        "(warehouse:hq OR campaign:any) buyerphone:1111",
        "AC",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
async def test_each_term_typed_and_as_a_query(api: Api, shop: Shop, case: str) -> None:
    typed, query, expected = CASES[case]
    hq = api.as_hq()
    assert letters(shop, await hq.execute(LIST, filter=typed)) == expected, "typed"
    assert letters(shop, await hq.execute(LIST, q=query)) == expected, query


async def test_status_counts_take_the_new_terms(api: Api, shop: Shop) -> None:
    counts = "query($q: String) { orderStatusCounts(query: $q) { total } }"
    r = await api.as_hq().execute(counts, q="warehouse:store campaign:none")
    assert r.errors == []
    assert r.data["orderStatusCounts"]["total"] == 2


async def test_analysts_may_not_search_by_buyer_phone(api: Api, shop: Shop) -> None:
    analyst = api.as_role(Role.ANALYST)
    r = await analyst.execute(LIST, q="warehouse:hq OR buyerphone:1111")
    assert r.error_codes == ["FORBIDDEN"]
    assert r.errors[0]["extensions"]["field"] == "query"
    r = await analyst.execute(LIST, filter={"not": {"buyerPhone": "1111"}})
    assert r.error_codes == ["FORBIDDEN"]
    assert r.errors[0]["extensions"]["field"] == "filter"
    # the other new terms are open to them
    assert letters(shop, await analyst.execute(LIST, q="storename:西湖 serial:4200000001")) == ""
    assert letters(shop, await analyst.execute(LIST, filter={"hqWarehouse": True})) == "C"


async def test_staff_search_stays_inside_their_stores(api: Api, shop: Shop) -> None:
    staff = api.as_staff(shop.xihu_id)
    assert letters(shop, await staff.execute(LIST, q="warehouse:hq OR serial:4200000001")) == ""
    assert letters(shop, await staff.execute(LIST, q="buyerphone:1111 OR storename:店")) == "BD"


async def test_bad_values_are_coded_errors(api: Api, shop: Shop) -> None:
    hq = api.as_hq()
    r = await hq.execute(LIST, q="warehouse:shop")
    assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 11}
    r = await hq.execute(LIST, filter={"or": [{"buyerPhone": "12"}]})
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert r.errors[0]["extensions"]["field"] == "filter.or.0.buyerPhone"
    r = await hq.execute(LIST, filter={"storeName": "x" * 101})
    assert r.errors[0]["extensions"]["field"] == "filter.storeName"


async def test_term_counts_stay_bounded(api: Api, shop: Shop) -> None:
    hq = api.as_hq()
    r = await hq.execute(LIST, q=" ".join(["campaign:any", "warehouse:hq"] * 10 + ["a"] * 81))
    assert r.error_codes == ["INVALID_QUERY_SYNTAX"]
    assert "more than 100 terms" in r.errors[0]["message"]
    many = {"or": [{"hqWarehouse": True, "storeName": "店"} for _ in range(50)] + [{"hasCampaign": True}]}
    r = await hq.execute(LIST, filter=many)
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert "at most 100 conditions" in r.errors[0]["message"]


async def test_orders_show_their_payment_serial_numbers(api: Api, shop: Shop) -> None:
    query = """query { orders(first: 10, sort: [{key: ORDER_NO, direction: ASC}]) { edges { node {
      paymentSerialNo payments { transactionNo kind status serialNo amount { cents } }
    } } } }"""
    r = await api.as_hq().execute(query)
    assert r.errors == []
    nodes = [e["node"] for e in r.data["orders"]["edges"]]
    assert [n["paymentSerialNo"] for n in nodes] == ["4200000001", None, "4200000003", None]
    assert [(p["kind"], p["serialNo"]) for p in nodes[2]["payments"]] == [
        ("PAY", "4200000003"),
        ("REFUND", "5000000009"),
    ]
    assert nodes[1]["payments"] == []
