"""Pre-orders (预订单) in the back office: the booking tabs' counts and the sweeper's reminders.

The rules live in `models/pre_orders.py`; the list filter (`booking:` / `OrderFilter.bookingState`)
is compiled with every other filter in `services/orders/search.py`. The reminders are written as
timeline rows without a status change (`payload.event`: BOOKING_ACCEPT_DUE / BOOKING_PICK_DUE), so
they reach the live feed like any other event. Each is claimed with a conditional UPDATE of its
stamp (`accept_reminded_at` / `pick_reminded_at` still null), so however many processes sweep at
once, every reminder is sent once; the order's version is not bumped (no state changed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, Select, and_, case, func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from models.errors import DomainError
from models.orders.event_types import BOOKING_ACCEPT_DUE, BOOKING_PICK_DUE
from models.orders.rows import Order
from models.pre_orders import ACCEPT_STATUSES, OPEN_STATUSES, PICK_STATUSES, PICKING_LEAD, SOON, BookingState
from models.principals import SYSTEM, SYSTEM_PRINCIPAL, Principal
from services.commands import Deps, Work, run_command
from services.db import SessionFactory
from services.orders.search import OrderCriteria, check_store_codes, order_condition
from services.orders.transitions import timeline_note

log = logging.getLogger("mallgraph.pre_orders")
BATCH: Final = 200


async def count_by_booking(
    sessions: SessionFactory, principal: Principal, criteria: OrderCriteria, now: datetime
) -> dict[BookingState, int]:
    """Pre-orders per booking state at `now` (every state, zeros included) within the caller's scope
    and the criteria, in one statement."""
    await check_store_codes(sessions, criteria)
    where = order_condition(principal, criteria)
    soon = now + SOON

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = select(
        count(Order.booked_for <= now),
        count(and_(Order.booked_for > now, Order.booked_for <= soon)),
        count(Order.booked_for > soon),
    ).where(where, Order.booked_for.is_not(None), Order.status.in_(sorted(OPEN_STATUSES)))
    async with sessions() as session:
        overdue, due_soon, not_yet = (await session.execute(stmt)).one()
    return {
        BookingState.NOT_YET: int(not_yet),
        BookingState.SOON: int(due_soon),
        BookingState.OVERDUE: int(overdue),
    }


async def send_reminders(deps: Deps, now: datetime) -> tuple[int, int]:
    """Acceptance reminders (a pre-order placed while closed, still 待接单 once the store opens) and
    picking reminders (`PICKING_LEAD` before the booked time, accepted and not yet out): how many
    of each were sent now."""
    accept_due = select(Order.id).where(
        Order.accept_from.is_not(None),
        Order.accept_from <= now,
        Order.accept_reminded_at.is_(None),
        Order.status.in_(sorted(ACCEPT_STATUSES)),
    )
    pick_due = select(Order.id).where(
        Order.booked_for.is_not(None),
        Order.booked_for <= now + PICKING_LEAD,
        Order.pick_reminded_at.is_(None),
        Order.status.in_(sorted(PICK_STATUSES)),
    )
    accepted = await _remind(deps, await _ids(deps, accept_due), Order.accept_reminded_at, now)
    picked = await _remind(deps, await _ids(deps, pick_due), Order.pick_reminded_at, now)
    return accepted, picked


async def _ids(deps: Deps, stmt: Select[int]) -> Sequence[int]:
    async with deps.sessions() as session:
        return (await session.scalars(stmt.order_by(Order.id).limit(BATCH))).all()


_EVENTS: Final = {"accept_reminded_at": BOOKING_ACCEPT_DUE, "pick_reminded_at": BOOKING_PICK_DUE}
_STATUSES: Final = {"accept_reminded_at": ACCEPT_STATUSES, "pick_reminded_at": PICK_STATUSES}


async def _remind(
    deps: Deps, ids: Sequence[int], stamp: InstrumentedAttribute[datetime | None], now: datetime
) -> int:
    sent = 0
    for order_id in ids:

        async def apply(work: Work, order_id: int = order_id) -> dict[str, object]:
            claimed = await work.session.execute(
                update(Order)
                .where(
                    Order.id == order_id,
                    stamp.is_(None),
                    Order.status.in_(sorted(_STATUSES[stamp.key])),
                )
                .values({stamp.key: now})
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return {"sent": False}
            order = await work.session.get(Order, order_id)
            assert order is not None
            timeline_note(
                work, order, {"event": _EVENTS[stamp.key], "bookedFor": _iso(order.booked_for)}, now
            )
            return {"sent": True}

        try:
            result = await run_command(
                deps, SYSTEM_PRINCIPAL, "pre_order_reminder", apply, actor=SYSTEM, now=now
            )
        except DomainError as exc:
            log.warning("could not remind of pre-order %s: %s", order_id, exc)
            continue
        sent += bool(result["sent"])
    return sent


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
