"""Aggregates the metrics rollups can answer give exactly the raw rows' answer.

hypothesis draws a covered question — orders by PAID_AT or CREATED_AT over a date range, grouped by
the store and time buckets, measuring order counts and the paid amount; or by PAID_AT grouped by
the store, the channel and day buckets, measuring paid orders, the paid amount and paying
customers (the channel days) — and asks it
twice over GraphQL: as is (answered from the rollups, `source: ROLLUP`) and with the query string
`total:>=0`, which every order matches but which no rollup can apply (`source: RAW`). Rows, totals
and group counts must be equal, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models.enums import Role
from models.orders.rows import Order
from tests.api.analytics_shop import shop
from tests.api.conftest import Api, Response
from tests.conftest import Database
from tests.factories import Seed

ORDERS = """query ($m: [OrderMeasure!]!, $g: [AggregateDimension!], $t: AggregateTimeField!,
  $r: DateRange!, $q: String, $s: [OrderAggregateSort!], $h: [OrderAggregateHaving!], $top: Int) {
  agg: orderAggregate(measures: $m, groupBy: $g, timeField: $t, range: $r, query: $q, top: $top,
    sort: $s, having: $h) {
    source groupCount
    rows { keys { dimension value } values { measure value } }
    totals { measure value }
  }
}"""
SUMS = {"PAID_AT": ("COUNT", "PAID_ORDERS", "PAID_AMOUNT_SUM"), "CREATED_AT": ("COUNT",)}
DIMENSIONS = ("STORE", "DAY", "WEEK", "MONTH", "DAY_OF_WEEK", "HOUR", "HOUR_OF_DAY")
CHANNEL_MEASURES = ("COUNT", "PAID_ORDERS", "PAID_AMOUNT_SUM", "PAYING_CUSTOMERS")
CHANNEL_DIMENSIONS = ("STORE", "CHANNEL", "DAY", "WEEK", "MONTH", "DAY_OF_WEEK")
FIRST_DAY = date(2026, 10, 26)


async def _ask(viewer: Api, **variables: Any) -> Response:
    r = await viewer.execute(ORDERS, **variables)
    assert r.errors == [], r.errors
    return r


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Examples draw from one principal's bucket faster than it refills: no rate limit (the cost of
    each query is still checked against the role's budget)."""
    return {"rate_limit_enabled": False}


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), time_field=st.sampled_from(sorted(SUMS)), role=st.sampled_from(("hq", "analyst")))
async def test_rollup_answers_equal_raw_answers(
    api: Api, db: Database, seed: Seed, data: st.DataObject, time_field: str, role: str
) -> None:
    measures = data.draw(st.lists(st.sampled_from(SUMS[time_field]), min_size=1, max_size=3, unique=True))
    dimensions = data.draw(st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True))
    await _compare(api, db, seed, data, time_field, role, measures, dimensions)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), role=st.sampled_from(("hq", "analyst")))
async def test_channel_day_answers_equal_raw_answers(
    api: Api, db: Database, seed: Seed, data: st.DataObject, role: str
) -> None:
    measures = data.draw(st.lists(st.sampled_from(CHANNEL_MEASURES), min_size=1, max_size=3, unique=True))
    dimensions = data.draw(st.lists(st.sampled_from(CHANNEL_DIMENSIONS), max_size=3, unique=True))
    if "CHANNEL" not in dimensions and "PAYING_CUSTOMERS" not in measures:
        measures.append("PAYING_CUSTOMERS")
    await _compare(api, db, seed, data, "PAID_AT", role, measures, dimensions)


async def _compare(
    api: Api,
    db: Database,
    seed: Seed,
    data: st.DataObject,
    time_field: str,
    role: str,
    measures: list[str],
    dimensions: list[str],
) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:  # examples share one shop
            await shop(seed)
    first = FIRST_DAY + timedelta(days=data.draw(st.integers(0, 20)))
    last = first + timedelta(days=data.draw(st.integers(0, 25)))
    variables: dict[str, Any] = {
        "m": measures,
        "g": dimensions,
        "t": time_field,
        "r": {"from": first.isoformat(), "to": last.isoformat()},
        "top": 1000,
    }
    sort: bool = data.draw(st.booleans())
    if sort:
        descending: bool = data.draw(st.booleans())
        variables["s"] = [{"measure": measures[-1], "descending": descending}]
    having: bool = data.draw(st.booleans())
    if dimensions and having:
        bound = data.draw(st.integers(0, 3))
        variables["h"] = [{"measure": measures[0], "comparison": "GTE", "value": bound}]
    viewer = api.as_hq() if role == "hq" else api.as_role(Role.ANALYST)

    rollup = (await _ask(viewer, **variables)).data["agg"]
    raw = (await _ask(viewer, **variables, q="total:>=0")).data["agg"]

    assert (rollup["source"], raw["source"]) == ("ROLLUP", "RAW")
    assert rollup["groupCount"] == raw["groupCount"]
    assert rollup["rows"] == raw["rows"]
    assert rollup["totals"] == raw["totals"]


async def test_uncovered_questions_and_staff_read_raw_rows(api: Api, db: Database, seed: Seed) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:
            await shop(seed)
    async with db.sessions() as session:
        store_id = await session.scalar(select(Order.store_id).where(Order.store_id.is_not(None)).limit(1))
    assert store_id is not None
    days = {"from": "2026-10-26", "to": "2026-11-25"}
    cases = [
        (api.as_hq(), {"m": ["COUNT"], "g": ["PAYMENT_METHOD"], "t": "PAID_AT", "r": days}),  # a dimension
        (api.as_hq(), {"m": ["COUNT"], "g": ["CHANNEL", "HOUR"], "t": "PAID_AT", "r": days}),  # hours
        (api.as_hq(), {"m": ["PAID_AMOUNT_AVG"], "g": ["DAY"], "t": "PAID_AT", "r": days}),  # a measure
        (api.as_hq(), {"m": ["PAID_ORDERS"], "g": [], "t": "CREATED_AT", "r": days}),  # a moment
        (api.as_hq(), {"m": ["PAYING_CUSTOMERS"], "g": ["DAY"], "t": "CREATED_AT", "r": days}),
        (api.as_staff(store_id), {"m": ["COUNT"], "g": ["DAY"], "t": "PAID_AT", "r": days}),  # a scope
    ]
    for viewer, variables in cases:
        r = await _ask(viewer, top=1000, **variables)
        assert r.data["agg"]["source"] == "RAW", variables
