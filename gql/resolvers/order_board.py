"""`orderBoard`: the back office's landing figures (services/orders/board.py)."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.schema.common import money
from gql.schema.delivery_queues import DeliveryQueueCount
from gql.schema.order_board import OrderBoard
from gql.schema.order_search import BookingStateCount, OrderStatusCount
from models.base import utcnow
from models.orders.tabs import STATUS_LABELS
from models.pre_orders import BOOKING_LABELS
from services.orders.board import order_board


@strawberry.type
class OrderBoardQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="订单看板: today's orders, turnover, refunds, income and campaign orders, the caller's "
        "watched orders, and the queues (orders, after-sales, 预订单, 催单 / 配送异常), within the "
        "caller's scope.",
    )
    async def order_board(self, info: Info) -> OrderBoard:
        board = await order_board(
            info.context.sessions,
            info.context.principal,
            utcnow(),
            info.context.deps.rules.zone,
            info.context.deps.rules.no_rider_after,
        )
        return OrderBoard(
            day_start=board.day_start,
            placed=board.placed,
            paid=board.paid,
            turnover=money(board.turnover),
            refunded=money(board.refunded),
            income=money(board.income),
            campaign_orders=board.campaign_orders,
            watched=board.watched,
            queues=[
                OrderStatusCount(status=s, label=STATUS_LABELS[s], count=n) for s, n in board.queues.items()
            ],
            after_sales_in_review=board.after_sales_in_review,
            returns_arrived=board.returns_arrived,
            bookings=[
                BookingStateCount(state=s, label=BOOKING_LABELS[s], count=n)
                for s, n in board.bookings.items()
            ],
            deliveries=[DeliveryQueueCount(queue=q, count=n) for q, n in board.deliveries.items()],
        )
