"""Status-tab counts: one GROUP BY statement, equal to the list's totalCount per tab, within scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from models.date_ranges import local_day, local_midnight
from models.orders.counts import OrderCountPart
from models.orders.day_counts import OrderDayCountPart
from models.orders.states import OrderStatus as S
from models.stores.rows import Store
from services.db import count_statements, unit_of_work
from services.orders.day_counts import rebuild_day_parts
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import T0, Seed

COUNTS = """
query($filter: OrderFilter, $q: String) {
  orderStatusCounts(filter: $filter, query: $q) {
    total
    byStatus { status label count }
    tabs { tab label statuses count }
  }
}
"""
TOTAL = "query($filter: OrderFilter) { orders(first: 1, filter: $filter) { totalCount } }"


@dataclass
class Stores:
    sh: Store
    hz: Store
    shopper_id: int


@pytest.fixture
async def stores(seed: Seed) -> Stores:
    sh, hz = await seed.store("SH001"), await seed.store("HZ001", province="浙江省", city="杭州市")
    alice, bob = await seed.customer(), await seed.customer()
    _, skus = await seed.product("车厘子")
    plan = {
        sh: [
            S.PENDING_PAYMENT,
            S.PENDING_PAYMENT,
            S.PENDING_SHIPMENT,
            S.SHIPPED,
            S.COMPLETED,
            S.CANCELLED,
            S.CLOSED,
        ],
        hz: [
            S.PENDING_PAYMENT,
            S.AWAITING_GROUP,
            S.PENDING_ALLOCATION,
            S.PENDING_PICKUP,
            S.COMPLETED,
            S.CLOSED,
        ],
    }
    minute = 0
    for store, statuses in plan.items():
        for status in statuses:
            minute += 1
            customer = alice if store is sh and minute % 2 else bob
            created = T0 + timedelta(minutes=minute)
            await seed.order(
                store, customer, [(skus[0], 1)], status=status, created_at=created, line_names=["车厘子"]
            )
    return Stores(sh, hz, alice.id)


def by_status(data: dict[str, Any]) -> dict[str, int]:
    return {row["status"]: row["count"] for row in data["byStatus"]}


async def test_tabs_equal_the_lists_total_count(api: Api, stores: Stores) -> None:
    hq = api.as_hq()
    r = await hq.execute(COUNTS)
    assert r.errors == []
    counts = r.data["orderStatusCounts"]
    assert counts["total"] == 13
    assert [row["status"] for row in counts["byStatus"]] == [s.value for s in S]  # lifecycle order, zeros too
    assert by_status(counts)["PENDING_ACCEPTANCE"] == 0
    assert [t["tab"] for t in counts["tabs"]] == [
        "ALL", "PENDING_PAYMENT", "AWAITING_GROUP", "PENDING_ACCEPTANCE", "PENDING_ALLOCATION",
        "PENDING_SHIPMENT", "PENDING_PICKUP", "SHIPPED", "COMPLETED", "CANCELLED_OR_CLOSED",
    ]  # fmt: skip
    for tab in counts["tabs"]:
        listed = await hq.execute(TOTAL, filter={"status": tab["statuses"]})
        assert listed.data["orders"]["totalCount"] == tab["count"], tab["tab"]
    for row in counts["byStatus"]:
        listed = await hq.execute(TOTAL, filter={"status": [row["status"]]})
        assert listed.data["orders"]["totalCount"] == row["count"], row["status"]
    tabs = {t["tab"]: t for t in counts["tabs"]}
    assert tabs["ALL"]["label"] == "全部"
    assert tabs["ALL"]["count"] == 13
    closed = {"tab": "CANCELLED_OR_CLOSED", "label": "已取消/已关闭", "statuses": ["CANCELLED", "CLOSED"]}
    assert tabs["CANCELLED_OR_CLOSED"] == {**closed, "count": 3}
    assert tabs["PENDING_PAYMENT"]["count"] == 3
    assert {row["status"]: row["label"] for row in counts["byStatus"]}["COMPLETED"] == "交易完成"


async def test_counts_are_one_statement(api: Api, stores: Stores) -> None:
    with count_statements() as counter:
        r = await api.as_hq().execute(COUNTS, q="(product:车厘子 OR 张三) -status:已关闭")
    assert r.errors == []
    assert counter.count == 1
    assert r.data["orderStatusCounts"]["total"] == 11


async def test_staff_count_only_their_stores(api: Api, stores: Stores) -> None:
    staff = api.as_staff(stores.sh.id)
    counts = (await staff.execute(COUNTS)).data["orderStatusCounts"]
    assert counts["total"] == 7
    assert by_status(counts)["AWAITING_GROUP"] == 0  # the other store's order is never counted
    assert by_status(counts)["PENDING_PAYMENT"] == 2
    # naming the other store does not widen the scope
    other = (await staff.execute(COUNTS, q="store:HZ001")).data["orderStatusCounts"]
    assert other["total"] == 0
    assert all(t["count"] == 0 for t in other["tabs"])
    both = (await api.as_staff(stores.sh.id, stores.hz.id).execute(COUNTS)).data["orderStatusCounts"]
    assert both["total"] == 13


async def test_counts_follow_filter_and_query(api: Api, stores: Stores) -> None:
    hq = api.as_hq()
    r = await hq.execute(COUNTS, filter={"region": {"province": "浙江省"}}, q="-status:COMPLETED")
    counts = r.data["orderStatusCounts"]
    assert counts["total"] == 5
    assert by_status(counts)["COMPLETED"] == 0
    assert by_status(counts)["AWAITING_GROUP"] == 1


async def test_shoppers_count_their_own_orders(api: Api, stores: Stores) -> None:
    counts = (await api.as_shopper(stores.shopper_id).execute(COUNTS)).data["orderStatusCounts"]
    mine = (await api.as_shopper(stores.shopper_id).execute(TOTAL)).data["orders"]["totalCount"]
    assert counts["total"] == mine
    assert 0 < mine < 13


async def test_errors_are_coded(api: Api, stores: Stores) -> None:
    assert (await api.execute(COUNTS)).error_codes == ["UNAUTHENTICATED"]
    r = await api.as_hq().execute(COUNTS, q="status:SHIPPED OR")
    assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 16}


async def test_counts_by_status_and_store_come_from_the_count_parts(
    api: Api, stores: Stores, db: Database
) -> None:
    """A filter of statuses and stores is counted from `order_count_parts`, anything else over the
    orders; both agree. (A stray part, which no write could leave, shows which path answered.)"""
    hq = api.as_hq()
    early = {"from": (T0 - timedelta(days=1)).isoformat()}
    for where in (
        {"status": ["COMPLETED"]},
        {"storeCodes": ["HZ001"]},
        {"status": ["CLOSED"], "storeIds": []},
    ):
        parts = (await hq.execute(TOTAL, filter=where)).data["orders"]["totalCount"]
        scanned = (await hq.execute(TOTAL, filter={**where, "createdAt": early})).data["orders"]["totalCount"]
        assert parts == scanned > 0, where
    async with unit_of_work(db.sessions) as s:
        s.add(OrderCountPart(store_id=stores.hz.id, status="COMPLETED", n=100))
    completed = {"status": ["COMPLETED"]}
    assert (await hq.execute(TOTAL, filter=completed)).data["orders"]["totalCount"] == 102
    scanned = await hq.execute(TOTAL, filter={**completed, "createdAt": early})
    assert scanned.data["orders"]["totalCount"] == 2
    tabs = (await hq.execute(COUNTS)).data["orderStatusCounts"]
    assert by_status(tabs)["COMPLETED"] == 102
    scanned_tabs = (await hq.execute(COUNTS, filter={"createdAt": early})).data["orderStatusCounts"]
    assert by_status(scanned_tabs)["COMPLETED"] == 2


async def test_time_range_counts_come_from_the_day_count_parts(
    api: Api, stores: Stores, db: Database
) -> None:
    """A time range with status and store terms is counted from `order_day_count_parts` once they
    are built for the configured zone: tabs and totalCount, typed filter and query string, in one
    statement. (A stray part shows which path answered.)"""
    hq = api.as_hq()
    zone = api.settings.zone
    since = local_midnight(local_day(T0, zone), zone)
    scanned = (await hq.execute(COUNTS, q="created:>=2026-11-01")).data["orderStatusCounts"]
    await rebuild_day_parts(db.sessions, zone)
    with count_statements() as counter:
        tabs = (await hq.execute(COUNTS, q="created:>=2026-11-01")).data["orderStatusCounts"]
    assert counter.count == 1
    assert tabs == scanned
    assert tabs["total"] == 13
    async with unit_of_work(db.sessions) as s:
        s.add(
            OrderDayCountPart(
                basis="created", day=local_day(T0, zone), store_id=stores.hz.id, status="COMPLETED", n=100
            )
        )
    tabs = (await hq.execute(COUNTS, q="created:>=2026-11-01 store:HZ001")).data["orderStatusCounts"]
    assert by_status(tabs)["COMPLETED"] == 101
    typed = {"createdAt": {"from": since.isoformat()}, "status": ["COMPLETED"]}
    assert (await hq.execute(TOTAL, filter=typed)).data["orders"]["totalCount"] == 102
    staff = api.as_staff(stores.sh.id)
    mine = (await staff.execute(COUNTS, q="created:>=2026-11-01")).data["orderStatusCounts"]
    assert by_status(mine)["COMPLETED"] == 1  # the stray part is another store's
    text = (await hq.execute(COUNTS, q="created:>=2026-11-01 product:车厘子")).data["orderStatusCounts"]
    assert by_status(text)["COMPLETED"] == 2  # a text term: counted over the orders
