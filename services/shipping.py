"""Shipping (发货) with split parcels (拆单发货), and carrier tracking events (物流轨迹)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.enums import TraceState
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderLine, Parcel, ParcelLine, ParcelTrace
from models.orders.states import OrderAction, transition
from services.commands import Result, Work
from services.orders.transitions import lock_order, transition_order

MAX_PARCELS = 20


@dataclass(frozen=True, slots=True)
class ParcelInput:
    carrier: str
    tracking_no: str
    lines: tuple[tuple[int, int], ...]
    """(order line id, quantity) pairs."""


def _validate(parcels: tuple[ParcelInput, ...]) -> None:
    if not parcels or len(parcels) > MAX_PARCELS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"ship 1 to {MAX_PARCELS} parcels", "parcels")
    for i, p in enumerate(parcels):
        if not p.carrier.strip() or len(p.carrier) > 32:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "carrier is required (≤ 32 characters)", f"parcels.{i}.carrier"
            )
        if not p.tracking_no.strip() or len(p.tracking_no) > 40:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                "tracking number is required (≤ 40 characters)",
                f"parcels.{i}.trackingNo",
            )
        if not p.lines:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "a parcel holds at least one line", f"parcels.{i}.lines"
            )
        for j, (_, quantity) in enumerate(p.lines):
            if quantity <= 0:
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "quantity must be positive", f"parcels.{i}.lines.{j}.quantity"
                )


async def ship(
    work: Work, order_id: int, parcels: tuple[ParcelInput, ...], *, expected_version: int | None = None
) -> Result:
    """Ship some or all remaining units; the order is SHIPPED once every unrefunded unit is in a parcel."""
    _validate(parcels)
    order = await lock_order(work, order_id, expected_version=expected_version)
    transition(order.status, OrderAction.SHIP_PARTIAL)
    lines = {
        line.id: line
        for line in (
            await work.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        ).all()
    }
    wanted = Counter[int]()
    for i, p in enumerate(parcels):
        for j, (line_id, quantity) in enumerate(p.lines):
            if line_id not in lines:
                raise DomainError(
                    ErrorCode.NOT_FOUND, "line is not part of this order", f"parcels.{i}.lines.{j}.lineId"
                )
            wanted[line_id] += quantity
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        left = line.quantity - line.refunded_quantity - line.shipped_quantity
        if quantity > left:
            raise DomainError(
                ErrorCode.SHIPMENT_EXCEEDS_QUANTITY,
                f"{line.product_name}: {quantity} to ship but only {left} left to ship",
                "parcels",
            )
    for p in parcels:
        parcel = Parcel(
            order_id=order.id,
            carrier=p.carrier.strip(),
            tracking_no=p.tracking_no.strip(),
            shipped_at=work.now,
        )
        work.session.add(parcel)
        await work.session.flush()
        per_line = Counter[int]()
        for line_id, quantity in p.lines:
            per_line[line_id] += quantity
        for line_id, quantity in sorted(per_line.items()):
            work.session.add(ParcelLine(parcel_id=parcel.id, order_line_id=line_id, quantity=quantity))
            lines[line_id].shipped_quantity += quantity
    done = all(line.shipped_quantity + line.refunded_quantity >= line.quantity for line in lines.values())
    action = OrderAction.SHIP if done else OrderAction.SHIP_PARTIAL
    await transition_order(
        work, order, action, payload={"trackingNos": [p.tracking_no.strip() for p in parcels]}
    )
    return {"orderId": order.id}


@dataclass(frozen=True, slots=True)
class TraceInput:
    occurred_at: datetime
    description: str
    state: TraceState
    location: str | None = None


async def add_trace(work: Work, parcel_id: int, trace: TraceInput) -> Result:
    """Record a tracking event; a carrier re-sending the same event changes nothing."""
    if not trace.description.strip() or len(trace.description) > 300:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "description is required (≤ 300 characters)", "description"
        )
    if trace.occurred_at.tzinfo is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "occurredAt needs a time zone offset", "occurredAt")
    parcel = await work.session.scalar(select(Parcel).where(Parcel.id == parcel_id).with_for_update())
    if parcel is None:
        raise DomainError(ErrorCode.NOT_FOUND, "parcel not found", "parcelId")
    order: Order = await lock_order(work, parcel.order_id)  # also checks the caller may see the order
    duplicate = await work.session.scalar(
        select(ParcelTrace.id).where(
            ParcelTrace.parcel_id == parcel.id,
            ParcelTrace.occurred_at == trace.occurred_at,
            ParcelTrace.state == trace.state,
            ParcelTrace.description == trace.description.strip(),
        )
    )
    if duplicate is None:
        work.session.add(
            ParcelTrace(
                parcel_id=parcel.id,
                occurred_at=trace.occurred_at,
                location=trace.location,
                description=trace.description.strip(),
                state=trace.state,
            )
        )
        await work.session.flush()
        latest = await work.session.scalar(
            select(ParcelTrace.state)
            .where(ParcelTrace.parcel_id == parcel.id)
            .order_by(ParcelTrace.occurred_at.desc(), ParcelTrace.id.desc())
            .limit(1)
        )
        parcel.latest_state = latest
    return {"orderId": order.id, "parcelId": parcel.id}
