"""卖券: a coupon a shopper buys. The purchase's state table (pure) and its row.

A purchase reserves one unit of the template's stock while UNPAID (so a claim cannot take the
unit meanwhile); payment issues the coupon, exactly once (the purchase's `coupon_id` is unique);
an unpaid purchase past its deadline expires and gives the unit back; refunding a PAID purchase
voids its coupon (which must still be UNUSED) and returns the price in full.

    UNPAID --pay--> PAID --refund--> REFUNDED
    UNPAID --expire--> EXPIRED
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type, id_pk
from models.errors import DomainError, ErrorCode


class PurchaseStatus(StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    EXPIRED = "EXPIRED"


class PurchaseAction(StrEnum):
    PAY = "PAY"
    EXPIRE = "EXPIRE"
    REFUND = "REFUND"


PURCHASE_TRANSITIONS: Final[Mapping[tuple[PurchaseStatus, PurchaseAction], PurchaseStatus]] = {
    (PurchaseStatus.UNPAID, PurchaseAction.PAY): PurchaseStatus.PAID,
    (PurchaseStatus.UNPAID, PurchaseAction.EXPIRE): PurchaseStatus.EXPIRED,
    (PurchaseStatus.PAID, PurchaseAction.REFUND): PurchaseStatus.REFUNDED,
}


def next_purchase_status(status: PurchaseStatus, action: PurchaseAction) -> PurchaseStatus:
    try:
        return PURCHASE_TRANSITIONS[(status, action)]
    except KeyError:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"a {status.value} purchase cannot {action.value.lower()}"
        ) from None


def holds_reservation(status: PurchaseStatus) -> bool:
    """An UNPAID purchase holds one unit of stock (and one of the buyer's per-customer limit)."""
    return status is PurchaseStatus.UNPAID


class CouponPurchase(Base):
    """One shopper's purchase of one coupon (`price` in cents, as the template was offered)."""

    __tablename__ = "coupon_purchases"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        Index("ix_coupon_purchases_template_customer", "template_id", "customer_id", "status"),
        Index("ix_coupon_purchases_status_deadline", "status", "payment_deadline"),
        Index("ix_coupon_purchases_customer_id", "customer_id"),
    )

    id: Mapped[int] = id_pk()
    purchase_no: Mapped[str] = mapped_column(String(24), unique=True)
    """`Q` + 14 digits + 4 random: shown to the shopper and the gateway's order number."""
    template_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_templates.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    price: Mapped[int] = mapped_column(Integer)
    status: Mapped[PurchaseStatus] = mapped_column(enum_type(PurchaseStatus), default=PurchaseStatus.UNPAID)
    coupon_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customer_coupons.id"), unique=True)
    """The coupon payment issued: unique, so one purchase never mints two coupons."""
    payment_deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
