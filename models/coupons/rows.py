"""Coupons (优惠券): templates the back office creates, the coupons customers hold, and each coupon's ledger.

A held coupon copies its template's promise when issued (value, threshold, scope, validity), so
editing the template never changes a coupon already in someone's account. States:
UNUSED → LOCKED (by an unpaid order) → USED, or EXPIRED / VOIDED; every change is a ledger row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, enum_type, id_pk
from models.coupons.rules import (
    CouponClaimPath,
    CouponIssueCause,
    CouponRestorePolicy,
    CouponStatus,
    CouponTerms,
    CouponThreshold,
    CouponType,
    TemplateShape,
)
from models.pricing.cart import Layer

__all__ = [
    "CouponIssueCause",
    "CouponLedger",
    "CouponLedgerAction",
    "CouponStatus",
    "CouponTemplate",
    "CouponType",
    "CustomerCoupon",
    "OrderAdjustment",
]


def _ids(value: Any) -> frozenset[int] | None:
    return None if value is None else frozenset(int(v) for v in value)


class CouponTemplate(Base):
    """A coupon the back office issues (HQ any; store staff a 商家券 of their own stores)."""

    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("issued_count >= 0 AND issued_count <= total_stock", name="issued_within_stock"),
        CheckConstraint("amount_off >= 0 AND threshold >= 0", name="amounts_non_negative"),
        CheckConstraint("per_customer_limit >= 1", name="limit_positive"),
        CheckConstraint(
            "reserved_count >= 0 AND issued_count + reserved_count <= total_stock",
            name="reserved_within_stock",
        ),
        CheckConstraint("sale_price IS NULL OR sale_price > 0", name="sale_price_positive"),
    )

    id: Mapped[int] = id_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    type: Mapped[CouponType] = mapped_column(enum_type(CouponType))
    amount_off: Mapped[int] = mapped_column(Integer, default=0)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)
    threshold_kind: Mapped[CouponThreshold] = mapped_column(enum_type(CouponThreshold))
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    total_stock: Mapped[int] = mapped_column(Integer)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    reserved_count: Mapped[int] = mapped_column(Integer, default=0)
    """Units held by unpaid purchases (卖券): not issued yet, not claimable either."""
    sale_price: Mapped[int | None] = mapped_column(Integer)
    """On sale (卖券) for this many cents; null: not for sale."""
    per_customer_limit: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_days: Mapped[int | None] = mapped_column(Integer)
    product_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    category_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    store_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    channels: Mapped[list[str] | None] = mapped_column(JsonType)
    campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    description: Mapped[str | None] = mapped_column(String(200))
    restore_on_refund: Mapped[CouponRestorePolicy] = mapped_column(
        enum_type(CouponRestorePolicy),
        default=CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION,
        server_default=CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION.value,
    )
    """When a refund gives a used coupon back (copied on every coupon issued)."""
    claim_path: Mapped[CouponClaimPath] = mapped_column(
        enum_type(CouponClaimPath),
        default=CouponClaimPath.CENTER,
        server_default=CouponClaimPath.CENTER.value,
    )
    """How shoppers may claim it for free (领券中心, only by a store's link, or never)."""
    fulfillments: Mapped[list[str] | None] = mapped_column(JsonType)
    """Scenes (适用场景): the fulfilments its coupons may be used with; null: every one."""
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def shape(self) -> TemplateShape:
        return TemplateShape.of(self)


class CustomerCoupon(Base):
    __tablename__ = "customer_coupons"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("min_spend >= 0", name="min_spend_non_negative"),
        CheckConstraint("claim_seq IS NULL OR claim_seq >= 1", name="claim_seq_positive"),
        UniqueConstraint("template_id", "customer_id", "claim_seq"),
        Index("ix_customer_coupons_customer_status", "customer_id", "status"),
        Index("ix_customer_coupons_locked_order_id", "locked_order_id"),
        Index("ix_customer_coupons_template_status", "template_id", "status"),
    )

    id: Mapped[int] = id_pk()
    code: Mapped[str] = mapped_column(String(24), unique=True)
    """The coupon's own code (shown to the shopper and at the till)."""
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    template_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("coupon_templates.id"))
    type: Mapped[CouponType] = mapped_column(enum_type(CouponType))
    amount: Mapped[int] = mapped_column(Integer)
    """Face value in cents (0 for a percentage coupon)."""
    percent_off: Mapped[int | None] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)
    threshold_kind: Mapped[CouponThreshold] = mapped_column(enum_type(CouponThreshold))
    min_spend: Mapped[int] = mapped_column(Integer, default=0)
    """The threshold: cents of goods in scope (AMOUNT) or units (QUANTITY)."""
    product_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    category_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    store_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    channels: Mapped[list[str] | None] = mapped_column(JsonType)
    title: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    invite_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("invite_rewards.id"), unique=True)
    """The reward that granted it: unique, so a reward can never mint two coupons."""
    claim_seq: Mapped[int | None] = mapped_column(Integer)
    """The customer's n-th claim of the template: unique with both, so the limit holds under races."""
    status: Mapped[CouponStatus] = mapped_column(
        enum_type(CouponStatus, "coupon_status"), default=CouponStatus.UNUSED
    )
    issue_cause: Mapped[CouponIssueCause] = mapped_column(enum_type(CouponIssueCause))
    """The path it was issued by (领券, 邀请有礼 …)."""
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    used_order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    restore_on_refund: Mapped[CouponRestorePolicy] = mapped_column(
        enum_type(CouponRestorePolicy),
        default=CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION,
        server_default=CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION.value,
    )
    """Its template's restore policy when it was issued (the default for a coupon without one)."""
    fulfillments: Mapped[list[str] | None] = mapped_column(JsonType)
    """Scenes (适用场景) copied from its template; null: every fulfilment."""

    def terms(self) -> CouponTerms:
        return CouponTerms(
            coupon_id=self.id,
            type=self.type,
            title=self.title,
            amount_off=self.amount,
            percent_off=self.percent_off,
            cap=self.cap,
            threshold_kind=self.threshold_kind,
            threshold=self.min_spend,
            product_ids=_ids(self.product_ids),
            category_ids=_ids(self.category_ids),
            store_ids=_ids(self.store_ids),
            channels=None if self.channels is None else frozenset(self.channels),
            fulfillments=None if self.fulfillments is None else frozenset(self.fulfillments),
            valid_from=self.valid_from,
            valid_until=self.expires_at,
        )

    def status_at(self, now: datetime) -> CouponStatus:
        """An UNUSED coupon past its end reads EXPIRED before the sweeper writes it."""
        if self.status is CouponStatus.UNUSED and now >= self.expires_at:
            return CouponStatus.EXPIRED
        return self.status


