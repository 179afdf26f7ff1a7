"""metrics day sets and order days: dashboards from summaries only

Adds `metrics_order_days` (the order-hour sums per store and local day, plus all-stores rows),
`metrics_day_sets` (serialised roaring bitmaps of customer ids / visitor numbers per kind,
store and local day), `metrics_visitor_numbers` (a dense integer per visitor id) and
`metrics_day_set_changes` (page-view ingestion's markers of visitor sets to rebuild). Sets and
order days are derived data: the rollup version bump in the code rebuilds them (with every
rollup group) on the first refresh after the upgrade.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


SUMS = (
    "placed_orders",
    "valid_orders",
    "valid_turnover",
    "invalid_orders",
    "invalid_loss",
    "paid_orders",
    "paid_amount",
    "accepted_orders",
    "accept_seconds",
    "picked_orders",
    "pick_seconds",
    "picks_over_15m",
    "picks_over_30m",
    "delivered_orders",
    "delivery_seconds",
    "rejections",
)


def upgrade() -> None:
    op.create_table(
        "metrics_order_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        *(sa.Column(name, ID, nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("day_start", "store_id", name=op.f("pk_metrics_order_days")),
    )
    with op.batch_alter_table("metrics_order_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_order_days_store", ["store_id", "day_start"], unique=False)
    op.create_table(
        "metrics_day_sets",
        sa.Column(
            "kind",
            sa.Enum(
                "PAYING",
                "ORDERING",
                "VISITORS",
                "PRODUCT_VISITORS",
                name="set_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("members", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day_start", "store_id", name=op.f("pk_metrics_day_sets")),
    )
    with op.batch_alter_table("metrics_day_sets", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_day_sets_store", ["kind", "store_id", "day_start"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Bitmaps barely compress: store them out of line without trying (no decompression on read).
        op.execute("ALTER TABLE metrics_day_sets ALTER COLUMN members SET STORAGE EXTERNAL")
    op.create_table(
        "metrics_visitor_numbers",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_metrics_visitor_numbers")),
        sa.UniqueConstraint("visitor_id", name=op.f("uq_metrics_visitor_numbers_visitor_id")),
    )
    op.create_table(
        "metrics_day_set_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics_day_set_changes")),
    )


def downgrade() -> None:
    op.drop_table("metrics_day_set_changes")
    op.drop_table("metrics_visitor_numbers")
    with op.batch_alter_table("metrics_day_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_day_sets_store")
    op.drop_table("metrics_day_sets")
    with op.batch_alter_table("metrics_order_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_order_days_store")
    op.drop_table("metrics_order_days")
