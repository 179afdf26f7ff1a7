"""The checkout price preview (`previewPricing`): a cart priced now by `quoting.quote`, with the
shopper's chosen coupons, and the held coupon that would take the most off.

Writes nothing and locks no coupon; the caller owns the (read) session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.coupons.rows import CustomerCoupon
from models.coupons.rules import CouponTerms
from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode
from services.checkout.quoting import CartLine, ConsigneeInput, PlaceOrder, Quote, best_coupon, quote
from services.coupons.redemption import held_coupons, usable_coupons

PREVIEW_CONSIGNEE = ConsigneeInput("预览", "13800000000", city="-", address="-")
"""A consignee that passes the order's checks; no price depends on the address."""


@dataclass(frozen=True, slots=True)
class Preview:
    quote: Quote
    best_coupon: CustomerCoupon | None
    """The signed-in shopper's held coupon that would take the most off this cart, if any."""
    best_saving: int | None
    """What `best_coupon` would take off, in cents (None when no held coupon applies)."""


async def preview_pricing(
    session: AsyncSession,
    *,
    store_id: int | None,
    fulfillment: Fulfillment,
    lines: Sequence[CartLine],
    coupon_ids: Sequence[int],
    customer_id: int | None,
    now: datetime,
    zone: tzinfo,
) -> Preview:
    """Price the cart at `now` as `placeOrder` would. Coupons need a signed-in shopper
    (`FORBIDDEN` otherwise) and must each be usable here (`services.coupons.redemption`)."""
    cmd = PlaceOrder(
        store_id=store_id, fulfillment=fulfillment, lines=tuple(lines), consignee=PREVIEW_CONSIGNEE
    )
    coupons: list[CouponTerms] = []
    if coupon_ids:
        if customer_id is None:
            raise DomainError(ErrorCode.FORBIDDEN, "sign in as a shopper to use coupons", "couponIds")
        coupons = await usable_coupons(
            session, customer_id, coupon_ids, cmd.store_id, cmd.channel.value, now, cmd.fulfillment.value
        )
    q = await quote(session, cmd, now, zone=zone, coupons=coupons)
    best = None
    if customer_id is not None and q.pricing is not None:
        held = await held_coupons(
            session, customer_id, cmd.store_id, cmd.channel.value, now, cmd.fulfillment.value
        )
        best = best_coupon(q, held)
    if best is None:
        return Preview(q, None, None)
    return Preview(q, await session.get(CustomerCoupon, best[0].coupon_id), best[1])
