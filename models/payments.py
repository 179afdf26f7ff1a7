"""Gateway calls as an outbox: one row per payment or refund, PENDING until the gateway confirms.

The row is written in the same transaction as the state change that moves money; the gateway
is called after commit and retried by a sweep, always with the same `transaction_no`, which the
gateway treats as an idempotency key. So a crash never loses or doubles money.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import PaymentKind, PaymentMethod, PaymentStatus


class PaymentTransaction(Base):
    __tablename__ = "payment_transactions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_payment_transactions_order_id", "order_id"),
        Index("ix_payment_transactions_pending", "status", "next_attempt_at"),
        Index("ix_payment_transactions_gateway_reference", "gateway_reference"),
        Index("ix_payment_transactions_coupon_purchase_id", "coupon_purchase_id"),
        CheckConstraint("(order_id IS NULL) <> (coupon_purchase_id IS NULL)", name="order_or_purchase"),
    )

    id: Mapped[int] = id_pk()
    transaction_no: Mapped[str] = mapped_column(String(32), unique=True)
    """Payment number, or the refundNo of the after-sale that caused a refund."""
    kind: Mapped[PaymentKind] = mapped_column(enum_type(PaymentKind))
    order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    coupon_purchase_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("coupon_purchases.id"))
    """A coupon purchase (卖券) instead of an order: exactly one of the two is set."""
    after_sale_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("after_sales.id"), unique=True)
    method: Mapped[PaymentMethod | None] = mapped_column(enum_type(PaymentMethod))
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(enum_type(PaymentStatus), default=PaymentStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    gateway_reference: Mapped[str | None] = mapped_column(String(64))
    """The gateway's serial number (流水号) once it confirms; indexed for the order search's `serial:`."""
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
