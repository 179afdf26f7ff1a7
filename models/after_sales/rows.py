"""After-sales (售后): refund, return, price-difference and exchange requests, merchant refunds,
and their escalations to HQ (客服介入)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.after_sales.escalation_rules import EscalationState
from models.after_sales.states import AfterSaleAction, AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import ActorType


class AfterSale(Base):
    __tablename__ = "after_sales"
    __table_args__ = (
        CheckConstraint("refund_amount >= 0", name="refund_amount_non_negative"),
        Index("ix_after_sales_order_id", "order_id"),
        Index("ix_after_sales_store_status_created", "store_id", "status", "created_at"),
        Index("ix_after_sales_status_created", "status", "created_at"),
    )

    id: Mapped[int] = id_pk()
    after_sale_no: Mapped[str] = mapped_column(String(24), unique=True)
    """The refundNo: also the idempotency key of the gateway refund call."""
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    type: Mapped[AfterSaleType] = mapped_column(enum_type(AfterSaleType))
    initiator: Mapped[AfterSaleInitiator] = mapped_column(enum_type(AfterSaleInitiator))
    status: Mapped[AfterSaleStatus] = mapped_column(enum_type(AfterSaleStatus))
    reason: Mapped[str] = mapped_column(String(200))
    evidence_urls: Mapped[list[str]] = mapped_column(JsonType, default=list)
    refund_amount: Mapped[int] = mapped_column(Integer)
    """What is (or will be) returned to the buyer: the lines' amounts, plus the order's delivery and
    packaging fees when this after-sale refunds the last units of an order that was not completed."""

    reject_reason: Mapped[str | None] = mapped_column(String(200))
    return_carrier: Mapped[str | None] = mapped_column(String(32))
    return_tracking_no: Mapped[str | None] = mapped_column(String(40))
    replacement_carrier: Mapped[str | None] = mapped_column(String(32))
    replacement_tracking_no: Mapped[str | None] = mapped_column(String(40))
    """换货: the parcel the store sent the replacement in."""
    created_at: Mapped[datetime] = created_at_column()
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    return_shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replacement_shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = created_at_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[AfterSaleLine]] = relationship(lazy="raise", order_by="AfterSaleLine.order_line_id")


class AfterSaleLine(Base):
    """Quantity and amount of one order line in one after-sale.

    `is_open` mirrors the parent's status (kept in the same transaction) so that a partial unique
    index can enforce "at most one open after-sale per order line" in the database itself.
    """

    __tablename__ = "after_sale_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index(
            "uq_after_sale_lines_open_order_line",
            "order_line_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
    )

    after_sale_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("after_sales.id", ondelete="CASCADE"), primary_key=True
    )
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("order_lines.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean)


class AfterSaleEvent(Base):
    """The after-sale timeline: one row per transition, written in the same transaction."""

    __tablename__ = "after_sale_events"
    __table_args__ = (Index("ix_after_sale_events_after_sale_id", "after_sale_id", "id"),)

    id: Mapped[int] = id_pk()
    after_sale_id: Mapped[int] = mapped_column(IdType, ForeignKey("after_sales.id", ondelete="CASCADE"))
    action: Mapped[AfterSaleAction] = mapped_column(enum_type(AfterSaleAction))
    from_status: Mapped[AfterSaleStatus | None] = mapped_column(enum_type(AfterSaleStatus, "from_status"))
    to_status: Mapped[AfterSaleStatus] = mapped_column(enum_type(AfterSaleStatus, "to_status"))
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = created_at_column()


class AfterSaleReplacement(Base):
    """换货: the SKU the store sends in place of an exchanged line's units (the same product at the
    same price; the line's own SKU unless the buyer chose another spec)."""

    __tablename__ = "after_sale_replacements"

    after_sale_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("after_sales.id", ondelete="CASCADE"), primary_key=True
    )
    order_line_id: Mapped[int] = mapped_column(IdType, ForeignKey("order_lines.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))


class AfterSaleEscalation(Base):
    """客服介入: an after-sale handed to HQ, with the claimant's reason and HQ's verdict.

    At most one per after-sale (unique), decided exactly once: the verdict locks the order and
    the after-sale and finds it PENDING, or fails."""

    __tablename__ = "after_sale_escalations"
    __table_args__ = (
        Index("ix_after_sale_escalations_state_created", "state", "created_at"),
        Index("ix_after_sale_escalations_store_state", "store_id", "state"),
    )

    id: Mapped[int] = id_pk()
    after_sale_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("after_sales.id", ondelete="CASCADE"), unique=True
    )
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    state: Mapped[EscalationState] = mapped_column(enum_type(EscalationState))
    from_status: Mapped[AfterSaleStatus] = mapped_column(enum_type(AfterSaleStatus, "escalated_from"))
    raised_by_type: Mapped[ActorType] = mapped_column(enum_type(ActorType, "escalation_raised_by"))
    raised_by_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str | None] = mapped_column(String(1000))
    verdict_note: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
