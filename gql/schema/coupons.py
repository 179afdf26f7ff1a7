"""GraphQL type of a coupon a shopper holds (优惠券); today minted by 邀请有礼 rewards."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.common import Money, money
from models.coupons import CouponStatus
from models.coupons import CustomerCoupon as CouponRow


@strawberry.type(
    description="A coupon in the shopper's account (优惠券): its face value, threshold and validity."
)
class Coupon:
    title: str
    amount: Money = strawberry.field(description="Face value taken off an order.")
    min_spend: Money = strawberry.field(description="Goods amount an order must reach (0: no threshold).")
    status: CouponStatus
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def from_row(cls, row: CouponRow) -> Coupon:
        return cls(
            title=row.title,
            amount=money(row.amount),
            min_spend=money(row.min_spend),
            status=row.status,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
        )
