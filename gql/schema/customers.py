"""GraphQL types of customers (顾客). Phone numbers are PII: masked for analysts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql.context import Info
from gql.engine import RowFields
from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.common import Connection, Money, money
from gql.schema.coupons import Coupon
from gql.schema.order_search import CentsRange, DateTimeRange
from models.base import utcnow
from models.customers.lifecycle import LifecycleSegment, segment_of
from models.customers.rows import Customer as CustomerRow
from models.enums import MemberLevel
from models.pii import mask_phone, sees_full_pii
from services.customers import customer_orders
from services.pagination import PageRequest

if TYPE_CHECKING:
    from gql.schema.orders import Order

strawberry.enum(
    LifecycleSegment,
    description="Days since the last order, on the business calendar: ACTIVE < 30 (活跃), "
    "SILENT 30-59 (沉默), LOST 60-89 (流失), CHURNED ≥ 90 (久未下单, past the win-back window), "
    "NO_ORDERS (never ordered).",
)


def visible_phone(info: Info, phone: str | None, store_id: int | None = None) -> str | None:
    """138****1234 unless the caller may see the full number (`models.pii.sees_full_pii`)."""
    if phone is None:
        return None
    return phone if sees_full_pii(info.context.principal, store_id) else mask_phone(phone)


@strawberry.type(
    description="What the customer bought, over the orders the viewer may see (a store: its own orders)."
)
class TradingSummary:
    order_count: int
    paid_order_count: int
    spent: Money = strawberry.field(description="Paid for all paid orders (refunds not deducted).")
    refunded: Money
    refunded_order_count: int = strawberry.field(description="Orders with any refund.")
    average_order_value: Money = strawberry.field(description="客单价: spent / paid orders.")
    last_order_at: datetime | None


@strawberry.type(description="A mini-program customer.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    nickname: str
    avatar_url: str | None
    member_level: MemberLevel
    points: int
    registered_at: datetime
    first_paid_at: datetime | None = strawberry.field(description="First payment; null means a new customer.")
    last_order_at: datetime | None
    _phone: strawberry.Private[str | None]

    @strawberry.field(description="Full for HQ and the customer's stores; masked (138****1234) for analysts.")
    def phone(self, info: Info) -> str | None:
        return visible_phone(info, self._phone)

    @strawberry.field(description="True until the customer's first paid order (新客).")
    def is_new(self) -> bool:
        return self.first_paid_at is None

    @strawberry.field(description="Lifecycle by the last order (any store), in the business time zone.")
    def lifecycle_segment(self, info: Info) -> LifecycleSegment:
        return segment_of(self.last_order_at, utcnow(), info.context.deps.rules.zone)

    @strawberry.field(description="Coupons in the account (优惠券), newest first; batched per page.")
    async def coupons(self, info: Info) -> list[Coupon]:
        return [Coupon.from_row(c) for c in await info.context.loaders.coupons_by_customer.load(self.id)]

    @strawberry.field(description="Orders, amounts, 客单价 and refunds (交易信息); batched per page.")
    async def trading_summary(self, info: Info) -> TradingSummary:
        s = await info.context.loaders.customer_trading.load(self.id)
        return TradingSummary(
            order_count=s.order_count,
            paid_order_count=s.paid_order_count,
            spent=money(s.spent),
            refunded=money(s.refunded),
            refunded_order_count=s.refunded_order_count,
            average_order_value=money(s.average_order_value),
            last_order_at=s.last_order_at,
        )

    @strawberry.field(description="The customer's orders the viewer may see (订单记录), newest first.")
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Order, strawberry.lazy("gql.schema.orders")]]:
        from gql.schema.orders import Order

        page = await customer_orders(
            info.context.sessions, info.context.principal, self.id, PageRequest(first, after, last, before)
        )
        return Connection[Order].of(page, Order.from_row)

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        return CUSTOMER_FIELDS(row)


# `reads`: what the resolvers read off the row, for narrowed relation loaders (gql/engine/narrowed.py).
CUSTOMER_FIELDS = RowFields(
    Customer,
    {
        "_phone": "phone",
    },
    reads={
        "_id": ("id",),
        "phone": ("phone",),
        "is_new": ("first_paid_at",),
        "lifecycle_segment": ("last_order_at",),
        "trading_summary": ("id",),
        "coupons": ("id",),
        "orders": ("id",),
    },
    entity=CustomerRow,
)


@strawberry.input(description="Narrow the customer list (客户管理); every given condition must hold.")
class CustomerFilter:
    registered_at: DateTimeRange | None = None
    member_level: list[MemberLevel] | None = None
    is_new: bool | None = strawberry.field(
        default=None, description="true: 新客 (no paid order); false: 老客."
    )
    last_order_at: DateTimeRange | None = None
    spent: CentsRange | None = strawberry.field(
        default=None, description="What the customer paid over the orders you may see (cents, inclusive)."
    )
    phone: str | None = strawberry.field(
        default=None, description="Whole number or last four digits (尾号). Not for analysts (masked phones)."
    )
    lifecycle_segment: LifecycleSegment | None = None
    nickname: str | None = strawberry.field(default=None, description="Nickname contains.")
