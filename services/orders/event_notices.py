"""Collect the timeline rows a unit of work writes, to announce them on the event bus after commit.

Every writer of `order_events` (placing, transitions, after-sale requests, sweeps) runs through
`run_command`; rather than asking each of them to remember a publish, a flush listener notes the
new rows on the session and `run_command` publishes them once the transaction has committed —
never before (a subscriber must find the row when it looks), never for a rolled-back one.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from models.orders.event_types import event_type
from models.orders.rows import Order, OrderEvent
from services.event_bus import EventNotice

_KEY: Final = "mallgraph_order_events"


@event.listens_for(Session, "after_flush")
def _note_new_events(session: Session, _flush_context: Any) -> None:
    # In after_flush `session.new` still lists what this flush inserted (and ids are assigned).
    new = [obj for obj in session.new if isinstance(obj, OrderEvent)]
    if new:
        session.info.setdefault(_KEY, []).extend(new)


def take_notices(session: Session) -> list[EventNotice]:
    """The notices for the rows flushed in this session (and forget them), in id order."""
    rows: list[OrderEvent] = session.info.pop(_KEY, [])
    notices = []
    for row in sorted(rows, key=lambda r: r.id):
        order = session.identity_map.get(identity_key(Order, row.order_id))
        customer_id = order.customer_id if isinstance(order, Order) else None
        notices.append(
            EventNotice(
                event_id=row.id,
                order_id=row.order_id,
                store_id=row.store_id,
                customer_id=customer_id,
                type=event_type(row.action, row.from_status, row.payload).value,
            )
        )
    return notices
