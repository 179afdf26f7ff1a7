"""卖券: putting a template on sale, buying, payment, refund and the unpaid-purchase sweep.

Money moves through the order payments' outbox (`payment_transactions`, keyed by purchase instead
of order): `services.orders.payments.start_purchase_payment` opens the PAY row and the gateway's
notification (`confirm_payment`, idempotent by payment number) calls `apply_payment`, which
issues the coupon once (cause SALE). Refunding writes one REFUND row for the whole price, sent
after commit and retried by the refund sweep with the same number.

Who: HQ puts any claimable template on sale; store staff the 商家券 of their own stores. A shopper
buys for themselves; the shopper or HQ refunds a PAID purchase whose coupon is still UNUSED.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from models.coupons.rows import CouponLedgerAction, CouponTemplate, CustomerCoupon
from models.coupons.rules import CouponIssueCause, CouponStatus
from models.coupons.sales import CouponPurchase, PurchaseAction, PurchaseStatus, next_purchase_status
from models.enums import PaymentKind, PaymentStatus, Role
from models.errors import DomainError, ErrorCode
from models.payments import PaymentTransaction
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.commands import Deps, Result, Work, run_command
from services.coupons import ledger
from services.coupons.claiming import check_open, check_room, holdings, issue, locked_template
from services.coupons.templates import locked_for_manager
from services.db import SessionFactory
from services.payments import send_refund

MAX_PRICE = 1_000_000
"""¥10,000: a coupon dearer than that is a typo."""


async def set_sale_price(work: Work, template_id: int, price: int | None) -> Result:
    """Put the template on sale at `price` cents, change the price, or take it off sale (None).

    A price change applies to purchases made afterwards; unpaid purchases keep their price."""
    t = await locked_for_manager(work, template_id)
    if price is not None:
        if not 1 <= price <= MAX_PRICE:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"the price is 1 to {MAX_PRICE} cents", "priceCents")
        check_open(t, work.now)
    t.sale_price, t.updated_at = price, work.now
    return {"templateId": t.id}


def _purchase_no(now: datetime) -> str:
    return f"Q{now:%Y%m%d%H%M%S}{secrets.randbelow(10**4):04d}"


async def buy(work: Work, customer_id: int, template_id: int) -> Result:
    """Open an UNPAID purchase reserving one unit (or return the buyer's open one of this template)."""
    t = await locked_template(work, template_id)
    if t.sale_price is None:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon is not on sale", "templateId")
    check_open(t, work.now)
    existing = await work.session.scalar(
        select(CouponPurchase).where(
            CouponPurchase.template_id == t.id,
            CouponPurchase.customer_id == customer_id,
            CouponPurchase.status == PurchaseStatus.UNPAID,
            CouponPurchase.payment_deadline > work.now,
        )
    )
    if existing is not None:
        return {"purchaseId": existing.id}
    held, reserved, _ = await holdings(work.session, t.id, customer_id)
    check_room(t, held, reserved)
    t.reserved_count += 1
    purchase = CouponPurchase(
        purchase_no=_purchase_no(work.now),
        template_id=t.id,
        customer_id=customer_id,
        price=t.sale_price,
        status=PurchaseStatus.UNPAID,
        payment_deadline=work.now + work.deps.rules.payment_timeout,
        created_at=work.now,
    )
    work.session.add(purchase)
    await work.session.flush()
    return {"purchaseId": purchase.id}


async def locked_purchase(work: Work, purchase_id: int) -> CouponPurchase:
    """The purchase, row-locked; a shopper sees only their own (NOT_FOUND otherwise)."""
    stmt = select(CouponPurchase).where(CouponPurchase.id == purchase_id)
    if work.principal.role is Role.SHOPPER:
        stmt = stmt.where(CouponPurchase.customer_id == work.principal.customer_id)
    elif work.principal.role is not Role.HQ_ADMIN:
        raise DomainError(ErrorCode.FORBIDDEN, "only the buyer or HQ may act on a purchase", "purchaseId")
    purchase = await work.session.scalar(stmt.with_for_update())
    if purchase is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon purchase not found", "purchaseId")
    return purchase


async def apply_payment(work: Work, tx: PaymentTransaction) -> bool:
    """The gateway confirmed `tx` (already SUCCEEDED): issue the coupon. False when the purchase
    is no longer payable (expired meanwhile): the caller sends the money back."""
    assert tx.coupon_purchase_id is not None
    purchase = await locked_purchase(work, tx.coupon_purchase_id)
    if purchase.status is not PurchaseStatus.UNPAID:
        return False
    purchase.status = next_purchase_status(purchase.status, PurchaseAction.PAY)
    purchase.paid_at = work.now
    t = await locked_template(work, purchase.template_id)
    t.reserved_count -= 1
    held, _, _ = await holdings(work.session, t.id, purchase.customer_id)
    coupon = await issue(
        work, t, purchase.customer_id, held, CouponIssueCause.SALE, f"卖券 {purchase.purchase_no}"
    )
    purchase.coupon_id = coupon.id
    return True


async def refund(work: Work, purchase_id: int, reason: str) -> Result:
    """PAID → REFUNDED: the coupon (still UNUSED) is VOIDED and the whole price goes back once."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give a reason (at most 200 characters)", "reason")
    purchase = await locked_purchase(work, purchase_id)
    purchase.status = next_purchase_status(purchase.status, PurchaseAction.REFUND)
    coupon = await work.session.scalar(
        select(CustomerCoupon).where(CustomerCoupon.id == purchase.coupon_id).with_for_update()
    )
    assert coupon is not None
    state = coupon.status_at(work.now)
    if state is not CouponStatus.UNUSED:
        raise DomainError(
            ErrorCode.COUPON_UNAVAILABLE, f"the coupon is {state.value}: only an unused one is refunded"
        )
    coupon.status = CouponStatus.VOIDED
    ledger.record(work, coupon, CouponLedgerAction.VOIDED, note=f"purchase refunded: {reason}"[:200])
    purchase.refunded_at = work.now
    paid = await work.session.scalar(
        select(PaymentTransaction).where(
            PaymentTransaction.coupon_purchase_id == purchase.id,
            PaymentTransaction.kind == PaymentKind.PAY,
            PaymentTransaction.status == PaymentStatus.SUCCEEDED,
        )
    )
    assert paid is not None
    refund_no = f"R{paid.transaction_no}"
    work.session.add(
        PaymentTransaction(
            transaction_no=refund_no,
            kind=PaymentKind.REFUND,
            coupon_purchase_id=purchase.id,
            method=paid.method,
            amount=paid.amount,
            status=PaymentStatus.PENDING,
            next_attempt_at=work.now,
            created_at=work.now,
        )
    )
    sessions, gateway = work.deps.sessions, work.deps.gateway

    async def send() -> None:
        await send_refund(sessions, gateway, refund_no)

    work.after_commit(send)
    return {"purchaseId": purchase.id, "refundNo": refund_no}


async def expire_unpaid(deps: Deps, now: datetime, limit: int = 200) -> int:
    """Sweep: UNPAID purchases past their deadline expire and give their unit back, each once."""

    async def expire(work: Work) -> Result:
        due = (
            await work.session.scalars(
                select(CouponPurchase)
                .where(
                    CouponPurchase.status == PurchaseStatus.UNPAID,
                    CouponPurchase.payment_deadline <= work.now,
                )
                .order_by(CouponPurchase.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for purchase in due:
            purchase.status = next_purchase_status(purchase.status, PurchaseAction.EXPIRE)
            purchase.expired_at = work.now
            await work.session.execute(
                update(CouponTemplate)
                .where(CouponTemplate.id == purchase.template_id)
                .values(reserved_count=CouponTemplate.reserved_count - 1)
                .execution_options(synchronize_session=False)
            )
        return {"expired": len(due)}

    result = await run_command(deps, SYSTEM_PRINCIPAL, "expireCouponPurchases", expire, actor=SYSTEM, now=now)
    return int(result["expired"])


async def purchases_of(
    sessions: SessionFactory, customer_id: int | None, statuses: Sequence[PurchaseStatus]
) -> list[CouponPurchase]:
    """Newest first (a shopper's own when `customer_id` is given, else every purchase), at most 100."""
    stmt = select(CouponPurchase)
    if customer_id is not None:
        stmt = stmt.where(CouponPurchase.customer_id == customer_id)
    if statuses:
        stmt = stmt.where(CouponPurchase.status.in_(statuses))
    async with sessions() as session:
        rows = await session.scalars(stmt.order_by(CouponPurchase.id.desc()).limit(100))
        return list(rows.all())
