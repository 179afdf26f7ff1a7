"""Customers (客户管理): filters, masked phones, trading summary, lifecycle, orders, scope, no N+1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.base import utcnow
from models.enums import MemberLevel, Role
from models.orders.states import OrderStatus
from services.db import count_statements
from tests.api.back_office import gid
from tests.api.conftest import Api
from tests.factories import T0, Seed

LIST = """query($f: CustomerFilter) { customers(first: 20, filter: $f) { totalCount edges { node {
  nickname phone memberLevel points isNew lifecycleSegment } } } }"""
DETAIL = """query($id: ID!) { customer(id: $id) { nickname memberLevel points lifecycleSegment
  tradingSummary { orderCount paidOrderCount spent { cents } refunded { cents } refundedOrderCount
                   averageOrderValue { cents } lastOrderAt }
  orders(first: 10) { totalCount edges { node { orderNo store { code } } } } } }"""


async def _world(seed: Seed) -> dict[str, Any]:
    now = utcnow()
    sh, bj = await seed.store("SH001"), await seed.store("BJ001")
    _, [sku] = await seed.product(prices=(1000,))
    zhang = await seed.customer(
        "13811112222",
        nickname="张三",
        member_level=MemberLevel.GOLD,
        points=320,
        registered_at=T0 - timedelta(days=100),
        first_paid_at=T0,
        last_order_at=now - timedelta(days=3),
    )
    li = await seed.customer(
        "13933334444",
        nickname="李四",
        registered_at=T0 - timedelta(days=10),
        first_paid_at=T0,
        last_order_at=now - timedelta(days=45),
    )
    wang = await seed.customer("13755556666", nickname="王五", registered_at=T0 - timedelta(days=5))
    zhao = await seed.customer(
        "13677778888",
        nickname="赵六",
        registered_at=T0 - timedelta(days=400),
        last_order_at=now - timedelta(days=120),
    )
    # 张三: two paid orders at SH001 (one partly refunded) and one unpaid at BJ001; 李四: one at BJ001
    o1 = await seed.order(sh, zhang, [(sku, 3)], status=OrderStatus.COMPLETED, payable=3000)
    await seed.order(sh, zhang, [(sku, 1)], status=OrderStatus.COMPLETED, payable=1001, refunded_amount=500)
    await seed.order(
        bj, zhang, [(sku, 2)], status=OrderStatus.PENDING_PAYMENT, created_at=T0 + timedelta(days=1)
    )
    await seed.order(bj, li, [(sku, 9)], status=OrderStatus.COMPLETED, payable=9000)
    return {"sh": sh, "bj": bj, "zhang": zhang, "li": li, "wang": wang, "zhao": zhao, "o1": o1}


async def test_filters_and_lifecycle(api: Api, seed: Seed) -> None:
    w = await _world(seed)
    hq = api.as_hq()

    async def names(**f: Any) -> list[str]:
        r = await hq.execute(LIST, f=f)
        assert r.errors == [], r.errors
        return [e["node"]["nickname"] for e in r.data["customers"]["edges"]]

    assert await names() == ["王五", "李四", "张三", "赵六"]  # newest registration first
    assert await names(memberLevel=["GOLD"]) == ["张三"]
    assert await names(isNew=True) == ["王五", "赵六"]
    assert await names(registeredAt={"from": (T0 - timedelta(days=50)).isoformat()}) == ["王五", "李四"]
    assert await names(spent={"min": 4000}) == ["李四", "张三"]  # 9000; 3000 + 1001 (refunds shown apart)
    assert await names(spent={"min": 4000, "max": 5000}) == ["张三"]
    assert await names(phone="2222") == ["张三"]
    assert await names(phone="13933334444") == ["李四"]
    assert await names(lifecycleSegment="ACTIVE") == ["张三"]
    assert await names(lifecycleSegment="SILENT") == ["李四"]
    assert await names(lifecycleSegment="CHURNED") == ["赵六"]
    assert await names(lifecycleSegment="NO_ORDERS") == ["王五"]
    assert await names(lastOrderAt={"from": (utcnow() - timedelta(days=60)).isoformat()}) == ["李四", "张三"]
    assert await names(nickname="五") == ["王五"]
    r = await hq.execute(LIST, f={"phone": "12"})
    assert r.error_codes == ["BAD_USER_INPUT"]
    r = await hq.execute(LIST)
    segments = {e["node"]["nickname"]: e["node"]["lifecycleSegment"] for e in r.data["customers"]["edges"]}
    assert segments == {"张三": "ACTIVE", "李四": "SILENT", "王五": "NO_ORDERS", "赵六": "CHURNED"}
    assert w["zhang"].id != w["li"].id


async def test_phones_are_masked_for_analysts_who_may_not_search_them(api: Api, seed: Seed) -> None:
    await _world(seed)
    analyst = api.as_role(Role.ANALYST)
    r = await analyst.execute(LIST, f={"memberLevel": ["GOLD"]})
    assert r.data["customers"]["edges"][0]["node"]["phone"] == "138****2222"
    r = await analyst.execute(LIST, f={"phone": "2222"})
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.as_hq().execute(LIST, f={"memberLevel": ["GOLD"]})
    assert r.data["customers"]["edges"][0]["node"]["phone"] == "13811112222"


async def test_detail_trading_summary_and_orders_within_the_viewers_scope(api: Api, seed: Seed) -> None:
    w = await _world(seed)
    customer_id = gid("Customer", w["zhang"].id)
    r = await api.as_hq().execute(DETAIL, id=customer_id)
    assert r.errors == []
    c = r.data["customer"]
    assert (c["memberLevel"], c["points"], c["lifecycleSegment"]) == ("GOLD", 320, "ACTIVE")
    summary = c["tradingSummary"]
    assert {k: v for k, v in summary.items() if k != "lastOrderAt"} == {
        "orderCount": 3,
        "paidOrderCount": 2,
        "spent": {"cents": 4001},
        "refunded": {"cents": 500},
        "refundedOrderCount": 1,
        "averageOrderValue": {"cents": 2001},  # 4001 / 2 = 2000.5, rounded half up
    }
    assert summary["lastOrderAt"].startswith((T0 + timedelta(days=1)).date().isoformat())
    assert c["orders"]["totalCount"] == 3
    assert c["orders"]["edges"][0]["node"]["store"]["code"] == "BJ001"  # newest first
    # SH001's staff see the customer through their store, and only their store's trading
    r = await api.as_staff(w["sh"].id).execute(DETAIL, id=customer_id)
    c = r.data["customer"]
    assert (c["tradingSummary"]["orderCount"], c["orders"]["totalCount"]) == (2, 2)
    assert {e["node"]["store"]["code"] for e in c["orders"]["edges"]} == {"SH001"}
    r = await api.as_staff(w["sh"].id).execute(DETAIL, id=gid("Customer", w["li"].id))
    assert r.data == {"customer": None}
    r = await api.as_staff(w["sh"].id).execute(LIST)
    assert [e["node"]["nickname"] for e in r.data["customers"]["edges"]] == ["张三"]


async def test_the_customer_list_with_summaries_has_no_n_plus_1(api: Api, seed: Seed) -> None:
    store = await seed.store("SH001")
    _, [sku] = await seed.product(prices=(1000,))
    q = """{ customers(first: 50) { totalCount edges { node { nickname lifecycleSegment
      tradingSummary { orderCount spent { cents } averageOrderValue { cents } } } } } }"""
    counts = []
    for batch in (5, 30):
        for i in range(batch):
            customer = await seed.customer(registered_at=T0 - timedelta(days=i))
            await seed.order(store, customer, [(sku, 1)], status=OrderStatus.COMPLETED)
        with count_statements() as counter:
            r = await api.as_hq().execute(q)
        assert r.errors == []
        counts.append(counter.count)
    assert counts == [3, 3]  # page, totalCount, trading summaries of the whole page
