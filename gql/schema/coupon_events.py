"""GraphQL type of one live coupon event (the `couponEvents` and `myCouponUpdates` subscriptions)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.ids import encode_id
from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.coupons import Coupon
from models.coupons.rows import CouponLedgerAction
from models.coupons.rules import CouponIssueCause
from services.coupons.feed import CouponFeedEvent


@strawberry.type(
    description="One change of a coupon, live or replayed (发券/领券, 锁定, 核销, 解锁, 退回, 过期, 作废)."
)
class CouponEventMessage:
    cursor: str = strawberry.field(
        description="The event's id in the coupon ledger: pass it as `since` to resume after this event."
    )
    type: CouponLedgerAction
    at: datetime
    issue_cause: CouponIssueCause = strawberry.field(
        description="How the coupon was issued (an ISSUED event: 领券 CLAIM, 发券 PUSH, …)."
    )
    order_id: strawberry.ID | None = strawberry.field(
        description="The order it was locked, used or restored by."
    )
    store_id: strawberry.ID | None = strawberry.field(
        description="Where it happened: the order's store, else the coupon's only store; null: no one store."
    )
    note: str | None
    coupon: Coupon = strawberry.field(description="The coupon as it is now (not as it was at the event).")

    @classmethod
    def from_feed(cls, item: CouponFeedEvent) -> CouponEventMessage:
        entry = item.entry
        return cls(
            cursor=str(entry.id),
            type=entry.action,
            at=entry.created_at,
            issue_cause=item.coupon.issue_cause,
            order_id=strawberry.ID(encode_id("Order", entry.order_id)) if entry.order_id else None,
            store_id=strawberry.ID(encode_id("Store", entry.store_id)) if entry.store_id else None,
            note=entry.note,
            coupon=Coupon.from_row(item.coupon),
        )
