"""Refunds that move money: the seam the after-sales issue builds on.

`refund_in_full` returns every unrefunded unit of an order as one merchant after-sale
(主动退款) — used when a paid order is cancelled or its group-buy team fails. Lines, order
totals, the after-sale and the PENDING refund row change in the caller's transaction; the
gateway is called after commit, and `retry_pending_refunds` finishes any call that failed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from models.after_sale_states import (
    AfterSaleAction,
    AfterSaleInitiator,
    AfterSaleType,
    next_after_sale_status,
)
from models.after_sales import AfterSale, AfterSaleLine
from models.enums import PaymentKind, PaymentStatus
from models.orders import Order, OrderLine
from models.payments import PaymentTransaction
from services.commands import Work
from services.db import SessionFactory
from services.payments import PaymentGateway, send_refund


async def _next_after_sale_no(work: Work, order: Order) -> str:
    existing = await work.session.scalars(select(AfterSale.id).where(AfterSale.order_id == order.id))
    return f"{order.order_no}R{len(existing.all()) + 1:02d}"


async def refund_in_full(work: Work, order: Order, reason: str) -> AfterSale | None:
    """Refund whatever is still refundable on `order` (None when nothing is). Caller holds the order."""
    lines = (
        await work.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        )
    ).all()
    refundable = [
        (line, line.quantity - line.refunded_quantity, line.paid_amount - line.refunded_amount)
        for line in lines
        if line.quantity > line.refunded_quantity
    ]
    amount = sum(a for _, _, a in refundable)
    if not refundable or order.paid_amount - order.refunded_amount <= 0:
        return None
    # Fees (delivery, packaging) are part of what was paid but of no line: a full refund returns them too.
    fees = order.paid_amount - order.refunded_amount - amount
    after_sale = AfterSale(
        after_sale_no=await _next_after_sale_no(work, order),
        order_id=order.id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        type=AfterSaleType.REFUND_ONLY,
        initiator=AfterSaleInitiator.MERCHANT,
        status=next_after_sale_status(None, AfterSaleAction.MERCHANT_REFUND),
        reason=reason,
        evidence_urls=[],
        refund_amount=amount + fees,
        created_at=work.now,
        reviewed_at=work.now,
        refunded_at=work.now,
        closed_at=work.now,
        updated_at=work.now,
    )
    work.session.add(after_sale)
    await work.session.flush()
    for line, quantity, line_amount in refundable:
        work.session.add(
            AfterSaleLine(
                after_sale_id=after_sale.id,
                order_line_id=line.id,
                quantity=quantity,
                amount=line_amount,
                is_open=False,
            )
        )
        line.refunded_quantity += quantity
        line.refunded_amount += line_amount
    order.refunded_amount += amount + fees
    await queue_refund(work, order, after_sale)
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
    """Sweep: call the gateway again for refunds still PENDING whose retry time has come."""
    async with sessions() as session:
        due = (
            await session.scalars(
                select(PaymentTransaction.transaction_no)
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
            )
        ).all()
    done = 0
    for refund_no in due:
        done += await send_refund(sessions, gateway, refund_no, now)
    return done
