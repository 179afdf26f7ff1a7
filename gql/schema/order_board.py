"""The order board (订单看板): today's figures and the caller's queues."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.common import Money
from gql.schema.delivery_queues import DeliveryQueueCount
from gql.schema.order_search import BookingStateCount, OrderStatusCount


@strawberry.type(description="Today (the business day) and the queues, within the caller's order scope.")
class OrderBoard:
    day_start: datetime = strawberry.field(description="Start of today on the business clock (UTC).")
    placed: int = strawberry.field(description="Orders created today.")
    paid: int = strawberry.field(description="Orders paid today.")
    turnover: Money = strawberry.field(description="What the orders paid today paid.")
    refunded: Money = strawberry.field(description="Refunds written today (pending or done).")
    income: Money = strawberry.field(description="turnover − refunded: the money kept today.")
    campaign_orders: int = strawberry.field(description="Orders paid today that belong to a campaign.")
    watched: int = strawberry.field(description="The caller's watch list (`watchOrder`), orders not final.")
    queues: list[OrderStatusCount] = strawberry.field(
        description="Orders waiting: 待接单, 待分配, 待发货, 待提货 (list one with "
        "`orders(filter: {status})`)."
    )
    after_sales_in_review: int = strawberry.field(description="After-sales 待审核 (PENDING_REVIEW).")
    returns_arrived: int = strawberry.field(description="Returns shipped back, to confirm (RETURN_SHIPPED).")
    bookings: list[BookingStateCount] = strawberry.field(
        description="The 预订单 tabs (`orderBookingCounts`)."
    )
    deliveries: list[DeliveryQueueCount] = strawberry.field(
        description="Store deliveries in the 催单 (OVERDUE) and 配送异常 (NO_RIDER) queues "
        "(`deliveryQueueCounts`; list one with `deliveryQueue`)."
    )
