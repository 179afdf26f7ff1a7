"""Whether a store can take an order (接单条件): one rule for `placeOrder` and for HQ's reallocation. Pure.

A shopper placing an order and HQ moving a 待分配 order to another store ask the same question of
the store, so both call these functions and only the input path an error names differs (the
shopper's `consignee` / `lines`, HQ's `toStoreId`):

* the store is OPEN (not paused or closed by HQ) and offers the order's fulfilment;
* it is inside its business hours (营业时间) now, on the business clock — outside them the order is
  refused (STORE_CLOSED) with the next opening time, since nobody would accept it and the
  acceptance timeout would bounce it to 待分配 — unless the store takes pre-orders and the shopper
  books a time (`models/pre_orders.py`);
* store delivery reaches the consignee's map pin (配送范围, inclusive) and the goods, before any
  discount, reach the store's minimum (起送价). Self-pickup and express orders are not delivered
  by the store, so neither applies to them.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from models.enums import Fulfillment, StoreStatus
from models.errors import DomainError, ErrorCode
from models.geo import ensure_within_radius
from models.stores.hours import next_opening, within_hours
from models.stores.rows import Store


def offers(store: Store, fulfillment: Fulfillment) -> bool:
    """Whether the store fulfils orders this way."""
    return {
        Fulfillment.SELF_PICKUP: store.supports_self_pickup,
        Fulfillment.STORE_DELIVERY: store.supports_store_delivery,
        Fulfillment.EXPRESS: store.supports_express,
    }[fulfillment]


def check_takes_orders(
    store: Store, fulfillment: Fulfillment, *, store_field: str, fulfillment_field: str
) -> None:
    """STORE_NOT_OPEN unless HQ has the store OPEN; FULFILLMENT_NOT_OFFERED unless it offers `fulfillment`."""
    if store.status is not StoreStatus.OPEN:
        raise DomainError(
            ErrorCode.STORE_NOT_OPEN,
            f"{store.name} ({store.code}) is not taking orders ({store.status.value})",
            store_field,
        )
    if not offers(store, fulfillment):
        raise DomainError(
            ErrorCode.FULFILLMENT_NOT_OFFERED,
            f"{store.name} ({store.code}) does not offer {fulfillment.value}",
            fulfillment_field,
        )


def check_open(store: Store, now: datetime, zone: tzinfo, field: str) -> None:
    """STORE_CLOSED unless `now` is inside the store's hours (`zone`: the business time zone).

    The error's `nextOpeningAt` extension is the next opening in UTC (ISO 8601), or null when the
    store has no hours; the message gives it on the business clock. `takesPreOrders` says whether
    the same order with a booked time would be taken.
    """
    if within_hours(store.business_hours, now, zone):
        return
    opens = next_opening(store.business_hours, now, zone)
    when = (
        "it has no business hours"
        if opens is None
        else f"it opens at {opens.astimezone(zone):%Y-%m-%d %H:%M}"
    )
    raise DomainError(
        ErrorCode.STORE_CLOSED,
        f"{store.name} ({store.code}) is closed now: {when}",
        field,
        extensions={
            "nextOpeningAt": None if opens is None else opens.isoformat(),
            "takesPreOrders": bool(store.takes_pre_orders),
        },
    )


def check_delivery(
    store: Store,
    fulfillment: Fulfillment,
    goods: int,
    latitude: float | None,
    longitude: float | None,
    *,
    radius_field: str,
    minimum_field: str,
) -> None:
    """Store delivery only: OUTSIDE_DELIVERY_RADIUS beyond the radius, MIN_ORDER_NOT_MET below 起送价.

    `goods` is the goods amount before discounts, in cents. Without a map pin there is nothing to
    measure (see `models.geo.ensure_within_radius`).
    """
    if fulfillment is not Fulfillment.STORE_DELIVERY:
        return
    ensure_within_radius(
        store.latitude, store.longitude, store.delivery_radius_m, latitude, longitude, radius_field
    )
    if goods < store.min_order_amount:
        raise DomainError(
            ErrorCode.MIN_ORDER_NOT_MET,
            f"delivery from {store.code} starts at {store.min_order_amount / 100:.2f} yuan of goods (起送价)",
            minimum_field,
        )
