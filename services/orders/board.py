"""The order board (订单看板): today's figures and the queues waiting for the caller, in one read.

Within the caller's order scope (HQ everything, store staff their stores), "today" is the current
business day (the configured zone):

* placed / paid: orders created / paid today; turnover: what those paid orders paid; refunded:
  refunds written today for orders in scope; income = turnover − refunded (money kept today);
* campaign orders: orders paid today that belong to a campaign;
* watched: the caller's own watch list, orders not yet final;
* queues: orders waiting for acceptance, allocation (HQ's), shipment or pickup; after-sales in
  review and returns arrived; the 预订单 tabs (`services/pre_orders.py` booking states); and the
  delivery queues 催单 / 配送异常 (`services/deliveries/queues.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, case, func, select

from models.after_sales.rows import AfterSale
from models.after_sales.states import AfterSaleStatus
from models.date_ranges import local_day_start
from models.deliveries.queues import DeliveryQueue
from models.enums import PaymentKind, PaymentStatus
from models.orders.rows import Order
from models.orders.states import FINAL_STATUSES, OrderStatus
from models.orders.watches import OrderWatch
from models.payments import PaymentTransaction
from models.pre_orders import BookingState
from models.principals import Principal
from services.db import SessionFactory
from services.deliveries.queues import count_queues
from services.orders.search import OrderCriteria
from services.pre_orders import count_by_booking
from services.scoping import after_sale_visibility, order_visibility

QUEUE_STATUSES = (
    OrderStatus.PENDING_ACCEPTANCE,
    OrderStatus.PENDING_ALLOCATION,
    OrderStatus.PENDING_SHIPMENT,
    OrderStatus.PENDING_PICKUP,
)


@dataclass(frozen=True, slots=True)
class Board:
    day_start: datetime
    placed: int
    paid: int
    turnover: int
    refunded: int
    campaign_orders: int
    watched: int
    queues: dict[OrderStatus, int]
    after_sales_in_review: int
    returns_arrived: int
    bookings: dict[BookingState, int]
    deliveries: dict[DeliveryQueue, int]

    @property
    def income(self) -> int:
        return self.turnover - self.refunded


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def order_board(
    sessions: SessionFactory, principal: Principal, now: datetime, zone: tzinfo, no_rider_after: timedelta
) -> Board:
    start = local_day_start(now, zone)
    end = start + timedelta(days=1)  # the zone's day: DST days are handled by the next start
    scope = order_visibility(principal)
    paid_today = and_(Order.paid_at.is_not(None), Order.paid_at >= start, Order.paid_at < end)
    figures = select(
        _count(and_(Order.created_at >= start, Order.created_at < end)),
        _count(paid_today),
        func.coalesce(func.sum(case((paid_today, Order.paid_amount), else_=0)), 0),
        _count(and_(paid_today, Order.campaign_id.is_not(None))),
        *(_count(Order.status == s) for s in QUEUE_STATUSES),
    ).where(scope)
    refunded = (
        select(func.coalesce(func.sum(PaymentTransaction.amount), 0))
        .join(Order, Order.id == PaymentTransaction.order_id)
        .where(
            PaymentTransaction.kind == PaymentKind.REFUND,
            PaymentTransaction.status != PaymentStatus.FAILED,
            PaymentTransaction.created_at >= start,
            PaymentTransaction.created_at < end,
            scope,
        )
    )
    watched = (
        select(func.count())
        .select_from(OrderWatch)
        .join(Order, Order.id == OrderWatch.order_id)
        .where(OrderWatch.watcher_key == principal.key, Order.status.not_in(sorted(FINAL_STATUSES)), scope)
    )
    after_sales = select(
        _count(AfterSale.status == AfterSaleStatus.PENDING_REVIEW),
        _count(AfterSale.status == AfterSaleStatus.RETURN_SHIPPED),
    ).where(after_sale_visibility(principal))
    async with sessions() as session:
        placed, paid, turnover, campaign, *queued = (await session.execute(figures)).one()
        refunds = int(await session.scalar(refunded) or 0)
        watching = int(await session.scalar(watched) or 0)
        in_review, arrived = (await session.execute(after_sales)).one()
    bookings = await count_by_booking(sessions, principal, OrderCriteria(), now)
    deliveries = await count_queues(sessions, principal, now, no_rider_after)
    return Board(
        day_start=start,
        placed=int(placed),
        paid=int(paid),
        turnover=int(turnover),
        refunded=refunds,
        campaign_orders=int(campaign),
        watched=watching,
        queues={s: int(n) for s, n in zip(QUEUE_STATUSES, queued, strict=True)},
        after_sales_in_review=int(in_review),
        returns_arrived=int(arrived),
        bookings=bookings,
        deliveries=deliveries,
    )
