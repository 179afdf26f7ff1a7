"""Store delivery use cases (O2O): picking, riders (自配 or a courier platform), delivery.

Every step goes through `services.orders.transitions.transition_order`, so the status table, the stage table
(`models.deliveries.stages`), the version check and the timeline row come with it. The platform's
callbacks (`apply_callback`) take the same row lock as staff actions, so the two serialise on an
order; a callback that is behind the order's stage changes nothing (a late or repeated one).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from models.deliveries.queues import FOLLOW_UP_ACTORS, FollowUp, may_follow_up
from models.deliveries.rows import Delivery
from models.deliveries.stages import DeliveryStage, RiderSource, allows, path_to
from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode
from models.orders.event_types import DELIVERY_FOLLOW_UP, DELIVERY_PROGRESS
from models.orders.rows import Order, OrderLine, Parcel, ParcelLine
from models.orders.states import FINAL_STATUSES, OrderAction
from models.pii import phone_last4
from models.stores.rows import Store
from services.commands import Result, Work
from services.deliveries.couriers import DispatchRequest
from services.orders.transitions import check_step, lock_order, order_result, timeline_note, transition_order

A = OrderAction
G = DeliveryStage


def _check_stage(order: Order, action: OrderAction, *, platform_request: bool = False) -> None:
    """INVALID_TRANSITION when the stage table refuses the step (after `check_step`'s status and
    actor checks, before any check of the use case's own) — the rule `availableActions` shows."""
    if order.fulfillment is not Fulfillment.STORE_DELIVERY:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "only store-delivery orders have delivery stages")
    if not allows(order.fulfillment, order.delivery_stage, action, platform_request=platform_request):
        stage = order.delivery_stage.value if order.delivery_stage else "no delivery stage"
        what = "a courier-platform rider request" if platform_request else action.value
        raise DomainError(ErrorCode.INVALID_TRANSITION, f"order at {stage} does not allow {what}")


async def _delivery(work: Work, order_id: int) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.order_id == order_id).execution_options(populate_existing=True)
    return await work.session.scalar(stmt)


