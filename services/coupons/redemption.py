"""Coupons in orders: checked before pricing, locked by the unpaid order, used on payment, unlocked
on cancellation or payment timeout, restored by a full refund as each coupon's policy says.

Locking is a conditional update (`UNUSED → LOCKED` only if still UNUSED) in the order's own
transaction: two concurrent orders can never hold the same coupon — the second finds it taken and
its whole order rolls back with COUPON_UNAVAILABLE.

The restore rule (`models.coupons.rules.restores_on_refund`, per coupon by its template's policy,
by default FULL_REFUND_BEFORE_COMPLETION): a USED coupon comes back (UNUSED, or EXPIRED if its
window has passed) only when every unit of the order is refunded; a partial refund keeps it used
(the refunded money already excludes the coupon's share). The caller holds the order's row lock,
so two refunds of the same order restore a coupon once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.coupons.rows import CouponLedgerAction, CustomerCoupon, OrderAdjustment
from models.coupons.rules import CouponStatus, CouponTerms, check_usable, restores_on_refund
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.pricing.cart import Pricing
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.commands import Deps, Result, Work, run_command
from services.coupons import ledger


async def usable_coupons(
    session: AsyncSession,
    customer_id: int,
    coupon_ids: Sequence[int],
    store_id: int | None,
    channel: str,
    now: datetime,
    fulfillment: str | None = None,
) -> list[CouponTerms]:
    """The terms of the shopper's chosen coupons, each checked usable here, for this fulfilment
    (scene), now (own code each)."""
    if not coupon_ids:
        return []
    rows = {
        c.id: c
        for c in (
            await session.scalars(select(CustomerCoupon).where(CustomerCoupon.id.in_(set(coupon_ids))))
        ).all()
    }
    terms = []
    for i, coupon_id in enumerate(coupon_ids):
        row = rows.get(coupon_id)
        field = f"couponIds.{i}"
        if row is None or row.customer_id != customer_id:
            raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "no such coupon in your account", field)
        check_usable(row.terms(), row.status_at(now), store_id, channel, now, field, fulfillment)
        terms.append(row.terms())
    return terms


async def held_coupons(
    session: AsyncSession,
    customer_id: int,
    store_id: int | None,
    channel: str,
    now: datetime,
    fulfillment: str | None = None,
) -> list[CouponTerms]:
    """Every coupon of the shopper usable at this store, for this fulfilment, now (the cart aside),
    for 'best coupon'."""
    rows = (
        await session.scalars(
            select(CustomerCoupon)
            .where(
                CustomerCoupon.customer_id == customer_id,
                CustomerCoupon.status == CouponStatus.UNUSED,
                CustomerCoupon.expires_at > now,
            )
            .order_by(CustomerCoupon.expires_at, CustomerCoupon.id)
            .limit(200)
        )
    ).all()
    usable = []
    for row in rows:
        try:
            check_usable(row.terms(), row.status_at(now), store_id, channel, now, "couponIds", fulfillment)
        except DomainError:
            continue
        usable.append(row.terms())
    return usable


async def lock_for_order(work: Work, order: Order, coupon_ids: Sequence[int]) -> None:
    """UNUSED → LOCKED by `order`; a coupon another order took meanwhile refuses the whole order."""
    for i, coupon_id in enumerate(coupon_ids):
        locked = await work.session.execute(
            update(CustomerCoupon)
            .where(CustomerCoupon.id == coupon_id, CustomerCoupon.status == CouponStatus.UNUSED)
            .values(status=CouponStatus.LOCKED, locked_order_id=order.id)
            .execution_options(synchronize_session=False)
        )
        if locked.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError(
                ErrorCode.COUPON_UNAVAILABLE, "this coupon is already held by another order", f"couponIds.{i}"
            )
        coupon = await work.session.get(CustomerCoupon, coupon_id, populate_existing=True)
        assert coupon is not None
        ledger.record(work, coupon, CouponLedgerAction.LOCKED, order_id=order.id, store_id=order.store_id)


def write_adjustments(work: Work, order: Order, pricing: Pricing) -> None:
    """The order's price explanation, one row per adjustment, with each line's share."""
    for a in pricing.adjustments:
        work.session.add(
            OrderAdjustment(
                order_id=order.id,
                layer=a.layer,
                label=a.label[:100],
                amount=a.amount,
                source_id=a.source_id,
                line_shares=list(a.shares),
            )
        )


async def _of_order(work: Work, order: Order, status: CouponStatus) -> list[CustomerCoupon]:
    column = CustomerCoupon.locked_order_id if status is CouponStatus.LOCKED else CustomerCoupon.used_order_id
    stmt = (
        select(CustomerCoupon)
        .where(column == order.id, CustomerCoupon.status == status)
        .order_by(CustomerCoupon.id)
        .with_for_update()
    )
    return list((await work.session.scalars(stmt)).all())


async def use_for_order(work: Work, order: Order) -> None:
    """Payment arrived: the order's LOCKED coupons become USED."""
    for coupon in await _of_order(work, order, CouponStatus.LOCKED):
        coupon.status, coupon.used_order_id, coupon.used_at = CouponStatus.USED, order.id, work.now
        coupon.locked_order_id = None
        ledger.record(work, coupon, CouponLedgerAction.USED, order_id=order.id, store_id=order.store_id)


