"""Orders, their lines, parcels (包裹) with traces, allocation records and the event timeline."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.deliveries.stages import DeliveryStage
from models.enums import ActorType, Fulfillment, OrderChannel, OrderType, PaymentMethod, TraceState
from models.errors import DomainError, ErrorCode
from models.orders.states import OrderAction, OrderStatus


class Order(Base):
    """One checkout at one fulfiller. Money in integer cents.

    payable = goods - discount + delivery_fee + packaging_fee; paid is 0 until payment arrives.
    `version` is bumped by every state change (optimistic lock for `expectedVersion`).
    """

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "goods_amount >= 0 AND goods_original_amount >= 0 AND discount_amount >= 0"
            " AND delivery_fee >= 0 AND packaging_fee >= 0 AND payable_amount >= 0",
            name="amounts_non_negative",
        ),
        CheckConstraint("paid_amount >= 0 AND paid_amount <= payable_amount", name="paid_within_payable"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= paid_amount", name="refunded_within_paid"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_orders_status_store_created", "status", "store_id", "created_at"),
        Index("ix_orders_store_created", "store_id", "created_at"),
        Index("ix_orders_created_at_id", "created_at", "id"),
        Index("ix_orders_paid_at", "paid_at"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        Index("ix_orders_consignee_phone", "consignee_phone"),
        Index("ix_orders_consignee_phone_last4", "consignee_phone_last4"),
        Index("ix_orders_campaign_id", "campaign_id"),
        Index("ix_orders_team_id", "team_id"),
        Index("ix_orders_stage_promised", "delivery_stage", "promised_at"),
        Index("ix_orders_booked_for", "booked_for"),
        Index("ix_orders_merchant_order_no", "merchant_order_no"),
    )

    id: Mapped[int] = id_pk()
    order_no: Mapped[str] = mapped_column(String(24), unique=True)
    merchant_order_no: Mapped[str | None] = mapped_column(String(32))
    """商家订单号: the merchant's own reference (its POS or ERP), set by the store or HQ."""
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    """The current fulfiller; None for EXPRESS orders shipped by the HQ warehouse."""
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    channel: Mapped[OrderChannel] = mapped_column(enum_type(OrderChannel), default=OrderChannel.MINI_PROGRAM)
    type: Mapped[OrderType] = mapped_column(enum_type(OrderType), default=OrderType.NORMAL)
    fulfillment: Mapped[Fulfillment] = mapped_column(enum_type(Fulfillment))
    status: Mapped[OrderStatus] = mapped_column(enum_type(OrderStatus), default=OrderStatus.PENDING_PAYMENT)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(enum_type(PaymentMethod))
    delivery_stage: Mapped[DeliveryStage | None] = mapped_column(enum_type(DeliveryStage))
    """Store delivery only (models.deliveries.stages): set on acceptance, moved by the stage table."""

    goods_amount: Mapped[int] = mapped_column(Integer)
    goods_original_amount: Mapped[int] = mapped_column(Integer)
    discount_amount: Mapped[int] = mapped_column(Integer, default=0)
    delivery_fee: Mapped[int] = mapped_column(Integer, default=0)
    packaging_fee: Mapped[int] = mapped_column(Integer, default=0)
    payable_amount: Mapped[int] = mapped_column(Integer)
    paid_amount: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)

    consignee_name: Mapped[str] = mapped_column(String(64))
    consignee_phone: Mapped[str] = mapped_column(String(20))
    consignee_phone_last4: Mapped[str] = mapped_column(String(4))
    consignee_province: Mapped[str | None] = mapped_column(String(32))
    consignee_city: Mapped[str | None] = mapped_column(String(32))
    consignee_district: Mapped[str | None] = mapped_column(String(32))
    consignee_address: Mapped[str | None] = mapped_column(String(200))
    consignee_latitude: Mapped[float | None] = mapped_column(Float)
    consignee_longitude: Mapped[float | None] = mapped_column(Float)
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    buyer_remark: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    reject_reason: Mapped[str | None] = mapped_column(String(200))

    campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    spend_reward_tier_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("spend_reward_tiers.id"))
    team_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("group_buy_teams.id"))

    created_at: Mapped[datetime] = created_at_column()
    payment_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    grouped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rejected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    allocated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    picked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rider_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    promised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Store delivery: when the order is promised at the door (set on payment)."""
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    booked_for: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """预订单: the time the shopper booked; None for an ordinary order (models/pre_orders.py)."""
    accept_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """A pre-order placed while the store was closed: its next opening, from which the acceptance
    window runs and the acceptance reminder is due."""
    accept_reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    pick_reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = created_at_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[OrderLine]] = relationship(lazy="raise", order_by="OrderLine.id")

    # Every ORM UPDATE of an order says "... WHERE version = <the version I read>" and bumps it:
    # a concurrent change makes the flush fail (StaleDataError → VERSION_CONFLICT) instead of
    # silently overwriting.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it at class creation)


MERCHANT_ORDER_NO: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,31}$")


def merchant_order_no(value: str | None) -> str | None:
    """A merchant order number as stored: 1 to 32 of A-Z, a-z, 0-9, '_' and '-' (not first), trimmed;
    None or blank clears it. BAD_USER_INPUT otherwise."""
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if not MERCHANT_ORDER_NO.match(cleaned):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT,
            "a merchant order number is 1 to 32 letters, digits, '_' or '-'",
            "merchantOrderNo",
        )
    return cleaned


ACTION_TIMESTAMP: Final[Mapping[OrderAction, str]] = {
    OrderAction.PAY: "paid_at",
    OrderAction.PAY_GROUP_BUY: "paid_at",
    OrderAction.TEAM_SUCCEEDED: "grouped_at",
    OrderAction.ACCEPT_PICKUP: "accepted_at",
    OrderAction.ACCEPT_SHIP: "accepted_at",
    OrderAction.REJECT: "rejected_at",
    OrderAction.ACCEPTANCE_TIMEOUT: "rejected_at",
    OrderAction.REALLOCATE: "allocated_at",
    OrderAction.SHIP: "shipped_at",
    OrderAction.FINISH_PICKING: "picked_at",
    OrderAction.ASSIGN_RIDER: "rider_assigned_at",
    OrderAction.RIDER_PICKUP: "shipped_at",
    OrderAction.DELIVER: "delivered_at",
    OrderAction.CONFIRM_RECEIPT: "completed_at",
    OrderAction.AUTO_COMPLETE: "completed_at",
    OrderAction.VERIFY_PICKUP: "completed_at",
    OrderAction.CANCEL: "cancelled_at",
    OrderAction.PAYMENT_TIMEOUT: "cancelled_at",
    OrderAction.TEAM_FAILED: "cancelled_at",
    OrderAction.CLOSE: "closed_at",
}
"""Which step timestamp of the order each action sets (SHIP_PARTIAL sets none)."""


class OrderLine(Base):
    """A SKU in an order with its snapshot, price and how much of it was shipped or refunded."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "unit_price >= 0 AND original_price >= 0 AND discount_share >= 0", name="prices_non_negative"
        ),
        CheckConstraint("paid_amount >= 0", name="paid_non_negative"),
        CheckConstraint(
            "shipped_quantity >= 0 AND shipped_quantity <= quantity", name="shipped_within_quantity"
        ),
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_qty_within_quantity"
        ),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= paid_amount", name="refunded_within_paid"
        ),
        Index("ix_order_lines_order_id", "order_id"),
        Index("ix_order_lines_sku_id", "sku_id"),
        Index("ix_order_lines_product_id", "product_id"),
        Index("ix_order_lines_product_name", "product_name", "sku_id", "order_id"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("products.id"))
    product_name: Mapped[str] = mapped_column(String(120))
    spec: Mapped[str] = mapped_column(String(100))
    image_url: Mapped[str | None] = mapped_column(String(300))
    unit_price: Mapped[int] = mapped_column(Integer)
    original_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    discount_share: Mapped[int] = mapped_column(Integer, default=0)
    """This line's part of the order discount, allocated pro rata so refunds stay exact."""
    paid_amount: Mapped[int] = mapped_column(Integer)
    """unit_price × quantity − discount_share: what the buyer paid for this line."""
    is_gift: Mapped[bool] = mapped_column(Boolean, default=False)
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    order_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), deferred=True)
    """The order's created_at, copied by triggers (migration 0029) so that lines are read by time
    without their orders. The database writes it (whatever the application sends); read it in SQL."""
    order_paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), deferred=True)
    """The order's paid_at (null while unpaid), kept equal to it by the same triggers."""
    order_status: Mapped[str | None] = mapped_column(String(32), deferred=True)
    """The order's status (its value), kept equal to it by the same triggers (migration 0039), so
    that a count of lines per status reads an index of lines only. Read it in SQL."""


