"""metrics channel days: paid orders and paying-customer sets per store, day and channel

Adds `metrics_channel_days` (paid orders, paid amount and a roaring bitmap of the paying
customers per local day, store and sales channel), read by order aggregates grouped by CHANNEL or
measuring PAYING_CUSTOMERS. Derived data: the rollup version bump in the code rebuilds it (with
every rollup group) on the first refresh after the upgrade.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "metrics_channel_days",
        sa.Column("day_start", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "MINI_PROGRAM",
                "H5",
                "APP",
                "POS",
                name="order_channel",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("paid_orders", ID, nullable=False),
        sa.Column("paid_amount", ID, nullable=False),
        sa.Column("payer_count", sa.Integer(), nullable=False),
        sa.Column("payers", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("day_start", "store_id", "channel", name=op.f("pk_metrics_channel_days")),
    )
    with op.batch_alter_table("metrics_channel_days", schema=None) as batch_op:
        batch_op.create_index("ix_metrics_channel_days_store", ["store_id", "day_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metrics_channel_days", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_channel_days_store")
    op.drop_table("metrics_channel_days")
