"""Issued coupons' codes and ledger rows."""

from __future__ import annotations

import secrets

from models.coupons import CouponLedger, CouponLedgerAction, CustomerCoupon, IssueCause
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
    note: str | None = None,
    cause: IssueCause | None = None,
) -> None:
    """Write one ledger row for `coupon` (which must have its id)."""
    work.session.add(
        CouponLedger(
            coupon_id=coupon.id,
            action=action,
            order_id=order_id,
            actor=f"{work.actor.type.value}:{work.actor.id or ''}"[:40],
            note=note,
            cause=cause,
            created_at=work.now,
        )
    )
