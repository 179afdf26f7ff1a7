"""Order use cases of SPEC §3; each goes through `transitions.transition_order` and adds what is
specific to its action (stock, allocation records, refunds)."""

from __future__ import annotations

from sqlalchemy import select

from models.enums import ActorType
from models.errors import DomainError, ErrorCode
from models.orders.rows import AllocationRecord, Order, OrderLine, merchant_order_no
from models.orders.states import OrderAction, OrderStatus, accept_action, allowed_actions, transition
from models.principals import Principal
from models.stores.intake import check_delivery, check_open, check_takes_orders
from models.stores.rows import Store
from services.after_sales.refunds import refund_in_full
from services.campaigns import flash_sales
from services.commands import Result, Work
from services.coupons.redemption import release_for_order
from services.db import SessionFactory
from services.group_buy.membership import member_left
from services.orders.transitions import (
    check_step,
    lock_order,
    lock_team_of,
    order_result,
    transition_order,
)
from services.scoping import order_visibility
from services.stock import release_stock, reserve_stock

A = OrderAction


async def find_order_by_no(sessions: SessionFactory, principal: Principal, order_no: str) -> Order | None:
    async with sessions() as session:
        return await session.scalar(
            select(Order).where(Order.order_no == order_no, order_visibility(principal))
        )


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
    order = await lock_order(work, order_id, expected_version=expected_version)
    if only_from is not None and order.status is not only_from:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"order in {order.status.value} is not {only_from.value}", "orderId"
        )
    step = transition(order.status, A.CANCEL)
    await transition_order(work, order, A.CANCEL, payload={"reason": reason})
    order.cancel_reason = reason
    await member_left(work, order)
    await release_stock(work.session, order.store_id, await _lines(work, order))
    await release_for_order(work, order, f"订单取消: {reason}")
    await flash_sales.release_for_order(work, order)
    if step.full_refund:
        await refund_in_full(work, order, f"订单取消: {reason}")
    return order_result(order)


async def accept(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """Accept (接单): self-pickup orders wait for pickup, the others for shipping."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    await transition_order(work, order, accept_action(order.fulfillment))
    return order_result(order)


async def reject(work: Work, order_id: int, reason: str, *, expected_version: int | None = None) -> Result:
    """Reject (拒单, e.g. 缺货): the order waits for HQ in 待分配 with the reason recorded."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    await transition_order(work, order, A.REJECT, payload={"reason": reason})
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
    """Reallocate (重新分配门店) a 待分配 order. The state is checked first; then the new store must
    take the order exactly as `placeOrder` would (`models.stores.intake`: open, offering the
    fulfilment, inside its business hours, the consignee within its delivery radius, the goods as
    placed at its 起送价), and have the unfulfilled units in stock."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    check_step(work, order, A.REALLOCATE)
    if to_store_id == order.store_id:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the order is already at that store", "toStoreId")
    store = await work.session.get(Store, to_store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "toStoreId")
    check_takes_orders(store, order.fulfillment, store_field="toStoreId", fulfillment_field="toStoreId")
    check_open(store, work.now, work.deps.rules.zone, "toStoreId")
    check_delivery(
        store,
        order.fulfillment,
        order.goods_amount,
        order.consignee_latitude,
        order.consignee_longitude,
        radius_field="toStoreId",
        minimum_field="toStoreId",
    )
    from_store_id = order.store_id
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


def _unfulfilled(line: OrderLine) -> int:
    return line.quantity - line.refunded_quantity - line.shipped_quantity


async def verify_pickup(
    work: Work, order_id: int, code: str, *, expected_version: int | None = None
) -> Result:
    """Verify the pickup code (核销) at the counter: the order completes."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    transition(order.status, A.VERIFY_PICKUP)  # a wrong state wins over a wrong code
    if not code or code != order.pickup_code:
        raise DomainError(ErrorCode.PICKUP_CODE_MISMATCH, "pickup code does not match", "code")
    await transition_order(work, order, A.VERIFY_PICKUP)
    return order_result(order)


async def confirm_receipt(work: Work, order_id: int, *, expected_version: int | None = None) -> Result:
    """The buyer confirms receipt (确认收货) of a shipped order."""
    order = await lock_order(work, order_id, expected_version=expected_version)
    await transition_order(work, order, A.CONFIRM_RECEIPT)
    return order_result(order)


async def apply_system_action(work: Work, order_id: int, action: OrderAction) -> bool:
    """A sweep's transition; False when the order moved on meanwhile (another sweeper or a person).

    Rows another sweeper holds are skipped (SKIP LOCKED on PostgreSQL), never waited for.
    """
    assert work.actor.type is ActorType.SYSTEM
    if not await lock_team_of(work, order_id, skip_locked=True):
        return False
    order = await work.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update(skip_locked=True)
    )
    if order is None or action not in allowed_actions(order.status, ActorType.SYSTEM):
        return False
    step = transition(order.status, action)
    await transition_order(work, order, action)
    if action is A.PAYMENT_TIMEOUT:
        await member_left(work, order)
    if action in (A.PAYMENT_TIMEOUT, A.TEAM_FAILED):
        await release_stock(work.session, order.store_id, await _lines(work, order))
        await release_for_order(work, order, action.value)
        await flash_sales.release_for_order(work, order)

    if step.full_refund:
        await refund_in_full(work, order, "拼团失败" if action is A.TEAM_FAILED else "系统取消")
    return True


async def set_merchant_order_no(
    work: Work, order_id: int, value: str | None, *, expected_version: int | None = None
) -> Result:
    """商家订单号: the store (its own orders) or HQ sets or clears the merchant's reference. Setting
    the number it already has changes nothing (no version bump)."""
    if work.actor.type not in (ActorType.STAFF, ActorType.HQ):
        raise DomainError(ErrorCode.FORBIDDEN, "only the store or HQ sets a merchant order number")
    cleaned = merchant_order_no(value)
    order = await lock_order(work, order_id, expected_version=expected_version)
    if order.merchant_order_no != cleaned:
        order.merchant_order_no = cleaned
        order.updated_at = work.now
    return {"orderId": order.id}
