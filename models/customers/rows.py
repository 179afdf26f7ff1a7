"""Customers (顾客) of the mini-program."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type, id_pk
from models.enums import MemberLevel


class Customer(Base):
    """`phone` is PII: masked for roles that may not see it. `phone_last4` backs 尾号 search."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("points >= 0", name="points_non_negative"),)

    id: Mapped[int] = id_pk()
    nickname: Mapped[str] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    member_level: Mapped[MemberLevel] = mapped_column(enum_type(MemberLevel), default=MemberLevel.NORMAL)
    points: Mapped[int] = mapped_column(Integer, default=0)
    invite_code: Mapped[str] = mapped_column(String(16), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    first_paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Set by the first payment; `None` means a new customer (no paid order yet)."""
    last_order_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
