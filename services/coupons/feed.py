"""The live coupon feed behind the `couponEvents` (staff, HQ) and `myCouponUpdates` (shoppers)
subscriptions: the coupon ledger replayed and followed live (`services.timeline_feed`).

Every change of an issued coupon is a ledger row (ISSUED, LOCKED, UNLOCKED, USED, RESTORED,
EXPIRED, VOIDED), so the ledger is the feed's timeline: a flush listener notes the new rows and
`run_command` publishes them once the transaction has committed, like order events. A shopper
sees the rows of their own coupons; staff the rows of their stores (`CouponLedger.store_id`: the
order's store, else the coupon's only store); HQ every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, event, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from models.coupons.rows import CouponLedger, CouponLedgerAction, CustomerCoupon
from services.event_bus import COUPON_FEED, EventNotice
from services.timeline_feed import AnyRow, AnySelect, TimelineFeed, notice_in_scope

_KEY: Final = "mallgraph_coupon_ledger"


@event.listens_for(Session, "after_flush")
def _note_new_rows(session: Session, _flush_context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, CouponLedger)]
    if new:
        session.info.setdefault(_KEY, []).extend(new)


def take_coupon_notices(session: Session) -> list[EventNotice]:
    """The notices for the ledger rows flushed in this session (and forget them), in id order."""
    rows: list[CouponLedger] = session.info.pop(_KEY, [])
    notices = []
    for row in sorted(rows, key=lambda r: r.id):
        coupon = session.identity_map.get(identity_key(CustomerCoupon, row.coupon_id))
        notices.append(
            EventNotice(
                event_id=row.id,
                order_id=row.order_id or 0,
                store_id=row.store_id,
                customer_id=coupon.customer_id if isinstance(coupon, CustomerCoupon) else None,
                type=row.action.value,
                feed=COUPON_FEED,
            )
        )
    return notices


@dataclass(frozen=True, slots=True)
class CouponFeedScope:
    """Whose coupon events a subscriber may see, and which it asked for."""

    store_ids: frozenset[int] | None = None
    """None: every row (HQ); set: rows of these stores."""
    customer_id: int | None = None
    """Set: only this shopper's coupons."""
    types: frozenset[CouponLedgerAction] | None = None

    def accepts(self, notice: EventNotice) -> bool:
        return notice_in_scope(notice, COUPON_FEED, self.store_ids, self.customer_id, self.types)

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.store_ids is not None:
            clauses.append(CouponLedger.store_id.in_(sorted(self.store_ids)))
        if self.customer_id is not None:
            clauses.append(CustomerCoupon.customer_id == self.customer_id)
        if self.types is not None:
            clauses.append(CouponLedger.action.in_(sorted(self.types)))
        return and_(true(), *clauses)


@dataclass(frozen=True, slots=True)
class CouponFeedEvent:
    entry: CouponLedger
    coupon: CustomerCoupon


class CouponFeed(TimelineFeed[CouponFeedScope, CouponFeedEvent]):
    def _id(self) -> ColumnElement[int]:
        return CouponLedger.id  # type: ignore[return-value]

    def _created_at(self) -> ColumnElement[datetime]:
        return CouponLedger.created_at  # type: ignore[return-value]

    def _rows(self, scope: CouponFeedScope) -> AnySelect:
        return (
            select(CouponLedger, CustomerCoupon)
            .join(CustomerCoupon, CustomerCoupon.id == CouponLedger.coupon_id)
            .where(scope.where())
        )

    def _item(self, row: AnyRow, scope: CouponFeedScope) -> tuple[int, CouponFeedEvent | None]:
        entry, coupon = row
        return entry.id, CouponFeedEvent(entry, coupon)

    def _accepts(self, scope: CouponFeedScope, notice: EventNotice) -> bool:
        return scope.accepts(notice)
