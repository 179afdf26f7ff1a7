"""The typed `OrderFilter` and the equivalent query string of the order search language build equal
ASTs (typed errors name the input path), and the order tabs cover every status once. The language
itself, case by case, is in test_order_query_language.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import strawberry

import gql.schema  # noqa: F401  (the schema package first: the resolvers are imported through it)
from gql.ids import encode_id
from gql.resolvers.order_search import filter_node
from gql.schema.order_search import CentsRange, DateTimeRange, OrderFilter, RegionFilter
from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod
from models.errors import DomainError, ErrorCode
from models.orders import filters as f
from models.orders.query_language import format_query, parse_query
from models.orders.states import OrderStatus as S
from models.orders.tabs import ORDER_TABS, STATUS_LIFECYCLE, OrderTab, tab_counts

ZONE = ZoneInfo("Asia/Shanghai")


def parse(text: str) -> f.Node | None:
    return parse_query(text, ZONE)


def day(y: int, m: int, d: int) -> datetime:
    """Midnight of a business day, in UTC."""
    return datetime(y, m, d, tzinfo=ZONE).astimezone(UTC)


def canonical(node: f.Node | None) -> Any:
    """Order-insensitive form: AND and OR are commutative, the front ends list terms differently."""
    if isinstance(node, f.AllOf | f.AnyOf):
        return (type(node).__name__, frozenset(canonical(c) for c in node.children))
    if isinstance(node, f.Not):
        return ("Not", canonical(node.child))
    return node


EQUIVALENT = [
    (
        OrderFilter(
            status=[S.PENDING_SHIPMENT, S.PENDING_PICKUP],
            store_codes=["SH001"],
            paid_at=DateTimeRange(from_=day(2026, 11, 1)),
            payable_amount=CentsRange(min=10001),
            text="张三",
            not_=OrderFilter(channel=[OrderChannel.APP]),
        ),
        'status:PENDING_SHIPMENT,PENDING_PICKUP store:SH001 paid:>=2026-11-01 total:>100 "张三" -channel:APP',
    ),
    (
        OrderFilter(
            or_=[
                OrderFilter(phone="1234"),
                OrderFilter(consignee_name="李四", region=RegionFilter(city="杭州市")),
            ],
            created_at=DateTimeRange(from_=day(2026, 11, 1), to=day(2026, 11, 8)),
        ),
        "(phone:1234 OR consignee:李四 city:杭州市) created:2026-11-01..2026-11-07",
    ),
    (
        OrderFilter(
            order_no_prefix="2026112",
            campaign_ids=[strawberry.ID(encode_id("Campaign", 3))],
            store_ids=[strawberry.ID(encode_id("Store", 4))],
            after_sale_status=[AfterSaleStatus.REFUNDED],
            and_=[OrderFilter(product="车厘子"), OrderFilter(sku="SKU1", type=[OrderType.GROUP_BUY])],
        ),
        "no:2026112* campaign:3 storeid:4 aftersale:REFUNDED product:车厘子 sku:SKU1 type:GROUP_BUY",
    ),
    (
        OrderFilter(
            not_=OrderFilter(or_=[OrderFilter(status=[S.CANCELLED]), OrderFilter(status=[S.CLOSED])]),
            payment_method=[PaymentMethod.ALIPAY],
            fulfillment=[Fulfillment.EXPRESS],
            region=RegionFilter(province="浙江省", district="西湖区"),
            order_no="2026110100000001",
        ),
        "NOT (status:CANCELLED OR status:CLOSED) payment:ALIPAY fulfillment:EXPRESS province:浙江省 "
        "district:西湖区 no:2026110100000001",
    ),
    (
        OrderFilter(
            store_name="静安",
            buyer_phone="1234",
            payment_serial_no="4200001234",
            hq_warehouse=False,
            watched=True,
            or_=[OrderFilter(has_campaign=True), OrderFilter(hq_warehouse=True, has_campaign=False)],
        ),
        "storename:静安 buyerphone:1234 serial:4200001234 warehouse:store watched:true "
        "(campaign:any OR warehouse:hq campaign:none)",
    ),
]


@pytest.mark.parametrize(("typed", "query"), EQUIVALENT)
def test_typed_filter_and_query_string_build_the_same_ast(typed: OrderFilter, query: str) -> None:
    from_typed = filter_node(typed, ZONE)
    assert from_typed is not None
    assert canonical(from_typed) == canonical(parse(query))
    assert parse(format_query(from_typed)) == from_typed


def test_typed_filter_errors_name_the_input_path() -> None:
    with pytest.raises(DomainError) as info:
        filter_node(OrderFilter(or_=[OrderFilter(phone="12")]), ZONE)
    assert (info.value.code, info.value.field) == (ErrorCode.BAD_USER_INPUT, "filter.or.0.phone")
    with pytest.raises(DomainError) as info:
        filter_node(OrderFilter(not_=OrderFilter(status=[])), ZONE)
    assert info.value.field == "filter.not.0"
    with pytest.raises(DomainError) as info:
        filter_node(OrderFilter(created_at=DateTimeRange(from_=day(2026, 11, 2), to=day(2026, 11, 1))), ZONE)
    assert info.value.field == "filter.createdAt"
    with pytest.raises(DomainError) as info:
        filter_node(OrderFilter(campaign_ids=[strawberry.ID(encode_id("Store", 1))]), ZONE)
    assert info.value.field == "filter.campaignIds.0"
    deep = OrderFilter(status=[S.SHIPPED])
    for _ in range(9):
        deep = OrderFilter(not_=deep)
    with pytest.raises(DomainError) as info:
        filter_node(deep, ZONE)
    assert info.value.code is ErrorCode.BAD_USER_INPUT


def test_empty_typed_values_count_as_not_given() -> None:
    assert filter_node(OrderFilter(), ZONE) is None
    assert filter_node(OrderFilter(status=[], consignee_name="  ", region=RegionFilter()), ZONE) is None


# ---- tabs ------------------------------------------------------------------------------------------


def test_every_status_is_in_exactly_one_tab_besides_all() -> None:
    tabs = [t for t in ORDER_TABS if t.tab is not OrderTab.ALL]
    assert sorted(s for t in tabs for s in t.statuses) == sorted(S)
    assert ORDER_TABS[0].statuses == STATUS_LIFECYCLE
    labels = "全部 待付款 待成团 待接单 待分配 待发货 待提货 已发货 交易完成 已取消/已关闭"
    assert [t.label for t in ORDER_TABS] == labels.split()


def test_tab_counts_add_up_statuses() -> None:
    counts = dict(tab_counts({S.PENDING_PAYMENT: 2, S.CANCELLED: 3, S.CLOSED: 1}))
    by_tab = {tab.tab: n for tab, n in counts.items()}
    assert by_tab[OrderTab.ALL] == 6
    assert by_tab[OrderTab.CANCELLED_OR_CLOSED] == 4
    assert by_tab[OrderTab.SHIPPED] == 0
