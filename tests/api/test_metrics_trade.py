"""Trade, funnel and refund figures on a small week built by hand; every expected number is worked
out in the comments from the rows below, not by the code under test.

The week is Monday 2026-11-02 .. Sunday 2026-11-08 in Asia/Shanghai (UTC+8), i.e. UTC
2026-11-01 16:00 .. 2026-11-08 16:00; the previous period is 2026-10-26 .. 2026-11-01.
Goods: two products at 10.00 (original price 12.00). Store A (LARGE) and B charge a 1.00
packaging fee and a 5.00 delivery fee (store delivery only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models.catalog.rows import Product
from models.customers.rows import Customer
from models.enums import Fulfillment, PageType, SourceChannel, StoreSize
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.factories import Seed

MIN = timedelta(minutes=1)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Week:
    a: Store
    b: Store
    c1: Customer
    c2: Customer
    c3: Customer
    p1: Product
    p2: Product
    orders: dict[str, Order]


async def build_week(seed: Seed) -> Week:
    a = await seed.store("SHA", size=StoreSize.LARGE)
    b = await seed.store("SHB")
    top1, top2 = await seed.category("生鲜"), await seed.category("零食")
    p1, (s1,) = await seed.product("车厘子", await seed.category("水果", top1), prices=(1000,))
    p2, (s2,) = await seed.product("薯片", await seed.category("膨化", top2), prices=(1000,))
    await seed.listing(a, s1, stock=10)
    await seed.listing(a, s2, stock=0)  # on sale but sold out
    await seed.listing(b, s1, stock=5)
    await seed.listing(b, s2, stock=5, on_shelf=False)  # off the shelf: not on sale
    now = datetime.now(UTC)
    # c1 has paid long before (returning); c2 and c3 pay for the first time this week (new).
    c1 = await seed.customer(first_paid_at=utc(10, 10, 2), last_order_at=now - timedelta(days=5))
    c2 = await seed.customer(first_paid_at=utc(11, 3, 2, 1), last_order_at=now - timedelta(days=45))
    c3 = await seed.customer(
        first_paid_at=utc(11, 6, 4, 1), registered_at=utc(11, 4, 1), last_order_at=now - timedelta(days=70)
    )

    def done(
        paid: datetime, accept: int, pick: int | None = None, deliver: int | None = None
    ) -> dict[str, Any]:
        accepted = paid + accept * MIN
        shipped = None if pick is None else accepted + pick * MIN
        completed = None if shipped is None or deliver is None else shipped + deliver * MIN
        return {
            "paid_at": paid,
            "accepted_at": accepted,
            "shipped_at": shipped,
            "delivered_at": completed,  # at the door, then confirmed by the buyer at once
            "completed_at": completed,
        }

    orders = {
        # Placed 23:50 on Sunday Nov 1 in Shanghai (previous period), paid at 00:05 on Monday Nov 2
        # (this week) although both are on Nov 1 in UTC. 2 × 10.00 + 5.00 + 1.00 = 26.00.
        "o1": await seed.order(
            a,
            c1,
            [(s1, 2)],
            status=OrderStatus.COMPLETED,
            created_at=utc(11, 1, 15, 50),
            **done(utc(11, 1, 16, 5), accept=10, pick=20, deliver=30),
        ),
        # Self pickup on Tuesday: 10.00 + 1.00 = 11.00.
        "o2": await seed.order(
            a,
            c2,
            [(s1, 1)],
            status=OrderStatus.PENDING_PICKUP,
            fulfillment=Fulfillment.SELF_PICKUP,
            created_at=utc(11, 3, 2),
            **done(utc(11, 3, 2, 1), accept=5),
        ),
        # Placed by c1 on Wednesday at B, never paid, cancelled: invalid, loss 12.00 + 1.00 + 5.00.
        "o3": await seed.order(
            b,
            c1,
            [(s2, 1)],
            status=OrderStatus.CANCELLED,
            created_at=utc(11, 4, 3),
            cancelled_at=utc(11, 4, 3, 30),
        ),
        # Thursday 20:00 local at B (rejected by A first): 10.00 + 5.00 + 1.00 = 16.00, picked in
        # 20 minutes — over B's 15-minute allowance. Refunded 10.00 the following week.
        "o4": await seed.order(
            b,
            c2,
            [(s2, 1)],
            status=OrderStatus.SHIPPED,
            created_at=utc(11, 5, 12),
            **done(utc(11, 5, 12, 1), accept=3, pick=20),
        ),
        # Previous period, paid at A: 3 × 10.00 + 5.00 + 1.00 = 36.00; refunded 10.00 this week.
        "o5": await seed.order(
            a,
            c1,
            [(s1, 3)],
            status=OrderStatus.COMPLETED,
            created_at=utc(10, 28, 4),
            **done(utc(10, 28, 4, 1), accept=2, pick=10, deliver=20),
        ),
        # HQ warehouse (no store), express: 10.00, no fees.
        "o6": await seed.order(
            None,
            c3,
            [(s1, 1)],
            status=OrderStatus.SHIPPED,
            fulfillment=Fulfillment.EXPRESS,
            created_at=utc(11, 6, 4),
            **done(utc(11, 6, 4, 1), accept=30, pick=60),
        ),
    }
    await seed.refund(orders["o5"], 1000, utc(11, 3, 8))  # this week
    await seed.refund(orders["o4"], 1000, utc(11, 10, 8))  # the following week
    await seed.rejection(orders["o4"], a, utc(11, 5, 12, 2))
    # Page views. v1 came in the previous period too; v5 is 00:00 Monday Nov 9 local: next week.
    await seed.visit("v1", utc(10, 28, 3), store=a, customer=c1)
    await seed.visit("v1", utc(11, 2, 1), store=a, customer=c1)
    await seed.visit("v2", utc(11, 3, 1), store=a, product=p1, source=SourceChannel.SHARE)
    await seed.visit("v2", utc(11, 5, 11), store=b, product=p1, source=SourceChannel.SHARE)
    await seed.visit("v3", utc(11, 4, 2), store=b, product=p2, source=SourceChannel.SEARCH)
    await seed.visit("v4", utc(11, 8, 15, 59), store=b, page=PageType.CART)
    await seed.visit("v5", utc(11, 8, 16, 0), store=b)
    return Week(a, b, c1, c2, c3, p1, p2, orders)


WEEK = {"from": "2026-11-02", "to": "2026-11-08"}

TRADE = """
query ($range: DateRange!, $storeIds: [ID!], $compare: Comparison) {
  metrics(range: $range, storeIds: $storeIds, compare: $compare) {
    range { firstDay lastDay start end until previousFirstDay previousLastDay }
    tradeOverview {
      payingCustomers { value previous change }
      paidOrders { value previous }
      paidAmount { value { cents } previous { cents } change series { label value { cents } } }
      aov { value { cents } previous { cents } }
      validOrders { value previous }
      invalidOrders { value previous }
      invalidOrderLoss { value { cents } }
      turnover { value { cents } previous { cents } }
    }
    funnel {
      visitors { value previous } orderingCustomers { value } payingCustomers { value }
      visitToOrderRate { value } orderToPayRate { value } visitToPayRate { value }
    }
    refunds { refundAmount { value { cents } } refundedOrders { value } refundRate { value } }
  }
}
"""


def _cents(figure: dict[str, Any], key: str = "value") -> int | None:
    return None if figure[key] is None else int(figure[key]["cents"])


async def test_trade_funnel_and_refunds_of_a_week_with_its_previous_period(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(TRADE, range=WEEK, compare="PREVIOUS_PERIOD")
    assert r.errors == [], r.errors
    m = r.data["metrics"]
    assert m["range"]["start"].startswith("2026-11-01T16:00:00")
    assert m["range"]["end"].startswith("2026-11-08T16:00:00")
    assert (m["range"]["previousFirstDay"], m["range"]["previousLastDay"]) == ("2026-10-26", "2026-11-01")
    t = m["tradeOverview"]
    # Paid this week: o1 (c1, Monday 00:05 local), o2 (c2), o4 (c2), o6 (c3) → 3 customers, 4 orders.
    assert (t["payingCustomers"]["value"], t["payingCustomers"]["previous"]) == (3, 1)
    assert t["payingCustomers"]["change"] == 2.0
    assert (t["paidOrders"]["value"], t["paidOrders"]["previous"]) == (4, 1)
    # 26.00 + 11.00 + 16.00 + 10.00 = 63.00; previous: o5 36.00; change (63 − 36) / 36 = 0.75.
    assert (_cents(t["paidAmount"]), _cents(t["paidAmount"], "previous")) == (6300, 3600)
    assert t["paidAmount"]["change"] == 0.75
    # Per local day: o1 counts on Monday (in UTC it was paid on Sunday Nov 1, outside the week).
    series = {p["label"]: p["value"]["cents"] for p in t["paidAmount"]["series"]}
    assert series == {
        "2026-11-02": 2600,
        "2026-11-03": 1100,
        "2026-11-04": 0,
        "2026-11-05": 1600,
        "2026-11-06": 1000,
        "2026-11-07": 0,
        "2026-11-08": 0,
    }
    # AOV 63.00 / 3 = 21.00; previous 36.00 / 1.
    assert (_cents(t["aov"]), _cents(t["aov"], "previous")) == (2100, 3600)
    # Placed this week: o2, o4, o6 accepted (valid), o3 cancelled; o1 was placed last week (valid there,
    # with o5).
    assert (t["validOrders"]["value"], t["validOrders"]["previous"]) == (3, 2)
    assert (t["invalidOrders"]["value"], t["invalidOrders"]["previous"]) == (1, 0)
    assert _cents(t["invalidOrderLoss"]) == 1200 + 100 + 500
    # Turnover: o2 12.00 + 1.00; o4 12.00 + 1.00 + 5.00; o6 12.00 → 43.00.
    # Previous: o1 24.00 + 1.00 + 5.00, o5 36.00 + 1.00 + 5.00 → 72.00.
    assert (_cents(t["turnover"]), _cents(t["turnover"], "previous")) == (4300, 7200)
    f = m["funnel"]
    # Visitors v1..v4 (v5 is next Monday); previous: v1. Ordering: c1 (o3), c2, c3.
    assert (f["visitors"]["value"], f["visitors"]["previous"]) == (4, 1)
    assert (f["orderingCustomers"]["value"], f["payingCustomers"]["value"]) == (3, 3)
    assert (f["visitToOrderRate"]["value"], f["orderToPayRate"]["value"]) == (0.75, 1.0)
    assert f["visitToPayRate"]["value"] == 0.75
    # o5's refund of 10.00 falls in this week; o4's falls in the next. Rate: 1 refunded / 4 paid.
    refunds = m["refunds"]
    assert (_cents(refunds["refundAmount"]), refunds["refundedOrders"]["value"]) == (1000, 1)
    assert refunds["refundRate"]["value"] == 0.25


async def test_a_refund_counts_in_the_period_it_happens(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(TRADE, range={"from": "2026-11-09", "to": "2026-11-15"})
    refunds = r.data["metrics"]["refunds"]
    # o4's refund; nothing was paid that week, so the rate is undefined.
    assert (_cents(refunds["refundAmount"]), refunds["refundedOrders"]["value"]) == (1000, 1)
    assert refunds["refundRate"]["value"] is None
    assert r.data["metrics"]["tradeOverview"]["payingCustomers"]["previous"] is None


async def test_store_staff_see_only_their_store(api: Api, seed: Seed) -> None:
    week = await build_week(seed)
    r = await api.as_staff(week.a.id).execute(TRADE, range=WEEK)
    t = r.data["metrics"]["tradeOverview"]
    # Store A: o1 and o2 (c1, c2) → 37.00; o4 moved to B, o6 has no store.
    assert (t["payingCustomers"]["value"], t["paidOrders"]["value"], _cents(t["paidAmount"])) == (2, 2, 3700)
    assert _cents(r.data["metrics"]["refunds"]["refundAmount"]) == 1000
    assert r.data["metrics"]["funnel"]["visitors"]["value"] == 2  # v1, v2 at A
    from gql.ids import encode_id

    forbidden = await api.as_staff(week.a.id).execute(
        TRADE, range=WEEK, storeIds=[encode_id("Store", week.b.id)]
    )
    assert forbidden.error_codes == ["FORBIDDEN"]
    hq = await api.as_hq().execute(TRADE, range=WEEK, storeIds=[encode_id("Store", week.b.id)])
    # B: o4 only; HQ warehouse orders belong to no store.
    assert hq.data["metrics"]["tradeOverview"]["paidOrders"]["value"] == 1


async def test_who_may_ask(api: Api, seed: Seed) -> None:
    await build_week(seed)
    assert (await api.execute(TRADE, range=WEEK)).error_codes == ["UNAUTHENTICATED"]
    c = await seed.customer()
    assert (await api.as_shopper(c.id).execute(TRADE, range=WEEK)).error_codes == ["FORBIDDEN"]
    from models.enums import Role

    analyst = await api.as_role(Role.ANALYST).execute(TRADE, range=WEEK)
    assert analyst.data["metrics"]["tradeOverview"]["paidOrders"]["value"] == 4


async def test_bad_ranges_are_coded_errors(api: Api) -> None:
    hq = api.as_hq()
    for bad in ({"from": "2026-11-08", "to": "2026-11-02"}, {"preset": "TODAY", "from": "2026-11-02"}, {}):
        r = await hq.execute(TRADE, range=bad)
        assert r.error_codes == ["BAD_USER_INPUT"], bad
    r = await hq.execute(
        '{ metrics(range: {from: "2025-01-01", to: "2025-12-31"}) '
        "{ tradeOverview { paidOrders { series(granularity: HOUR) { value } } } } }"
    )
    assert r.error_codes == ["BAD_USER_INPUT"]
