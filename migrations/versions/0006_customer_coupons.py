"""customer coupons (rewards of 邀请有礼)

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 09:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_coupons",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("min_spend", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("invite_reward_id", _ID, nullable=True),
        sa.Column(
            "status",
            sa.Enum("AVAILABLE", "USED", "EXPIRED", name="coupon_status", native_enum=False,
                    create_constraint=True, length=17),
            nullable=False,
        ),
        sa.Column("issued_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_order_id", _ID, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_customer_coupons_amount_positive")),
        sa.CheckConstraint("min_spend >= 0", name=op.f("ck_customer_coupons_min_spend_non_negative")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_customer_coupons_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_customer_coupons_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["invite_reward_id"], ["invite_rewards.id"], name=op.f("fk_customer_coupons_invite_reward_id_invite_rewards")
        ),
        sa.ForeignKeyConstraint(["used_order_id"], ["orders.id"], name=op.f("fk_customer_coupons_used_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_coupons")),
        sa.UniqueConstraint("invite_reward_id", name=op.f("uq_customer_coupons_invite_reward_id")),
    )
    op.create_index("ix_customer_coupons_customer_status", "customer_coupons", ["customer_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_customer_coupons_customer_status", table_name="customer_coupons")
    op.drop_table("customer_coupons")
