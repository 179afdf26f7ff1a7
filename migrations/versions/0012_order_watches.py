"""order watch lists

`order_watches`: one row per (watcher, order) — the orders a back-office user watches
(`watchOrder` / `unwatchOrder`, `watched:true` in the order search).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_watches",
        sa.Column("watcher_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_watches_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("watcher_key", "order_id", name=op.f("pk_order_watches")),
    )
    op.create_index("ix_order_watches_order_id", "order_watches", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_watches_order_id", table_name="order_watches")
    op.drop_table("order_watches")
