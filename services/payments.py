"""Money in and out through a payment-gateway port, with an outbox so nothing is lost or doubled.

Every gateway call is keyed by a transaction number the gateway treats as idempotent (WeChat Pay
and Alipay both do for refunds: `out_refund_no`). Refund rows are written PENDING in the same
transaction as the state change; the call happens after commit; a failure leaves the row
PENDING with a retry time, and the sweep calls again with the same number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.coupons.sales import CouponPurchase
from models.enums import PaymentKind, PaymentStatus
from models.orders.rows import Order
from models.payments import PaymentTransaction
from services.db import SessionFactory, unit_of_work

log = logging.getLogger("mallgraph.payments")

RETRY_BACKOFF = (timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))


class GatewayError(Exception):
    """The gateway did not confirm (network, timeout, rejection): try again later with the same number."""


@dataclass(frozen=True, slots=True)
class GatewayReceipt:
    reference: str


class PaymentGateway(Protocol):
    async def refund(self, refund_no: str, amount: int, order_no: str) -> GatewayReceipt: ...

    async def confirm_payment(self, payment_no: str, amount: int) -> GatewayReceipt:
        """Dev only: the simulated "payment succeeded" notification of a payment the buyer made."""
        ...


@dataclass
class DevPaymentGateway:
    """An in-process gateway that behaves like a real one where it matters: idempotent by number.

    It records every call so tests can count them, and can be told to fail the next calls.
    """

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    refunds: dict[str, GatewayReceipt] = field(default_factory=dict)
    payments: dict[str, GatewayReceipt] = field(default_factory=dict)
    fail_next: int = 0

    def _maybe_fail(self) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise GatewayError("simulated gateway outage")

    async def refund(self, refund_no: str, amount: int, order_no: str) -> GatewayReceipt:
        self.calls.append(("refund", refund_no, amount))
        self._maybe_fail()
        return self.refunds.setdefault(refund_no, GatewayReceipt(f"dev-refund-{refund_no}"))

    async def confirm_payment(self, payment_no: str, amount: int) -> GatewayReceipt:
        self.calls.append(("pay", payment_no, amount))
        self._maybe_fail()
        return self.payments.setdefault(payment_no, GatewayReceipt(f"dev-pay-{payment_no}"))

    def refunded_total(self) -> int:
        """Money the gateway actually returned: one amount per distinct refund number."""
        by_no = {no: amount for kind, no, amount in self.calls if kind == "refund" and no in self.refunds}
        return sum(by_no.values())


async def next_transaction_no(session: AsyncSession, prefix: str, order_id: int, order_no: str) -> str:
    """`{prefix}{order_no}{nn}`: unique while the caller holds the order (the order row is locked)."""
    count = len(
        (
            await session.scalars(
                select(PaymentTransaction.id).where(PaymentTransaction.order_id == order_id)
            )
        ).all()
    )
    return f"{prefix}{order_no}{count + 1:02d}"


async def send_refund(
    sessions: SessionFactory, gateway: PaymentGateway, transaction_no: str, now: datetime | None = None
) -> bool:
    """Call the gateway for one PENDING refund (of an order or a coupon purchase); True when it is
    (or already was) confirmed."""
    async with sessions() as session:
        found = (
            await session.execute(
                select(PaymentTransaction, func.coalesce(Order.order_no, CouponPurchase.purchase_no))
                .outerjoin(Order, Order.id == PaymentTransaction.order_id)
                .outerjoin(CouponPurchase, CouponPurchase.id == PaymentTransaction.coupon_purchase_id)
                .where(PaymentTransaction.transaction_no == transaction_no)
            )
        ).one_or_none()
    if found is None or found[0].kind is not PaymentKind.REFUND:
        raise LookupError(f"no refund {transaction_no}")
    tx, order_no = found
    if tx.status is PaymentStatus.SUCCEEDED:
        return True
    try:
        receipt = await gateway.refund(transaction_no, tx.amount, order_no)
    except GatewayError as exc:
        await _schedule_retry(sessions, tx.id, tx.attempts, str(exc), now or utcnow())
        log.warning("refund %s not confirmed, will retry: %s", transaction_no, exc)
        return False
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(PaymentTransaction)
            .where(PaymentTransaction.id == tx.id, PaymentTransaction.status == PaymentStatus.PENDING)
            .values(
                status=PaymentStatus.SUCCEEDED,
                gateway_reference=receipt.reference,
                attempts=PaymentTransaction.attempts + 1,
                completed_at=now or utcnow(),
                last_error=None,
            )
        )
    return True


async def _schedule_retry(
    sessions: SessionFactory, tx_id: int, attempts: int, error: str, now: datetime
) -> None:
    delay = RETRY_BACKOFF[min(attempts, len(RETRY_BACKOFF) - 1)]
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(PaymentTransaction)
            .where(PaymentTransaction.id == tx_id, PaymentTransaction.status == PaymentStatus.PENDING)
            .values(
                attempts=PaymentTransaction.attempts + 1, next_attempt_at=now + delay, last_error=error[:300]
            )
        )
