"""Compensation claims (餐损赔付) on store-delivery orders; the rules are in `models.claims.rules`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.claims.rules import ClaimCause, ClaimState
from models.enums import ActorType


class CompensationClaim(Base):
    __tablename__ = "compensation_claims"
    __table_args__ = (
        CheckConstraint("asked_amount > 0", name="asked_amount_positive"),
        CheckConstraint(
            "compensation_amount IS NULL OR compensation_amount > 0", name="compensation_amount_positive"
        ),
        Index("ix_compensation_claims_order_id", "order_id"),
        Index("ix_compensation_claims_store_state", "store_id", "state", "created_at"),
        Index("ix_compensation_claims_state_paid", "state", "paid_at"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    cause: Mapped[ClaimCause] = mapped_column(enum_type(ClaimCause))
    state: Mapped[ClaimState] = mapped_column(enum_type(ClaimState))
    asked_amount: Mapped[int] = mapped_column(Integer)
    compensation_amount: Mapped[int | None] = mapped_column(Integer)
    """Set on approval; paid exactly, as a price difference (`after_sale_id`)."""
    note: Mapped[str] = mapped_column(String(500))
    evidence_urls: Mapped[list[str]] = mapped_column(JsonType, default=list)
    raised_by_type: Mapped[ActorType] = mapped_column(enum_type(ActorType, "raised_by_type"))
    raised_by_id: Mapped[str | None] = mapped_column(String(64))
    verdict_note: Mapped[str | None] = mapped_column(String(200))
    after_sale_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("after_sales.id"))
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
