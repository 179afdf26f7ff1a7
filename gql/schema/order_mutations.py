"""Inputs and payloads of the order mutations.

Every state-changing mutation takes an `idempotencyKey` (required where money may move) and
the order ones an optional `expectedVersion`; every payload carries `userErrors`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.common import UserError
from gql.schema.order_records import Parcel
from gql.schema.orders import Order
from models.enums import Fulfillment, OrderChannel, PaymentMethod, TraceState

IDEMPOTENCY_HELP = "Same key + same input returns the first result without acting again (24 h)."
VERSION_HELP = "Fail with VERSION_CONFLICT unless the order is still at this version."


@strawberry.type(description="Result of an order mutation: the order as it is now, or why nothing changed.")
class OrderPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class ParcelTracePayload:
    parcel: Parcel | None
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class CartLineInput:
    sku_id: strawberry.ID
    quantity: int


@strawberry.input(description="Who receives the goods; address fields are required for delivery.")
class ConsigneeInput:
    name: str
    phone: str = strawberry.field(description="11-digit mainland mobile number.")
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@strawberry.input
class PlaceOrderInput:
    store_id: strawberry.ID | None = strawberry.field(
        description="Null only for EXPRESS orders shipped by the HQ warehouse."
    )
    fulfillment: Fulfillment
    lines: list[CartLineInput]
    consignee: ConsigneeInput
    channel: OrderChannel = OrderChannel.MINI_PROGRAM
    buyer_remark: str | None = None
    coupon_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The shopper's coupons: at most one goods coupon and one shipping coupon; "
        "locked by the order until it is paid, cancelled or times out.",
    )
    booked_for: datetime | None = strawberry.field(
        default=None,
        description="预订单: the time the shopper books (without an offset: business time). Only stores "
        "that take pre-orders accept one, also while closed; it must be 30 minutes ahead or more, inside "
        "the store's hours and within its `preOrderDays` (PRE_ORDERS_NOT_TAKEN, BOOKING_TOO_SOON, "
        "BOOKING_OUTSIDE_HOURS, BOOKING_TOO_FAR).",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input
class PayOrderInput:
    order_id: strawberry.ID
    payment_method: PaymentMethod
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)


@strawberry.input(description="Cancel (取消). A paid order is refunded in full.")
class CancelOrderInput:
    order_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="商家订单号: set (or, with null or blank, clear) the merchant's own reference.")
class SetMerchantOrderNoInput:
    order_id: strawberry.ID
    merchant_order_no: str | None = strawberry.field(
        description="1 to 32 letters, digits, '_' or '-' (not first); null or blank clears it."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class AcceptOrderInput:
    order_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="Reject (拒单): the order goes to HQ as 待分配 with the reason.")
class RejectOrderInput:
    order_id: strawberry.ID
    reason: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="Reallocate a 待分配 order to another store (HQ).")
class ReallocateOrderInput:
    order_id: strawberry.ID
    to_store_id: strawberry.ID
    note: str = ""
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class ParcelLineInput:
    line_id: strawberry.ID
    quantity: int


@strawberry.input
class ParcelInput:
    carrier: str
    tracking_no: str
    lines: list[ParcelLineInput]


@strawberry.input(
    description="Ship parcels (拆单发货 allowed); SHIPPED once every unrefunded unit is shipped."
)
class ShipOrderInput:
    order_id: strawberry.ID
    parcels: list[ParcelInput]
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="A carrier tracking event; re-sending the same event is harmless.")
class AddParcelTraceInput:
    parcel_id: strawberry.ID
    occurred_at: datetime
    description: str
    state: TraceState
    location: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Verify the pickup code (核销) at the counter.")
class VerifyPickupInput:
    order_id: strawberry.ID
    code: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class ConfirmReceiptInput:
    order_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(description="HQ cancels a 待分配 order; it is refunded in full.")
class CancelAllocatedOrderInput:
    order_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input(
    description="Cancel a paid group-buy order while its team forms (待成团): HQ or the member. "
    "The slot is freed and the order refunded in full; once the team has formed it is INVALID_TRANSITION."
)
class CancelAwaitingGroupOrderInput:
    order_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_HELP)
    expected_version: int | None = strawberry.field(default=None, description=VERSION_HELP)