class OrderLineName(Base):
    """Every (product name snapshot, SKU) pair some order line holds (or held): a product search
    matches these few pairs by name or SKU code first, then takes the lines of the matching pairs by
    index. Triggers on `order_lines` (migration 0015) add pairs; none is ever removed, so the table
    is a superset of the lines' pairs."""

    __tablename__ = "order_line_names"

    product_name: Mapped[str] = mapped_column(String(120), primary_key=True)
    sku_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    """The SKU the lines of that name are of (no foreign key: a superset, never cleaned)."""


class OrderConsigneeName(Base):
    """Every consignee name some order holds (or held): a count of a consignee search matches
    these names first (their grams' GIN index on PostgreSQL), then takes the (order, status) pairs
    of those exact names from an index of orders. Triggers on `orders` (migration 0039) add names;
    none is ever removed, so the table is a superset of the orders' names."""

    __tablename__ = "order_consignee_names"

    consignee_name: Mapped[str] = mapped_column(String(64), primary_key=True)


class Parcel(Base):
    __tablename__ = "parcels"
    __table_args__ = (
        Index("ix_parcels_order_id", "order_id"),
        Index("ix_parcels_tracking_no", "tracking_no"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(32))
    tracking_no: Mapped[str] = mapped_column(String(40))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime())
    latest_state: Mapped[TraceState | None] = mapped_column(enum_type(TraceState))

    lines: Mapped[list[ParcelLine]] = relationship(lazy="raise", order_by="ParcelLine.order_line_id")


