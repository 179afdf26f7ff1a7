"""GraphQL types of coupon operations: 卖券 purchases, 发券 push jobs and 扫码领券 claim links."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from gql.ids import encode_id
from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.common import Money, UserError, money
from gql.schema.coupons import Coupon, CouponTemplate
from models.base import utcnow
from models.coupons.pushes import CouponPushJob as PushRow
from models.coupons.pushes import PushState, PushTargetKind
from models.coupons.rows import CouponTemplate as TemplateRow
from models.coupons.rows import CustomerCoupon
from models.coupons.sales import CouponPurchase as PurchaseRow
from models.coupons.sales import PurchaseStatus

strawberry.enum(PurchaseStatus, description="UNPAID → PAID → REFUNDED, or UNPAID → EXPIRED.")
strawberry.enum(PushState, description="QUEUED → RUNNING → SUCCEEDED, or FAILED (see `error`).")
strawberry.enum(PushTargetKind)


async def _template(info: Info, template_id: int) -> CouponTemplate | None:
    async with info.context.sessions() as session:
        row = await session.get(TemplateRow, template_id)
    return CouponTemplate.from_row(row) if row else None


@strawberry.type(
    description="A coupon bought (卖券): its price, payment state and the coupon payment issued."
)
class CouponPurchase:
    id: strawberry.ID
    purchase_no: str = strawberry.field(description="Shown to the shopper; the gateway's order number.")
    status: PurchaseStatus
    price: Money
    payment_deadline: datetime = strawberry.field(description="An UNPAID purchase expires after it.")
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None
    expired_at: datetime | None
    _template_id: strawberry.Private[int]
    _coupon_id: strawberry.Private[int | None]

    @strawberry.field(description="The template bought.")
    async def template(self, info: Info) -> CouponTemplate | None:
        return await _template(info, self._template_id)

    @strawberry.field(description="The coupon issued on payment (VOIDED once refunded); null before.")
    async def coupon(self, info: Info) -> Coupon | None:
        if self._coupon_id is None:
            return None
        async with info.context.sessions() as session:
            row = await session.get(CustomerCoupon, self._coupon_id)
        return Coupon.from_row(row, utcnow()) if row else None

    @classmethod
    def from_row(cls, row: PurchaseRow) -> CouponPurchase:
        return cls(
            id=strawberry.ID(encode_id("CouponPurchase", row.id)),
            purchase_no=row.purchase_no,
            status=row.status,
            price=money(row.price),
            payment_deadline=row.payment_deadline,
            created_at=row.created_at,
            paid_at=row.paid_at,
            refunded_at=row.refunded_at,
            expired_at=row.expired_at,
            _template_id=row.template_id,
            _coupon_id=row.coupon_id,
        )


@strawberry.type
class CouponPurchasePayload:
    purchase: CouponPurchase | None
    payment_no: str | None = strawberry.field(description="payCouponPurchase: the payment's number.")
    refund_no: str | None = strawberry.field(description="refundCouponPurchase: the refund's number.")
    user_errors: list[UserError]


@strawberry.type(description="Customers a push skipped, by reason.")
class CouponPushSkipped:
    already_has: int = strawberry.field(description="Holds an UNUSED coupon of the template already.")
    limit: int = strawberry.field(description="Reached the template's per-customer limit.")
    stock: int = strawberry.field(description="The template's stock ran out.")


@strawberry.type(description="A push (发券) of a template to a target, run in the background with counts.")
class CouponPushJob:
    id: strawberry.ID
    state: PushState
    target_kind: PushTargetKind
    targeted: int | None = strawberry.field(description="Customers in the target; null until resolved.")
    issued: int
    skipped: CouponPushSkipped
    done: int = strawberry.field(description="Customers handled so far (issued + skipped).")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    _template_id: strawberry.Private[int]

    @strawberry.field(description="The template pushed.")
    async def template(self, info: Info) -> CouponTemplate | None:
        return await _template(info, self._template_id)

    @classmethod
    def from_row(cls, row: PushRow) -> CouponPushJob:
        return cls(
            id=strawberry.ID(encode_id("CouponPushJob", row.id)),
            state=row.state,
            target_kind=row.target_kind,
            targeted=row.targeted,
            issued=row.issued,
            skipped=CouponPushSkipped(
                already_has=row.skipped_already_has, limit=row.skipped_limit, stock=row.skipped_stock
            ),
            done=row.done,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            _template_id=row.template_id,
        )


@strawberry.type
class CouponPushPayload:
    job: CouponPushJob | None
    user_errors: list[UserError]


@strawberry.type(description="扫码领券: a store's signed claim link for a template, and its QR code.")
class CouponClaimLink:
    template_id: strawberry.ID
    store_id: strawberry.ID
    signature: str = strawberry.field(description="Give it to claimCouponByLink with the two ids.")
    url: str = strawberry.field(description="The link the QR code holds (opened by the mini-program).")
    qr_url: str = strawberry.field(description="PNG QR code of `url`, relative to the API's origin.")