async def finish_picking(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """拣货完成: PICKING → PICKED (待配送)."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.FINISH_PICKING)
    _check_stage(order, A.FINISH_PICKING)
    await transition_order(work, order, A.FINISH_PICKING)
    return order_result(order)


def _rider_fields(name: str, phone: str) -> tuple[str, str]:
    name, phone = name.strip(), phone.strip()
    if not name or len(name) > 64:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "rider name is required (≤ 64 characters)", "riderName")
    if len(phone_last4(phone)) < 4 or len(phone) > 20:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "rider phone needs at least 4 digits (≤ 20 characters)", "riderPhone"
        )
    return name, phone


async def assign_own_rider(
    work: Work, order_id: int, rider_name: str, rider_phone: str, *, expected_version: int | None = None
) -> Result:
    """自配: the store's own rider takes the order (PICKED → RIDER_ASSIGNED, or replaces the rider).

    Switching from a courier platform calls its request off after commit.
    """
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.ASSIGN_RIDER)
    _check_stage(order, A.ASSIGN_RIDER)
    name, phone = _rider_fields(rider_name, rider_phone)
    delivery = await _delivery(work, order.id)
    if delivery is None:
        delivery = Delivery(order_id=order.id, source=RiderSource.STORE, requested_at=work.now)
        work.session.add(delivery)
    elif delivery.source is RiderSource.PLATFORM and delivery.external_id is not None:
        _cancel_after_commit(work, delivery.external_id)
    delivery.source = RiderSource.STORE
    delivery.platform = None
    delivery.external_id = None
    delivery.rider_name, delivery.rider_phone = name, phone
    delivery.updated_at = work.now
    await transition_order(work, order, A.ASSIGN_RIDER, payload={"source": RiderSource.STORE.value})
    return order_result(order)


def _cancel_after_commit(work: Work, dispatch_id: str) -> None:
    courier = work.deps.courier

    async def cancel() -> None:
        await courier.cancel(dispatch_id)

    work.after_commit(cancel)


async def request_platform_rider(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """Ask the courier platform for a rider for a PICKED order; its callbacks move the order on.

    Asking again replaces the previous request (its late callbacks are then ignored).
    """
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.ASSIGN_RIDER)
    _check_stage(order, A.ASSIGN_RIDER, platform_request=True)
    courier = work.deps.courier
    delivery = await _delivery(work, order.id)
    if delivery is None:
        delivery = Delivery(order_id=order.id, source=RiderSource.PLATFORM, requested_at=work.now)
        work.session.add(delivery)
    elif delivery.external_id is not None:
        _cancel_after_commit(work, delivery.external_id)
    dispatch_id = f"{order.order_no}-{secrets.token_hex(4)}"
    delivery.source = RiderSource.PLATFORM
    delivery.platform = courier.name
    delivery.external_id = dispatch_id
    delivery.rider_name = delivery.rider_phone = None
    delivery.requested_at = delivery.updated_at = work.now
    order.updated_at = work.now  # bumps the version: the order's delivery changed
    store = await work.session.get(Store, order.store_id) if order.store_id is not None else None
    request = DispatchRequest(
        dispatch_id=dispatch_id,
        order_no=order.order_no,
        store_id=order.store_id or 0,
        pickup_latitude=store.latitude if store else None,
        pickup_longitude=store.longitude if store else None,
        drop_latitude=order.consignee_latitude,
        drop_longitude=order.consignee_longitude,
    )

    async def send() -> None:
        await courier.request_rider(request)

    work.after_commit(send)
    await work.session.flush()
    return {**order_result(order), "dispatchId": dispatch_id}


async def mark_delivering(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """The rider took the goods (RIDER_ASSIGNED → DELIVERING): the order is 已发货."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.RIDER_PICKUP)
    _check_stage(order, A.RIDER_PICKUP)
    await _rider_pickup(work, order, {})
    return order_result(order)


async def _rider_pickup(work: Work, order: Order, payload: dict[str, Any]) -> None:
    """Every unit not refunded nor already in a parcel leaves with the rider, as one parcel (so an
    order is 已发货 exactly when its units are shipped or refunded, as with parcels)."""
    lines = (await work.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))).all()
    left = [(line, line.quantity - line.refunded_quantity - line.shipped_quantity) for line in lines]
    left = [(line, n) for line, n in left if n > 0]
    if left:
        delivery = await _delivery(work, order.id)
        carrier = (delivery.platform if delivery and delivery.platform else "门店配送")[:32]
        tracking = (delivery.external_id if delivery and delivery.external_id else f"{order.order_no}-R")[:40]
        parcel = Parcel(order_id=order.id, carrier=carrier, tracking_no=tracking, shipped_at=work.now)
        work.session.add(parcel)
        await work.session.flush()
        for line, n in left:
            work.session.add(ParcelLine(parcel_id=parcel.id, order_line_id=line.id, quantity=n))
            line.shipped_quantity += n
    await transition_order(work, order, A.RIDER_PICKUP, payload=payload)


async def mark_delivered(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """送达: DELIVERING → DELIVERED; the order completes on confirmation or after the auto-complete days."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.DELIVER)
    _check_stage(order, A.DELIVER)
    await transition_order(work, order, A.DELIVER)
    return order_result(order)


async def follow_up(work: Work, order_id: int, kind: FollowUp, note: str) -> Result:
    """Record the store's follow-up of a delivery on the timeline (and so on the staff's and the
    buyer's feeds); the order itself does not change. Only while it is on its way to the door."""
    note = note.strip()
    if len(note) > 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a note is at most 200 characters", "note")
    order = await lock_order(work, order_id)
    if work.actor.type not in FOLLOW_UP_ACTORS:
        raise DomainError(ErrorCode.FORBIDDEN, "only the store or HQ follow deliveries up")
    if not may_follow_up(order.status, order.delivery_stage):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "only a store-delivery order on its way can be followed up"
        )
    timeline_note(work, order, {"event": DELIVERY_FOLLOW_UP, "kind": kind.value, "note": note})
    await work.session.flush()
    return order_result(order)


