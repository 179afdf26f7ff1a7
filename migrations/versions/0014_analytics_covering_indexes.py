"""covering indexes of the analysts' aggregates (PostgreSQL)

An aggregate over a time window reads, per order, its time, id, store, channel, customer and paid
amount, and per line its order, product, quantity and paid amount. These indexes hold exactly
those columns (INCLUDE), so the window is an index-only range scan instead of heap fetches, and
the lines are read from an index a fraction of the table's size. Each costs one more index entry
per inserted order or line and per updated order (an order update already changes an indexed
column, updated_at, so it is never heap-only); a line's updates touch none of the included columns
and stay heap-only. SQLite has no INCLUDE and needs nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_FACTS = "id, store_id, channel, customer_id, paid_amount"
INDEXES = {
    "ix_orders_paid_at_facts": f"orders (paid_at) INCLUDE ({ORDER_FACTS})",
    "ix_orders_created_at_facts": f"orders (created_at) INCLUDE ({ORDER_FACTS})",
    "ix_order_lines_order_facts": "order_lines (order_id) INCLUDE (product_id, quantity, paid_amount)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX {name}")
