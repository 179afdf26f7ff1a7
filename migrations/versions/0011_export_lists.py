"""export jobs of the after-sale, customer and visit lists

`export_jobs.list_kind` takes AFTER_SALES, CUSTOMERS and VISITS besides ORDERS and ORDER_LINES:
the CHECK constraint of the column is replaced (the column's length already fits them).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_export_jobs_export_list"
_BEFORE = ("ORDERS", "ORDER_LINES")
_AFTER = (*_BEFORE, "AFTER_SALES", "CUSTOMERS", "VISITS")


def _replace(values: Sequence[str]) -> None:
    with op.batch_alter_table("export_jobs") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint(op.f(_NAME), sa.column("list_kind").in_(values))


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM export_jobs WHERE list_kind NOT IN ('ORDERS', 'ORDER_LINES')"))
    _replace(_BEFORE)
