"""Stores (门店) and staff accounts (账号权限)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import StaffRole, StoreSize, StoreStatus


class Store(Base):
    """A physical store; also the fulfiller of its SELF_PICKUP and STORE_DELIVERY orders.

    EXPRESS orders may instead be shipped by the HQ warehouse (总部), which is not a store:
    such orders have no store.
    """

    __tablename__ = "stores"
    __table_args__ = (
        CheckConstraint("delivery_radius_m >= 0", name="delivery_radius_non_negative"),
        CheckConstraint(
            "min_order_amount >= 0 AND delivery_fee >= 0 AND packaging_fee >= 0", name="fees_non_negative"
        ),
        Index("ix_stores_region", "province", "city", "district"),
        CheckConstraint("delivery_minutes > 0 AND delivery_minutes <= 1440", name="delivery_minutes_range"),
    )

    id: Mapped[int] = id_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[StoreStatus] = mapped_column(enum_type(StoreStatus), default=StoreStatus.OPEN)
    size: Mapped[StoreSize] = mapped_column(enum_type(StoreSize), default=StoreSize.STANDARD)
    business_hours: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """[{"weekday": 1..7 (Monday=1), "open": "HH:MM", "close": "HH:MM"}, ...] in the business time zone."""
    delivery_radius_m: Mapped[int] = mapped_column(Integer, default=3000)
    min_order_amount: Mapped[int] = mapped_column(Integer, default=0)
    delivery_fee: Mapped[int] = mapped_column(Integer, default=0)
    delivery_fee_slots: Mapped[list[dict[str, Any]]] = mapped_column(
        JsonType, default=list, server_default=text("'[]'")
    )
    """分时段运费: [{"start": "HH:MM", "end": "HH:MM", "fee": cents}, ...] daily, business time zone;
    outside every slot `delivery_fee` applies (see models/stores/hours.py)."""
    packaging_fee: Mapped[int] = mapped_column(Integer, default=0)
    supports_self_pickup: Mapped[bool] = mapped_column(Boolean, default=True)
    supports_store_delivery: Mapped[bool] = mapped_column(Boolean, default=True)
    supports_express: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_minutes: Mapped[int] = mapped_column(Integer, default=45, server_default=text("45"))
    """配送时长: minutes from payment to the door the store promises for store delivery."""
    takes_pre_orders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """预订单: while closed, a shopper may book a time instead of being refused (models/pre_orders.py)."""
    pre_order_days: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    """How many days ahead a pre-order may be booked."""
    instant_refund: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """极速退款: a buyer's refund-only request for units still in the store is refunded at once."""
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class StaffAccount(Base):
    """A back-office login. Main accounts (主账号) may own sub-accounts (子账号)."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = id_pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole))
    parent_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("staff_accounts.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StaffStore(Base):
    """The stores a STORE_STAFF account may act on (its scope)."""

    __tablename__ = "staff_stores"

    staff_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id"), primary_key=True, index=True)
