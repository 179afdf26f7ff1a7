"""The 催单 (OVERDUE) and 配送异常 (NO_RIDER) queues: lists with counts, and their SLA alerts.

Membership is computed from the orders at the moment asked (`models.deliveries.queues` says the
rule; `_in_queue` is the same rule in SQL), so an order leaves a queue as soon as it
is delivered or gets a rider. `raise_alerts` (run by the sweeper) records each order's first
entry into each queue in `delivery_alerts` and writes one timeline row — announced on the
`orderEvents` feed — in the same transaction; the row's primary key makes that happen once
however many processes sweep at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.exc import IntegrityError

from models.deliveries.queues import NOT_AT_THE_DOOR, DeliveryQueue
from models.deliveries.rows import Delivery, DeliveryAlert
from models.deliveries.stages import DeliveryStage
from models.orders.event_types import DELIVERY_QUEUE_ENTERED
from models.orders.rows import Order
from models.orders.states import FINAL_STATUSES
from models.principals import SYSTEM, SYSTEM_PRINCIPAL, Principal
from services.commands import Deps, Result, Work, run_command
from services.db import SessionFactory
from services.orders.transitions import timeline_note
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import order_visibility

log = logging.getLogger("mallgraph.delivery_queues")

BATCH = 200

OVERDUE_BY_PROMISE = Sort(
    "promised_at:ASC",
    (SortKey(Order.promised_at, False, datetime), SortKey(Order.id, False)),
    lambda o: (o.promised_at, o.id),
    frozenset({"id", "promised_at"}),
)
"""催单, most urgent first: every order in the queue has a promised time."""
NO_RIDER_BY_PICKING = Sort(
    "picked_at:ASC",
    (
        SortKey(case((Order.picked_at.is_(None), 1), else_=0), False),
        SortKey(Order.picked_at, False, datetime, nullable=True),
        SortKey(Order.id, False),
    ),
    lambda o: (int(o.picked_at is None), o.picked_at, o.id),
    frozenset({"id", "picked_at"}),
)
"""配送异常, waiting longest first (an order without a picking time, from before it was kept, last)."""
QUEUE_SORTS = {DeliveryQueue.OVERDUE: OVERDUE_BY_PROMISE, DeliveryQueue.NO_RIDER: NO_RIDER_BY_PICKING}


def _waiting_since() -> ColumnElement[datetime]:
    requested = (
        select(Delivery.requested_at)
        .where(Delivery.order_id == Order.id, Delivery.rider_name.is_(None))
        .scalar_subquery()
    )
    return func.coalesce(requested, Order.picked_at)


def _in_queue(queue: DeliveryQueue, now: datetime, no_rider_after: timedelta) -> ColumnElement[bool]:
    open_order = Order.status.not_in(sorted(FINAL_STATUSES))
    if queue is DeliveryQueue.OVERDUE:
        return and_(
            open_order,
            Order.delivery_stage.in_(NOT_AT_THE_DOOR),
            Order.promised_at.is_not(None),
            Order.promised_at < now,
        )
    return and_(
        open_order,
        Order.delivery_stage == DeliveryStage.PICKED,
        _waiting_since() <= now - no_rider_after,
    )


def _scope(principal: Principal, store_ids: Sequence[int] | None) -> ColumnElement[bool]:
    clause = order_visibility(principal)
    if store_ids:
        clause = and_(clause, Order.store_id.in_(sorted(set(store_ids))))
    return clause


async def list_queue(
    sessions: SessionFactory,
    principal: Principal,
    queue: DeliveryQueue,
    now: datetime,
    no_rider_after: timedelta,
    page: PageRequest,
    *,
    store_ids: Sequence[int] | None = None,
    stages: Sequence[DeliveryStage] | None = None,
) -> Page[Order]:
    """One page of the queue in scope, most urgent first (`QUEUE_SORTS`), with keyset cursors.

    Membership is evaluated at `now` on every page: an order that left the queue meanwhile is not
    on the next page, one that joined ahead of the cursor is not either (it is on a new first page).
    """
    where = and_(_in_queue(queue, now, no_rider_after), _scope(principal, store_ids))
    if stages:
        where = and_(where, Order.delivery_stage.in_(sorted(set(stages))))
    return await paginate(sessions, select(Order).where(where), QUEUE_SORTS[queue], page)


async def count_queues(
    sessions: SessionFactory,
    principal: Principal,
    now: datetime,
    no_rider_after: timedelta,
    store_ids: Sequence[int] | None = None,
) -> dict[DeliveryQueue, int]:
    scope = _scope(principal, store_ids)
    counts = [func.count().filter(_in_queue(q, now, no_rider_after)).label(q.value) for q in DeliveryQueue]
    async with sessions() as session:
        row = (await session.execute(select(*counts).select_from(Order).where(scope))).one()
    return {q: int(row._mapping[q.value] or 0) for q in DeliveryQueue}


async def raise_alerts(deps: Deps, now: datetime) -> int:
    """Alert each order newly in a queue, once; returns how many alerts this call raised."""
    raised = 0
    for queue in DeliveryQueue:
        alerted = exists().where(DeliveryAlert.order_id == Order.id, DeliveryAlert.queue == queue)
        stmt = (
            select(Order.id)
            .where(_in_queue(queue, now, deps.rules.no_rider_after), ~alerted)
            .order_by(Order.id)
            .limit(BATCH)
        )
        async with deps.sessions() as session:
            ids = (await session.scalars(stmt)).all()
        for order_id in ids:

            async def alert(work: Work, order_id: int = order_id, queue: DeliveryQueue = queue) -> Result:
                order = await work.session.get(Order, order_id)
                assert order is not None
                work.session.add(DeliveryAlert(order_id=order_id, queue=queue, raised_at=work.now))
                timeline_note(work, order, {"event": DELIVERY_QUEUE_ENTERED, "queue": queue.value})
                await work.session.flush()
                return {"orderId": order_id}

            try:
                await run_command(deps, SYSTEM_PRINCIPAL, "deliveryAlert", alert, actor=SYSTEM, now=now)
            except IntegrityError:
                continue  # another process raised it first
            raised += 1
    return raised
