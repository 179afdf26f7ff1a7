"""Paying an order: a PAY row in the outbox, then the gateway's notification moves the order.

`confirm_payment` is what a real gateway's webhook would call; the dev gateway calls it right
after `payOrder` commits. It is idempotent by payment number. Money that arrives for an order
that meanwhile timed out or was cancelled is sent straight back (a refund row, after commit).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select

from models.base import utcnow
from models.customers import Customer
from models.enums import PaymentKind, PaymentMethod, PaymentStatus
from models.errors import DomainError, ErrorCode
from models.order_states import OrderStatus, accept_action, pay_action, transition
from models.orders import Order
from models.payments import PaymentTransaction
from models.principals import PAYMENT_GATEWAY, SYSTEM, SYSTEM_PRINCIPAL
from models.stores import Store
from services.commands import Deps, Result, Work, run_command
from services.coupons.redemption import use_for_order
from services.group_buy import member_paid
from services.order_transitions import lock_order, transition_order
from services.payments import send_refund


async def start_payment(work: Work, order_id: int, method: PaymentMethod) -> Result:
    """The buyer pays: reuse the order's pending payment or open one; the gateway confirms after commit."""
    order = await lock_order(work, order_id)
    transition(order.status, pay_action(order.type))  # INVALID_TRANSITION unless still unpaid
    if order.payment_deadline is not None and work.now >= order.payment_deadline:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED, "the payment window has closed; the order will be cancelled"
        )
    pending = await work.session.scalar(
        select(PaymentTransaction).where(
            PaymentTransaction.order_id == order.id,
            PaymentTransaction.kind == PaymentKind.PAY,
            PaymentTransaction.status == PaymentStatus.PENDING,
        )
    )
    if pending is None:
        count = len(
            (
                await work.session.scalars(
                    select(PaymentTransaction.id).where(PaymentTransaction.order_id == order.id)
                )
            ).all()
        )
        pending = PaymentTransaction(
            transaction_no=f"P{order.order_no}{count + 1:02d}",
            kind=PaymentKind.PAY,
            order_id=order.id,
            method=method,
            amount=order.payable_amount,
            status=PaymentStatus.PENDING,
            created_at=work.now,
        )
        work.session.add(pending)
    else:
        pending.method = method
    deps, payment_no, amount = work.deps, pending.transaction_no, pending.amount

    async def gateway_confirms() -> None:
        receipt = await deps.gateway.confirm_payment(payment_no, amount)
        await confirm_payment(deps, payment_no, receipt.reference)

    work.after_commit(gateway_confirms)
    return {"orderId": order.id, "paymentNo": payment_no}


async def confirm_payment(deps: Deps, payment_no: str, reference: str, now: datetime | None = None) -> Result:
    """The gateway says `payment_no` succeeded. Safe to call any number of times."""

    async def apply(work: Work) -> Result:
        tx = await work.session.scalar(
            select(PaymentTransaction)
            .where(PaymentTransaction.transaction_no == payment_no)
            .with_for_update()
        )
        if tx is None or tx.kind is not PaymentKind.PAY:
            raise DomainError(ErrorCode.NOT_FOUND, f"no payment {payment_no}")
        if tx.status is PaymentStatus.SUCCEEDED:
            return {"orderId": tx.order_id, "paymentNo": payment_no}
        tx.status, tx.gateway_reference, tx.completed_at = PaymentStatus.SUCCEEDED, reference, work.now
        tx.attempts += 1
        order = await lock_order(work, tx.order_id)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            await _return_late_payment(work, order, tx)
            return {"orderId": order.id, "paymentNo": payment_no}
        await transition_order(work, order, pay_action(order.type), payload={"paymentNo": payment_no})
        order.paid_amount, order.payment_method = tx.amount, tx.method
        customer = await work.session.get(Customer, order.customer_id)
        if customer is not None and customer.first_paid_at is None:
            customer.first_paid_at = work.now
        await member_paid(work, order)
        await use_for_order(work, order)
        await _auto_accept(work, order)
        return {"orderId": order.id, "paymentNo": payment_no}

    return await run_command(
        deps, SYSTEM_PRINCIPAL, "confirmPayment", apply, actor=PAYMENT_GATEWAY, now=now or utcnow()
    )


async def _auto_accept(work: Work, order: Order) -> None:
    """Stores with 自动接单 accept paid orders at once (the sweep is only a backstop)."""
    if order.status is not OrderStatus.PENDING_ACCEPTANCE or order.store_id is None:
        return
    store = await work.session.get(Store, order.store_id)
    if store is not None and store.auto_accept:
        await transition_order(
            dataclasses.replace(work, actor=SYSTEM), order, accept_action(order.fulfillment)
        )


async def _return_late_payment(work: Work, order: Order, tx: PaymentTransaction) -> None:
    """Money for an order that is no longer payable goes straight back, in full."""
    refund = PaymentTransaction(
        transaction_no=f"R{tx.transaction_no}",
        kind=PaymentKind.REFUND,
        order_id=order.id,
        method=tx.method,
        amount=tx.amount,
        status=PaymentStatus.PENDING,
        next_attempt_at=work.now,
        created_at=work.now,
    )
    work.session.add(refund)
    deps, refund_no = work.deps, refund.transaction_no

    async def send() -> None:
        await send_refund(deps.sessions, deps.gateway, refund_no)

    work.after_commit(send)
