"""After-sale records and the money they move — the one place refunds are written.

* `after_sale_transition` is the only writer of `after_sales.status` (state table + who may act),
  keeping `after_sale_lines.is_open` in step so the database can enforce one open after-sale per line.
* `pay_out` moves the money of a REFUNDED after-sale: line and order totals, stock of units that
  never left the store (a price difference, 退差价, moves money only), closing a fully refunded
  order, and a PENDING refund row whose gateway call runs after commit (retried by
  `retry_pending_refunds` with the same refund number).
* `refund_in_full` is what cancelling a paid order (or a failed group-buy team) uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import or_, select, update

from models.after_sales.refund_policy import LineRefund
from models.after_sales.rows import AfterSale, AfterSaleEvent, AfterSaleLine
from models.after_sales.states import (
    AFTER_SALE_ACTORS,
    AfterSaleAction,
    AfterSaleInitiator,
    AfterSaleStatus,
    AfterSaleType,
    consumes_units,
    is_open,
    next_after_sale_status,
)
from models.enums import PaymentKind, PaymentStatus
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderLine
from models.orders.states import PAID_NON_FINAL_STATUSES, TRANSITIONS, OrderAction, OrderStatus
from models.payments import PaymentTransaction
from models.principals import SYSTEM
from services.commands import Work
from services.coupons.redemption import restore_for_order
from services.db import SessionFactory, unit_of_work
from services.orders.transitions import transition_order
from services.payments import PaymentGateway, send_refund
from services.stock import return_units

A = AfterSaleAction
REFUND_LEASE: Final = timedelta(minutes=5)
"""How long a sweeper owns a refund it is retrying before another may take it."""
_STAMPS = {
    A.APPROVE_REFUND_ONLY: "reviewed_at",
    A.APPROVE_RETURN: "reviewed_at",
    A.REJECT: "reviewed_at",
    A.SUBMIT_RETURN: "return_shipped_at",
    A.SHIP_REPLACEMENT: "replacement_shipped_at",
}


def _record(
    work: Work,
    after_sale: AfterSale,
    action: AfterSaleAction,
    before: AfterSaleStatus | None,
    payload: dict[str, Any],
) -> None:
    work.session.add(
        AfterSaleEvent(
            after_sale_id=after_sale.id,
            action=action,
            from_status=before,
            to_status=after_sale.status,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            payload=payload,
            created_at=work.now,
        )
    )


def _check_actor(work: Work, action: AfterSaleAction) -> None:
    if work.actor.type not in AFTER_SALE_ACTORS[action]:
        raise DomainError(
            ErrorCode.FORBIDDEN, f"{work.actor.type.value} may not {action.value} an after-sale"
        )


async def after_sale_transition(
    work: Work, after_sale: AfterSale, action: AfterSaleAction, payload: dict[str, Any] | None = None
) -> None:
    """Move an existing after-sale by the table; its lines' `is_open` follows in the same flush."""
    _check_actor(work, action)
    before = after_sale.status
    after_sale.status = next_after_sale_status(before, action, after_sale.type)
    after_sale.updated_at = work.now
    after_sale.version += 1
    if stamp := _STAMPS.get(action):
        setattr(after_sale, stamp, work.now)
    if after_sale.status is AfterSaleStatus.REFUNDED:
        after_sale.refunded_at = work.now
    still_open = is_open(after_sale.status)
    if still_open != is_open(before):  # closing, or an escalation reopening a rejected request
        after_sale.closed_at = None if still_open else work.now
        lines = await work.session.scalars(
            select(AfterSaleLine).where(AfterSaleLine.after_sale_id == after_sale.id)
        )
        for line in lines:
            line.is_open = still_open
    _record(work, after_sale, action, before, payload or {})
    await work.session.flush()


async def open_after_sale(
    work: Work,
    order: Order,
    *,
    action: AfterSaleAction,
    kind: AfterSaleType,
    reason: str,
    items: Sequence[tuple[OrderLine, LineRefund]],
    evidence_urls: Sequence[str] = (),
) -> AfterSale:
    """Create an after-sale (a buyer's request, or a merchant refund that is REFUNDED at once)."""
    _check_actor(work, action)
    status = next_after_sale_status(None, action, kind)
    existing = await work.session.scalars(select(AfterSale.id).where(AfterSale.order_id == order.id))
    after_sale = AfterSale(
        after_sale_no=f"{order.order_no}R{len(existing.all()) + 1:02d}",
        order_id=order.id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        type=kind,
        initiator=AfterSaleInitiator.BUYER if action is A.REQUEST else AfterSaleInitiator.MERCHANT,
        status=status,
        reason=reason,
        evidence_urls=list(evidence_urls),
        refund_amount=sum(r.amount for _, r in items),
        created_at=work.now,
        refunded_at=work.now if status is AfterSaleStatus.REFUNDED else None,
        closed_at=None if is_open(status) else work.now,
        updated_at=work.now,
    )
    work.session.add(after_sale)
    await work.session.flush()
    for line, refund in items:
        work.session.add(
            AfterSaleLine(
                after_sale_id=after_sale.id,
                order_line_id=line.id,
                quantity=refund.quantity,
                amount=refund.amount,
                is_open=is_open(status),
            )
        )
    _record(work, after_sale, action, None, {"lines": len(items)})
    await work.session.flush()
    return after_sale


