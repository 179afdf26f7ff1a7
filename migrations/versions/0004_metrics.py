"""metrics: rollup tables, their refresh state, and the indexes their incremental refresh needs

Rollups are derived data (see services/metrics/rollups.py and docs/metrics.md): the tables start empty and
are built from the raw rows by the first refresh. The new indexes on orders, after_sales and
allocation_records let a refresh find rows changed since its high-water mark and recompute one day
of a figure counted at accepted_at, refunded_at or the allocation time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:43:20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metrics_customer_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("placed_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("paid_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint(
            "day_start", "store_id", "customer_id", name=op.f("pk_metrics_customer_days")
        ),
    )
    with op.batch_alter_table("metrics_customer_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_customer_days_store", ["store_id", "day_start"], unique=False)

    op.create_table(
        "metrics_order_hours",
        sa.Column("bucket_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("placed_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("valid_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("valid_turnover", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invalid_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invalid_loss", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("paid_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("paid_amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("accepted_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("accept_seconds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("picked_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pick_seconds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("picks_over_15m", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("picks_over_30m", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivered_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivery_seconds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rejections", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "store_id", name=op.f("pk_metrics_order_hours")),
    )
    with op.batch_alter_table("metrics_order_hours", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_order_hours_store", ["store_id", "bucket_start"], unique=False)

    op.create_table(
        "metrics_product_sales_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("units_sold", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sales_amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint(
            "day_start", "store_id", "product_id", name=op.f("pk_metrics_product_sales_days")
        ),
    )
    with op.batch_alter_table("metrics_product_sales_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_product_sales_days_store", ["store_id", "day_start"], unique=False)

    op.create_table(
        "metrics_product_view_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint(
            "day_start", "store_id", "product_id", name=op.f("pk_metrics_product_view_days")
        ),
    )
    with op.batch_alter_table("metrics_product_view_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_product_view_days_store", ["store_id", "day_start"], unique=False)

    op.create_table(
        "metrics_refund_hours",
        sa.Column("bucket_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("refunds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("refund_amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "store_id", name=op.f("pk_metrics_refund_hours")),
    )
    with op.batch_alter_table("metrics_refund_hours", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_refund_hours_store", ["store_id", "bucket_start"], unique=False)

    op.create_table(
        "metrics_rollup_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seen_until", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_metrics_rollup_state")),
    )
    op.create_table(
        "metrics_source_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "DIRECT",
                "SEARCH",
                "SHARE",
                "QR_CODE",
                "OFFICIAL_ACCOUNT",
                "MOMENTS_AD",
                "OTHER",
                name="source_channel",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint(
            "day_start", "store_id", "source", "visitor_id", name=op.f("pk_metrics_source_days")
        ),
    )
    with op.batch_alter_table("metrics_source_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_source_days_store", ["store_id", "day_start"], unique=False)

    op.create_table(
        "metrics_traffic_hours",
        sa.Column("bucket_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dwell_ms", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "store_id", name=op.f("pk_metrics_traffic_hours")),
    )
    with op.batch_alter_table("metrics_traffic_hours", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_traffic_hours_store", ["store_id", "bucket_start"], unique=False)

    op.create_table(
        "metrics_visitor_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_pv", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dwell_ms", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("day_start", "store_id", "visitor_id", name=op.f("pk_metrics_visitor_days")),
    )
    with op.batch_alter_table("metrics_visitor_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_visitor_days_store", ["store_id", "day_start"], unique=False)

    with op.batch_alter_table("after_sales", schema=None) as batch_op:
        batch_op.create_index("ix_after_sales_refunded_at", ["refunded_at"], unique=False)
        batch_op.create_index("ix_after_sales_updated_at", ["updated_at"], unique=False)

    with op.batch_alter_table("allocation_records", schema=None) as batch_op:
        batch_op.create_index("ix_allocation_records_created_at", ["created_at"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_accepted_at", ["accepted_at"], unique=False)
        batch_op.create_index("ix_orders_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_updated_at")
        batch_op.drop_index("ix_orders_accepted_at")

    with op.batch_alter_table("allocation_records", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_records_created_at")

    with op.batch_alter_table("after_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_after_sales_updated_at")
        batch_op.drop_index("ix_after_sales_refunded_at")

    with op.batch_alter_table("metrics_visitor_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_visitor_days_store")

    op.drop_table("metrics_visitor_days")
    with op.batch_alter_table("metrics_traffic_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_traffic_hours_store")

    op.drop_table("metrics_traffic_hours")
    with op.batch_alter_table("metrics_source_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_source_days_store")

    op.drop_table("metrics_source_days")
    op.drop_table("metrics_rollup_state")
    with op.batch_alter_table("metrics_refund_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_refund_hours_store")

    op.drop_table("metrics_refund_hours")
    with op.batch_alter_table("metrics_product_view_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_product_view_days_store")

    op.drop_table("metrics_product_view_days")
    with op.batch_alter_table("metrics_product_sales_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_product_sales_days_store")

    op.drop_table("metrics_product_sales_days")
    with op.batch_alter_table("metrics_order_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_order_hours_store")

    op.drop_table("metrics_order_hours")
    with op.batch_alter_table("metrics_customer_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_customer_days_store")

    op.drop_table("metrics_customer_days")
