"""pre-orders (预订单)

`stores.takes_pre_orders` / `stores.pre_order_days`: whether a closed store takes bookings and how
far ahead; `orders.booked_for` (indexed for the booking states), `orders.accept_from` (the opening
a pre-order placed while closed waits for) and the two reminder stamps the sweeper sets once each.

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0018"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDER_COLUMNS = ("booked_for", "accept_from", "accept_reminded_at", "pick_reminded_at")


# Plain ALTER TABLE, no batch mode: SQLite adds and (3.35+) drops columns in place, and a batch
# copy of `orders` would lose its order-count triggers (0008).


def upgrade() -> None:
    op.add_column(
        "stores", sa.Column("takes_pre_orders", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "stores", sa.Column("pre_order_days", sa.Integer(), server_default=sa.text("2"), nullable=False)
    )
    for name in _ORDER_COLUMNS:
        op.add_column("orders", sa.Column(name, models.base.UtcDateTime(timezone=True), nullable=True))
    op.create_index("ix_orders_booked_for", "orders", ["booked_for"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_booked_for", table_name="orders")
    for name in reversed(_ORDER_COLUMNS):
        op.drop_column("orders", name)
    op.drop_column("stores", "pre_order_days")
    op.drop_column("stores", "takes_pre_orders")
