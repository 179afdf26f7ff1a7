"""Coupons (优惠券) held by customers — what a COUPON reward of 邀请有礼 grants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type, id_pk


class CouponStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    USED = "USED"
    EXPIRED = "EXPIRED"


class CustomerCoupon(Base):
    __tablename__ = "customer_coupons"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("min_spend >= 0", name="min_spend_non_negative"),
        Index("ix_customer_coupons_customer_status", "customer_id", "status"),
    )

    id: Mapped[int] = id_pk()
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    amount: Mapped[int] = mapped_column(Integer)
    min_spend: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    invite_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("invite_rewards.id"), unique=True)
    """The reward that granted it: unique, so a reward can never mint two coupons."""
    status: Mapped[CouponStatus] = mapped_column(enum_type(CouponStatus), default=CouponStatus.AVAILABLE)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
