"""单品直降 / 爆品价: PRICE_CUT campaigns and their per-SKU prices

`campaigns.type` takes PRICE_CUT (its CHECK constraint is replaced; the column's length already
fits it). New table `item_price_skus`: the unit price of each SKU while the campaign runs.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TYPES_BEFORE = ("INVITE_REWARD", "SPEND_REWARD", "GROUP_BUY")
_TYPE_CHECK = "ck_campaigns_campaign_type"


def _replace_type_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(op.f(_TYPE_CHECK), type_="check")
        batch.create_check_constraint(op.f(_TYPE_CHECK), sa.column("type").in_(values))


def upgrade() -> None:
    _replace_type_check((*_TYPES_BEFORE, "PRICE_CUT"))
    op.create_table(
        "item_price_skus",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("sku_id", _ID, nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_item_price_skus_item_price_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_item_price_skus_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_item_price_skus_sku_id_skus")),
        sa.PrimaryKeyConstraint("campaign_id", "sku_id", name=op.f("pk_item_price_skus")),
    )
    op.create_index(op.f("ix_item_price_skus_sku_id"), "item_price_skus", ["sku_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_item_price_skus_sku_id"), table_name="item_price_skus")
    op.drop_table("item_price_skus")
    op.execute("DELETE FROM campaigns WHERE type = 'PRICE_CUT'")
    _replace_type_check(_TYPES_BEFORE)
