"""Who carries a store-delivery order (the rider), and the courier webhook's replay guard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, created_at_column, enum_type
from models.deliveries.queues import DeliveryQueue
from models.deliveries.stages import RiderSource


class Delivery(Base):
    """One row per store-delivery order once a rider is sought (自配 or a courier platform).

    The stage lives on the order (the one versioned row); this row holds the rider's details,
    the platform's delivery id (what its callbacks name) and the rider's last reported position.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_platform_external", "platform", "external_id", unique=True),
        Index("ix_deliveries_requested_at", "requested_at"),
    )

    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[RiderSource] = mapped_column(enum_type(RiderSource))
    platform: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(64))
    rider_name: Mapped[str | None] = mapped_column(String(64))
    rider_phone: Mapped[str | None] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When the store asked for a rider (its own, or the platform's dispatch)."""
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = created_at_column()


class WebhookNonce(Base):
    """A nonce a signed webhook call used: the primary key refuses its second use in any process.

    Rows older than the signature's tolerance are useless (the timestamp check refuses those
    calls first) and are purged by the sweeper.
    """

    __tablename__ = "webhook_nonces"
    __table_args__ = (Index("ix_webhook_nonces_received_at", "received_at"),)

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeliveryAlert(Base):
    """An order entered a queue (once per order and queue): the primary key makes the sweeper's
    alert, and its event on the feed, happen once however many processes sweep."""

    __tablename__ = "delivery_alerts"
    __table_args__ = (Index("ix_delivery_alerts_raised_at", "raised_at"),)

    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    queue: Mapped[DeliveryQueue] = mapped_column(enum_type(DeliveryQueue), primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