class CallbackKind(StrEnum):
    ASSIGNED = "ASSIGNED"
    PICKED_UP = "PICKED_UP"
    PROGRESS = "PROGRESS"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    """The platform's rider gave the order up (or nobody took it)."""


_TARGET = {
    CallbackKind.ASSIGNED: G.RIDER_ASSIGNED,
    CallbackKind.PICKED_UP: G.DELIVERING,
    CallbackKind.DELIVERED: G.DELIVERED,
}


@dataclass(frozen=True, slots=True)
class CourierCallback:
    platform: str
    dispatch_id: str
    kind: CallbackKind
    occurred_at: datetime
    rider_name: str | None = None
    rider_phone: str | None = None
    latitude: float | None = None
    longitude: float | None = None


async def apply_callback(work: Work, cb: CourierCallback) -> Result:
    """Apply one platform callback; `applied` lists the actions taken ([] when it changed nothing)."""
    order_id = await work.session.scalar(
        select(Delivery.order_id).where(
            Delivery.platform == cb.platform, Delivery.external_id == cb.dispatch_id
        )
    )
    if order_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no delivery has this dispatch id", "dispatchId")
    order = await lock_order(work, order_id)
    delivery = await _delivery(work, order_id)
    if delivery is None or delivery.external_id != cb.dispatch_id or order.status in FINAL_STATUSES:
        return {"orderId": order_id, "applied": [], "ignored": "superseded"}
    stage = order.delivery_stage
    assert stage is not None
    applied: list[str] = []
    if cb.kind is CallbackKind.PROGRESS:
        if stage in (G.RIDER_ASSIGNED, G.DELIVERING) and _newer(delivery, cb.occurred_at):
            _position(delivery, cb, work.now)
            timeline_note(work, order, _progress(cb))
            applied.append(DELIVERY_PROGRESS)
        return {"orderId": order_id, "applied": applied}
    if cb.kind is CallbackKind.CANCELLED:
        if stage is G.RIDER_ASSIGNED:
            await transition_order(work, order, A.UNASSIGN_RIDER, payload={"platform": cb.platform})
            applied.append(A.UNASSIGN_RIDER.value)
        delivery.rider_name = delivery.rider_phone = None
        delivery.external_id = None  # the request is over; the store asks again or switches to 自配
        delivery.updated_at = work.now
        return {"orderId": order_id, "applied": applied}
    if cb.rider_name and cb.rider_phone:
        name, phone = _rider_fields(cb.rider_name, cb.rider_phone)
        changed = (name, phone) != (delivery.rider_name, delivery.rider_phone)
        delivery.rider_name, delivery.rider_phone = name, phone
        delivery.updated_at = work.now
        if changed and stage is G.RIDER_ASSIGNED and cb.kind is CallbackKind.ASSIGNED:
            await transition_order(
                work, order, A.ASSIGN_RIDER, payload={"platform": cb.platform, "rider": "changed"}
            )
            applied.append(A.ASSIGN_RIDER.value)
    path = path_to(stage, _TARGET[cb.kind])
    for action in path or ():
        if action is A.RIDER_PICKUP:
            await _rider_pickup(work, order, {"platform": cb.platform})
        else:
            await transition_order(work, order, action, payload={"platform": cb.platform})
        applied.append(action.value)
    return {"orderId": order_id, "applied": applied}


def _newer(delivery: Delivery, at: datetime) -> bool:
    return delivery.position_at is None or at > delivery.position_at


def _position(delivery: Delivery, cb: CourierCallback, now: datetime) -> None:
    delivery.latitude, delivery.longitude, delivery.position_at = cb.latitude, cb.longitude, cb.occurred_at
    delivery.updated_at = now


def _progress(cb: CourierCallback) -> dict[str, Any]:
    """The timeline payload of a rider's reported position."""
    return {
        "event": DELIVERY_PROGRESS,
        "latitude": cb.latitude,
        "longitude": cb.longitude,
        "at": cb.occurred_at.isoformat(),
    }
