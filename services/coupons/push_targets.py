"""Who a push (发券) goes to: checking a target when the job starts, resolving it when it runs.

Three kinds (`models.coupons.pushes.PushTargetKind`): explicit customer ids; a criteria set — the
customer list's own filter (new vs returning, spend, registration, segment …) plus "ordered at
these stores" and "ordered within this period"; or a radius around a point or a store, placing
each customer at the delivery address of their latest order with coordinates (customers carry no
location of their own). A target is resolved as of the job's creation (orders placed later do
not count) and always within the starter's scope: store staff reach only their stores' customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from math import cos, radians
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.coupons.pushes import MAX_CUSTOMER_IDS, MAX_RADIUS_M, CouponPushJob, PushTargetKind
from models.customers.rows import Customer
from models.errors import DomainError, ErrorCode
from models.exports import ExportList
from models.geo import check_coordinates, distance_m
from models.orders.rows import Order
from models.principals import Principal
from models.stores.rows import Store
from services.customers import CustomerCriteria, customer_conditions
from services.exports.criteria import dump_criteria, load_criteria
from services.scoping import customer_visibility


@dataclass(frozen=True, slots=True)
class OrderedWithin:
    """Customers with a paid order at these stores / created in [start, end)."""

    store_ids: tuple[int, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Radius:
    radius_m: int
    latitude: float | None = None
    longitude: float | None = None
    store_id: int | None = None


@dataclass(frozen=True, slots=True)
class PushTarget:
    """Exactly one of the three is given."""

    customer_ids: tuple[int, ...] | None = None
    criteria: CustomerCriteria | None = None
    ordered: OrderedWithin | None = None
    radius: Radius | None = None


async def check_target(
    session: AsyncSession, principal: Principal, target: PushTarget
) -> tuple[PushTargetKind, dict[str, Any]]:
    """The target's kind and JSON, or a coded error naming the offending field."""
    given = [target.customer_ids is not None, target.criteria is not None or target.ordered is not None]
    given.append(target.radius is not None)
    if sum(given) != 1:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "give exactly one of customerIds, criteria or radius", "target"
        )
    if target.customer_ids is not None:
        return PushTargetKind.CUSTOMERS, {"customer_ids": await _check_ids(session, principal, target)}
    if target.radius is not None:
        return PushTargetKind.RADIUS, await _check_radius(session, principal, target.radius)
    ordered = target.ordered or OrderedWithin()
    if ordered.start is not None and ordered.end is not None and ordered.end <= ordered.start:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the period ends before it starts", "target.ordered.to")
    stores = sorted(set(ordered.store_ids)) if ordered.store_ids is not None else None
    if stores is not None:
        if not stores:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "name at least one store", "target.ordered.storeIds")
        await _check_stores(session, principal, stores, "target.ordered.storeIds")
    return PushTargetKind.CRITERIA, {
        "customer": dump_criteria(target.criteria or CustomerCriteria()),
        "store_ids": stores,
        "start": None if ordered.start is None else ordered.start.isoformat(),
        "end": None if ordered.end is None else ordered.end.isoformat(),
    }


async def _check_ids(session: AsyncSession, principal: Principal, target: PushTarget) -> list[int]:
    ids = sorted(set(target.customer_ids or ()))
    if not 1 <= len(ids) <= MAX_CUSTOMER_IDS:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"give 1 to {MAX_CUSTOMER_IDS} customers", "target.customerIds"
        )
    found = set(
        (
            await session.scalars(
                select(Customer.id).where(Customer.id.in_(ids), customer_visibility(principal))
            )
        ).all()
    )
    if missing := sorted(set(ids) - found):
        raise DomainError(ErrorCode.NOT_FOUND, f"unknown customers {missing[:10]}", "target.customerIds")
    return ids


async def _check_stores(session: AsyncSession, principal: Principal, ids: Sequence[int], field: str) -> None:
    found = set((await session.scalars(select(Store.id).where(Store.id.in_(ids)))).all())
    if missing := sorted(set(ids) - found):
        raise DomainError(ErrorCode.NOT_FOUND, f"unknown stores {missing}", field)
    if not principal.sees_all_stores() and not set(ids) <= principal.store_ids:
        raise DomainError(ErrorCode.FORBIDDEN, "only your own stores", field)


