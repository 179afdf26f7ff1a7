"""Order-level discounts (满额/满件折扣, 多买多折, X元Y件), 单品买赠 and campaign priority

`campaigns.type` takes ORDER_DISCOUNT, MULTI_BUY_DISCOUNT, BUNDLE_PRICE and BUY_GIFT (its CHECK
constraint is replaced); `campaigns.priority` (default 0) orders competing order-level promotions.
New tables: `order_discount_rules` and `order_discount_tiers` (the percentage tiers, cap and
X元Y件 bundle), `buy_gift_rules` (单品买赠 with its gift stock; gift units held by orders are rows of
`flash_sale_takes`).

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TYPES_BEFORE = ("INVITE_REWARD", "SPEND_REWARD", "GROUP_BUY", "PRICE_CUT", "FLASH_SALE", "PRODUCT_DISCOUNT")
_TYPES_NEW = ("ORDER_DISCOUNT", "MULTI_BUY_DISCOUNT", "BUNDLE_PRICE", "BUY_GIFT")
_TYPE_CHECK = "ck_campaigns_campaign_type"


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"], ["campaigns.id"], name=op.f(f"fk_{table}_campaign_id_campaigns"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(op.f(_TYPE_CHECK), type_="check")
        batch.alter_column("type", existing_type=sa.String(24), type_=sa.String(26), existing_nullable=False)
        batch.create_check_constraint(op.f(_TYPE_CHECK), sa.column("type").in_(_TYPES_BEFORE + _TYPES_NEW))
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "order_discount_rules",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column(
            "threshold_kind",
            sa.Enum("AMOUNT", "QUANTITY", name="threshold_kind", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("bundle_size", sa.Integer(), nullable=True),
        sa.Column("bundle_price", sa.Integer(), nullable=True),
        sa.CheckConstraint("cap IS NULL OR cap > 0", name=op.f("ck_order_discount_rules_cap_positive")),
        sa.CheckConstraint(
            "(bundle_size IS NULL AND bundle_price IS NULL) OR (bundle_size >= 2 AND bundle_price > 0)",
            name=op.f("ck_order_discount_rules_bundle_consistent"),
        ),
        _campaign_fk("order_discount_rules"),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_order_discount_rules")),
    )
    op.create_table(
        "order_discount_tiers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=False),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_order_discount_tiers_discount_threshold_positive")),
        sa.CheckConstraint(
            "percent_off > 0 AND percent_off < 100", name=op.f("ck_order_discount_tiers_tier_percent_range")
        ),
        _campaign_fk("order_discount_tiers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_discount_tiers")),
        sa.UniqueConstraint("campaign_id", "threshold", name=op.f("uq_order_discount_tiers_campaign_id_threshold")),
    )
    op.create_index(op.f("ix_order_discount_tiers_campaign_id"), "order_discount_tiers", ["campaign_id"])
    op.create_table(
        "buy_gift_rules",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("buy_quantity", sa.Integer(), nullable=False),
        sa.Column("gift_sku_id", _ID, nullable=False),
        sa.Column("gift_quantity", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "buy_quantity > 0 AND gift_quantity > 0", name=op.f("ck_buy_gift_rules_buy_gift_positive")
        ),
        sa.CheckConstraint("given >= 0 AND given <= stock", name=op.f("ck_buy_gift_rules_gift_given_within")),
        _campaign_fk("buy_gift_rules"),
        sa.ForeignKeyConstraint(["gift_sku_id"], ["skus.id"], name=op.f("fk_buy_gift_rules_gift_sku_id_skus")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_buy_gift_rules")),
    )


def downgrade() -> None:
    op.drop_table("buy_gift_rules")
    op.drop_index(op.f("ix_order_discount_tiers_campaign_id"), table_name="order_discount_tiers")
    op.drop_table("order_discount_tiers")
    op.drop_table("order_discount_rules")
    ours = "SELECT id FROM campaigns WHERE type IN ('ORDER_DISCOUNT', 'MULTI_BUY_DISCOUNT', 'BUNDLE_PRICE', 'BUY_GIFT')"
    for table in ("flash_sale_takes", "campaign_products", "campaign_stores"):
        op.execute(f"DELETE FROM {table} WHERE campaign_id IN ({ours})")  # noqa: S608 (constant SQL)
    op.execute(
        "UPDATE orders SET campaign_id = NULL, spend_reward_tier_id = NULL "
        f"WHERE campaign_id IN ({ours})"  # noqa: S608 (constant SQL)
    )
    op.execute(f"DELETE FROM campaigns WHERE id IN ({ours})")  # noqa: S608 (constant SQL)
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("priority")
        batch.drop_constraint(op.f(_TYPE_CHECK), type_="check")
        batch.alter_column("type", existing_type=sa.String(26), type_=sa.String(24), existing_nullable=False)
        batch.create_check_constraint(op.f(_TYPE_CHECK), sa.column("type").in_(_TYPES_BEFORE))