class CouponLedgerAction(StrEnum):
    ISSUED = "ISSUED"
    LOCKED = "LOCKED"
    UNLOCKED = "UNLOCKED"
    USED = "USED"
    RESTORED = "RESTORED"
    EXPIRED = "EXPIRED"
    VOIDED = "VOIDED"


class CouponLedger(Base):
    """One row per change of an issued coupon: what happened, for which order, by whom. It is also
    the timeline the live coupon feed replays (`services.coupons.feed`)."""

    __tablename__ = "coupon_ledger"
    __table_args__ = (
        Index("ix_coupon_ledger_coupon_id", "coupon_id"),
        Index("ix_coupon_ledger_store_id_id", "store_id", "id"),
    )

    id: Mapped[int] = id_pk()
    coupon_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer_coupons.id"))
    action: Mapped[CouponLedgerAction] = mapped_column(enum_type(CouponLedgerAction))
    order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    """Where it happened, for the staff's coupon feed: the order's store, else the coupon's only
    store (a 商家券 of one store); null: HQ's alone."""
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrderAdjustment(Base):
    """One line of an order's price explanation ("满100减10 −¥10.00"), with each order line's share
    (`line_shares`, aligned with the order's lines by id) so refunds return money per layer."""

    __tablename__ = "order_adjustments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_order_adjustments_order_id", "order_id"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"))
    layer: Mapped[Layer] = mapped_column(enum_type(Layer, "pricing_layer"))
    label: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int | None] = mapped_column(IdType)
    """The campaign (ITEM/ORDER) or the customer coupon (COUPON/SHIPPING_COUPON) behind it."""
    line_shares: Mapped[list[int]] = mapped_column(JsonType)