async def release_for_order(work: Work, order: Order, reason: str) -> None:
    """The unpaid order is gone (cancelled, payment timeout): its coupons are UNUSED again."""
    for coupon in await _of_order(work, order, CouponStatus.LOCKED):
        coupon.status, coupon.locked_order_id = CouponStatus.UNUSED, None
        ledger.record(
            work, coupon, CouponLedgerAction.UNLOCKED, order_id=order.id, store_id=order.store_id, note=reason
        )


async def restore_for_order(work: Work, order: Order, *, completed: bool) -> None:
    """Every unit of `order` is refunded: each USED coupon its policy restores at this stage
    (`completed`: the order had completed) comes back, EXPIRED if past its end."""
    for coupon in await _of_order(work, order, CouponStatus.USED):
        if not restores_on_refund(coupon.restore_on_refund, everything_back=True, completed=completed):
            continue
        expired = work.now >= coupon.expires_at
        coupon.status = CouponStatus.EXPIRED if expired else CouponStatus.UNUSED
        coupon.used_order_id, coupon.used_at = None, None
        ledger.record(
            work,
            coupon,
            CouponLedgerAction.EXPIRED if expired else CouponLedgerAction.RESTORED,
            order_id=order.id,
            store_id=order.store_id,
            note="order refunded in full after completion" if completed else "order refunded in full",
        )


async def expire_coupons(deps: Deps, now: datetime, limit: int = 200) -> int:
    """Sweep: UNUSED coupons past their end become EXPIRED, each with its ledger row, once."""

    async def expire(work: Work) -> Result:
        due = (
            await work.session.scalars(
                select(CustomerCoupon)
                .where(CustomerCoupon.status == CouponStatus.UNUSED, CustomerCoupon.expires_at <= work.now)
                .order_by(CustomerCoupon.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for coupon in due:
            coupon.status = CouponStatus.EXPIRED
            ledger.record(work, coupon, CouponLedgerAction.EXPIRED)
        return {"expired": len(due)}

    result = await run_command(deps, SYSTEM_PRINCIPAL, "expireCoupons", expire, actor=SYSTEM, now=now)
    return int(result["expired"])


async def void_coupon(work: Work, coupon_id: int, reason: str) -> Result:
    """HQ voids a coupon that is not in an order (UNUSED, or EXPIRED for the record)."""
    coupon = await work.session.scalar(
        select(CustomerCoupon).where(CustomerCoupon.id == coupon_id).with_for_update()
    )
    if coupon is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon not found", "couponId")
    if coupon.status not in (CouponStatus.UNUSED, CouponStatus.EXPIRED):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"a {coupon.status.value} coupon cannot be voided", "couponId"
        )
    if not 1 <= len(reason.strip()) <= 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give a reason (at most 200 characters)", "reason")
    coupon.status = CouponStatus.VOIDED
    ledger.record(work, coupon, CouponLedgerAction.VOIDED, note=reason.strip())
    return {"couponId": coupon.id}