class ParcelLine(Base):
    __tablename__ = "parcel_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    parcel_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("parcels.id", ondelete="CASCADE"), primary_key=True
    )
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("order_lines.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class ParcelTrace(Base):
    """A carrier tracking event (物流轨迹)."""

    __tablename__ = "parcel_traces"
    __table_args__ = (Index("ix_parcel_traces_parcel_time", "parcel_id", "occurred_at"),)

    id: Mapped[int] = id_pk()
    parcel_id: Mapped[int] = mapped_column(IdType, ForeignKey("parcels.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    location: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300))
    state: Mapped[TraceState] = mapped_column(enum_type(TraceState))


class AllocationRecord(Base):
    """A store rejecting an order (to_store None) or HQ reallocating it (分配门店)."""

    __tablename__ = "allocation_records"
    __table_args__ = (Index("ix_allocation_records_order_id", "order_id"),)

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id", ondelete="CASCADE"))
    from_store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    to_store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    reason: Mapped[str] = mapped_column(String(200))
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()


class OrderEvent(Base):
    """The order timeline (操作记录): one row per transition, written in the same transaction.

    `store_id` is the fulfiller at the time, so store-scoped subscriptions can replay by id.
    """

    __tablename__ = "order_events"
    __table_args__ = (
        Index("ix_order_events_order_id", "order_id", "id"),
        Index("ix_order_events_store_id", "store_id", "id"),
    )

    id: Mapped[int] = id_pk()
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id", ondelete="CASCADE"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    action: Mapped[OrderAction | None] = mapped_column(enum_type(OrderAction))
    """None for the creation event (placing the order is not a transition)."""
    from_status: Mapped[OrderStatus | None] = mapped_column(enum_type(OrderStatus, "from_status"))
    to_status: Mapped[OrderStatus] = mapped_column(enum_type(OrderStatus, "to_status"))
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = created_at_column()
