"""Writing a new order from a priced quote: the order row, its lines, and its first timeline event.

Shared by ordinary checkout and group-buy orders, so every order is born the same way: a fresh
unguessable number, the payment deadline, a pickup code for self-pickup, snapshots on every line.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from models.customers.rows import Customer
from models.enums import Fulfillment, OrderType
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderEvent, OrderLine
from models.orders.states import OrderStatus
from models.pii import phone_last4
from models.pre_orders import Booking
from services.checkout.quoting import PlaceOrder, Quote
from services.commands import Work
from services.coupons.redemption import write_adjustments


def new_order_no(now: datetime, work: Work) -> str:
    """2026112312345678: the business day, then eight random digits (unguessable, not a counter)."""
    return now.astimezone(work.deps.rules.zone).strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}"


async def create_order(
    work: Work,
    cmd: PlaceOrder,
    customer: Customer,
    quote: Quote,
    *,
    order_type: OrderType = OrderType.NORMAL,
    team_id: int | None = None,
    booking: Booking | None = None,
) -> Order:
    """Insert the order (stock must already be reserved by the caller, in the same transaction);
    a pre-order carries its `booking`."""
    c = cmd.consignee
    order = Order(
        store_id=quote.store.id if quote.store else None,
        customer_id=customer.id,
        channel=cmd.channel,
        type=order_type,
        fulfillment=cmd.fulfillment,
        status=OrderStatus.PENDING_PAYMENT,
        goods_amount=quote.goods,
        goods_original_amount=quote.goods_original,
        discount_amount=quote.discount,
        delivery_fee=quote.delivery_fee,
        packaging_fee=quote.packaging_fee,
        payable_amount=quote.payable,
        consignee_name=c.name.strip(),
        consignee_phone=c.phone,
        consignee_phone_last4=phone_last4(c.phone),
        consignee_province=c.province,
        consignee_city=c.city,
        consignee_district=c.district,
        consignee_address=c.address,
        consignee_latitude=c.latitude,
        consignee_longitude=c.longitude,
        pickup_code=f"{secrets.randbelow(10**6):06d}" if cmd.fulfillment is Fulfillment.SELF_PICKUP else None,
        buyer_remark=cmd.buyer_remark,
        campaign_id=quote.campaign_id,
        spend_reward_tier_id=quote.tier_id,
        team_id=team_id,
        booked_for=booking.booked_for if booking else None,
        accept_from=booking.accept_from if booking else None,
        created_at=work.now,
        payment_deadline=work.now + work.deps.rules.payment_timeout,
        updated_at=work.now,
    )
    await _insert_with_fresh_number(work, order)
    for line in quote.lines:
        work.session.add(
            OrderLine(
                order_id=order.id,
                sku_id=line.sku.id,
                product_id=line.product.id,
                product_name=line.product.name,
                spec=line.sku.spec,
                image_url=line.sku.image_url or line.product.image_url,
                unit_price=line.unit_price,
                original_price=line.sku.original_price,
                quantity=line.quantity,
                discount_share=line.discount,
                paid_amount=line.unit_price * line.quantity - line.discount,
                is_gift=line.is_gift,
            )
        )
    if quote.pricing is not None:
        write_adjustments(work, order, quote.pricing)
    payload: dict[str, object] = {"lines": len(quote.lines), "payable": quote.payable}
    if quote.campaign_id is not None:
        payload.update(campaignId=quote.campaign_id, tierId=quote.tier_id, discount=quote.discount)
    if quote.coupon_ids:
        payload["couponIds"] = quote.coupon_ids
    if quote.gift_unavailable:
        payload["giftUnavailable"] = True
    if booking is not None:
        payload["bookedFor"] = booking.booked_for.isoformat()
    work.session.add(
        OrderEvent(
            order_id=order.id,
            store_id=order.store_id,
            action=None,
            from_status=None,
            to_status=OrderStatus.PENDING_PAYMENT,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            payload=payload,
            created_at=work.now,
        )
    )
    customer.last_order_at = work.now
    return order


async def _insert_with_fresh_number(work: Work, order: Order, attempts: int = 5) -> None:
    """Insert under a savepoint and draw a new number on the (rare) collision."""
    for _ in range(attempts):
        order.order_no = new_order_no(work.now, work)
        try:
            async with work.session.begin_nested():
                work.session.add(order)
                await work.session.flush()
            return
        except IntegrityError as exc:
            if "order_no" not in str(exc.orig):
                raise
            if order in work.session:
                work.session.expunge(order)
    raise DomainError(ErrorCode.INTERNAL_SERVER_ERROR, "could not allocate an order number; try again")
