"""category line hours: order lines of all stores summed per leaf category and local hour

Derived data (models/metrics/line_rollups.py): the tables start empty. The orders rollup group's
state row is dropped so that the next refresh builds the whole group, this table included. The table
holds all-stores rows only (store_id -1); on PostgreSQL a covering index of them lets a question
read its hours by an index-only scan.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SUMS = (
    "lines",
    "units",
    "refunded_units",
    "unit_price",
    "goods_amount",
    "discount_share",
    "paid_amount",
    "refunded_amount",
)


def upgrade() -> None:
    op.create_table(
        "metrics_category_line_hours",
        sa.Column("bucket_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("category_id", _ID, nullable=False),
        *(
            sa.Column(f"{moment}_{name}", _ID, nullable=False)
            for moment in ("placed", "paid")
            for name in _SUMS
        ),
        sa.PrimaryKeyConstraint(
            "bucket_start", "store_id", "category_id", name=op.f("pk_metrics_category_line_hours")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        included = ", ".join(["category_id", *(f"{m}_{n}" for m in ("placed", "paid") for n in _SUMS)])
        op.execute(
            "CREATE INDEX ix_metrics_category_line_hours_totals ON metrics_category_line_hours "
            f"(bucket_start) INCLUDE ({included}) WHERE store_id = -1"
        )
    op.create_table(
        "metrics_line_categories",
        sa.Column("product_id", _ID, nullable=False),
        sa.Column("category_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_metrics_line_categories")),
    )
    op.execute("DELETE FROM metrics_rollup_state WHERE name = 'orders'")


def downgrade() -> None:
    op.drop_table("metrics_line_categories")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_metrics_category_line_hours_totals")
    op.drop_table("metrics_category_line_hours")
