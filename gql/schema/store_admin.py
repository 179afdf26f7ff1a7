"""Inputs and payloads of store administration (门店管理).

In `UpdateStoreInput` a field left out keeps its value; amounts are integer cents (分).
Store staff may send only status (OPEN/PAUSED), businessHours, autoAccept, phone,
minOrderAmountCents, takesPreOrders, preOrderDays and instantRefund, for their own stores; everything else is
HQ's (FORBIDDEN).
"""

from __future__ import annotations

import strawberry

from gql.schema.common import UserError
from gql.schema.stores import Store
from models.enums import Fulfillment, StoreSize, StoreStatus

DELIVERY_MINUTES_HELP = (
    "配送时长: minutes from payment to the door a store-delivery order is promised (1-1440)."
)
IDEMPOTENCY_HELP = "Optional: the same key + same input returns the first result without acting again (24 h)."
TAKES_PRE_ORDERS_HELP = (
    "预订单: shoppers may book a time (placeOrder.bookedFor), also while the store is closed."
)
PRE_ORDER_DAYS_HELP = "How many days ahead a pre-order may be booked: 1 to 14."
INSTANT_REFUND_HELP = (
    "极速退款: a buyer's refund-only request for units still in the store is refunded at once."
)


@strawberry.input(
    description="One opening range: weekday 1 (Monday) to 7, times HH:MM on the business clock."
)
class BusinessHoursInput:
    weekday: int
    open: str
    close: str = strawberry.field(
        description='"24:00" ends the day; a close at or before open runs overnight.'
    )


@strawberry.input(description="A daily time slot with its own delivery fee (分时段运费).")
class DeliveryFeeSlotInput:
    start: str
    end: str
    fee_cents: int


@strawberry.input
class RegionInput:
    province: str
    city: str
    district: str


@strawberry.input(description="Open a store (HQ). Its code (e.g. SH001) is unique and stable.")
class CreateStoreInput:
    code: str
    name: str
    region: RegionInput
    address: str
    latitude: float
    longitude: float
    business_hours: list[BusinessHoursInput]
    phone: str | None = None
    status: StoreStatus = StoreStatus.OPEN
    size: StoreSize = StoreSize.STANDARD
    delivery_radius_meters: int = 3000
    min_order_amount_cents: int = 0
    delivery_fee_cents: int = 0
    delivery_fee_slots: list[DeliveryFeeSlotInput] = strawberry.field(default_factory=list)
    packaging_fee_cents: int = 0
    fulfillment_methods: list[Fulfillment] = strawberry.field(
        default_factory=lambda: [Fulfillment.SELF_PICKUP, Fulfillment.STORE_DELIVERY]
    )
    auto_accept: bool = False
    delivery_minutes: int = strawberry.field(default=45, description=DELIVERY_MINUTES_HELP)
    takes_pre_orders: bool = strawberry.field(default=False, description=TAKES_PRE_ORDERS_HELP)
    pre_order_days: int = strawberry.field(default=2, description=PRE_ORDER_DAYS_HELP)
    instant_refund: bool = strawberry.field(default=False, description=INSTANT_REFUND_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Change store settings; only the fields given change.")
class UpdateStoreInput:
    store_id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    region: RegionInput | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it.")
    status: StoreStatus | None = strawberry.field(
        default=strawberry.UNSET, description="PAUSED (暂停营业) stops orders; CLOSED is HQ's."
    )
    size: StoreSize | None = strawberry.UNSET
    business_hours: list[BusinessHoursInput] | None = strawberry.UNSET
    delivery_radius_meters: int | None = strawberry.UNSET
    min_order_amount_cents: int | None = strawberry.UNSET
    delivery_fee_cents: int | None = strawberry.UNSET
    delivery_fee_slots: list[DeliveryFeeSlotInput] | None = strawberry.UNSET
    packaging_fee_cents: int | None = strawberry.UNSET
    fulfillment_methods: list[Fulfillment] | None = strawberry.UNSET
    auto_accept: bool | None = strawberry.UNSET
    delivery_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=DELIVERY_MINUTES_HELP
    )
    takes_pre_orders: bool | None = strawberry.field(
        default=strawberry.UNSET, description=TAKES_PRE_ORDERS_HELP
    )
    pre_order_days: int | None = strawberry.field(default=strawberry.UNSET, description=PRE_ORDER_DAYS_HELP)
    instant_refund: bool | None = strawberry.field(default=strawberry.UNSET, description=INSTANT_REFUND_HELP)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type(description="The store as it is now, or why nothing changed.")
class StorePayload:
    store: Store | None
    user_errors: list[UserError]
