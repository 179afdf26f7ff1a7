"""Visit events (page views) posted in batches by the mini-program; the source of traffic metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type, id_pk
from models.enums import PageType, SourceChannel


class VisitEvent(Base):
    __tablename__ = "visit_events"
    __table_args__ = (
        CheckConstraint("dwell_ms >= 0", name="dwell_non_negative"),
        Index("ix_visit_events_occurred_at", "occurred_at"),
        Index("ix_visit_events_product_occurred", "product_id", "occurred_at"),
        Index("ix_visit_events_visitor", "visitor_id", "occurred_at"),
    )

    id: Mapped[int] = id_pk()
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    """Client-generated id: a re-sent batch is deduplicated on it."""
    visitor_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customers.id"))
    session_id: Mapped[str] = mapped_column(String(64))
    page_type: Mapped[PageType] = mapped_column(enum_type(PageType))
    product_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("products.id"))
    campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    source: Mapped[SourceChannel] = mapped_column(enum_type(SourceChannel))
    dwell_ms: Mapped[int] = mapped_column(Integer, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
