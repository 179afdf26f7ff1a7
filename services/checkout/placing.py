"""Placing an order (下单): price the cart, reserve stock, write the order — one transaction.

Everything a shopper could get wrong is checked before anything is written, each with its own
code; stock is reserved with conditional updates in the same transaction as the order, so two
shoppers can never buy the same last unit.
"""

from __future__ import annotations

from models import pre_orders
from models.customers.rows import Customer
from models.enums import ActorType
from models.errors import DomainError, ErrorCode
from models.stores import intake as store_intake
from services.campaigns.flash_sales import take_for_order, take_gifts_for_order
from services.checkout.quoting import CartLine, ConsigneeInput, PlaceOrder, Quote, quote
from services.commands import Result, Work
from services.coupons.redemption import lock_for_order, usable_coupons
from services.orders.creation import create_order
from services.stock import reserve_stock

__all__ = ["CartLine", "ConsigneeInput", "PlaceOrder", "place_order", "shopper"]


async def shopper(work: Work) -> Customer:
    """The signed-in shopper placing an order (nobody else places orders)."""
    if work.actor.type is not ActorType.CUSTOMER or work.principal.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a signed-in shopper places orders")
    customer = await work.session.get(Customer, work.principal.customer_id)
    if customer is None:
        raise DomainError(ErrorCode.NOT_FOUND, "customer not found")
    return customer


def check_delivery(q: Quote, cmd: PlaceOrder, work: Work) -> pre_orders.Booking | None:
    """Every order, ordinary or group-buy: the store open by its hours now — or, with a booked
    time, taking pre-orders and open at that time (`models.pre_orders`, the booking returned) —,
    the consignee within its delivery radius and the goods at its minimum (`models.stores.intake`,
    the same rule HQ's reallocation applies)."""
    booking = None
    if q.store is None and cmd.booked_for is not None:
        raise DomainError(
            ErrorCode.PRE_ORDERS_NOT_TAKEN, "the HQ warehouse does not take pre-orders", "bookedFor"
        )
    if q.store is not None:
        zone = work.deps.rules.zone
        if cmd.booked_for is None:
            store_intake.check_open(q.store, work.now, zone, "storeId")
        else:
            booking = pre_orders.check_booking(
                takes_pre_orders=q.store.takes_pre_orders,
                max_days=q.store.pre_order_days,
                hours=q.store.business_hours,
                booked_for=cmd.booked_for,
                now=work.now,
                zone=zone,
            )
        c = cmd.consignee
        store_intake.check_delivery(
            q.store,
            cmd.fulfillment,
            q.goods,
            c.latitude,
            c.longitude,
            radius_field="consignee",
            minimum_field="lines",
        )
    return booking


async def place_order(work: Work, cmd: PlaceOrder) -> Result:
    customer = await shopper(work)
    coupons = await usable_coupons(
        work.session,
        customer.id,
        cmd.coupon_ids,
        cmd.store_id,
        cmd.channel.value,
        work.now,
        cmd.fulfillment.value,
    )
    q = await quote(work.session, cmd, work.now, zone=work.deps.rules.zone, coupons=coupons)
    booking = check_delivery(q, cmd, work)
    await reserve_stock(work.session, q.store.id if q.store else None, q.stock_items)
    order = await create_order(work, cmd, customer, q, booking=booking)
    await lock_for_order(work, order, cmd.coupon_ids)
    await take_for_order(work, order, q.flash_takes)
    await take_gifts_for_order(work, order, q.gift_takes)
    return {"orderId": order.id}
