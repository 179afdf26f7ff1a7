"""store opt-in to HQ campaigns (报名制)

`campaigns.opt_in`: the campaign applies only at the stores in its scope that opted in.
`campaign_opt_ins`: one row per (campaign, store), with when the store opted in and, once it
opted out, when.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds it in place.
    op.add_column("campaigns", sa.Column("opt_in", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    t = "campaign_opt_ins"
    op.create_table(
        t,
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("opted_in_at", _TS, nullable=False),
        sa.Column("opted_out_at", _TS, nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{t}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f(f"fk_{t}_store_id_stores")),
        sa.PrimaryKeyConstraint("campaign_id", "store_id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f(f"ix_{t}_store_id"), t, ["store_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_opt_ins_store_id"), table_name="campaign_opt_ins")
    op.drop_table("campaign_opt_ins")
    op.drop_column("campaigns", "opt_in")
