"""GraphQL type of orders (lines: gql/schema/order_lines.py; parcels, timeline and allocation
records: gql/schema/order_records.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from gql.context import Info
from gql.engine import Relation, RowFields, computed
from gql.schema.common import Money, money
from gql.schema.consignee import CONSIGNEE_READS, Consignee
from gql.schema.coupons import PriceAdjustment
from gql.schema.customers import CUSTOMER_FIELDS, Customer
from gql.schema.deliveries import Delivery
from gql.schema.order_lines import ORDER_LINE_FIELDS, OrderLine
from gql.schema.order_payments import OrderPayment
from gql.schema.order_records import ORDER_EVENT_FIELDS, PARCEL_FIELDS, AllocationRecord, OrderEvent, Parcel
from gql.schema.stores import STORE_FIELDS, Store
from models.after_sales.refund_policy import LineState, refund_entry
from models.after_sales.rows import AfterSaleLine
from models.after_sales.states import AfterSaleInitiator
from models.base import utcnow
from models.deliveries.stages import DeliveryStage
from models.enums import (
    ActorType,
    Fulfillment,
    OrderChannel,
    OrderType,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Role,
)
from models.errors import ErrorCode
from models.orders import rows
from models.orders.actions import OrderCommand, RefundFacts, available_actions
from models.orders.states import OrderStatus
from models.pre_orders import BookingState, booking_state

if TYPE_CHECKING:
    from gql.schema.after_sales import AfterSale, RefundableLine


_STORE: Relation[Store | None] = Relation("store", STORE_FIELDS)
_CUSTOMER: Relation[Customer] = Relation("customer", CUSTOMER_FIELDS, required=True)
_LINES: Relation[list[OrderLine]] = Relation("lines_by_order", ORDER_LINE_FIELDS, many=True)
_PARCELS: Relation[list[Parcel]] = Relation("parcels_by_order", PARCEL_FIELDS, many=True)
_EVENTS: Relation[list[OrderEvent]] = Relation("events_by_order", ORDER_EVENT_FIELDS, many=True)


@strawberry.type(
    description="Whether the viewer may do an action now, and if not, why (reason is an error code)."
)
class ActionAvailability:
    action: OrderCommand
    allowed: bool
    reason: ErrorCode | None


@strawberry.type(description="An order. Amounts: payable = goods − discount + deliveryFee + packagingFee.")
class Order(relay.Node):
    id: relay.NodeID[int]
    order_no: str
    merchant_order_no: str | None = strawberry.field(
        description="商家订单号: the merchant's own reference, set with `setMerchantOrderNo`; search "
        "`merchantno:`."
    )
    status: OrderStatus
    delivery_stage: DeliveryStage | None = strawberry.field(
        description="Store delivery only: the stage under 待发货 / 已发货 (kept once the order is final)."
    )
    type: OrderType
    fulfillment: Fulfillment
    channel: OrderChannel
    payment_method: PaymentMethod | None
    goods_amount: Money
    goods_original_amount: Money = strawberry.field(description="Goods at original (划线) prices.")
    discount_amount: Money
    delivery_fee: Money
    packaging_fee: Money
    payable_amount: Money
    paid_amount: Money
    refunded_amount: Money
    consignee: Consignee
    buyer_remark: str | None
    cancel_reason: str | None
    reject_reason: str | None
    created_at: datetime
    payment_deadline: datetime | None
    paid_at: datetime | None
    grouped_at: datetime | None
    accepted_at: datetime | None
    rejected_at: datetime | None
    allocated_at: datetime | None
    shipped_at: datetime | None = strawberry.field(
        description="Goods left the store (the last parcel, or the rider's pickup for store delivery)."
    )
    picked_at: datetime | None = strawberry.field(description="Store delivery: picking finished (拣货完成).")
    rider_assigned_at: datetime | None = strawberry.field(
        description="Store delivery: a rider took the order."
    )
    delivered_at: datetime | None = strawberry.field(description="Store delivery: at the door (送达).")
    promised_at: datetime | None = strawberry.field(
        description="Store delivery: when the order is promised at the door (承诺送达时间): payment plus "
        "the store's deliveryMinutes, fixed when the order reaches its store."
    )
    completed_at: datetime | None
    cancelled_at: datetime | None
    closed_at: datetime | None
    booked_for: datetime | None = strawberry.field(
        description="预订单: the time the shopper booked; null for an order to fulfil at once."
    )
    updated_at: datetime
    version: int = strawberry.field(description="Bumped by every change; pass it as expectedVersion.")
    _store_id: strawberry.Private[int | None]
    _customer_id: strawberry.Private[int]
    _pickup_code: strawberry.Private[str | None]

    async def _refund_facts(self, info: Info) -> tuple[list[rows.OrderLine], RefundFacts]:
        """The order's lines and what the refund policy needs of them (two batched loads)."""
        loaders = info.context.loaders
        lines = await loaders.lines_by_order.load(self.id)
        claims = await loaders.after_sale_lines_by_line.load_many([line.id for line in lines])
        return lines, _facts(info, lines, claims)

    def _refund_facts_now(self, info: Info) -> tuple[list[rows.OrderLine], RefundFacts] | None:
        """What `_refund_facts` gives, when the request's loaders already hold all it reads (the
        order's prefetch filled them); None when they do not."""
        loaders = info.context.loaders
        lines: list[rows.OrderLine] | None = loaders.lines_by_order.values.get(self.id)
        if lines is None:
            return None
        held = loaders.after_sale_lines_by_line.values
        claims = [held.get(line.id) for line in lines]
        if None in claims:
            return None
        return lines, _facts(info, lines, cast(list[list[AfterSaleLine]], claims))

    @strawberry.field(
        description="The actions the viewer's client offers, each allowed or not with a reason. "
        "REFUND_LINES and REQUEST_AFTER_SALE follow the refund policy exactly as the mutations do "
        "(state, window, units left, after-sales in progress). Store-delivery orders add the "
        "delivery steps (FINISH_PICKING … FOLLOW_UP_DELIVERY) as the status and stage tables allow them."
    )
    def available_actions(self, info: Info) -> list[ActionAvailability]:
        # Answered now when the refund facts are loaded (or not read), else an awaitable of it,
        # which graphql-core and the level-first walk await as any resolver's.
        principal = info.context.principal
        if principal.role is None or principal.role is Role.ANALYST:
            return self._actions(info, None)
        found = self._refund_facts_now(info)
        if found is not None:
            return self._actions(info, found[1])
        return cast(list[ActionAvailability], self._actions_later(info))

    async def _actions_later(self, info: Info) -> list[ActionAvailability]:
        _, refund = await self._refund_facts(info)
        return self._actions(info, refund)

    def _actions(self, info: Info, refund: RefundFacts | None) -> list[ActionAvailability]:
        principal = info.context.principal
        found = available_actions(
            self.status,
            self.fulfillment,
            self.type,
            principal.role,
            principal.actor_type,
            stage=self.delivery_stage,
            completed_at=self.completed_at,
            refund=refund,
        )
        return [ActionAvailability(action=a.command, allowed=a.allowed, reason=a.reason) for a in found]

    @strawberry.field(
        description="预订单 only: NOT_YET, SOON (within the hour) or OVERDUE (its time has passed) while "
        "the store still owes the goods (待接单, 待分配, 待发货, 待提货); null otherwise."
    )
    def booking_state(self) -> BookingState | None:
        return booking_state(self.booked_for, self.status, utcnow())

    @strawberry.field(description="Code the buyer shows at the counter (提货码); hidden from analysts.")
    def pickup_code(self, info: Info) -> str | None:
        return None if info.context.principal.role is Role.ANALYST else self._pickup_code

    # store, customer and lines resolve synchronously when the list prefetched them
    # (gql/resolvers/order_prefetch.py).
    store: Store | None = strawberry.field(
        resolver=_STORE.resolve_by("_store_id"),
        description="The fulfilling store; null when the HQ warehouse (总部) ships it.",
    )
    customer: Customer = strawberry.field(resolver=_CUSTOMER.resolve_by("_customer_id"))
    lines: list[OrderLine] = strawberry.field(resolver=_LINES.resolve_by("id"))

    @strawberry.field(
        description='Why it costs what it costs, layer by layer ("限时抢 −¥3.00", "满100减10", "券 −¥5.00").'
    )
    async def pricing(self, info: Info) -> list[PriceAdjustment]:
        rows = await info.context.loaders.adjustments_by_order.load(self.id)
        return [PriceAdjustment.of(r.layer, r.label, r.amount, r.line_shares) for r in rows]

    @strawberry.field(
        description="Store delivery: the rider (自配 or a platform's); null until one is sought."
    )
    async def delivery(self, info: Info) -> Delivery | None:
        row = await info.context.loaders.delivery_by_order.load(self.id)
        return Delivery.of(row, self._store_id) if row else None

    @strawberry.field(description="Parcels in shipping order.")
    @_PARCELS.marks("id")
    def parcels(self, info: Info) -> list[Parcel]:
        return _PARCELS(info, self.id)

    @strawberry.field(description="Payments and refunds at the gateway, oldest first.")
    async def payments(self, info: Info) -> list[OrderPayment]:
        return [OrderPayment.from_row(r) for r in await info.context.loaders.payments_by_order.load(self.id)]

    @strawberry.field(
        description="Payment serial number (流水号) the gateway gave the order's confirmed payment; "
        "null while unpaid. Search with `serial:` or `OrderFilter.paymentSerialNo`."
    )
    async def payment_serial_no(self, info: Info) -> str | None:
        found = await info.context.loaders.payments_by_order.load(self.id)
        paid = [
            r.gateway_reference
            for r in found
            if r.kind is PaymentKind.PAY and r.status is PaymentStatus.SUCCEEDED and r.gateway_reference
        ]
        return paid[-1] if paid else None

    @strawberry.field(description="Every transition, oldest first.")
    @_EVENTS.marks("id")
    def events(self, info: Info) -> list[OrderEvent]:
        return _EVENTS(info, self.id)

    @strawberry.field(description="After-sales of this order, oldest first.")
    def after_sales(
        self, info: Info
    ) -> list[Annotated[AfterSale, strawberry.lazy("gql.schema.after_sales")]]:
        from gql.schema.after_sales import AFTER_SALES_BY_ORDER

        return AFTER_SALES_BY_ORDER(info, self.id)

    @strawberry.field(
        description="What the viewer's side may still refund, line by line (units, most money, open "
        "after-sale): empty when the refund policy refuses the order (state, window) or nothing is left."
    )
    async def refundable_lines(
        self, info: Info
    ) -> list[Annotated[RefundableLine, strawberry.lazy("gql.schema.after_sales")]]:
        from gql.schema.after_sales import RefundableLine

        lines, facts = await self._refund_facts(info)
        actor = info.context.principal.actor_type
        entry = refund_entry(
            self.status,
            self.completed_at,
            facts.now,
            facts.lines,
            facts.open_lines,
            initiator=AfterSaleInitiator.BUYER
            if actor is ActorType.CUSTOMER
            else AfterSaleInitiator.MERCHANT,
            window_days=facts.window_days,
            zone=facts.zone,
            by_hq=actor is ActorType.HQ,
        )
        return [
            RefundableLine(
                refundable_quantity=left.quantity,
                max_amount=money(left.amount),
                open_after_sale=busy,
                _line_id=line.id,
            )
            for line, left, busy in zip(lines, entry.left, facts.open_lines, strict=True)
            if left is not None
        ]

    @strawberry.field(description="Rejections and reallocations, oldest first.")
    async def allocation_records(self, info: Info) -> list[AllocationRecord]:
        found = await info.context.loaders.allocations_by_order.load(self.id)
        return [
            AllocationRecord(
                reason=r.reason,
                actor_type=r.actor_type,
                actor_id=r.actor_id,
                created_at=r.created_at,
                _from_store_id=r.from_store_id,
                _to_store_id=r.to_store_id,
            )
            for r in found
        ]

    @classmethod
    def from_row(cls, row: rows.Order) -> Order:
        return ORDER_ROW_FIELDS(row)


