"""The 售后退款 list: after-sales filtered, paged and counted per status within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, select, true
from sqlalchemy.orm import aliased

from models.after_sales.rows import AfterSale, AfterSaleEscalation
from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.orders.rows import Order
from models.principals import Principal
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import after_sale_visibility
from services.tabs import tab_counts

AFTER_SALES_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(AfterSale.created_at, True, datetime), SortKey(AfterSale.id, True)),
    lambda a: (a.created_at, a.id),
)


@dataclass(frozen=True, slots=True)
class AfterSaleCriteria:
    statuses: tuple[AfterSaleStatus, ...] = ()
    types: tuple[AfterSaleType, ...] = ()
    initiators: tuple[AfterSaleInitiator, ...] = ()
    store_ids: tuple[int, ...] = ()
    order_no: str | None = None
    escalated: bool | None = None
    """True: only after-sales escalated to HQ (客服介入); False: only the others."""
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Half-open: [created_from, created_to)."""


def scoped_condition(
    principal: Principal, c: AfterSaleCriteria, with_status: bool = True
) -> ColumnElement[bool]:
    """The after-sales `principal` may see that match `c`: the list's condition, also used by exports."""
    return and_(after_sale_visibility(principal), after_sale_filter(c, with_status))


def after_sale_filter(c: AfterSaleCriteria, with_status: bool = True) -> ColumnElement[bool]:
    """The filter's condition alone, without the caller's scope: a caller that joins the order
    applies the order's scope itself (an after-sale is visible exactly when its order is)."""
    parts: list[ColumnElement[bool]] = []
    if with_status and c.statuses:
        parts.append(AfterSale.status.in_(c.statuses))
    if c.types:
        parts.append(AfterSale.type.in_(c.types))
    if c.initiators:
        parts.append(AfterSale.initiator.in_(c.initiators))
    if c.store_ids:
        parts.append(AfterSale.store_id.in_(c.store_ids))
    if c.order_no:
        of = aliased(Order)  # never correlated with an `orders` the caller may join
        parts.append(select(of.id).where(of.id == AfterSale.order_id, of.order_no == c.order_no).exists())
    if c.escalated is not None:
        escalated = select(AfterSaleEscalation.id).where(AfterSaleEscalation.after_sale_id == AfterSale.id)
        parts.append(escalated.exists() if c.escalated else ~escalated.exists())
    if c.created_from:
        parts.append(AfterSale.created_at >= c.created_from)
    if c.created_to:
        parts.append(AfterSale.created_at < c.created_to)
    return and_(*parts) if parts else true()


def _base(principal: Principal, c: AfterSaleCriteria) -> Select[AfterSale]:
    return select(AfterSale).where(scoped_condition(principal, c))


async def list_after_sales(
    sessions: SessionFactory, principal: Principal, criteria: AfterSaleCriteria, page: PageRequest
) -> Page[AfterSale]:
    return await paginate(sessions, _base(principal, criteria), AFTER_SALES_NEWEST_FIRST, page)


async def count_by_status(
    sessions: SessionFactory, principal: Principal, criteria: AfterSaleCriteria
) -> dict[AfterSaleStatus, int]:
    """Every status's count (zeros included) for the tabs, in one statement; the status filter is ignored."""
    where = scoped_condition(principal, criteria, with_status=False)
    return await tab_counts(sessions, AfterSale.status, where, AfterSaleStatus)
