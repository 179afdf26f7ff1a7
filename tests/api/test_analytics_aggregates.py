"""Aggregates against a plain GROUP BY done by hand: random filters × dimensions × measures × facts.

`shop` fills the database once per dialect; hypothesis then draws a `query:` filter,
up to three dimensions, a few measures and a role, asks `orderAggregate` / `orderLineAggregate`,
and compares every group with the rows the caller's order list covers, grouped in Python with
`zoneinfo` (time buckets) — an oracle that shares nothing with the SQL of services/analytics/.
"""

from __future__ import annotations

import asyncio
import math
from base64 import b64decode
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gql.ids import encode_id
from models.after_sales.rows import AfterSale, AfterSaleLine
from models.catalog.rows import Category, Product
from models.customers.rows import Customer
from models.enums import Role
from models.orders.query_language import parse_query
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from models.stores.rows import Store
from models.visits import VisitEvent
from services.orders.search import OrderCriteria, order_condition
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
PERCENTILES = {"P50": 0.5, "P90": 0.9, "P95": 0.95}
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
"""Every expansion of a key: each must be null but the key's own entity's, whose id is its value."""
EXPANSIONS = {
    "STORE": "store",
    "CAMPAIGN": "campaign",
    "PRODUCT": "product",
    "SKU": "sku",
    "CATEGORY_L1": "category",
    "CATEGORY_L2": "category",
}


def _check_expansions(rows: list[dict[str, Any]]) -> None:
    """Keys expand their own entity (loaded once per type for the whole answer) and nothing else."""
    for row in rows:
        for key in row["keys"]:
            own = EXPANSIONS.get(key["dimension"]) if key["value"] is not None else None
            for name in ("store", "campaign", "product", "sku", "category"):
                assert key[name] == ({"id": key["value"]} if name == own else None), key


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return int(later.timestamp()) - int(earlier.timestamp())


def _time_key(dimension: str, moment: datetime | None, zone: Any) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone)
    return {
        "HOUR": lambda: local.strftime("%Y-%m-%dT%H"),
        "DAY": lambda: local.date().isoformat(),
        "WEEK": lambda: (local.date() - timedelta(days=local.weekday())).isoformat(),
        "MONTH": lambda: local.strftime("%Y-%m"),
        "HOUR_OF_DAY": lambda: str(local.hour),
        "DAY_OF_WEEK": lambda: str(local.isoweekday()),
    }[dimension]()


def _key(dimension: str, row: dict[str, Any], moment: datetime | None, zone: Any) -> str | None:
    entity = {"STORE": ("Store", "store_id"), "CAMPAIGN": ("Campaign", "campaign_id")}
    entity |= {"PRODUCT": ("Product", "product_id"), "SKU": ("Sku", "sku_id")}
    if dimension in entity:
        kind, column = entity[dimension]
        return None if row[column] is None else encode_id(kind, row[column])
    if dimension in ("CATEGORY_L1", "CATEGORY_L2"):
        wanted = row["category_id"] if row["level"] == 2 else None
        if dimension == "CATEGORY_L1":
            wanted = row["category_id"] if row["level"] == 1 else row["parent_id"]
        return None if wanted is None else encode_id("Category", wanted)
    if dimension == "CUSTOMER_TYPE":
        first = row["first_paid_at"]
        return "NEW" if first is None or first >= (row["paid_at"] or row["created_at"]) else "RETURNING"
    if dimension in ("HOUR", "DAY", "WEEK", "MONTH", "HOUR_OF_DAY", "DAY_OF_WEEK"):
        return _time_key(dimension, moment, zone)
    column = {"PAYMENT_METHOD": "payment_method", "ORDER_TYPE": "type"}.get(dimension, dimension.lower())
    value = row[column]
    return None if value is None else str(getattr(value, "value", value))


def _avg(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(values: list[int], fraction: float) -> int | None:
    """The k-th smallest value, k the least integer >= fraction * n (PostgreSQL's percentile_disc)."""
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(fraction * len(values))) - 1]