def _facts(info: Info, lines: list[rows.OrderLine], claims: list[list[AfterSaleLine]]) -> RefundFacts:
    """What the refund policy needs of an order's lines and their after-sale lines."""
    rules = info.context.deps.rules
    return RefundFacts(
        utcnow(),
        rules.refund_window.days,
        rules.zone,
        tuple(
            LineState(line.quantity, line.paid_amount, line.refunded_quantity, line.refunded_amount)
            for line in lines
        ),
        tuple(any(c.is_open for c in claimed) for claimed in claims),
    )


_BY_ORDER_ID = (
    "lines",
    "parcels",
    "payments",
    "payment_serial_no",
    "events",
    "after_sales",
    "allocation_records",
)

# What each field and resolver reads off the order row (`reads`): the admin list selects only those
# columns (gql/engine/selection.py `selected_columns`). A field missing here makes the list read them all;
# a wrong entry is an AttributeError on the page, not a wrong answer
# (tests/api/test_order_list_columns.py selects every field through the list).
ORDER_ROW_FIELDS = RowFields(
    Order,
    {
        "goods_amount": computed(money, "goods_amount"),
        "goods_original_amount": computed(money, "goods_original_amount"),
        "discount_amount": computed(money, "discount_amount"),
        "delivery_fee": computed(money, "delivery_fee"),
        "packaging_fee": computed(money, "packaging_fee"),
        "payable_amount": computed(money, "payable_amount"),
        "paid_amount": computed(money, "paid_amount"),
        "refunded_amount": computed(money, "refunded_amount"),
        "consignee": Consignee.of,
        "_store_id": "store_id",
        "_customer_id": "customer_id",
        "_pickup_code": "pickup_code",
    },
    reads={
        "consignee": CONSIGNEE_READS,
        "_id": ("id",),
        "available_actions": ("id", "status", "fulfillment", "type", "delivery_stage", "completed_at"),
        "refundable_lines": ("id", "status", "completed_at"),
        "pickup_code": ("pickup_code",),
        "booking_state": ("booked_for", "status"),
        "store": ("store_id",),
        "delivery": ("id", "store_id"),
        "customer": ("customer_id",),
        **dict.fromkeys(_BY_ORDER_ID, ("id",)),
    },
    entity=rows.Order,
)
