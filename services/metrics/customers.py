"""Customer lifecycle counts (活跃 / 沉默 / 流失) and the visit-source ranking (访客来源).

Lifecycle segments are the back office's definition (`models/customers/lifecycle.py`): days since
the customer's last order, in business-time-zone calendar days. `last_order_at` is a current
fact (a later order overwrites it), so these counts describe the customers as of now whatever
the range; with a store scope they count the customers who ever ordered at those stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, select

from models.customers.lifecycle import LifecycleSegment, segment_window
from models.customers.rows import Customer
from models.enums import SourceChannel
from models.metrics.rules import ratio
from models.orders.rows import Order
from services.metrics.facts import VISITS, Rows
from services.metrics.measures import distinct, total
from services.metrics.sections import MetricsQuery
from services.metrics.sql import at, in_stores

SEGMENTS = (LifecycleSegment.ACTIVE, LifecycleSegment.SILENT, LifecycleSegment.LOST)


async def lifecycle_counts(query: MetricsQuery, now: datetime) -> dict[LifecycleSegment, int]:
    """Customers per lifecycle segment as of `now`, within the store scope."""
    engine = query.engine
    windows = {s: segment_window(s, now, query.zone) for s in SEGMENTS}

    def statement(_: frozenset[str]) -> Rows:
        columns = []
        for segment, (start, end) in windows.items():
            conditions: list[ColumnElement[bool]] = [Customer.last_order_at.is_not(None)]
            if start is not None:
                conditions.append(Customer.last_order_at >= at(start))
            if end is not None:
                conditions.append(Customer.last_order_at < at(end))
            columns.append(
                func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0).label(segment.value)
            )
        stmt = select(*columns)
        if engine.stores is not None:
            stmt = stmt.where(
                exists(
                    select(Order.id).where(
                        Order.customer_id == Customer.id, in_stores(Order.store_id, engine.stores)
                    )
                )
            )
        return stmt.select_from(Customer)

    day = now.astimezone(query.zone).date().isoformat()
    row = (await engine.rows(f"lifecycle|{day}", statement))[0]
    return {segment: int(row[segment.value]) for segment in SEGMENTS}


@dataclass(frozen=True, slots=True)
class SourceRank:
    source: SourceChannel
    visitors: int
    pv: int
    visitor_share: float | None
    pv_share: float | None


async def source_ranking(query: MetricsQuery, top: int) -> list[SourceRank]:
    """Visit sources of the range by visitors; shares of all visitors (a visitor who came from two
    sources counts in both, so visitor shares may add up to more than 1) and of all page views."""
    span = [query.range.current.counted]

    def by_source(u: Subquery) -> list[Any]:
        return [u.c.source.label("k")]

    measures = {"visitors": distinct("visitor_id"), "pv": total("pv")}
    rows = await query.engine.grouped(VISITS, measures, span, "source", by_source, needs=["source"])
    overall = await query.engine.by_spans(VISITS, measures, span)
    visitors, pv = overall[0]["visitors"], overall[0]["pv"]
    ranked = sorted(rows, key=lambda r: (-int(r["visitors"]), -int(r["pv"]), str(r["k"])))
    return [
        SourceRank(
            SourceChannel(r["k"]),
            int(r["visitors"]),
            int(r["pv"]),
            ratio(int(r["visitors"]), visitors),
            ratio(int(r["pv"]), pv),
        )
        for r in ranked[:top]
    ]
