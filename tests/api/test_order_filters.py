"""Filtering the admin order list: every field, typed and as a query string, over a hand-built shop.

Six orders, A-F, each built to be told apart by one or two fields; every case names exactly the
orders it must return, and the typed filter and the query string must both return them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from gql.ids import encode_id
from models.after_sales.states import AfterSaleStatus
from models.catalog.rows import Sku
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod, Role
from models.orders.states import OrderStatus as S
from models.stores.rows import Store
from services.db import count_statements
from tests.api.conftest import Api, Response
from tests.factories import Seed

LIST = """
query($filter: OrderFilter, $q: String) {
  orders(first: 100, filter: $filter, query: $q) { totalCount edges { node { orderNo } } }
}
"""


@dataclass
class Shop:
    names: dict[str, str]
    """order number → letter"""
    sh: Store
    hz: Store
    strawberry_sku: Sku
    campaign_id: int


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def shop(seed: Seed) -> Shop:
    sh = await seed.store("SH001")
    sh2 = await seed.store("SH002", district="徐汇区")
    hz = await seed.store("HZ001", province="浙江省", city="杭州市", district="西湖区")
    zhang = await seed.customer("13800001111", nickname="张三")
    li = await seed.customer("13900002222", nickname="李四")
    zhao = await seed.customer("13700003333", nickname="赵六")
    _, (cherry,) = await seed.product("车厘子")
    _, (strawberry,) = await seed.product("草莓")
    campaign = await seed.campaign()
    paid = {"payment_method": PaymentMethod.WECHAT_PAY}
    specs: list[tuple[str, Any, Any, list[Sku], dict[str, Any]]] = [
        # A: Shanghai store, delivery, paid by WeChat, 120 yuan, 2026-11-01 10:00 in Shanghai
        ("A", sh, zhang, [cherry], {"status": S.PENDING_SHIPMENT, "created_at": utc(2026, 11, 1, 2), **paid}),
        # B: created 2026-11-01T16:30Z, which is 2026-11-02 00:30 in Shanghai
        ("B", sh, li, [strawberry], {
            "status": S.PENDING_PICKUP, "fulfillment": Fulfillment.SELF_PICKUP,
            "created_at": utc(2026, 11, 1, 16, 30), "channel": OrderChannel.APP,
            "payment_method": PaymentMethod.ALIPAY, "campaign_id": campaign.id,
        }),
        # C: unpaid group buy, 23:59 on 2026-11-01 in Shanghai; consignee 王五 is not the customer
        ("C", sh2, zhang, [strawberry, cherry], {
            "status": S.PENDING_PAYMENT, "created_at": utc(2026, 11, 1, 15, 59), "channel": OrderChannel.H5,
            "type": OrderType.GROUP_BUY, "consignee_name": "王五", "consignee_phone": "13600004444",
        }),
        ("D", hz, zhao, [cherry], {
            "status": S.COMPLETED, "fulfillment": Fulfillment.EXPRESS, "created_at": utc(2026, 11, 3, 2),
            "payment_method": PaymentMethod.UNION_PAY,
        }),
        # E: shipped by the HQ warehouse (no store)
        ("E", None, li, [strawberry], {
            "status": S.SHIPPED, "fulfillment": Fulfillment.EXPRESS, "created_at": utc(2026, 11, 4, 2),
            "type": OrderType.PRE_ORDER, "channel": OrderChannel.POS, **paid,
        }),
        ("F", hz, zhang, [cherry], {
            "status": S.CANCELLED, "created_at": utc(2026, 11, 5, 2), "consignee_name": "张三丰",
        }),
    ]  # fmt: skip
    payables = {"A": 12000, "B": 8000, "C": 10000, "D": 20000, "E": 10001, "F": 500}
    names = {}
    for i, (letter, store, customer, skus, fields) in enumerate(specs, start=1):
        order = await seed.order(
            store,
            customer,
            [(sku, 1) for sku in skus],
            order_no=f"{fields['created_at']:%Y%m%d}{i:08d}",
            payable=payables[letter],
            line_names=["车厘子" if sku is cherry else "草莓" for sku in skus],
            **fields,
        )
        names[order.order_no] = letter
        if letter == "D":
            await seed.after_sale(order, AfterSaleStatus.REFUNDED)
        if letter == "E":
            await seed.after_sale(order, AfterSaleStatus.PENDING_REVIEW)
    return Shop(names, sh, hz, strawberry, campaign.id)


def letters(shop: Shop, r: Response) -> str:
    assert r.errors == [], r.errors
    found = sorted(shop.names[e["node"]["orderNo"]] for e in r.data["orders"]["edges"])
    assert r.data["orders"]["totalCount"] == len(found)
    return "".join(found)


def cases(shop: Shop) -> dict[str, tuple[dict[str, Any], str, str]]:
    """name → (typed filter, equivalent query string, the orders both return)."""
    sku = shop.strawberry_sku
    return {
        "status": ({"status": ["PENDING_SHIPMENT", "PENDING_PICKUP"]}, "status:待发货,pending_pickup", "AB"),
        "storeIds": ({"storeIds": [encode_id("Store", shop.sh.id)]}, f"storeid:{shop.sh.id}", "AB"),
        "storeCodes": ({"storeCodes": ["SH002", "HZ001"]}, "store:SH002,HZ001", "CDF"),
        "province": ({"region": {"province": "浙江省"}}, "province:浙江省", "DF"),
        "city+district": (
            {"region": {"city": "杭州市", "district": "西湖区"}}, "city:杭州市 district:西湖区", "DF"
        ),
        "district": ({"region": {"district": "徐汇区"}}, "district:徐汇区", "C"),
        "orderNo": ({"orderNo": "2026110100000003"}, "no:2026110100000003", "C"),
        "orderNoPrefix": ({"orderNoPrefix": "20261101"}, "no:20261101*", "ABC"),
        "phone last four (customer)": ({"phone": "1111"}, "phone:1111", "ACF"),
        "phone last four (consignee)": ({"phone": "4444"}, "phone:4444", "C"),
        "phone whole (consignee)": ({"phone": "136-0000-4444"}, "phone:13600004444", "C"),
        "phone whole (customer)": ({"phone": "+8613900002222"}, "phone:13900002222", "BE"),
        "consigneeName": ({"consigneeName": "张三"}, "consignee:张三", "AF"),
        "product name": ({"product": "车厘子"}, "product:车厘子", "ACDF"),
        "product by SKU code": ({"product": sku.sku_code.lower()}, f"product:{sku.sku_code}", "BCE"),
        "sku": ({"sku": sku.sku_code}, f"sku:{sku.sku_code}", "BCE"),
        "sku barcode": ({"sku": sku.barcode}, f"sku:{sku.barcode}", "BCE"),
        "createdAt": (
            {"createdAt": {"from": "2026-11-01T16:00:00Z", "to": "2026-11-02T16:00:00Z"}},
            "created:2026-11-02",
            "B",
        ),
        "paidAt": ({"paidAt": {"from": "2026-11-01T00:00:00+08:00"}}, "paid:>=2026-11-01", "ABDE"),
        "payableAmount": ({"payableAmount": {"min": 10000, "max": 12000}}, "total:100..120", "ACE"),
        "payableAmount above": ({"payableAmount": {"min": 10001}}, "total:>100", "ADE"),
        "paymentMethod": ({"paymentMethod": ["WECHAT_PAY"]}, "payment:wechat_pay", "AE"),
        "type": ({"type": ["GROUP_BUY", "PRE_ORDER"]}, "type:GROUP_BUY,PRE_ORDER", "CE"),
        "fulfillment": ({"fulfillment": ["EXPRESS"]}, "fulfillment:express", "DE"),
        "channel": ({"channel": ["APP"]}, "channel:APP", "B"),
        "campaignIds": (
            {"campaignIds": [encode_id("Campaign", shop.campaign_id)]}, f"campaign:{shop.campaign_id}", "B"
        ),
        "afterSaleStatus": (
            {"afterSaleStatus": ["PENDING_REVIEW", "REFUNDED"]}, "aftersale:PENDING_REVIEW,refunded", "DE"
        ),
        "afterSaleStatus one": ({"afterSaleStatus": ["PENDING_REVIEW"]}, "aftersale:PENDING_REVIEW", "E"),
        "text name": ({"text": "张三"}, "张三", "AF"),
        "text product": ({"text": "草莓"}, '"草莓"', "BCE"),
        "text last four": ({"text": "2222"}, "2222", "BE"),
        "text order number": ({"text": "20261104"}, "20261104", "E"),
    }  # fmt: skip


CASE_NAMES = list(cases(Shop({}, Store(id=1), Store(id=2), Sku(sku_code="X", barcode="1"), 1)))


@pytest.mark.parametrize("case", CASE_NAMES)
async def test_each_filter_field_typed_and_as_a_query(api: Api, shop: Shop, case: str) -> None:
    typed, query, expected = cases(shop)[case]
    hq = api.as_hq()
    assert letters(shop, await hq.execute(LIST, filter=typed)) == expected, "typed"
    assert letters(shop, await hq.execute(LIST, q=query)) == expected, query


NESTED = [
    ({"or": [{"status": ["COMPLETED"]}, {"channel": ["APP"]}]}, "status:COMPLETED OR channel:APP", "BD"),
    # unpaid orders have no payment method: "not WeChat" includes them
    ({"not": {"paymentMethod": ["WECHAT_PAY"]}}, "-payment:WECHAT_PAY", "BCDF"),
    # the HQ warehouse's order has no store: "not SH001" includes it
    ({"not": {"storeCodes": ["SH001"]}}, "NOT store:SH001", "CDEF"),
    ({"not": {"paidAt": {"from": "2026-11-01T00:00:00Z"}}}, "-paid:>=2026-11-01", "CF"),
    (
        {"and": [{"fulfillment": ["EXPRESS"]}, {"not": {"afterSaleStatus": ["REFUNDED"]}}]},
        "fulfillment:EXPRESS -aftersale:REFUNDED",
        "E",
    ),
    (
        {
            "or": [{"storeCodes": ["SH001"]}, {"region": {"province": "浙江省"}}],
            "not": {"status": ["CANCELLED"]},
            "payableAmount": {"min": 10000},
        },
        "(store:SH001 OR province:浙江省) -status:已取消 total:>=100",
        "AD",
    ),
    (
        {
            "or": [
                {"and": [{"phone": "1111"}, {"type": ["GROUP_BUY"]}]},
                {"not": {"or": [{"text": "车厘子"}, {"text": "草莓"}]}},
            ]
        },
        "phone:1111 type:GROUP_BUY OR NOT (车厘子 OR 草莓)",
        "C",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "query", "expected"), NESTED)
async def test_and_or_not(api: Api, shop: Shop, typed: dict[str, Any], query: str, expected: str) -> None:
    hq = api.as_hq()
    assert letters(shop, await hq.execute(LIST, filter=typed)) == expected, "typed"
    assert letters(shop, await hq.execute(LIST, q=query)) == expected, query


async def test_filter_and_query_are_anded(api: Api, shop: Shop) -> None:
    r = await api.as_hq().execute(LIST, filter={"storeCodes": ["SH001"]}, q="channel:APP")
    assert letters(shop, r) == "B"


async def test_days_are_business_days_in_shanghai(api: Api, shop: Shop) -> None:
    hq = api.as_hq()
    # B at 2026-11-01T16:30Z is 00:30 on 2 November in Shanghai; C at 15:59Z is still 1 November
    assert letters(shop, await hq.execute(LIST, q="created:2026-11-01")) == "AC"
    assert letters(shop, await hq.execute(LIST, q="created:2026-11-02")) == "B"
    assert letters(shop, await hq.execute(LIST, q="created:<2026-11-02")) == "AC"
    assert letters(shop, await hq.execute(LIST, q="created:2026-11-01..2026-11-02")) == "ABC"
    # typed ranges are half-open: from is in, to is out
    r = await hq.execute(
        LIST, filter={"createdAt": {"from": "2026-11-01T16:30:00Z"}}, q="created:<2026-11-03"
    )
    assert letters(shop, r) == "B"
    assert letters(shop, await hq.execute(LIST, filter={"createdAt": {"to": "2026-11-01T16:30:00Z"}})) == "AC"
    # a datetime without an offset is business time
    assert letters(shop, await hq.execute(LIST, q="created:>=2026-11-02T00:30 created:<2026-11-03")) == "B"


async def test_bad_syntax_is_a_coded_error_with_its_column(api: Api, shop: Shop) -> None:
    r = await api.as_hq().execute(LIST, q="stauts:SHIPPED")
    assert r.data is None
    assert r.errors[0]["message"] == 'unknown field "stauts" at column 1 (did you mean "status"?)'
    assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 1}
    r = await api.as_hq().execute(LIST, q="status:SHIPPED (store:SH001")
    assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 16}
    r = await api.as_hq().execute(LIST, q='consignee:"张三')
    assert r.errors[0]["extensions"]["column"] == 11


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"phone": "12"}, "filter.phone"),
        ({"or": [{"createdAt": {}}]}, "filter.or.0.createdAt"),
        ({"payableAmount": {"min": 5, "max": 1}}, "filter.payableAmount"),
        ({"storeIds": ["not-an-id"]}, "filter.storeIds.0"),
        ({"not": {}}, "filter.not.0"),
        ({"consigneeName": "x" * 101}, "filter.consigneeName"),
    ],
)
async def test_bad_typed_values_name_their_input(
    api: Api, shop: Shop, typed: dict[str, Any], field: str
) -> None:
    r = await api.as_hq().execute(LIST, filter=typed)
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert r.errors[0]["extensions"]["field"] == field


async def test_store_of_another_id_type_is_refused(api: Api, shop: Shop) -> None:
    r = await api.as_hq().execute(LIST, filter={"storeIds": [encode_id("Order", 1)]})
    assert r.error_codes == ["BAD_USER_INPUT"]


async def test_staff_filters_stay_inside_their_stores(api: Api, shop: Shop) -> None:
    staff = api.as_staff(shop.sh.id)
    assert letters(shop, await staff.execute(LIST, q="store:HZ001")) == ""
    assert letters(shop, await staff.execute(LIST, q="张三")) == "A"
    assert letters(shop, await staff.execute(LIST, filter={"phone": "1111"})) == "A"
    assert letters(shop, await staff.execute(LIST, q="-store:SH001")) == ""


async def test_analysts_may_not_search_by_phone(api: Api, shop: Shop) -> None:
    analyst = api.as_role(Role.ANALYST)
    r = await analyst.execute(LIST, q="phone:1111")
    assert r.error_codes == ["FORBIDDEN"]
    assert r.errors[0]["extensions"]["field"] == "query"
    r = await analyst.execute(LIST, filter={"or": [{"phone": "1111"}]})
    assert r.error_codes == ["FORBIDDEN"]
    # free text still finds names and order numbers, but not phones
    assert letters(shop, await analyst.execute(LIST, q="1111")) == ""
    assert letters(shop, await analyst.execute(LIST, q="张三")) == "AF"


async def test_a_filtered_nested_page_costs_four_statements_or_three(api: Api, shop: Shop) -> None:
    page = """query($q: String, $filter: OrderFilter) {
      orders(first: 10, query: $q, filter: $filter) { totalCount edges { node {
        orderNo status store { name } customer { nickname }
        lines { quantity sku { product { name } } } parcels { trackingNo }
      } } } }"""
    q = "(product:车厘子 OR aftersale:PENDING_REVIEW) phone:1111 OR 草莓"
    where = {"not": {"storeCodes": ["SH002"]}, "payableAmount": {"max": 20000}}
    # once first: which plan a product term or bare word takes is remembered for a minute
    # (services/orders/text_search.py `sparse_terms`), so the count does not depend on test order
    await api.as_hq().execute(page, q=q, filter=where)
    with count_statements() as counter:
        r = await api.as_hq().execute(page, q=q, filter=where)
    assert r.errors == []
    assert len(r.data["orders"]["edges"]) == 4
    # the store-code check (storeCodes names a store), the page joined with its stores, customers,
    # lines, SKUs and products, totalCount, parcels; on PostgreSQL the page's statement renders
    # the relations, parcels included (gql/engine/rendered.py)
    assert counter.count == (4 if "sqlite" in api.settings.database_url else 3)
