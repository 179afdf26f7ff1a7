"""The visit-events fact of the aggregate queries: page views of the mini-program.

Visits have no admin list, so their filter is typed (`VisitCriteria`), not the order grammar.
Scope follows the metrics': HQ and analysts every event, store staff the events of their stores
(events without a store are no store's). Customers and stores are outer-joined: an anonymous view
or a store-less page still counts, under a null key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, false, select, true

from models.enums import PageType, Role, SourceChannel
from models.principals import Principal
from models.visits import VisitEvent
from services.analytics.dimensions import (
    JOINS,
    TIME_BUCKETS,
    CategoryTable,
    CustomerTable,
    Dimension,
    ProductTable,
    StoreTable,
    key_expression,
    time_key,
)
from services.analytics.measures import Kind, MeasureSpec, count_rows, distinct_of, statistics


class VisitMeasure(StrEnum):
    COUNT = "COUNT"
    VISITORS = "VISITORS"
    DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS"
    SESSIONS = "SESSIONS"
    DWELL_MS_SUM = "DWELL_MS_SUM"
    DWELL_MS_AVG = "DWELL_MS_AVG"
    DWELL_MS_MIN = "DWELL_MS_MIN"
    DWELL_MS_MAX = "DWELL_MS_MAX"
    DWELL_MS_P50 = "DWELL_MS_P50"
    DWELL_MS_P90 = "DWELL_MS_P90"
    DWELL_MS_P95 = "DWELL_MS_P95"


VISIT_MEASURES: Final[Mapping[StrEnum, MeasureSpec]] = {
    VisitMeasure.COUNT: MeasureSpec(Kind.COUNT, (), count_rows, True),
    VisitMeasure.VISITORS: distinct_of("visitor_id"),
    VisitMeasure.DISTINCT_CUSTOMERS: distinct_of("customer_id"),
    VisitMeasure.SESSIONS: distinct_of("session_id"),
    **statistics(VisitMeasure, ("DWELL_MS",), Kind.MILLISECONDS),
}

VISIT_ALLOWED: Final = frozenset(
    {
        *TIME_BUCKETS,
        Dimension.STORE,
        Dimension.PROVINCE,
        Dimension.CITY,
        Dimension.DISTRICT,
        Dimension.CAMPAIGN,
        Dimension.PRODUCT,
        Dimension.CATEGORY_L1,
        Dimension.CATEGORY_L2,
        Dimension.MEMBER_LEVEL,
        Dimension.PAGE_TYPE,
        Dimension.SOURCE,
    }
)
"""The dimensions a visit event has."""


@dataclass(frozen=True, slots=True)
class VisitCriteria:
    """Each given part narrows (empty: any); ids are database ids."""

    store_ids: tuple[int, ...] = ()
    page_types: tuple[PageType, ...] = ()
    sources: tuple[SourceChannel, ...] = ()
    product_ids: tuple[int, ...] = ()
    campaign_ids: tuple[int, ...] = ()


def _columns() -> dict[str, SQLColumnExpression[Any]]:
    return {
        "visitor_id": VisitEvent.visitor_id,
        "customer_id": VisitEvent.customer_id,
        "session_id": VisitEvent.session_id,
        "dwell_ms": VisitEvent.dwell_ms,
    }


_OWN: Final[Mapping[Dimension, Any]] = {
    Dimension.STORE: VisitEvent.store_id,
    Dimension.CAMPAIGN: VisitEvent.campaign_id,
    Dimension.PRODUCT: VisitEvent.product_id,
    Dimension.PAGE_TYPE: VisitEvent.page_type,
    Dimension.SOURCE: VisitEvent.source,
}


def _key(
    dimension: Dimension, zone: tzinfo, dialect: str, span: tuple[datetime, datetime] | None
) -> SQLColumnExpression[Any]:
    if dimension in TIME_BUCKETS:
        return time_key(dimension, VisitEvent.occurred_at, zone, dialect, span)
    own = _OWN.get(dimension)
    if own is not None:
        return own  # type: ignore[no-any-return]
    return key_expression(dimension, VisitEvent.occurred_at, zone, dialect)  # regions, level, categories


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.sees_all_stores():
        return true()
    if principal.role is Role.STORE_STAFF and principal.store_ids:
        return VisitEvent.store_id.in_(sorted(principal.store_ids))
    return false()


def _filter(c: VisitCriteria) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = []
    for column, values in (
        (VisitEvent.store_id, c.store_ids),
        (VisitEvent.page_type, c.page_types),
        (VisitEvent.source, c.sources),
        (VisitEvent.product_id, c.product_ids),
        (VisitEvent.campaign_id, c.campaign_ids),
    ):
        if values:
            parts.append(and_(column.is_not(None), column.in_(sorted(values))))
    return parts


def visit_rows(
    group_by: Sequence[Dimension],
    needed: Sequence[str],
    criteria: VisitCriteria,
    principal: Principal,
    span: tuple[datetime, datetime] | None,
    zone: tzinfo,
    dialect: str,
) -> Select[Any]:
    """One row per visit event in scope: keys k0.. and the columns the measures read."""
    columns = _columns()
    keys: list[Any] = [_key(d, zone, dialect, span).label(f"k{i}") for i, d in enumerate(group_by)]
    stmt: Select[Any] = select(
        VisitEvent.id.label("event_row"), *keys, *(columns[c].label(c) for c in needed)
    )
    stmt = stmt.select_from(VisitEvent)
    joins = {JOINS[d] for d in group_by if d in JOINS}
    if "store" in joins:
        stmt = stmt.outerjoin(StoreTable, StoreTable.id == VisitEvent.store_id)
    if "customer" in joins:
        stmt = stmt.outerjoin(CustomerTable, CustomerTable.id == VisitEvent.customer_id)
    if "category" in joins:
        stmt = stmt.outerjoin(ProductTable, ProductTable.id == VisitEvent.product_id).outerjoin(
            CategoryTable, CategoryTable.id == ProductTable.category_id
        )
    stmt = stmt.where(_scope(principal), *_filter(criteria))
    if span is not None:
        stmt = stmt.where(VisitEvent.occurred_at >= span[0], VisitEvent.occurred_at < span[1])
    return stmt