def _measure(name: str, rows: list[dict[str, Any]]) -> float | None:
    present: Callable[[str], list[int]] = lambda c: [r[c] for r in rows if r[c] is not None]  # noqa: E731
    paid = [r for r in rows if r.get("paid_at") is not None]
    simple: dict[str, Callable[[], float | None]] = {
        "COUNT": lambda: len(rows),
        "DISTINCT_CUSTOMERS": lambda: len({r["customer_id"] for r in rows} - {None}),
        "VISITORS": lambda: len({r["visitor_id"] for r in rows}),
        "SESSIONS": lambda: len({r["session_id"] for r in rows}),
        "DISTINCT_ORDERS": lambda: len({r["order_id"] for r in rows}),
        "DISTINCT_AFTER_SALES": lambda: len({r["after_sale_id"] for r in rows}),
        "PAID_ORDERS": lambda: len(paid),
        "PAYING_CUSTOMERS": lambda: len({r["customer_id"] for r in paid}),
        "UNITS": lambda: sum(r["quantity"] for r in rows),
        "REFUND_RATE": lambda: sum(1 for r in rows if r["refunded_amount"] > 0) / len(paid) if paid else None,
    }
    if name in simple:
        return simple[name]()
    field, _, aggregate = name.rpartition("_")
    values = present(field.lower())
    if aggregate == "SUM":
        return sum(values)
    if aggregate == "AVG":
        return _avg(values)
    if aggregate in PERCENTILES:
        return _percentile(values, PERCENTILES[aggregate])
    return (min if aggregate == "MIN" else max)(values) if values else None


async def _facts(
    db: Database, principal: Principal, query: str, fact: str, zone: Any
) -> list[dict[str, Any]]:
    condition = order_condition(principal, OrderCriteria(query=parse_query(query, zone)))
    columns = [
        Order.id.label("order_id"), Order.store_id, Order.customer_id, Order.channel, Order.payment_method,
        Order.fulfillment, Order.type, Order.status, Order.campaign_id, Order.paid_at, Order.created_at,
        Order.accepted_at, Order.completed_at, Order.paid_amount, Order.payable_amount, Order.discount_amount,
        Order.refunded_amount, Store.province, Store.city, Customer.member_level, Customer.first_paid_at,
    ]  # fmt: skip
    stmt = (
        select(*columns)
        .outerjoin(Store, Store.id == Order.store_id)
        .join(Customer, Customer.id == Order.customer_id)
    )
    if fact != "orders":
        line_columns = [
            OrderLine.id.label("line_id"), OrderLine.product_id, OrderLine.sku_id, OrderLine.quantity,
            OrderLine.unit_price,
            OrderLine.paid_amount.label("line_paid"), OrderLine.refunded_amount.label("line_refunded"),
            Product.category_id, Category.level, Category.parent_id,
        ]  # fmt: skip
        stmt = (
            stmt.add_columns(*line_columns)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Category, Category.id == Product.category_id)
        )
    async with db.sessions() as session:
        found = [dict(r) for r in (await session.execute(stmt.where(condition))).mappings()]
    for row in found:
        row["accept_seconds"] = _seconds(row["accepted_at"], row["paid_at"])
        row["complete_seconds"] = _seconds(row["completed_at"], row["paid_at"])
        if fact == "lines":  # a line's own money, not its order's
            row["paid_amount"], row["refunded_amount"] = row["line_paid"], row["line_refunded"]
    return found if fact != "after_sales" else await _after_sale_facts(db, found)


