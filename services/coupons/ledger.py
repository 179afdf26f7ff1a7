"""Issued coupons: minting one from its template, codes and ledger rows."""

from __future__ import annotations

import secrets

from models.coupons.rows import CouponLedger, CouponLedgerAction, CouponTemplate, CustomerCoupon
from models.coupons.rules import CouponIssueCause, CouponStatus, expiry_on_claim
from services.commands import Work

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: a code read aloud at the till is not misread."""


def new_code() -> str:
    """A 12-character unguessable code (31^12 ≈ 7.9·10^17: collisions are left to the unique index)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def record(
    work: Work,
    coupon: CustomerCoupon,
    action: CouponLedgerAction,
    *,
    order_id: int | None = None,
    store_id: int | None = None,
    note: str | None = None,
) -> None:
    """Write one ledger row for `coupon` (which must have its id). `store_id`: where it happened (the
    order's store); none given, the coupon's only store if it is valid at exactly one."""
    if store_id is None and coupon.store_ids is not None and len(coupon.store_ids) == 1:
        store_id = int(coupon.store_ids[0])
    work.session.add(
        CouponLedger(
            coupon_id=coupon.id,
            action=action,
            order_id=order_id,
            store_id=store_id,
            actor=f"{work.actor.type.value}:{work.actor.id or ''}"[:40],
            note=note,
            created_at=work.now,
        )
    )


async def issue(
    work: Work,
    t: CouponTemplate,
    customer_id: int,
    cause: CouponIssueCause,
    *,
    note: str,
    claim_seq: int | None = None,
) -> CustomerCoupon:
    """Mint one coupon of `t` (locked by the caller, within its stock and limits): the coupon copies
    the template's promise, counts against its stock and gets its ISSUED ledger row. `claim_seq`
    is set by 领券 only (so a template's figures tell claims from other issues)."""
    t.issued_count += 1
    coupon = CustomerCoupon(
        code=new_code(),
        customer_id=customer_id,
        template_id=t.id,
        type=t.type,
        amount=t.amount_off,
        percent_off=t.percent_off,
        cap=t.cap,
        threshold_kind=t.threshold_kind,
        min_spend=t.threshold,
        product_ids=t.product_ids,
        category_ids=t.category_ids,
        store_ids=t.store_ids,
        channels=t.channels,
        fulfillments=t.fulfillments,
        title=t.name[:64],
        campaign_id=t.campaign_id,
        restore_on_refund=t.restore_on_refund,
        claim_seq=claim_seq,
        issue_cause=cause,
        status=CouponStatus.UNUSED,
        issued_at=work.now,
        valid_from=t.valid_from if t.valid_days is None else work.now,
        expires_at=expiry_on_claim(t.valid_until, t.valid_days, work.now),
    )
    work.session.add(coupon)
    await work.session.flush()
    record(work, coupon, CouponLedgerAction.ISSUED, note=note[:200])
    return coupon
