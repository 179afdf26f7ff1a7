"""a store's product day rows read from an index alone (PostgreSQL)

A store's product and category rankings sum its `metrics_product_sales_days` and
`metrics_product_view_days` rows of a range: `ix_metrics_product_{sales,view}_days_store`
(store_id, day_start) found them, then every row was fetched from the heap, scattered over
thousands of pages at 1M orders. A second index of the stores' own rows holds the summed columns
too, so such a read is an index-only range scan. It leaves out the all-stores rows (store_id -1):
an unscoped ranking reads a range that is not one interval (the days around whole weeks), and the
planner preferred an index-only scan of every all-stores row, filtered, over the ranges it read
before. SQLite has no INCLUDE and needs nothing.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCLUDED = {
    "metrics_product_sales_days": "product_id, units_sold, sales_amount",
    "metrics_product_view_days": "product_id, pv",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, included in _INCLUDED.items():
        op.execute(
            f"CREATE INDEX ix_{table}_store_covering ON {table} (store_id, day_start) "
            f"INCLUDE ({included}) WHERE store_id <> -1"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _INCLUDED:
        op.execute(f"DROP INDEX ix_{table}_store_covering")
