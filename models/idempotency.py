"""Stored results of state-changing mutations, keyed by (principal, idempotency key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import IdempotencyStatus


class IdempotencyRecord(Base):
    """Same key + same input → the stored response; same key + other input → IDEMPOTENCY_KEY_REUSED."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("principal", "key"),
        Index("ix_idempotency_records_expires_at", "expires_at"),
    )

    id: Mapped[int] = id_pk()
    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(128))
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[IdempotencyStatus] = mapped_column(enum_type(IdempotencyStatus))
    response: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
