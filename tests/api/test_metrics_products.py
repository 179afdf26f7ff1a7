"""Product, ranking and store figures of the hand-built week (see test_metrics_trade.py).

Listings: A sells 车厘子 (stock 10) and 薯片 (stock 0: on sale, sold out); B sells 车厘子 (stock 5)
and has 薯片 off the shelf. So the store products on sale are (A, 车厘子), (A, 薯片), (B, 车厘子).
"""

from __future__ import annotations

from datetime import UTC, datetime

from gql.ids import encode_id
from tests.api.conftest import Api
from tests.api.test_metrics_trade import WEEK, build_week
from tests.factories import Seed

PRODUCTS = """
query ($range: DateRange!) {
  metrics(range: $range, compare: PREVIOUS_PERIOD) {
    products {
      productPv { value previous } productUv { value } productsVisited { value }
      productsPurchased { value previous } unitsSold { value previous } salesAmount { value { cents } }
      productsOnSale { value } soldOutProducts { value } soldOutRate { value }
      productsWithSales { value previous } movementRate { value previous }
      noExposure30Days { value } exposureWithoutSale30Days { value }
    }
    productRanking(top: 5) { rank product { name } salesAmount { cents } unitsSold pv }
    byUnits: productRanking(by: PV, top: 1) { rank product { name } pv }
    categoryRanking { rank category { name } salesAmount { cents } unitsSold pv }
    leafCategories: categoryRanking(level: 2, by: UNITS) { category { name } unitsSold }
  }
}
"""


