"""The hand-made side of test_analytics_aggregates.py: the rows a caller's order list covers, read
with plain SQLAlchemy and grouped in Python with `zoneinfo` (time buckets), and each measure
computed over them — an oracle that shares nothing with the SQL of services/analytics/.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

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
from tests.conftest import Database

PERCENTILES = {"P50": 0.5, "P90": 0.9, "P95": 0.95}
EXPANSIONS = {
    "STORE": "store",
    "CAMPAIGN": "campaign",
    "PRODUCT": "product",
    "SKU": "sku",
    "CATEGORY_L1": "category",
    "CATEGORY_L2": "category",
}


def check_expansions(rows: list[dict[str, Any]]) -> None:
    """Keys expand their own entity (loaded once per type for the whole answer) and nothing else."""
    for row in rows:
        for key in row["keys"]:
            own = EXPANSIONS.get(key["dimension"]) if key["value"] is not None else None
            for name in ("store", "campaign", "product", "sku", "category"):
                assert key[name] == ({"id": key["value"]} if name == own else None), key


def seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return int(later.timestamp()) - int(earlier.timestamp())


def time_key(dimension: str, moment: datetime | None, zone: Any) -> str | None:
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


def key(dimension: str, row: dict[str, Any], moment: datetime | None, zone: Any) -> str | None:
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
        return time_key(dimension, moment, zone)
    column = {"PAYMENT_METHOD": "payment_method", "ORDER_TYPE": "type"}.get(dimension, dimension.lower())
    value = row[column]
    return None if value is None else str(getattr(value, "value", value))


def avg(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: list[int], fraction: float) -> int | None:
    """The k-th smallest value, k the least integer >= fraction * n (PostgreSQL's percentile_disc)."""
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(fraction * len(values))) - 1]


def measure(name: str, rows: list[dict[str, Any]]) -> float | None:
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
        return avg(values)
    if aggregate in PERCENTILES:
        return percentile(values, PERCENTILES[aggregate])
    return (min if aggregate == "MIN" else max)(values) if values else None


async def facts(db: Database, principal: Principal, query: str, fact: str, zone: Any) -> list[dict[str, Any]]:
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
        row["accept_seconds"] = seconds(row["accepted_at"], row["paid_at"])
        row["complete_seconds"] = seconds(row["completed_at"], row["paid_at"])
        if fact == "lines":  # a line's own money, not its order's
            row["paid_amount"], row["refunded_amount"] = row["line_paid"], row["line_refunded"]
    return found if fact != "after_sales" else await after_sale_facts(db, found)


async def visit_facts(db: Database, principal: Principal) -> list[dict[str, Any]]:
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


async def after_sale_facts(db: Database, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
        row |= {"review_seconds": seconds(reviewed, at), "refund_seconds": seconds(refunded, at)}
        rows.append(row)
    return rows
