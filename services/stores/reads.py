"""Store reads: the store list with its filters (the admin use cases are in `admin.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from models.enums import Fulfillment, StoreStatus
from models.stores.rows import Store
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate

STORES_BY_CODE = Sort(
    "CODE", (SortKey(Store.code, False, str), SortKey(Store.id, False)), lambda s: (s.code, s.id)
)


@dataclass(frozen=True, slots=True)
class StoreCriteria:
    statuses: tuple[StoreStatus, ...] = ()
    province: str | None = None
    city: str | None = None
    search: str | None = None
    """Code prefix or name contains."""
    district: str | None = None
    fulfillments: tuple[Fulfillment, ...] = ()
    """Stores offering any of these."""


_OFFERS = {
    Fulfillment.SELF_PICKUP: Store.supports_self_pickup,
    Fulfillment.STORE_DELIVERY: Store.supports_store_delivery,
    Fulfillment.EXPRESS: Store.supports_express,
}


async def list_stores(sessions: SessionFactory, criteria: StoreCriteria, page: PageRequest) -> Page[Store]:
    stmt = select(Store)
    if criteria.statuses:
        stmt = stmt.where(Store.status.in_(criteria.statuses))
    if criteria.province:
        stmt = stmt.where(Store.province == criteria.province)
    if criteria.city:
        stmt = stmt.where(Store.city == criteria.city)
    if criteria.district:
        stmt = stmt.where(Store.district == criteria.district)
    if criteria.fulfillments:
        stmt = stmt.where(or_(*(_OFFERS[f].is_(True) for f in criteria.fulfillments)))
    if criteria.search:
        stmt = stmt.where(
            or_(
                Store.code.startswith(criteria.search, autoescape=True),
                Store.name.contains(criteria.search, autoescape=True),
            )
        )
    return await paginate(sessions, stmt, STORES_BY_CODE, page)


async def store_by_code(sessions: SessionFactory, code: str) -> Store | None:
    async with sessions() as session:
        return await session.scalar(select(Store).where(Store.code == code))