async def test_product_figures_and_rankings(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(PRODUCTS, range=WEEK)
    assert r.errors == [], r.errors
    p = r.data["metrics"]["products"]
    # Product views: v2 车厘子 at A and at B, v3 薯片 at B; none last week.
    assert (p["productPv"]["value"], p["productPv"]["previous"], p["productUv"]["value"]) == (3, 0, 2)
    assert p["productsVisited"]["value"] == 2
    # Paid lines: o1 车厘子 ×2, o2 车厘子 ×1, o4 薯片 ×1, o6 车厘子 ×1; last week o5 车厘子 ×3.
    assert (p["productsPurchased"]["value"], p["productsPurchased"]["previous"]) == (2, 1)
    assert (p["unitsSold"]["value"], p["unitsSold"]["previous"]) == (5, 3)
    assert p["salesAmount"]["value"]["cents"] == 5000
    assert (p["productsOnSale"]["value"], p["soldOutProducts"]["value"]) == (3, 1)
    assert p["soldOutRate"]["value"] == 1 / 3
    # Sold while on sale: (A, 车厘子) both weeks; o4's 薯片 sold at B, where it is off the shelf.
    assert (p["productsWithSales"]["value"], p["productsWithSales"]["previous"]) == (1, 1)
    assert p["movementRate"]["value"] == 1 / 3
    # 30 days to Nov 8: (A, 薯片) neither seen nor sold; (B, 车厘子) seen by v2, not sold there.
    assert (p["noExposure30Days"]["value"], p["exposureWithoutSale30Days"]["value"]) == (1, 1)
    m = r.data["metrics"]
    assert m["productRanking"] == [
        {"rank": 1, "product": {"name": "车厘子"}, "salesAmount": {"cents": 4000}, "unitsSold": 4, "pv": 2},
        {"rank": 2, "product": {"name": "薯片"}, "salesAmount": {"cents": 1000}, "unitsSold": 1, "pv": 1},
    ]
    assert m["byUnits"] == [{"rank": 1, "product": {"name": "车厘子"}, "pv": 2}]
    assert m["categoryRanking"] == [
        {"rank": 1, "category": {"name": "生鲜"}, "salesAmount": {"cents": 4000}, "unitsSold": 4, "pv": 2},
        {"rank": 2, "category": {"name": "零食"}, "salesAmount": {"cents": 1000}, "unitsSold": 1, "pv": 1},
    ]
    assert m["leafCategories"] == [
        {"category": {"name": "水果"}, "unitsSold": 4},
        {"category": {"name": "膨化"}, "unitsSold": 1},
    ]


STORES = """
query ($range: DateRange!, $storeIds: [ID!]) {
  metrics(range: $range, storeIds: $storeIds, compare: PREVIOUS_PERIOD) {
    stores(regionLevel: CITY) {
      byStore { rank store { code } payingCustomers paidOrders paidAmount { cents } aov { cents }
                refundAmount { cents } averageAcceptSeconds averagePickSeconds averageDeliverySeconds
                pickTimeouts rejectRate }
      byRegion { rank province city payingCustomers paidOrders paidAmount { cents } }
      fulfilment { averageAcceptSeconds { value previous } averagePickSeconds { value }
                   averageDeliverySeconds { value } pickTimeouts { value } rejectRate { value } }
    }
  }
}
"""


async def test_store_figures_ranking_and_fulfilment(api: Api, seed: Seed) -> None:
    week = await build_week(seed)
    r = await api.as_hq().execute(STORES, range=WEEK)
    assert r.errors == [], r.errors
    s = r.data["metrics"]["stores"]
    # A: o1 (26.00, c1) and o2 (11.00, c2), o5's refund; accepted o1 in 10 min, o2 in 5; o1 picked in
    # 20 min (A is large: 30 allowed) and delivered in 30; A rejected o4 → 1 / (1 + 2).
    # B: o4 (16.00, c2) accepted in 3 min, picked in 20 (over B's 15).
    assert s["byStore"] == [
        {
            "rank": 1,
            "store": {"code": "SHA"},
            "payingCustomers": 2,
            "paidOrders": 2,
            "paidAmount": {"cents": 3700},
            "aov": {"cents": 1850},
            "refundAmount": {"cents": 1000},
            "averageAcceptSeconds": 450.0,
            "averagePickSeconds": 1200.0,
            "averageDeliverySeconds": 1800.0,
            "pickTimeouts": 0,
            "rejectRate": 1 / 3,
        },
        {
            "rank": 2,
            "store": {"code": "SHB"},
            "payingCustomers": 1,
            "paidOrders": 1,
            "paidAmount": {"cents": 1600},
            "aov": {"cents": 1600},
            "refundAmount": {"cents": 0},
            "averageAcceptSeconds": 180.0,
            "averagePickSeconds": 1200.0,
            "averageDeliverySeconds": None,
            "pickTimeouts": 1,
            "rejectRate": 0.0,
        },
    ]
    # One city: c2 paid at both stores but is one paying customer of 上海市.
    assert s["byRegion"] == [
        {
            "rank": 1,
            "province": "上海市",
            "city": "上海市",
            "payingCustomers": 2,
            "paidOrders": 3,
            "paidAmount": {"cents": 5300},
        }
    ]
    f = s["fulfilment"]
    # (600 + 300 + 180) / 3; last week o5 accepted in 2 minutes.
    assert (f["averageAcceptSeconds"]["value"], f["averageAcceptSeconds"]["previous"]) == (360.0, 120.0)
    assert (f["averagePickSeconds"]["value"], f["averageDeliverySeconds"]["value"]) == (1200.0, 1800.0)
    assert (f["pickTimeouts"]["value"], f["rejectRate"]["value"]) == (1, 0.25)
    only_b = await api.as_hq().execute(STORES, range=WEEK, storeIds=[encode_id("Store", week.b.id)])
    assert [row["store"]["code"] for row in only_b.data["metrics"]["stores"]["byStore"]] == ["SHB"]


async def test_results_are_cached_per_scope(api: Api, seed: Seed) -> None:
    week = await build_week(seed)
    query = """{ metrics(range: {from: "2026-11-02", to: "2026-11-08"}) {
        tradeOverview { paidOrders { value } } } }"""
    assert (await api.as_hq().execute(query)).data["metrics"]["tradeOverview"]["paidOrders"]["value"] == 4
    # Paid the same day; written now, as the order services stamp updated_at.
    await seed.order(
        week.a, week.c1, [], created_at=week.orders["o2"].created_at, updated_at=datetime.now(UTC)
    )
    # Cached for HQ; store staff have their own scope, so their first answer is fresh.
    assert (await api.as_hq().execute(query)).data["metrics"]["tradeOverview"]["paidOrders"]["value"] == 4
    staff = await api.as_staff(week.a.id).execute(query)
    assert staff.data["metrics"]["tradeOverview"]["paidOrders"]["value"] == 3
