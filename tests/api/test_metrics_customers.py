"""Customer, traffic and source figures of the hand-built week (see test_metrics_trade.py)."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_metrics_trade import WEEK, build_week
from tests.factories import Seed

CUSTOMERS = """
query ($range: DateRange!) {
  metrics(range: $range, compare: PREVIOUS_PERIOD) {
    customers {
      visitors { value } newCustomers { value previous } payingCustomers { value }
      paidOrders { value } aov { value { cents } } visitToPayRate { value } repurchaseRate { value }
      newPayers { customers { value previous } share { value } paidOrders { value }
                  paidAmount { value { cents } } aov { value { cents } } visitToPayRate { value } }
      returningPayers { customers { value previous } share { value } paidOrders { value }
                        paidAmount { value { cents } } aov { value { cents } } }
      active { value } silent { value } lost { value }
    }
    traffic {
      pv { value previous series { label value } } uv { value } newVisitors { value previous }
      averageDwellSeconds { value } pvPerVisitor { value } payingCustomers { value }
      visitToPayRate { value }
    }
    sources { rank source visitors pv visitorShare pvShare }
  }
}
"""


async def test_customer_figures(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(CUSTOMERS, range=WEEK)
    assert r.errors == [], r.errors
    c = r.data["metrics"]["customers"]
    # c3 registered on Wednesday Nov 4; c1 and c2 a month before the fixtures' T0.
    assert (c["visitors"]["value"], c["newCustomers"]["value"], c["newCustomers"]["previous"]) == (4, 1, 0)
    assert (c["payingCustomers"]["value"], c["paidOrders"]["value"]) == (3, 4)
    assert c["aov"]["value"]["cents"] == 2100
    assert c["visitToPayRate"]["value"] == 0.75
    # Ordering this week: c1 (o3), c2, c3; only c1 had paid before → 1/3.
    assert c["repurchaseRate"]["value"] == 1 / 3
    new, old = c["newPayers"], c["returningPayers"]
    # New: c2 (o2 11.00, o4 16.00) and c3 (o6 10.00); returning: c1 (o1 26.00). Last week c1 was
    # returning too (paid in October), so previous new payers are 0.
    assert (new["customers"]["value"], new["customers"]["previous"]) == (2, 0)
    assert (old["customers"]["value"], old["customers"]["previous"]) == (1, 1)
    assert (new["share"]["value"], old["share"]["value"]) == (2 / 3, 1 / 3)
    assert (new["paidOrders"]["value"], old["paidOrders"]["value"]) == (3, 1)
    assert (new["paidAmount"]["value"]["cents"], old["paidAmount"]["value"]["cents"]) == (3700, 2600)
    assert (new["aov"]["value"]["cents"], old["aov"]["value"]["cents"]) == (1850, 2600)
    assert new["visitToPayRate"]["value"] == 0.5  # 2 new payers / 4 visitors
    # last_order_at: c1 5 days ago, c2 45, c3 70.
    assert (c["active"]["value"], c["silent"]["value"], c["lost"]["value"]) == (1, 1, 1)


async def test_traffic_and_sources(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(CUSTOMERS, range=WEEK)
    t = r.data["metrics"]["traffic"]
    # v1 ×1, v2 ×2, v3 ×1, v4 ×1 (23:59 Sunday local) = 5 views; last week v1 once.
    assert (t["pv"]["value"], t["pv"]["previous"], t["uv"]["value"]) == (5, 1, 4)
    assert [p["value"] for p in t["pv"]["series"]] == [1, 1, 1, 1, 0, 0, 1]
    # v1 first came last week; v2, v3, v4 are new. Last week v1 was new.
    assert (t["newVisitors"]["value"], t["newVisitors"]["previous"]) == (3, 1)
    assert t["averageDwellSeconds"]["value"] == 10.0
    assert t["pvPerVisitor"]["value"] == 1.25
    assert (t["payingCustomers"]["value"], t["visitToPayRate"]["value"]) == (3, 0.75)
    # DIRECT: v1, v4 (2 views); SHARE: v2 (2 views); SEARCH: v3 (1 view).
    assert r.data["metrics"]["sources"] == [
        {"rank": 1, "source": "DIRECT", "visitors": 2, "pv": 2, "visitorShare": 0.5, "pvShare": 0.4},
        {"rank": 2, "source": "SHARE", "visitors": 1, "pv": 2, "visitorShare": 0.25, "pvShare": 0.4},
        {"rank": 3, "source": "SEARCH", "visitors": 1, "pv": 1, "visitorShare": 0.25, "pvShare": 0.2},
    ]


async def test_hourly_series_is_in_local_hours(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(
        """{ metrics(range: {from: "2026-11-02", to: "2026-11-02"}) {
              tradeOverview { paidAmount { series(granularity: HOUR) { label value { cents } } } }
              traffic { uv { series(granularity: HOUR) { label value } } } } }"""
    )
    assert r.errors == [], r.errors
    paid = r.data["metrics"]["tradeOverview"]["paidAmount"]["series"]
    assert len(paid) == 24
    # o1 was paid at 00:05 local; v1 came at 09:00 local (01:00 UTC).
    assert [(p["label"], p["value"]["cents"]) for p in paid if p["value"]["cents"]] == [
        ("2026-11-02 00:00", 2600)
    ]
    uv = r.data["metrics"]["traffic"]["uv"]["series"]
    assert [(p["label"], p["value"]) for p in uv if p["value"]] == [("2026-11-02 09:00", 1)]


async def test_weekly_and_monthly_series(api: Api, seed: Seed) -> None:
    await build_week(seed)
    r = await api.as_hq().execute(
        """{ metrics(range: {from: "2026-10-20", to: "2026-11-10"}) { tradeOverview {
              paidOrders { w: series(granularity: WEEK) { label value }
                           m: series(granularity: MONTH) { label value } }
              payingCustomers { series(granularity: WEEK) { label value } } } } }"""
    )
    assert r.errors == [], r.errors
    paid = r.data["metrics"]["tradeOverview"]["paidOrders"]
    # Weeks start on Monday; the first one is cut to the range (Tuesday Oct 20).
    assert paid["w"] == [
        {"label": "2026-10-20", "value": 0},
        {"label": "2026-10-26", "value": 1},
        {"label": "2026-11-02", "value": 4},
        {"label": "2026-11-09", "value": 0},
    ]
    assert paid["m"] == [{"label": "2026-10", "value": 1}, {"label": "2026-11", "value": 4}]
    paying = r.data["metrics"]["tradeOverview"]["payingCustomers"]["series"]
    assert [p["value"] for p in paying] == [0, 1, 3, 0]
