"""pre-orders (预订单) and price-difference after-sales (退差价)

`stores.takes_pre_orders` / `stores.pre_order_days`: whether a closed store takes bookings and how
far ahead; `orders.booked_for` (indexed for the booking states), `orders.accept_from` (the opening
a pre-order placed while closed waits for) and the two reminder stamps the sweeper sets once each.
`orders.merchant_order_no` (indexed) is the 商家订单号. `stores.instant_refund` is the 极速退款 setting. `after_sales.type` takes PRICE_DIFFERENCE: its CHECK constraint is replaced (the column's length
already fits it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import re

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDER_COLUMNS = ("booked_for", "accept_from", "accept_reminded_at", "pick_reminded_at")


# Plain ALTER TABLE, no batch mode: SQLite adds and (3.35+) drops columns in place, and a batch
# copy of `orders` would lose its order-count triggers (0008).


_TYPE_CHECK = "ck_after_sales_after_sale_type"
_TYPES_BEFORE = ("REFUND_ONLY", "RETURN_AND_REFUND")
_TYPES_AFTER = (*_TYPES_BEFORE, "PRICE_DIFFERENCE")


def _replace_check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    """Replace an enum column's `IN (...)` CHECK. On SQLite the table is not rebuilt (batch mode
    would drop and copy it, and with foreign keys on, dropping `after_sales` cascades to its lines
    and events): the constraint's text is edited in the schema, the documented procedure for
    changing a CHECK that no stored row violates (SQLite's ALTER TABLE page)."""
    bind = op.get_bind()
    listed = ", ".join(f"'{v}'" for v in values)
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, sa.column(column).in_(values))
        return
    find = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t")
    sql = bind.execute(find, {"t": table}).scalar_one()
    changed, count = re.subn(
        rf"CONSTRAINT {name} CHECK \({column} IN \([^)]*\)\)",
        f"CONSTRAINT {name} CHECK ({column} IN ({listed}))",
        sql,
    )
    assert count == 1, f"{name} not found in {table}"
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
        {"sql": changed, "t": table},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _replace_check("after_sales", _TYPE_CHECK, "type", _TYPES_AFTER)
    op.add_column(
        "stores", sa.Column("takes_pre_orders", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "stores", sa.Column("instant_refund", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "stores", sa.Column("pre_order_days", sa.Integer(), server_default=sa.text("2"), nullable=False)
    )
    for name in _ORDER_COLUMNS:
        op.add_column("orders", sa.Column(name, models.base.UtcDateTime(timezone=True), nullable=True))
    op.create_index("ix_orders_booked_for", "orders", ["booked_for"], unique=False)
    op.add_column("orders", sa.Column("merchant_order_no", sa.String(length=32), nullable=True))
    op.create_index("ix_orders_merchant_order_no", "orders", ["merchant_order_no"], unique=False)


def downgrade() -> None:
    # A price difference becomes a refund-only of the same lines (the money moved all the same).
    op.execute(sa.text("UPDATE after_sales SET type = 'REFUND_ONLY' WHERE type = 'PRICE_DIFFERENCE'"))
    _replace_check("after_sales", _TYPE_CHECK, "type", _TYPES_BEFORE)
    op.drop_index("ix_orders_merchant_order_no", table_name="orders")
    op.drop_column("orders", "merchant_order_no")
    op.drop_index("ix_orders_booked_for", table_name="orders")
    for name in reversed(_ORDER_COLUMNS):
        op.drop_column("orders", name)
    op.drop_column("stores", "pre_order_days")
    op.drop_column("stores", "takes_pre_orders")
    op.drop_column("stores", "instant_refund")