async def _check_radius(session: AsyncSession, principal: Principal, r: Radius) -> dict[str, Any]:
    if not 1 <= r.radius_m <= MAX_RADIUS_M:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"the radius is 1 to {MAX_RADIUS_M} metres", "target.radius.radiusM"
        )
    point = r.latitude is not None or r.longitude is not None
    if point == (r.store_id is not None):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "give a point (latitude, longitude) or a store", "target.radius"
        )
    if r.store_id is not None:
        await _check_stores(session, principal, [r.store_id], "target.radius.storeId")
        store = await session.get(Store, r.store_id)
        assert store is not None
        latitude, longitude = store.latitude, store.longitude
    else:
        if r.latitude is None or r.longitude is None:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "give both latitude and longitude", "target.radius")
        check_coordinates(r.latitude, r.longitude, "target.radius")
        latitude, longitude = r.latitude, r.longitude
    return {"latitude": latitude, "longitude": longitude, "radius_m": r.radius_m, "store_id": r.store_id}


def _ordered(data: dict[str, Any], before: datetime) -> ColumnElement[bool]:
    parts = [Order.customer_id == Customer.id, Order.created_at < before, Order.paid_at.is_not(None)]
    if data["store_ids"] is not None:
        parts.append(Order.store_id.in_(data["store_ids"]))
    if data["start"] is not None:
        parts.append(Order.created_at >= datetime.fromisoformat(data["start"]))
    if data["end"] is not None:
        parts.append(Order.created_at < datetime.fromisoformat(data["end"]))
    return exists(select(Order.id).where(and_(*parts)))


async def resolve(session: AsyncSession, job: CouponPushJob, owner: Principal, zone: tzinfo) -> list[int]:
    """The job's customers, ascending ids, as of `job.created_at` and within the owner's scope."""
    visible = customer_visibility(owner)
    target = job.target
    if job.target_kind is PushTargetKind.CUSTOMERS:
        stmt = select(Customer.id).where(Customer.id.in_(target["customer_ids"]), visible)
    elif job.target_kind is PushTargetKind.CRITERIA:
        criteria = load_criteria(ExportList.CUSTOMERS, target["customer"])
        assert isinstance(criteria, CustomerCriteria)
        stmt = select(Customer.id).where(
            customer_conditions(owner, criteria, job.created_at, zone),
            Customer.registered_at < job.created_at,
        )
        if target["store_ids"] is not None or target["start"] is not None or target["end"] is not None:
            stmt = stmt.where(_ordered(target, job.created_at))
    else:
        return await _within_radius(session, job, visible)
    return list((await session.scalars(stmt.order_by(Customer.id))).all())


async def _within_radius(
    session: AsyncSession, job: CouponPushJob, visible: ColumnElement[bool]
) -> list[int]:
    """Customers whose latest located order lies within the radius (inclusive)."""
    lat, lng, radius = job.target["latitude"], job.target["longitude"], job.target["radius_m"]
    d_lat = radius / 111_000 * 1.01  # a bounding box first, a degree of latitude is ~111 km
    d_lng = d_lat / max(cos(radians(lat)), 0.01)
    located = (
        Order.consignee_latitude.is_not(None),
        Order.consignee_longitude.is_not(None),
        Order.created_at < job.created_at,
    )
    near = select(Order.customer_id).where(
        *located,
        Order.consignee_latitude.between(lat - d_lat, lat + d_lat),
        Order.consignee_longitude.between(lng - d_lng, lng + d_lng),
    )
    rows = (
        await session.execute(
            select(Order.customer_id, Order.consignee_latitude, Order.consignee_longitude)
            .join(Customer, Customer.id == Order.customer_id)
            .where(*located, Order.customer_id.in_(near), visible)
            .order_by(Order.customer_id, Order.created_at.desc(), Order.id.desc())
        )
    ).all()
    latest: dict[int, tuple[float, float]] = {}
    for customer_id, c_lat, c_lng in rows:
        if c_lat is not None and c_lng is not None:  # the query's condition; for the type checker
            latest.setdefault(customer_id, (c_lat, c_lng))
    return sorted(c for c, (c_lat, c_lng) in latest.items() if distance_m(lat, lng, c_lat, c_lng) <= radius)
