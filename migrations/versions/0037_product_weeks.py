"""all-stores product sales and page views per local week (dashboard rankings)

Two rollup tables summing the all-stores product-day rows per local week, so a ranking over a
month reads about a third of the rows. They start empty: the rollup definition version moves on
with this code, so every group is rebuilt on its next refresh.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = {"metrics_product_sales_weeks": ("units_sold", "sales_amount"), "metrics_product_view_weeks": ("pv",)}


def upgrade() -> None:
    for name, sums in _TABLES.items():
        op.create_table(
            name,
            sa.Column("week_start", models.base.UtcDateTime(timezone=True), nullable=False),
            sa.Column("store_id", _ID, nullable=False),
            sa.Column("product_id", _ID, nullable=False),
            *(sa.Column(column, _ID, nullable=False) for column in sums),
            sa.PrimaryKeyConstraint("week_start", "store_id", "product_id", name=op.f(f"pk_{name}")),
        )


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
