"""GraphQL inputs and types of the admin order list: `OrderFilter`, `OrderSort`, status-tab counts.

Only shapes live here; `gql/resolvers/order_search.py` turns an `OrderFilter` into the filter AST
of `models/orders/filters.py`, the same AST the `query:` string parses into.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

import strawberry

from gql.schema import enums as _registered_enums  # noqa: F401  (GraphQL enums first)
from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod
from models.orders.filters import MAX_TEXT_LENGTH
from models.orders.query_language import MAX_QUERY_LENGTH, describe_fields
from models.orders.sorting import OrderSortKey, SortDirection
from models.orders.states import OrderStatus
from models.orders.tabs import ORDER_TABS, STATUS_LABELS, STATUS_LIFECYCLE, OrderTab, tab_counts
from models.pre_orders import BookingState

strawberry.enum(
    OrderSortKey,
    description="CREATED_AT, PAID_AT (unpaid orders last in both directions), TOTAL (payable amount), "
    "ORDER_NO, STATUS (lifecycle order of the tabs: 待付款 first, 已关闭 last).",
)
strawberry.enum(SortDirection)
strawberry.enum(OrderTab, description="A status tab of the admin order list (see orderStatusCounts).")

QUERY_DESCRIPTION: Final = f"""Search string, ANDed with `filter` and with the caller's scope.
Example: `status:待发货,PENDING_PICKUP store:SH001 paid:>=2026-11-01 total:>100 "张三" -channel:APP`.
Terms are `field:value[,value...]` (any value matches), bare words or "quoted text" (free text: order number
prefix, consignee name, phone or its last four digits, product name). Terms are ANDed; `OR` binds looser
than `AND`; `(...)` groups; `-term` and `NOT term` negate. Field names and enum values are case-insensitive;
keywords AND/OR/NOT are upper case. Dates `YYYY-MM-DD` are whole days in the business time zone; ISO
datetimes without an offset are read in it too. Comparisons `> >= < <= =` and ranges `a..b` (both ends
included) work for created, paid and total. At most {MAX_QUERY_LENGTH} characters. A mistake is an
INVALID_QUERY_SYNTAX error whose `extensions.column` (1-based) points at the offending token; so is a
`store:` code no store has (`unknown store code "SH999" at column 7`), never a term that matches nothing.
Fields:
{describe_fields()}"""


@strawberry.input(description="Region of the fulfilling store; every given part must match exactly.")
class RegionFilter:
    province: str | None = None
    city: str | None = None
    district: str | None = None


@strawberry.input(
    description="Half-open time range [from, to): `from` is included, `to` is not. Either end may be "
    "left open. A datetime without an offset is read in the business time zone."
)
class DateTimeRange:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.input(description="Range of an amount in cents (分), both ends included; either may be open.")
class CentsRange:
    min: int | None = None
    max: int | None = None


_TEXT = f"(at most {MAX_TEXT_LENGTH} characters)"


@strawberry.input(
    description="Typed order filter: every given field must hold (AND); `and`, `or` and `not` nest. "
    "A list matches any of its values; an empty list is the same as leaving the field out."
)
class OrderFilter:
    status: list[OrderStatus] | None = None
    store_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Store ids.")
    store_codes: list[str] | None = strawberry.field(
        default=None,
        description="Store codes, e.g. SH001. A code no store has is BAD_USER_INPUT naming its entry "
        "(`filter.storeCodes.1`).",
    )
    region: RegionFilter | None = None
    order_no: str | None = strawberry.field(default=None, description="Exact order number.")
    order_no_prefix: str | None = strawberry.field(default=None, description="Order number starts with.")
    phone: str | None = strawberry.field(
        default=None,
        description="Customer phone or consignee phone: 4 digits match the last four (尾号), 7-15 digits the "
        "whole number. Not available to analysts.",
    )
    buyer_phone: str | None = strawberry.field(
        default=None,
        description="The buyer's (customer's) own phone only, never the consignee's; read like `phone`. "
        "Not available to analysts.",
    )
    consignee_name: str | None = strawberry.field(
        default=None, description=f"The consignee's name contains it {_TEXT}."
    )
    store_name: str | None = strawberry.field(
        default=None,
        description=f"The fulfilling store's name contains it {_TEXT}; HQ-warehouse orders never match.",
    )
    payment_serial_no: str | None = strawberry.field(
        default=None,
        description="Exact payment serial number (流水号) the gateway gave a payment or refund of the "
        "order (`Order.paymentSerialNo`, `OrderPayment.serialNo`).",
    )
    merchant_order_no: str | None = strawberry.field(
        default=None, description="Exact merchant order number (商家订单号, `Order.merchantOrderNo`)."
    )
    hq_warehouse: bool | None = strawberry.field(
        default=None,
        description="true: shipped by the HQ warehouse (总部, the order has no store); false: by a store.",
    )
    product: str | None = strawberry.field(
        default=None, description=f"Some line's product name (as ordered) or SKU code contains it {_TEXT}."
    )
    sku: str | None = strawberry.field(
        default=None, description="Some line's SKU code contains it, or its barcode is it."
    )
    text: str | None = strawberry.field(
        default=None,
        description="Free text, like a bare word of `query`: order number prefix, consignee name, "
        "phone (last four or whole), product name.",
    )
    created_at: DateTimeRange | None = None
    paid_at: DateTimeRange | None = strawberry.field(default=None, description="Unpaid orders never match.")
    payable_amount: CentsRange | None = None
    payment_method: list[PaymentMethod] | None = None
    type: list[OrderType] | None = None
    fulfillment: list[Fulfillment] | None = None
    channel: list[OrderChannel] | None = None
    campaign_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Campaign ids.")
    has_campaign: bool | None = strawberry.field(
        default=None, description="true: the order belongs to some campaign; false: to none."
    )
    watched: bool | None = strawberry.field(
        default=None,
        description="true: orders on the caller's own watch list (`watchOrder`); false: the others.",
    )
    after_sale_status: list[AfterSaleStatus] | None = strawberry.field(
        default=None, description="The order has an after-sale in one of these statuses."
    )
    pre_order: bool | None = strawberry.field(
        default=None, description="true: pre-orders (预订单, with a booked time); false: the others."
    )
    booking_state: list[BookingState] | None = strawberry.field(
        default=None,
        description="Pre-orders in one of these booking states now (`Order.bookingState`): the 预订单 tabs.",
    )
    and_: list[OrderFilter] | None = strawberry.field(default=None, name="and", description="All must hold.")
    or_: list[OrderFilter] | None = strawberry.field(
        default=None, name="or", description="At least one must hold."
    )
    not_: OrderFilter | None = strawberry.field(default=None, name="not", description="Must not hold.")


@strawberry.input(description="One key of the order list's sort; ties end with the id.")
class OrderSort:
    key: OrderSortKey
    direction: SortDirection = SortDirection.DESC


@strawberry.type(description="Orders in one status.")
class OrderStatusCount:
    status: OrderStatus
    label: str = strawberry.field(description="Chinese name of the status, e.g. 待发货.")
    count: int


@strawberry.type(description="One tab of the admin order list and how many orders it holds.")
class OrderTabCount:
    tab: OrderTab
    label: str = strawberry.field(description="Title of the tab, e.g. 全部, 待付款, 已取消/已关闭.")
    statuses: list[OrderStatus] = strawberry.field(
        description="List the tab with `orders(filter: {status: statuses})`."
    )
    count: int


@strawberry.type(description="Order counts per status and per tab, within the caller's scope.")
class OrderStatusCounts:
    total: int
    by_status: list[OrderStatusCount] = strawberry.field(
        description="Every status in lifecycle order, zeros included."
    )
    tabs: list[OrderTabCount] = strawberry.field(description=f"The {len(ORDER_TABS)} tabs, in display order.")

    @classmethod
    def of(cls, by_status: Mapping[OrderStatus, int]) -> OrderStatusCounts:
        return cls(
            total=sum(by_status.values()),
            by_status=[
                OrderStatusCount(status=s, label=STATUS_LABELS[s], count=by_status.get(s, 0))
                for s in STATUS_LIFECYCLE
            ],
            tabs=[
                OrderTabCount(tab=tab.tab, label=tab.label, statuses=list(tab.statuses), count=count)
                for tab, count in tab_counts(by_status)
            ],
        )


@strawberry.type(description="One 预订单 tab (booking state) and how many pre-orders it holds now.")
class BookingStateCount:
    state: BookingState
    label: str = strawberry.field(description="未到时, 即将到时 or 已超时.")
    count: int
