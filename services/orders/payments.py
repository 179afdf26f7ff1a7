"""Paying an order: a PAY row in the outbox, then the gateway's notification moves the order.

`confirm_payment` is what a real gateway's webhook would call; the dev gateway calls it right
after `payOrder` (or `payCouponPurchase`) commits. It is idempotent by payment number. A payment
of a coupon purchase (卖券) is handed to `services.coupons.sales`. Money that arrives for an order
or purchase that meanwhile timed out or was cancelled is sent straight back (a refund row, after
commit).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from models.base import utcnow
from models.coupons.sales import PurchaseStatus
from models.customers.rows import Customer
from models.enums import PaymentKind, PaymentMethod, PaymentStatus
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.orders.states import OrderStatus, accept_action, pay_action, transition
from models.payments import PaymentTransaction
from models.principals import PAYMENT_GATEWAY, SYSTEM, SYSTEM_PRINCIPAL
from models.stores.rows import Store
from services.commands import Deps, Result, Work, run_command
from services.coupons import sales
from services.coupons.redemption import use_for_order
from services.group_buy.teams import member_paid
from services.orders.transitions import lock_order, transition_order
from services.payments import send_refund


async def start_payment(work: Work, order_id: int, method: PaymentMethod) -> Result:
    """The buyer pays: reuse the order's pending payment or open one; the gateway confirms after commit."""
    order = await lock_order(work, order_id)
    transition(order.status, pay_action(order.type))  # INVALID_TRANSITION unless still unpaid
    if order.payment_deadline is not None and work.now >= order.payment_deadline:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED, "the payment window has closed; the order will be cancelled"
        )
    payment_no = await _open_payment(
        work, PaymentTransaction.order_id, order.id, order.order_no, order.payable_amount, method
    )
    return {"orderId": order.id, "paymentNo": payment_no}


async def start_purchase_payment(work: Work, purchase_id: int, method: PaymentMethod) -> Result:
    """The shopper pays for a coupon purchase (卖券), exactly as for an order."""
    purchase = await sales.locked_purchase(work, purchase_id)
    if purchase.status is not PurchaseStatus.UNPAID:
        raise DomainError(ErrorCode.INVALID_TRANSITION, f"the purchase is {purchase.status.value}")
    if work.now >= purchase.payment_deadline:
        raise DomainError(ErrorCode.PAYMENT_FAILED, "the payment window has closed", "purchaseId")
    payment_no = await _open_payment(
        work,
        PaymentTransaction.coupon_purchase_id,
        purchase.id,
        purchase.purchase_no,
        purchase.price,
        method,
    )
    return {"purchaseId": purchase.id, "paymentNo": payment_no}


async def _open_payment(
    work: Work,
    owner: InstrumentedAttribute[int | None],
    owner_id: int,
    number: str,
    amount: int,
    method: PaymentMethod,
) -> str:
    """Reuse the owner's (order's or purchase's) PENDING payment or open one; the gateway is asked
    to confirm after commit. The caller holds the owner's row lock, so the number is unique."""
    pending = await work.session.scalar(
        select(PaymentTransaction).where(
            owner == owner_id,
            PaymentTransaction.kind == PaymentKind.PAY,
            PaymentTransaction.status == PaymentStatus.PENDING,
        )
    )
    if pending is None:
        earlier = await work.session.scalars(select(PaymentTransaction.id).where(owner == owner_id))
        count = len(earlier.all())
        pending = PaymentTransaction(
            transaction_no=f"P{number}{count + 1:02d}",
            kind=PaymentKind.PAY,
            method=method,
            amount=amount,
            status=PaymentStatus.PENDING,
            created_at=work.now,
        )
        setattr(pending, owner.key, owner_id)
        work.session.add(pending)
    else:
        pending.method = method
    deps, payment_no, amount = work.deps, pending.transaction_no, pending.amount

    async def gateway_confirms() -> None:
        receipt = await deps.gateway.confirm_payment(payment_no, amount)
        await confirm_payment(deps, payment_no, receipt.reference)

    work.after_commit(gateway_confirms)
    return payment_no


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
            return {"orderId": tx.order_id, "purchaseId": tx.coupon_purchase_id, "paymentNo": payment_no}
        tx.status, tx.gateway_reference, tx.completed_at = PaymentStatus.SUCCEEDED, reference, work.now
        tx.attempts += 1
        if tx.order_id is None:  # a coupon purchase (卖券)
            if not await sales.apply_payment(work, tx):
                _return_late_payment(work, tx)
            return {"purchaseId": tx.coupon_purchase_id, "paymentNo": payment_no}
        order = await lock_order(work, tx.order_id)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            _return_late_payment(work, tx)
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


def _return_late_payment(work: Work, tx: PaymentTransaction) -> None:
    """Money for an order (or coupon purchase) that is no longer payable goes straight back, in full."""
    refund = PaymentTransaction(
        transaction_no=f"R{tx.transaction_no}",
        kind=PaymentKind.REFUND,
        order_id=tx.order_id,
        coupon_purchase_id=tx.coupon_purchase_id,
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
