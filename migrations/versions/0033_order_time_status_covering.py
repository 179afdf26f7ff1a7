"""the orders' time covering indexes also hold the status (PostgreSQL)

The status tabs of a time-range search (`orderStatusCounts(query: "paid:>=2026-11-01")`) group
the orders of the range by status. `ix_orders_paid_at_facts` and `ix_orders_created_at_facts`
(0014) hold the range's other columns but not the status, so the tabs fetched every order of the
range from the heap; with the status included they are an index-only range scan like the plain
count. No write gains an index entry: an order's update already changes an indexed column
(`updated_at`), so it is never heap-only. SQLite has no INCLUDE and needs nothing.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 11:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "id, store_id, channel, customer_id, paid_amount"
_AFTER = f"{_BEFORE}, status"
_COLUMNS = {"ix_orders_paid_at_facts": "paid_at", "ix_orders_created_at_facts": "created_at"}


def _rebuild(included: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in _COLUMNS.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON orders ({column}) INCLUDE ({included})")


def upgrade() -> None:
    _rebuild(_AFTER)


def downgrade() -> None:
    _rebuild(_BEFORE)
