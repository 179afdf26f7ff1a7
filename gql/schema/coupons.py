"""GraphQL types of coupons (优惠券): a held coupon, a template, and an order's price explanation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry

from gql.context import Info
from gql.ids import encode_id
from gql.schema import enums as _registered_enums  # noqa: F401
from gql.schema.common import Money, UserError, money
from models.coupons.rows import CouponTemplate as TemplateRow
from models.coupons.rows import CustomerCoupon as CouponRow
from models.coupons.rules import (
    CouponClaimPath,
    CouponIssueCause,
    CouponRestorePolicy,
    CouponStatus,
    CouponThreshold,
    CouponType,
)
from models.enums import Role
from models.pricing.cart import Adjustment, Layer
from services.coupons import templates


def _ids(type_name: str, values: list[int] | None) -> list[strawberry.ID] | None:
    return None if values is None else [strawberry.ID(encode_id(type_name, v)) for v in values]


@strawberry.type(
    description="A coupon in the shopper's account (优惠券): its code, value, threshold, scope and state."
)
class Coupon:
    id: strawberry.ID
    code: str
    title: str
    type: CouponType
    amount: Money = strawberry.field(description="Face value (0 for a percentage coupon).")
    percent_off: int | None = strawberry.field(description="12 takes 12 % off (88折), at most `cap`.")
    cap: Money | None
    threshold_kind: CouponThreshold
    min_spend: Money = strawberry.field(description="AMOUNT threshold: goods in scope the order must reach.")
    min_quantity: int | None = strawberry.field(description="QUANTITY threshold: units in scope.")
    status: CouponStatus = strawberry.field(description="UNUSED past its end reads EXPIRED.")
    store_ids: list[strawberry.ID] | None = strawberry.field(description="Null: every store.")
    product_ids: list[strawberry.ID] | None
    category_ids: list[strawberry.ID] | None
    issued_at: datetime
    valid_from: datetime | None
    expires_at: datetime
    template_id: strawberry.ID | None
    restore_on_refund: CouponRestorePolicy = strawberry.field(
        description="When a refund of the order it was used in gives it back."
    )
    fulfillments: list[str] | None = strawberry.field(
        description="Scenes (适用场景): the fulfilments it may be used with; null: every one."
    )

    @classmethod
    def from_row(cls, row: CouponRow, now: datetime | None = None) -> Coupon:
        quantity = row.threshold_kind is CouponThreshold.QUANTITY
        return cls(
            id=strawberry.ID(encode_id("Coupon", row.id)),
            code=row.code,
            title=row.title,
            type=row.type,
            amount=money(row.amount),
            percent_off=row.percent_off,
            cap=money(row.cap) if row.cap is not None else None,
            threshold_kind=row.threshold_kind,
            min_spend=money(0 if quantity else row.min_spend),
            min_quantity=row.min_spend if quantity else None,
            status=row.status_at(now) if now else row.status,
            store_ids=_ids("Store", row.store_ids),
            product_ids=_ids("Product", row.product_ids),
            category_ids=_ids("Category", row.category_ids),
            issued_at=row.issued_at,
            valid_from=row.valid_from,
            expires_at=row.expires_at,
            template_id=strawberry.ID(encode_id("CouponTemplate", row.template_id))
            if row.template_id
            else None,
            restore_on_refund=row.restore_on_refund,
            fulfillments=row.fulfillments,
        )


@strawberry.type(description="Coupons issued by one path (领券, 邀请有礼 …).")
class CouponIssueCount:
    cause: CouponIssueCause
    count: int


@strawberry.type(
    description="What a template's coupons did (发放/领取/使用/过期, discount given, sales driven)."
)
class CouponTemplateFigures:
    issued: int = strawberry.field(description="Coupons of the template ever issued (every state).")
    claimed: int = strawberry.field(description="Issued by a shopper's claim (领券, or by a store's QR).")
    sold: int = strawberry.field(description="Issued by a paid purchase (卖券).")
    pushed: int = strawberry.field(description="Issued by a push job (发券).")
    by_cause: list[CouponIssueCount] = strawberry.field(description="Issued, by path (none listed: 0).")
    unused: int = strawberry.field(description="UNUSED and still within their window.")
    locked: int = strawberry.field(description="Held by an unpaid order right now.")
    used: int
    expired: int = strawberry.field(description="EXPIRED, or UNUSED past their end (not yet swept).")
    voided: int
    usage_rate: float | None = strawberry.field(
        description="used / issued (a fraction); null when none issued."
    )
    discount_given: Money = strawberry.field(
        description="What its USED coupons took off their paid orders (the coupon layers), less the goods "
        "coupon's share of units refunded since."
    )
    orders: int = strawberry.field(description="Paid orders a USED coupon of it is in.")
    sales: Money = strawberry.field(description="Those orders' paid amount net of refunds (GMV driven).")

    @classmethod
    def of(cls, f: templates.Figures) -> CouponTemplateFigures:
        return cls(
            issued=f.issued,
            claimed=f.claimed,
            sold=f.sold,
            pushed=f.pushed,
            by_cause=[CouponIssueCount(cause=k, count=n) for k, n in f.by_cause],
            unused=f.unused,
            locked=f.locked,
            used=f.used,
            expired=f.expired,
            voided=f.voided,
            usage_rate=f.usage_rate,
            discount_given=money(f.discount_given),
            orders=f.orders,
            sales=money(f.sales),
        )


@strawberry.type(description="A coupon template (券模板): what its coupons promise, its stock and limits.")
class CouponTemplate:
    id: strawberry.ID
    code: str
    name: str
    type: CouponType
    amount_off: Money
    percent_off: int | None
    cap: Money | None
    threshold_kind: CouponThreshold
    threshold: int = strawberry.field(description="Cents (AMOUNT) or units (QUANTITY).")
    total_stock: int
    issued_count: int
    reserved: int = strawberry.field(description="Units held by unpaid purchases (卖券).")
    remaining: int
    sale_price: Money | None = strawberry.field(
        description="On sale (卖券) at this price; null: not for sale."
    )
    per_customer_limit: int
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None = strawberry.field(description="Valid N days after the claim (else the window).")
    store_ids: list[strawberry.ID] | None
    product_ids: list[strawberry.ID] | None
    category_ids: list[strawberry.ID] | None
    channels: list[str] | None
    campaign_id: strawberry.ID | None
    description: str | None
    restore_on_refund: CouponRestorePolicy = strawberry.field(
        description="When a refund gives a used coupon back (each coupon keeps the policy it had at issue)."
    )
    claim_path: CouponClaimPath = strawberry.field(
        description="How shoppers may claim it for free (领券中心, only a store's link, or never)."
    )
    fulfillments: list[str] | None = strawberry.field(
        description="Scenes (适用场景); null: every fulfilment."
    )
    stopped_at: datetime | None
    created_at: datetime
    _row_id: strawberry.Private[int]

    @strawberry.field(description="Issued, used, expired … and the discount given (back office; else null).")
    async def figures(self, info: Info) -> CouponTemplateFigures | None:
        """Null for shoppers and visitors, who meet templates through `availableCoupons`. A page of
        templates reads its figures in a constant number of statements (a loader)."""
        if info.context.principal.role not in (Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST):
            return None
        return CouponTemplateFigures.of(await info.context.loaders.coupon_template_figures.load(self._row_id))

    @classmethod
    def from_row(cls, row: TemplateRow) -> CouponTemplate:
        return cls(
            id=strawberry.ID(encode_id("CouponTemplate", row.id)),
            code=row.code,
            name=row.name,
            type=row.type,
            amount_off=money(row.amount_off),
            percent_off=row.percent_off,
            cap=money(row.cap) if row.cap is not None else None,
            threshold_kind=row.threshold_kind,
            threshold=row.threshold,
            total_stock=row.total_stock,
            issued_count=row.issued_count,
            reserved=row.reserved_count,
            remaining=row.total_stock - row.issued_count - row.reserved_count,
            sale_price=money(row.sale_price) if row.sale_price is not None else None,
            per_customer_limit=row.per_customer_limit,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            valid_days=row.valid_days,
            store_ids=_ids("Store", row.store_ids),
            product_ids=_ids("Product", row.product_ids),
            category_ids=_ids("Category", row.category_ids),
            channels=row.channels,
            campaign_id=strawberry.ID(encode_id("Campaign", row.campaign_id)) if row.campaign_id else None,
            description=row.description,
            restore_on_refund=row.restore_on_refund,
            claim_path=row.claim_path,
            fulfillments=row.fulfillments,
            stopped_at=row.stopped_at,
            created_at=row.created_at,
            _row_id=row.id,
        )


@strawberry.type(description="One line of a price explanation, e.g. '满100减10 −¥10.00'.")
class PriceAdjustment:
    layer: Layer = strawberry.field(description="ITEM → ORDER → COUPON → SHIPPING_COUPON, in that order.")
    label: str
    amount: Money
    text: str = strawberry.field(description="Ready to show: label and amount.")
    line_shares: list[Money] = strawberry.field(
        description="What it took from each line, in the order of `lines` (gifts last, 0); "
        "empty for the shipping coupon. Refunds give each layer back pro rata from these."
    )

    @classmethod
    def of(cls, layer: Layer, label: str, amount: int, shares: Sequence[int] = ()) -> PriceAdjustment:
        text = Adjustment(layer, label, amount, None).text
        return cls(
            layer=layer, label=label, amount=money(amount), text=text, line_shares=[money(s) for s in shares]
        )


@strawberry.type
class CouponPayload:
    coupon: Coupon | None
    user_errors: list[UserError]


@strawberry.type
class CouponTemplatePayload:
    template: CouponTemplate | None
    user_errors: list[UserError]