async def pay_out(work: Work, order: Order, after_sale: AfterSale, *, restock: bool = True) -> None:
    """Move the money of a REFUNDED after-sale. The caller holds the order (locked).

    Refunded units that never left the store go back on its shelf unless the caller already gave
    all unshipped stock back (`restock=False`, as cancelling does).
    """
    assert after_sale.status is AfterSaleStatus.REFUNDED
    rows = (
        await work.session.scalars(select(AfterSaleLine).where(AfterSaleLine.after_sale_id == after_sale.id))
    ).all()
    lines = {
        line.id: line
        for line in (
            await work.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        ).all()
    }
    units = consumes_units(after_sale.type)  # a price difference (退差价) leaves the units with the buyer
    back_to_shelf = []
    for row in rows:
        line = lines[row.order_line_id]
        if units:
            never_left = max(0, line.quantity - line.shipped_quantity - line.refunded_quantity)
            back_to_shelf.append((line.sku_id, min(row.quantity, never_left)))
            line.refunded_quantity += row.quantity
        line.refunded_amount += row.amount
    if restock and back_to_shelf:
        await return_units(work.session, order.store_id, back_to_shelf)
    everything_back = all(line.refunded_quantity >= line.quantity for line in lines.values())
    completed = order.status is OrderStatus.COMPLETED
    if units and everything_back and not completed:
        # Nothing of the order is kept: the fees (delivery, packaging) go back as well.
        after_sale.refund_amount += order.paid_amount - order.refunded_amount - after_sale.refund_amount
    if units and everything_back:
        await restore_for_order(work, order, completed=completed)
    order.refunded_amount += after_sale.refund_amount
    order.updated_at = work.now
    await queue_refund(work, order, after_sale)
    await _settle_order(work, order, after_sale, list(lines.values()), units and everything_back)


async def _settle_order(
    work: Work, order: Order, after_sale: AfterSale, lines: list[OrderLine], everything_back: bool
) -> None:
    """A fully refunded order closes; a refund that leaves only shipped units finishes the shipping."""
    payload = {"afterSaleNo": after_sale.after_sale_no}
    if everything_back and order.status in PAID_NON_FINAL_STATUSES:
        await transition_order(
            dataclasses.replace(work, actor=SYSTEM), order, OrderAction.CLOSE, payload=payload
        )
        return
    shipped_some = any(line.shipped_quantity for line in lines)
    if (
        order.status is OrderStatus.PENDING_SHIPMENT
        and shipped_some
        and all(line.shipped_quantity + line.refunded_quantity >= line.quantity for line in lines)
        and work.actor.type in TRANSITIONS[(OrderStatus.PENDING_SHIPMENT, OrderAction.SHIP)].actors
    ):
        await transition_order(work, order, OrderAction.SHIP, payload=payload)


async def refund_in_full(work: Work, order: Order, reason: str) -> AfterSale | None:
    """Refund whatever is still refundable on `order` as one merchant refund (None when nothing is).

    Used right after a cancelling transition, whose caller has already released the stock.
    """
    if order.paid_amount - order.refunded_amount <= 0:
        return None
    lines = (
        await work.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        )
    ).all()
    items = [
        (line, LineRefund(line.quantity - line.refunded_quantity, line.paid_amount - line.refunded_amount))
        for line in lines
        if line.quantity > line.refunded_quantity
    ]
    if not items:
        return None
    # The refund is the system's consequence of the cancellation (whose event names who cancelled).
    system = dataclasses.replace(work, actor=SYSTEM)
    after_sale = await open_after_sale(
        system, order, action=A.MERCHANT_REFUND, kind=AfterSaleType.REFUND_ONLY, reason=reason, items=items
    )
    await pay_out(system, order, after_sale, restock=False)
    return after_sale


async def queue_refund(work: Work, order: Order, after_sale: AfterSale) -> None:
    """Write the PENDING refund row now; call the gateway after commit with the refund number."""
    if after_sale.refund_amount <= 0:
        return
    work.session.add(
        PaymentTransaction(
            transaction_no=after_sale.after_sale_no,
            kind=PaymentKind.REFUND,
            order_id=order.id,
            after_sale_id=after_sale.id,
            method=order.payment_method,
            amount=after_sale.refund_amount,
            status=PaymentStatus.PENDING,
            next_attempt_at=work.now,
            created_at=work.now,
        )
    )
    sessions, gateway, refund_no = work.deps.sessions, work.deps.gateway, after_sale.after_sale_no

    async def send() -> None:
        await send_refund(sessions, gateway, refund_no)

    work.after_commit(send)


async def retry_pending_refunds(
    sessions: SessionFactory, gateway: PaymentGateway, now: datetime, limit: int = 100
) -> int:
    """Sweep: call the gateway again for refunds still PENDING whose retry time has come.

    The due rows are claimed first, under a lease: one statement takes them (SKIP LOCKED, so
    sweepers in other processes take other rows) and moves their retry time `REFUND_LEASE`
    ahead. Another process's sweep therefore does not call the gateway for them too; if this
    process dies mid-call, the lease runs out and the refund is retried elsewhere. (A second
    call would still be harmless — the gateway is idempotent by refund number — just wasted.)
    """
    due = (
        select(PaymentTransaction.id)
        .where(
            PaymentTransaction.kind == PaymentKind.REFUND,
            PaymentTransaction.status == PaymentStatus.PENDING,
            or_(
                PaymentTransaction.next_attempt_at.is_(None),
                PaymentTransaction.next_attempt_at <= now,
            ),
        )
        .order_by(PaymentTransaction.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with unit_of_work(sessions) as session:
        claimed = (
            await session.scalars(
                update(PaymentTransaction)
                .where(PaymentTransaction.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + REFUND_LEASE)
                .returning(PaymentTransaction.transaction_no)
            )
        ).all()
    done = 0
    for refund_no in sorted(claimed):
        done += await send_refund(sessions, gateway, refund_no, now)
    return done