async def _visit_facts(db: Database, principal: Principal) -> list[dict[str, Any]]:
    columns = [
        VisitEvent.store_id, VisitEvent.product_id, VisitEvent.campaign_id, VisitEvent.customer_id,
        VisitEvent.visitor_id, VisitEvent.session_id, VisitEvent.page_type, VisitEvent.source,
        VisitEvent.dwell_ms, VisitEvent.occurred_at, Store.province, Store.city, Customer.member_level,
        Product.category_id, Category.level, Category.parent_id,
    ]  # fmt: skip
    stmt = (
        select(*columns)
        .outerjoin(Store, Store.id == VisitEvent.store_id)
        .outerjoin(Customer, Customer.id == VisitEvent.customer_id)
        .outerjoin(Product, Product.id == VisitEvent.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
    )
    async with db.sessions() as session:
        found = [dict(r) for r in (await session.execute(stmt)).mappings()]
    if principal.role is Role.STORE_STAFF:
        return [r for r in found if r["store_id"] in principal.store_ids]
    return found


async def _after_sale_facts(db: Database, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per after-sale line, with its order line's (and order's) columns."""
    by_line = {row["line_id"]: row for row in lines}
    columns = [
        AfterSaleLine.order_line_id, AfterSaleLine.quantity, AfterSaleLine.amount, AfterSale.id,
        AfterSale.reason, AfterSale.type, AfterSale.status, AfterSale.initiator, AfterSale.created_at,
        AfterSale.reviewed_at, AfterSale.refunded_at,
    ]  # fmt: skip
    stmt = select(*columns).join(AfterSale, AfterSale.id == AfterSaleLine.after_sale_id)
    async with db.sessions() as session:
        found = (await session.execute(stmt)).mappings().all()
    rows = []
    for asked in found:
        line = by_line.get(asked["order_line_id"])
        if line is None:  # outside the caller's scope or the query
            continue
        at, reviewed, refunded = asked["created_at"], asked["reviewed_at"], asked["refunded_at"]
        row = line | {
            "quantity": asked["quantity"],
            "refund_amount": asked["amount"],
            "reason": asked["reason"],
        }
        row |= {
            "after_sale_id": asked["id"],
            "after_sale_type": asked["type"],
            "initiator": asked["initiator"],
        }
        row |= {"after_sale_status": asked["status"], "requested_at": at, "refunded_at": refunded}
        row |= {"review_seconds": _seconds(reviewed, at), "refund_seconds": _seconds(refunded, at)}
        rows.append(row)
    return rows


def _viewer(api: Api, role: str, store_id: int) -> tuple[Api, Principal]:
    if role == "staff":
        return api.as_staff(store_id), Principal(Role.STORE_STAFF, "s", store_ids=frozenset({store_id}))
    if role == "hq":
        return api.as_hq(), Principal(Role.HQ_ADMIN, "h")
    return api.as_role(Role.ANALYST), Principal(Role.ANALYST, "a")


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
    while r.error_codes == ["THROTTLED"]:  # many examples from one principal: wait for the bucket
        await asyncio.sleep(r.errors[0]["extensions"]["retryAfterSeconds"])
        r = await viewer.execute(document, **variables)
    assert r.errors == [], r.errors
    got = r.data["agg"]
    assert got["source"] == "RAW"
    _check_expansions(got["rows"])

    facts = await (
        _visit_facts(db, principal) if fact == "visits" else _facts(db, principal, query, fact, zone)
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
        groups[tuple(_key(d, row, moment, zone) for d in dimensions)].append(row)
    if not dimensions and not facts:
        groups[()] = []
    expected = {k: [_measure(m, rows) for m in measures] for k, rows in groups.items()}
    answered = {
        tuple(k["value"] for k in row["keys"]): [v["value"] for v in row["values"]] for row in got["rows"]
    }
    assert got["groupCount"] == len(expected)
    assert answered.keys() == expected.keys()
    for key, values in expected.items():
        assert answered[key] == pytest.approx(values), (key, measures)
    totals = [_measure(m, facts) for m in measures]
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
    facts = await _facts(db, Principal(Role.HQ_ADMIN, "h"), "", "orders", zone)
    stores: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in facts:
        stores[_key("STORE", row, None, zone)].append(row)
    p90 = {k: _measure("ACCEPT_SECONDS_P90", rows) for k, rows in stores.items()}
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
        expected = [_measure(m, rows) for m in ("ACCEPT_SECONDS_P90", "ACCEPT_SECONDS_P50", "COUNT")]
        assert [v["value"] for v in row["values"]] == expected
    assert [t["value"] for t in got["totals"]] == [
        _measure(m, facts) for m in ("ACCEPT_SECONDS_P90", "ACCEPT_SECONDS_P50", "COUNT")
    ]
