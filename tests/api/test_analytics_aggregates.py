"""Aggregates against a plain GROUP BY done by hand: random filters × dimensions × measures × facts.

`shop` fills the database once per dialect; hypothesis then draws a `query:` filter,
up to three dimensions, a few measures and a role, asks `orderAggregate` / `orderLineAggregate`,
and compares every group with the rows the caller's order list covers, grouped in Python with
`zoneinfo` (time buckets) — an oracle (aggregate_oracle.py) that shares nothing with the SQL of
services/analytics/.
"""

from __future__ import annotations

from base64 import b64decode
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models.enums import Role
from models.orders.rows import Order
from models.principals import Principal
from models.stores.rows import Store
from tests.api import aggregate_oracle as oracle
from tests.api.analytics_shop import shop
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

QUERIES = (
    "",
    "status:COMPLETED",
    "-status:CANCELLED",
    "channel:APP,H5",
    "fulfillment:SELF_PICKUP",
    "payment:WECHAT_PAY",
    "total:>100",
    "paid:>=2026-11-01",
    "created:2026-11-05..2026-11-15 OR total:<30",
)
ORDER_DIMENSIONS = (
    "STORE",
    "PROVINCE",
    "CITY",
    "CHANNEL",
    "PAYMENT_METHOD",
    "FULFILLMENT",
    "ORDER_TYPE",
    "STATUS",
    "CAMPAIGN",
    "MEMBER_LEVEL",
    "CUSTOMER_TYPE",
    "HOUR",
    "DAY",
    "WEEK",
    "MONTH",
    "HOUR_OF_DAY",
    "DAY_OF_WEEK",
)
LINE_DIMENSIONS = (*ORDER_DIMENSIONS, "PRODUCT", "SKU", "CATEGORY_L1", "CATEGORY_L2")
ORDER_MEASURES = (
    "COUNT",
    "DISTINCT_CUSTOMERS",
    "PAID_ORDERS",
    "PAYING_CUSTOMERS",
    "PAID_AMOUNT_SUM",
    "PAID_AMOUNT_AVG",
    "PAYABLE_AMOUNT_MIN",
    "DISCOUNT_AMOUNT_MAX",
    "ACCEPT_SECONDS_AVG",
    "COMPLETE_SECONDS_MAX",
    "REFUND_RATE",
    "ACCEPT_SECONDS_P50",
    "ACCEPT_SECONDS_P90",
    "COMPLETE_SECONDS_P95",
)
AFTER_SALE_DIMENSIONS = (*LINE_DIMENSIONS, "REASON", "AFTER_SALE_TYPE", "AFTER_SALE_STATUS", "INITIATOR")
AFTER_SALE_MEASURES = (
    "COUNT",
    "DISTINCT_AFTER_SALES",
    "DISTINCT_CUSTOMERS",
    "UNITS",
    "REFUND_AMOUNT_SUM",
    "REFUND_AMOUNT_AVG",
    "REVIEW_SECONDS_MAX",
    "REFUND_SECONDS_AVG",
    "REVIEW_SECONDS_P50",
    "REFUND_SECONDS_P95",
)
LINE_MEASURES = (
    "COUNT",
    "DISTINCT_ORDERS",
    "UNITS",
    "PAID_AMOUNT_SUM",
    "UNIT_PRICE_MAX",
    "REFUNDED_AMOUNT_AVG",
)
VISIT_DIMENSIONS = (
    *("STORE", "PROVINCE", "CITY", "PRODUCT", "CATEGORY_L1", "CATEGORY_L2", "MEMBER_LEVEL", "PAGE_TYPE"),
    *("SOURCE", "HOUR", "DAY", "WEEK", "MONTH", "HOUR_OF_DAY", "DAY_OF_WEEK"),
)
VISIT_MEASURES = (
    *("COUNT", "VISITORS", "DISTINCT_CUSTOMERS", "SESSIONS", "DWELL_MS_SUM", "DWELL_MS_AVG"),
    "DWELL_MS_P90",
)
FACTS = {  # root field, measure enum, dimensions, measures, time fields
    "orders": ("orderAggregate", "OrderMeasure", ORDER_DIMENSIONS, ORDER_MEASURES, ("CREATED_AT", "PAID_AT")),
    "lines": ("orderLineAggregate", "OrderLineMeasure", LINE_DIMENSIONS, LINE_MEASURES, ("CREATED_AT",)),
    "after_sales": (
        "afterSaleAggregate",
        "AfterSaleMeasure",
        AFTER_SALE_DIMENSIONS,
        AFTER_SALE_MEASURES,
        ("REQUESTED_AT", "REFUNDED_AT", "PAID_AT"),
    ),
    "visits": ("visitAggregate", "VisitMeasure", VISIT_DIMENSIONS, VISIT_MEASURES, ("OCCURRED_AT",)),
}

AGGREGATE = """query ($m: [%(measure)s!]!, $g: [AggregateDimension!], $q: String, $t: AggregateTimeField!,
  $r: DateRange) {
  agg: %(field)s(measures: $m, groupBy: $g, query: $q, top: 200, timeField: $t, range: $r) {
    source groupCount
    rows { keys { %(keys)s } values { measure value money { cents } } }
    totals { measure value }
  }
}"""
VISITS = """query ($m: [VisitMeasure!]!, $g: [AggregateDimension!]) {
  agg: visitAggregate(measures: $m, groupBy: $g, top: 200) {
    source groupCount
    rows { keys { %(keys)s } values { measure value } }
    totals { measure value }
  }
}"""
KEYS = "dimension value store { id } campaign { id } product { id } sku { id } category { id }"


