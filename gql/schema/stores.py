"""GraphQL types of stores (门店)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from gql.context import Info
from gql.engine import RowFields, computed
from gql.schema.common import Money, money
from gql.time_input import business_time
from models.base import utcnow
from models.enums import Fulfillment, StoreSize, StoreStatus
from models.pre_orders import MAX_SLOTS, booking_slots
from models.stores.hours import delivery_fee_at, is_open_at
from models.stores.rows import Store as StoreRow


@strawberry.type(description="Province / city / district of a store or address.")
class Region:
    province: str | None
    city: str | None
    district: str | None


@strawberry.type(description="One opening range on one weekday, in the business time zone.")
class BusinessHoursRange:
    weekday: int = strawberry.field(description="1 = Monday … 7 = Sunday.")
    open: str = strawberry.field(description='"HH:MM"')
    close: str = strawberry.field(description='"HH:MM"')


@strawberry.type(description="A daily time slot with its own delivery fee (分时段运费), business time zone.")
class DeliveryFeeSlot:
    start: str = strawberry.field(description='"HH:MM"')
    end: str = strawberry.field(description='"HH:MM"; at or before start: the slot runs past midnight.')
    fee: Money


def _business_time(info: Info, time: datetime) -> datetime:
    return business_time(time, info.context.deps.rules.zone)


@strawberry.type(description="A store (门店). EXPRESS orders of the HQ warehouse (总部) have no store.")
class Store(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    region: Region
    address: str
    latitude: float
    longitude: float
    phone: str | None
    status: StoreStatus
    size: StoreSize
    delivery_radius_meters: int
    min_order_amount: Money
    delivery_fee: Money
    packaging_fee: Money
    fulfillment_methods: list[Fulfillment]
    auto_accept: bool = strawberry.field(description="Orders are accepted automatically on payment.")
    delivery_minutes: int = strawberry.field(
        description="配送时长: a store-delivery order is promised this many minutes after payment."
    )
    takes_pre_orders: bool = strawberry.field(
        description="预订单: while closed, shoppers may book a time instead of being refused (STORE_CLOSED)."
    )
    pre_order_days: int = strawberry.field(description="How many days ahead a pre-order may be booked.")
    instant_refund: bool = strawberry.field(
        description="极速退款: a buyer's refund-only request for units still in the store is refunded "
        "at once."
    )
    created_at: datetime
    updated_at: datetime
    _hours: strawberry.Private[list[dict[str, Any]]]
    _slots: strawberry.Private[list[dict[str, Any]]]

    # Built when selected, not in from_row: an order list converts a store per order and
    # rarely asks for its week of hours or its fee slots.
    @strawberry.field
    def business_hours(self) -> list[BusinessHoursRange]:
        return [_hours(h) for h in self._hours]

    @strawberry.field(description="Fees by time of day; outside every slot deliveryFee applies.")
    def delivery_fee_slots(self) -> list[DeliveryFeeSlot]:
        return [
            DeliveryFeeSlot(start=str(slot["start"]), end=str(slot["end"]), fee=money(int(slot["fee"])))
            for slot in self._slots
        ]

    @strawberry.field(
        description="Whether the store takes orders at `time`: status OPEN and inside its business hours, "
        "read in the business time zone (a time without an offset is read there too)."
    )
    def is_open_at(self, info: Info, time: datetime) -> bool:
        return is_open_at(self.status, self._hours, _business_time(info, time), info.context.deps.rules.zone)

    @strawberry.field(
        description="预订单 time picker: the next bookable times on the half hour (`placeOrder.bookedFor`), "
        "earliest first, at most `limit` (≤ 48); empty unless the store is OPEN and takes pre-orders."
    )
    def booking_slots(self, info: Info, limit: int = 12) -> list[datetime]:
        if not (self.takes_pre_orders and self.status is StoreStatus.OPEN):
            return []
        return booking_slots(
            hours=self._hours,
            max_days=self.pre_order_days,
            now=utcnow(),
            zone=info.context.deps.rules.zone,
            limit=max(0, min(limit, MAX_SLOTS)),
        )

    @strawberry.field(description="isOpenAt the current time.")
    def is_open_now(self, info: Info) -> bool:
        return is_open_at(self.status, self._hours, utcnow(), info.context.deps.rules.zone)

    @strawberry.field(description="The store-delivery fee at `time` (its time slot's fee, else deliveryFee).")
    def delivery_fee_at(self, info: Info, time: datetime) -> Money:
        zone = info.context.deps.rules.zone
        return money(delivery_fee_at(self.delivery_fee.cents, self._slots, _business_time(info, time), zone))

    @classmethod
    def from_row(cls, row: StoreRow) -> Store:
        return STORE_FIELDS(row)


def _fulfillment_methods(row: StoreRow) -> list[Fulfillment]:
    return [
        m
        for m, on in (
            (Fulfillment.SELF_PICKUP, row.supports_self_pickup),
            (Fulfillment.STORE_DELIVERY, row.supports_store_delivery),
            (Fulfillment.EXPRESS, row.supports_express),
        )
        if on
    ]


# What each field and resolver reads off the store row (`reads`): a narrowed relation loader reads
# only those columns (gql/engine/narrowed.py); a field missing here makes it read them all.
STORE_FIELDS = RowFields(
    Store,
    {
        "region": lambda r: Region(province=r.province, city=r.city, district=r.district),
        "delivery_radius_meters": "delivery_radius_m",
        "min_order_amount": computed(money, "min_order_amount"),
        "delivery_fee": computed(money, "delivery_fee"),
        "packaging_fee": computed(money, "packaging_fee"),
        "fulfillment_methods": _fulfillment_methods,
        "_hours": lambda r: list(r.business_hours),
        "_slots": lambda r: list(r.delivery_fee_slots),
    },
    reads={
        "_id": ("id",),
        "region": ("province", "city", "district"),
        "fulfillment_methods": ("supports_self_pickup", "supports_store_delivery", "supports_express"),
        "_hours": ("business_hours",),
        "_slots": ("delivery_fee_slots",),
        "business_hours": ("business_hours",),
        "delivery_fee_slots": ("delivery_fee_slots",),
        "is_open_at": ("status", "business_hours"),
        "is_open_now": ("status", "business_hours"),
        "booking_slots": ("status", "business_hours", "takes_pre_orders", "pre_order_days"),
        "delivery_fee_at": ("delivery_fee", "delivery_fee_slots"),
    },
    entity=StoreRow,
)


def _hours(raw: dict[str, Any]) -> BusinessHoursRange:
    return BusinessHoursRange(weekday=int(raw["weekday"]), open=str(raw["open"]), close=str(raw["close"]))


@strawberry.input(description="Narrow the store list; all given conditions must hold.")
class StoreFilter:
    status: list[StoreStatus] | None = None
    province: str | None = None
    city: str | None = None
    search: str | None = strawberry.field(default=None, description="Code prefix or name contains.")
    district: str | None = None
    fulfillment: list[Fulfillment] | None = strawberry.field(
        default=None, description="Stores offering any of these fulfilment methods."
    )
