"""order day count merges: the day parts merge's high-water mark

`order_day_count_merges` (models/orders/day_counts.py) holds one row: the id up to which every
day count part was there at the last merge or rebuild, so a merge reads only the keys of the parts
added since. It starts at 0: the first merge reads every part once.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    merges = op.create_table(
        "order_day_count_merges",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("through_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_day_count_merges")),
    )
    op.bulk_insert(merges, [{"id": 1, "through_id": 0}])


def downgrade() -> None:
    op.drop_table("order_day_count_merges")