def _viewer(api: Api, role: str, store_id: int) -> tuple[Api, Principal]:
    if role == "staff":
        return api.as_staff(store_id), Principal(Role.STORE_STAFF, "s", store_ids=frozenset({store_id}))
    if role == "hq":
        return api.as_hq(), Principal(Role.HQ_ADMIN, "h")
    return api.as_role(Role.ANALYST), Principal(Role.ANALYST, "a")


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Examples draw from one principal's bucket faster than it refills: no rate limit (the cost of
    each query is still checked against the role's budget)."""
    return {"rate_limit_enabled": False}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.data(),
    fact=st.sampled_from(sorted(FACTS)),
    query=st.sampled_from(QUERIES),
    role=st.sampled_from(("hq", "analyst", "staff")),
)
async def test_aggregates_match_a_hand_made_group_by(
    api: Api,
    db: Database,
    seed: Seed,
    data: st.DataObject,
    fact: str,
    query: str,
    role: str,
) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:  # examples share one shop
            await shop(seed)
    field, measure_enum, all_dimensions, all_measures, times = FACTS[fact]
    dimensions = data.draw(st.lists(st.sampled_from(all_dimensions), max_size=3, unique=True))
    measures = data.draw(st.lists(st.sampled_from(all_measures), min_size=1, max_size=4, unique=True))
    time_field = data.draw(st.sampled_from(times))
    async with db.sessions() as session:
        store_id = await session.scalar(select(Store.id).order_by(Store.id).limit(1))
    assert store_id is not None
    viewer, principal = _viewer(api, role, store_id)
    zone = api.settings.zone
    document = AGGREGATE % {"field": field, "measure": measure_enum, "keys": KEYS}
    variables: dict[str, Any] = {"m": measures, "g": dimensions, "q": query, "t": time_field}
    days: tuple[date, date] | None = None
    if data.draw(st.booleans()):  # local days, both included
        first = date(2026, 10, 27) + timedelta(days=data.draw(st.integers(0, 20)))
        days = (first, first + timedelta(days=data.draw(st.integers(0, 12))))
        variables["r"] = {"from": days[0].isoformat(), "to": days[1].isoformat()}
    if fact == "visits":  # no order query: a typed filter of their own
        document, variables, query = VISITS % {"keys": KEYS}, {"m": measures, "g": dimensions}, ""
    r = await viewer.execute(document, **variables)
    assert r.errors == [], r.errors
    got = r.data["agg"]
    assert got["source"] == "RAW"
    oracle.check_expansions(got["rows"])

    facts = await (
        oracle.visit_facts(db, principal)
        if fact == "visits"
        else oracle.facts(db, principal, query, fact, zone)
    )
    if days is not None and fact != "visits":
        facts = [
            r
            for r in facts
            if r[time_field.lower()] is not None
            and days[0] <= r[time_field.lower()].astimezone(zone).date() <= days[1]
        ]
    groups: dict[tuple[str | None, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in facts:
        moment = row[time_field.lower()]
        groups[tuple(oracle.key(d, row, moment, zone) for d in dimensions)].append(row)
    if not dimensions and not facts:
        groups[()] = []
    expected = {k: [oracle.measure(m, rows) for m in measures] for k, rows in groups.items()}
    answered = {
        tuple(k["value"] for k in row["keys"]): [v["value"] for v in row["values"]] for row in got["rows"]
    }
    assert got["groupCount"] == len(expected)
    assert answered.keys() == expected.keys()
    for key, values in expected.items():
        assert answered[key] == pytest.approx(values), (key, measures)
    totals = [oracle.measure(m, facts) for m in measures]
    assert [t["value"] for t in got["totals"]] == pytest.approx(totals)


PERCENTILE_HAVING = """query ($h: Float!) {
  agg: orderAggregate(
    groupBy: [STORE]
    measures: [ACCEPT_SECONDS_P90, ACCEPT_SECONDS_P50, COUNT]
    having: [{ measure: ACCEPT_SECONDS_P90, comparison: GTE, value: $h }]
    sort: [{ measure: ACCEPT_SECONDS_P90, descending: true }]
    top: 10
  ) {
    groupCount
    rows { keys { value } values { measure value } }
    totals { measure value }
  }
}"""


async def test_percentiles_filter_and_sort_groups(api: Api, db: Database, seed: Seed) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:
            await shop(seed)
    zone = api.settings.zone
    facts = await oracle.facts(db, Principal(Role.HQ_ADMIN, "h"), "", "orders", zone)
    stores: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in facts:
        stores[oracle.key("STORE", row, None, zone)].append(row)
    p90 = {k: oracle.measure("ACCEPT_SECONDS_P90", rows) for k, rows in stores.items()}
    bound = sorted(v for v in p90.values() if v is not None)[1]  # keeps all but the lowest one
    kept = sorted(  # ties in order of the store's id, no store last, as the API sorts them
        (k for k, v in p90.items() if v is not None and v >= bound),
        key=lambda k: (-(p90[k] or 0), k is None, int(b64decode(k).split(b":")[1]) if k else 0),
    )

    r = await api.as_hq().execute(PERCENTILE_HAVING, h=bound)

    assert r.errors == [], r.errors
    got = r.data["agg"]
    assert got["groupCount"] == len(kept)
    assert [row["keys"][0]["value"] for row in got["rows"]] == kept
    for row in got["rows"]:
        rows = stores[row["keys"][0]["value"]]
        expected = [oracle.measure(m, rows) for m in ("ACCEPT_SECONDS_P90", "ACCEPT_SECONDS_P50", "COUNT")]
        assert [v["value"] for v in row["values"]] == expected
    assert [t["value"] for t in got["totals"]] == [
        oracle.measure(m, facts) for m in ("ACCEPT_SECONDS_P90", "ACCEPT_SECONDS_P50", "COUNT")
    ]
