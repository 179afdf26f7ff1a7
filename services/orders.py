"""Order use cases: every transition of SPEC §3 goes through `transition_order`.

`transition_order` is the only writer of `orders.status`: it asks the state table whether the
action exists and who may cause it, checks the expected version, sets the step timestamp, bumps
the version (the mapper adds `WHERE version = <read>`), and writes the timeline event — all in
the caller's transaction. The use cases below add what is specific to each action.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.enums import ActorType, Fulfillment, StoreStatus
from models.errors import DomainError, ErrorCode
from models.order_states import OrderAction, OrderStatus, accept_action, allowed_actions, transition
from models.orders import ACTION_TIMESTAMP, AllocationRecord, Order, OrderEvent, OrderLine
from models.principals import Principal
from models.stores import Store
from services.commands import Result, Work
from services.db import SessionFactory
from services.refunds import refund_in_full
from services.scoping import order_visibility
from services.stock import release_stock, reserve_stock

A = OrderAction


async def find_order_by_no(sessions: SessionFactory, principal: Principal, order_no: str) -> Order | None:
    async with sessions() as session:
        return await session.scalar(
            select(Order).where(Order.order_no == order_no, order_visibility(principal))
        )


async def lock_order(work: Work, order_id: int) -> Order:
    """The order, row-locked on PostgreSQL (SQLite's IMMEDIATE transaction already serialises writers).

    Outside the caller's scope it does not exist: NOT_FOUND, exactly like a missing id.
    """
    stmt = select(Order).where(Order.id == order_id, order_visibility(work.principal)).with_for_update()
    order = await work.session.scalar(stmt)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "order not found", "orderId")
    return order


def check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != order.version:
        raise DomainError(
            ErrorCode.VERSION_CONFLICT,
            f"order is at version {order.version}, not {expected_version}: reload it",
            "expectedVersion",
        )


async def transition_order(
    work: Work,
    order: Order,
    action: OrderAction,
    *,
    expected_version: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OrderStatus:
    """Apply one transition of the state table to a locked order; returns the previous status."""
    step = transition(order.status, action)
    if work.actor.type not in step.actors:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"{work.actor.type.value} may not {action.value} an order in {order.status.value}",
        )
    check_version(order, expected_version)
    previous = order.status
    order.status = step.to
    order.updated_at = work.now
    stamp = ACTION_TIMESTAMP.get(action)
    if stamp is not None:
        setattr(order, stamp, work.now)
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


def order_result(order: Order) -> Result:
    return {"orderId": order.id}


async def _lines(work: Work, order: Order) -> list[OrderLine]:
    stmt = select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    return list((await work.session.scalars(stmt)).all())


async def cancel(
    work: Work,
    order_id: int,
    reason: str,
    *,
    expected_version: int | None = None,
    only_from: OrderStatus | None = None,
) -> Result:
    """Cancel (取消订单): releases reserved stock; a paid order is refunded in full."""
    order = await lock_order(work, order_id)
    if only_from is not None and order.status is not only_from:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"order in {order.status.value} is not {only_from.value}", "orderId"
        )
    step = transition(order.status, A.CANCEL)
    await transition_order(
        work, order, A.CANCEL, expected_version=expected_version, payload={"reason": reason}
    )
    order.cancel_reason = reason
    await release_stock(work.session, order.store_id, await _lines(work, order))
    if step.full_refund:
        await refund_in_full(work, order, f"订单取消: {reason}")
    return order_result(order)


async def accept(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """Accept (接单): self-pickup orders wait for pickup, the others for shipping."""
    order = await lock_order(work, order_id)
    await transition_order(work, order, accept_action(order.fulfillment), expected_version=expected_version)
    return order_result(order)


async def reject(work: Work, order_id: int, reason: str, *, expected_version: int | None = None) -> Result:
    """Reject (拒单, e.g. 缺货): the order waits for HQ in 待分配 with the reason recorded."""
    order = await lock_order(work, order_id)
    await transition_order(
        work, order, A.REJECT, expected_version=expected_version, payload={"reason": reason}
    )
    order.reject_reason = reason
    work.session.add(
        AllocationRecord(
            order_id=order.id,
            from_store_id=order.store_id,
            to_store_id=None,
            reason=reason,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            created_at=work.now,
        )
    )
    return order_result(order)


async def reallocate(
    work: Work, order_id: int, to_store_id: int, note: str, *, expected_version: int | None = None
) -> Result:
    """Reallocate (重新分配门店): the new store must be open, offer the fulfilment and have the stock."""
    order = await lock_order(work, order_id)
    if order.status is OrderStatus.PENDING_ALLOCATION and to_store_id == order.store_id:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the order is already at that store", "toStoreId")
    store = await work.session.get(Store, to_store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "toStoreId")
    if store.status is not StoreStatus.OPEN:
        raise DomainError(
            ErrorCode.STORE_NOT_OPEN, f"store {store.code} is {store.status.value}", "toStoreId"
        )
    if not _offers(store, order):
        raise DomainError(
            ErrorCode.FULFILLMENT_NOT_OFFERED,
            f"store {store.code} does not offer {order.fulfillment.value}",
            "toStoreId",
        )
    from_store_id = order.store_id
    check_version(order, expected_version)
    lines = await _lines(work, order)
    await release_stock(work.session, from_store_id, lines)
    await reserve_stock(
        work.session, store.id, [(line.sku_id, _unfulfilled(line)) for line in lines], "toStoreId"
    )
    order.store_id = store.id
    await transition_order(
        work, order, A.REALLOCATE, payload={"fromStoreId": from_store_id, "toStoreId": store.id, "note": note}
    )
    work.session.add(
        AllocationRecord(
            order_id=order.id,
            from_store_id=from_store_id,
            to_store_id=store.id,
            reason=note,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            created_at=work.now,
        )
    )
    return order_result(order)


def _offers(store: Store, order: Order) -> bool:
    return {
        Fulfillment.SELF_PICKUP: store.supports_self_pickup,
        Fulfillment.STORE_DELIVERY: store.supports_store_delivery,
        Fulfillment.EXPRESS: store.supports_express,
    }[order.fulfillment]


def _unfulfilled(line: OrderLine) -> int:
    return line.quantity - line.refunded_quantity - line.shipped_quantity


async def verify_pickup(
    work: Work, order_id: int, code: str, *, expected_version: int | None = None
) -> Result:
    """Verify the pickup code (核销) at the counter: the order completes."""
    order = await lock_order(work, order_id)
    transition(order.status, A.VERIFY_PICKUP)  # a wrong state wins over a wrong code
    if not code or code != order.pickup_code:
        raise DomainError(ErrorCode.PICKUP_CODE_MISMATCH, "pickup code does not match", "code")
    await transition_order(work, order, A.VERIFY_PICKUP, expected_version=expected_version)
    return order_result(order)


async def confirm_receipt(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """The buyer confirms receipt (确认收货) of a shipped order."""
    order = await lock_order(work, order_id)
    await transition_order(work, order, A.CONFIRM_RECEIPT, expected_version=expected_version)
    return order_result(order)


async def apply_system_action(work: Work, order_id: int, action: OrderAction) -> bool:
    """A sweep's transition; False when the order moved on meanwhile (another sweeper or a person).

    Rows another sweeper holds are skipped (SKIP LOCKED on PostgreSQL), never waited for.
    """
    assert work.actor.type is ActorType.SYSTEM
    order = await work.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update(skip_locked=True)
    )
    if order is None or action not in allowed_actions(order.status, ActorType.SYSTEM):
        return False
    step = transition(order.status, action)
    await transition_order(work, order, action)
    if action in (A.PAYMENT_TIMEOUT, A.TEAM_FAILED):
        await release_stock(work.session, order.store_id, await _lines(work, order))
    if step.full_refund:
        await refund_in_full(work, order, "拼团失败" if action is A.TEAM_FAILED else "系统取消")
    return True
