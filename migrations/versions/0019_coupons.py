"""coupon templates, coupon states and ledger, order price adjustments

`customer_coupons` is rebuilt (the status values change: AVAILABLE becomes UNUSED, LOCKED and VOIDED
are added; a coupon gets a code, a type and the terms copied from its template). Existing coupons —
those 邀请有礼 granted — become 活动券 (CAMPAIGN) with code `INV<id>`.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = models.base.UtcDateTime(timezone=True)

_TYPES = ("ALL", "PRODUCT", "SHIPPING", "STORE", "CAMPAIGN")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(len(v) for v in values) + 8
    )


def _old_coupons() -> None:
    op.create_table(
        "customer_coupons",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("min_spend", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("invite_reward_id", _ID, nullable=True),
        sa.Column("status", _enum("coupon_status", "AVAILABLE", "USED", "EXPIRED"), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
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


def _new_coupons() -> None:
    op.create_table(
        "customer_coupons",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("template_id", _ID, nullable=True),
        sa.Column("type", _enum("coupon_type", *_TYPES), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("threshold_kind", _enum("coupon_threshold", "AMOUNT", "QUANTITY"), nullable=False),
        sa.Column("min_spend", sa.Integer(), nullable=False),
        sa.Column("product_ids", _JSON, nullable=True),
        sa.Column("category_ids", _JSON, nullable=True),
        sa.Column("store_ids", _JSON, nullable=True),
        sa.Column("channels", _JSON, nullable=True),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("invite_reward_id", _ID, nullable=True),
        sa.Column("claim_seq", sa.Integer(), nullable=True),
        sa.Column(
            "status", _enum("coupon_status", "UNUSED", "LOCKED", "USED", "EXPIRED", "VOIDED"), nullable=False
        ),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("valid_from", _TS, nullable=True),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("locked_order_id", _ID, nullable=True),
        sa.Column("used_order_id", _ID, nullable=True),
        sa.Column("used_at", _TS, nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_customer_coupons_amount_non_negative")),
        sa.CheckConstraint("min_spend >= 0", name=op.f("ck_customer_coupons_min_spend_non_negative")),
        sa.CheckConstraint(
            "claim_seq IS NULL OR claim_seq >= 1", name=op.f("ck_customer_coupons_claim_seq_positive")
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_customer_coupons_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_customer_coupons_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["invite_reward_id"], ["invite_rewards.id"], name=op.f("fk_customer_coupons_invite_reward_id_invite_rewards")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["coupon_templates.id"], name=op.f("fk_customer_coupons_template_id_coupon_templates")
        ),
        sa.ForeignKeyConstraint(["locked_order_id"], ["orders.id"], name=op.f("fk_customer_coupons_locked_order_id_orders")),
        sa.ForeignKeyConstraint(["used_order_id"], ["orders.id"], name=op.f("fk_customer_coupons_used_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_coupons_code")),
        sa.UniqueConstraint("invite_reward_id", name=op.f("uq_customer_coupons_invite_reward_id")),
        sa.UniqueConstraint(
            "template_id", "customer_id", "claim_seq", name=op.f("uq_customer_coupons_template_id_customer_id_claim_seq")
        ),
    )
    op.create_index("ix_customer_coupons_customer_status", "customer_coupons", ["customer_id", "status"])
    op.create_index("ix_customer_coupons_locked_order_id", "customer_coupons", ["locked_order_id"])
    op.create_index("ix_customer_coupons_template_status", "customer_coupons", ["template_id", "status"])


def _reset_sequence() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('customer_coupons', 'id'),"
            " COALESCE((SELECT MAX(id) FROM customer_coupons), 0) + 1, false)"
        )


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", _enum("coupon_type", *_TYPES), nullable=False),
        sa.Column("amount_off", sa.Integer(), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("threshold_kind", _enum("coupon_threshold", "AMOUNT", "QUANTITY"), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("total_stock", sa.Integer(), nullable=False),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=False),
        sa.Column("valid_from", _TS, nullable=True),
        sa.Column("valid_until", _TS, nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("product_ids", _JSON, nullable=True),
        sa.Column("category_ids", _JSON, nullable=True),
        sa.Column("store_ids", _JSON, nullable=True),
        sa.Column("channels", _JSON, nullable=True),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("stopped_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "issued_count >= 0 AND issued_count <= total_stock", name=op.f("ck_coupon_templates_issued_within_stock")
        ),
        sa.CheckConstraint(
            "amount_off >= 0 AND threshold >= 0", name=op.f("ck_coupon_templates_amounts_non_negative")
        ),
        sa.CheckConstraint("per_customer_limit >= 1", name=op.f("ck_coupon_templates_limit_positive")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_coupon_templates_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_templates_code")),
    )
    op.create_index("ix_coupon_templates_name", "coupon_templates", ["name"])

    op.execute("CREATE TABLE customer_coupons_0019 AS SELECT * FROM customer_coupons")
    op.drop_index("ix_customer_coupons_customer_status", table_name="customer_coupons")
    op.drop_table("customer_coupons")
    _new_coupons()
    op.execute(
        "INSERT INTO customer_coupons (id, code, customer_id, type, amount, threshold_kind, min_spend, title,"
        " campaign_id, invite_reward_id, status, issued_at, expires_at, used_order_id)"
        " SELECT id, 'INV' || CAST(id AS VARCHAR(20)), customer_id, 'CAMPAIGN', amount, 'AMOUNT', min_spend, title,"
        " campaign_id, invite_reward_id,"
        " CASE status WHEN 'AVAILABLE' THEN 'UNUSED' ELSE status END, issued_at, expires_at, used_order_id"
        " FROM customer_coupons_0019"
    )
    op.drop_table("customer_coupons_0019")
    _reset_sequence()

    op.create_table(
        "coupon_ledger",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("coupon_id", _ID, nullable=False),
        sa.Column(
            "action",
            _enum("coupon_ledger_action", "ISSUED", "LOCKED", "UNLOCKED", "USED", "RESTORED", "EXPIRED", "VOIDED"),
            nullable=False,
        ),
        sa.Column("order_id", _ID, nullable=True),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["customer_coupons.id"], name=op.f("fk_coupon_ledger_coupon_id_customer_coupons")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_coupon_ledger_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_ledger")),
    )
    op.create_index("ix_coupon_ledger_coupon_id", "coupon_ledger", ["coupon_id"])

    op.create_table(
        "order_adjustments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("layer", _enum("pricing_layer", "ITEM", "ORDER", "COUPON", "SHIPPING_COUPON"), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("source_id", _ID, nullable=True),
        sa.Column("line_shares", _JSON, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_order_adjustments_amount_non_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_adjustments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_adjustments")),
    )
    op.create_index("ix_order_adjustments_order_id", "order_adjustments", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_adjustments_order_id", table_name="order_adjustments")
    op.drop_table("order_adjustments")
    op.drop_index("ix_coupon_ledger_coupon_id", table_name="coupon_ledger")
    op.drop_table("coupon_ledger")
    op.execute(
        "CREATE TABLE customer_coupons_0019 AS SELECT id, customer_id, amount, min_spend, title, campaign_id,"
        " invite_reward_id, status, issued_at, expires_at, used_order_id FROM customer_coupons"
        " WHERE template_id IS NULL AND amount > 0"
    )
    for name in ("ix_customer_coupons_template_status", "ix_customer_coupons_locked_order_id"):
        op.drop_index(name, table_name="customer_coupons")
    op.drop_index("ix_customer_coupons_customer_status", table_name="customer_coupons")
    op.drop_table("customer_coupons")
    _old_coupons()
    op.execute(
        "INSERT INTO customer_coupons (id, customer_id, amount, min_spend, title, campaign_id, invite_reward_id,"
        " status, issued_at, expires_at, used_order_id)"
        " SELECT id, customer_id, amount, min_spend, title, campaign_id, invite_reward_id,"
        " CASE WHEN status IN ('USED', 'EXPIRED') THEN status WHEN status = 'VOIDED' THEN 'EXPIRED'"
        " ELSE 'AVAILABLE' END, issued_at, expires_at, used_order_id FROM customer_coupons_0019"
    )
    op.drop_table("customer_coupons_0019")
    _reset_sequence()
    op.drop_index("ix_coupon_templates_name", table_name="coupon_templates")
    op.drop_table("coupon_templates")
