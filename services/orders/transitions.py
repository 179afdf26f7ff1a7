"""The one writer of `orders.status`: lock an order within the caller's scope, apply a transition.

`lock_order` checks the caller's expected version as soon as the row is locked, so a stale one is
`VERSION_CONFLICT` whatever else is wrong (the status, the actor, the action's own checks).
`transition_order` asks the state table whether the action exists and who may cause it, moves the
delivery stage of a store-delivery order (`models.deliveries.stages`), sets the step timestamp,
bumps the version (the mapper adds `WHERE version = <read>`), and writes the timeline event —
all in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from models.campaigns.rows import GroupBuyTeam
from models.deliveries.stages import DEFAULT_DELIVERY_MINUTES, DeliveryStage, next_stage, promised_delivery_at
from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode, check_version
from models.orders.rows import ACTION_TIMESTAMP, Order, OrderEvent
from models.orders.states import OrderAction, OrderStatus, Transition, transition
from models.stores.rows import Store
from services.commands import Result, Work
from services.scoping import order_visibility


async def lock_team_of(work: Work, order_id: int, *, skip_locked: bool = False) -> bool:
    """Lock the order's group-buy team first, if it has one (False: another holds it and we skip).

    Every writer takes a team before any of its orders — joining, paying, cancelling, expiring —
    so two of them can never wait on each other in a cycle.
    """
    team_id = await work.session.scalar(select(Order.team_id).where(Order.id == order_id))
    if team_id is None:
        return True
    stmt = select(GroupBuyTeam.id).where(GroupBuyTeam.id == team_id).with_for_update(skip_locked=skip_locked)
    return await work.session.scalar(stmt) is not None


async def lock_order(work: Work, order_id: int, *, expected_version: int | None = None) -> Order:
    """The order, row-locked on PostgreSQL (SQLite's IMMEDIATE transaction already serialises writers).

    Outside the caller's scope it does not exist: NOT_FOUND, exactly like a missing id. Then a
    stale `expected_version` is VERSION_CONFLICT, before any other check of the caller's.
    """
    await lock_team_of(work, order_id)
    stmt = select(Order).where(Order.id == order_id, order_visibility(work.principal)).with_for_update()
    order = await work.session.scalar(stmt)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "order not found", "orderId")
    check_version("order", order.version, expected_version)
    return order


def check_step(work: Work, order: Order, action: OrderAction) -> Transition:
    """The table's step for `action` on the order: INVALID_TRANSITION when the status has none,
    FORBIDDEN when the caller's actor type may not cause it. A use case with checks of its own
    calls this first, so a wrong state is never reported as, say, OUT_OF_STOCK."""
    step = transition(order.status, action)
    if work.actor.type not in step.actors:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"{work.actor.type.value} may not {action.value} an order in {order.status.value}",
        )
    return step


async def transition_order(
    work: Work,
    order: Order,
    action: OrderAction,
    *,
    payload: dict[str, Any] | None = None,
) -> OrderStatus:
    """Apply one transition of the state table to a locked order; returns the previous status."""
    step = check_step(work, order, action)
    stage = next_stage(order.fulfillment, order.delivery_stage, action)
    previous = order.status
    order.status = step.to
    order.delivery_stage = stage
    order.updated_at = work.now
    stamp = ACTION_TIMESTAMP.get(action)
    if stamp is not None:
        setattr(order, stamp, work.now)
    if stage is DeliveryStage.DELIVERED and order.delivered_at is None:
        order.delivered_at = work.now  # the buyer's confirmation proves a delivery nobody reported
    if step.to is OrderStatus.PENDING_ACCEPTANCE and order.promised_at is None:
        await _promise(work, order)
    work.session.add(
        OrderEvent(
            order_id=order.id,
            store_id=order.store_id,
            action=action,
            from_status=previous,
            to_status=step.to,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            payload=payload or {},
            created_at=work.now,
        )
    )
    await work.session.flush()
    return previous


async def _promise(work: Work, order: Order) -> None:
    """A store-delivery order is promised at the door once it reaches its store (paid, team formed)."""
    if order.fulfillment is not Fulfillment.STORE_DELIVERY or order.store_id is None:
        return
    minutes = await work.session.scalar(select(Store.delivery_minutes).where(Store.id == order.store_id))
    order.promised_at = promised_delivery_at(work.now, minutes or DEFAULT_DELIVERY_MINUTES, order.booked_for)


def timeline_note(
    work: Work, order: Order, payload: dict[str, Any], at: datetime | None = None
) -> OrderEvent:
    """Add to the order's timeline a row that changes no status; `payload["event"]` names its kind
    (`models.orders.event_types.event_type`). Written in the caller's transaction, at `at` or now."""
    event = OrderEvent(
        order_id=order.id,
        store_id=order.store_id,
        action=None,
        from_status=order.status,
        to_status=order.status,
        actor_type=work.actor.type,
        actor_id=work.actor.id,
        payload=payload,
        created_at=at or work.now,
    )
    work.session.add(event)
    return event


def order_result(order: Order) -> Result:
    return {"orderId": order.id}
