"""coupon sales (卖券) and push jobs (发券); payments may be for a coupon purchase

New tables `coupon_purchases`, `coupon_push_jobs`, `coupon_push_recipients`. `coupon_templates`
gets `sale_price` and `reserved_count` (units held by unpaid purchases); `payment_transactions.order_id` becomes nullable beside `coupon_purchase_id`
(exactly one of them is set).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:21:07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # autogenerate renders JSONB(astext_type=Text())
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_push_jobs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("template_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_key", sa.String(length=200), nullable=False),
        sa.Column(
            "owner_role",
            sa.Enum(
                "HQ_ADMIN",
                "STORE_STAFF",
                "ANALYST",
                "SHOPPER",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=19,
            ),
            nullable=False,
        ),
        sa.Column(
            "owner_store_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "target_kind",
            sa.Enum(
                "CUSTOMERS",
                "CRITERIA",
                "RADIUS",
                name="push_target_kind",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column(
            "target",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                name="push_state",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("targeted", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("skipped_already_has", sa.Integer(), nullable=False),
        sa.Column("skipped_limit", sa.Integer(), nullable=False),
        sa.Column("skipped_stock", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupon_push_jobs_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_push_jobs")),
    )
    with op.batch_alter_table("coupon_push_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupon_push_jobs_state_heartbeat_at", ["state", "heartbeat_at"], unique=False
        )
        batch_op.create_index("ix_coupon_push_jobs_template_id", ["template_id"], unique=False)

    op.create_table(
        "coupon_purchases",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("purchase_no", sa.String(length=24), nullable=False),
        sa.Column("template_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "UNPAID",
                "PAID",
                "REFUNDED",
                "EXPIRED",
                name="purchase_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("coupon_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("payment_deadline", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("expired_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("price > 0", name=op.f("ck_coupon_purchases_price_positive")),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["customer_coupons.id"],
            name=op.f("fk_coupon_purchases_coupon_id_customer_coupons"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupon_purchases_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupon_purchases_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_purchases")),
        sa.UniqueConstraint("coupon_id", name=op.f("uq_coupon_purchases_coupon_id")),
        sa.UniqueConstraint("purchase_no", name=op.f("uq_coupon_purchases_purchase_no")),
    )
    with op.batch_alter_table("coupon_purchases", schema=None) as batch_op:
        batch_op.create_index("ix_coupon_purchases_customer_id", ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_coupon_purchases_status_deadline", ["status", "payment_deadline"], unique=False
        )
        batch_op.create_index(
            "ix_coupon_purchases_template_customer", ["template_id", "customer_id", "status"], unique=False
        )

    op.create_table(
        "coupon_push_recipients",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "ISSUED",
                "ALREADY_HAS",
                "LIMIT",
                "STOCK",
                name="push_outcome",
                native_enum=False,
                create_constraint=True,
                length=19,
            ),
            nullable=True,
        ),
        sa.Column("coupon_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "outcome IS NOT NULL OR coupon_id IS NULL",
            name=op.f("ck_coupon_push_recipients_coupon_after_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["customer_coupons.id"],
            name=op.f("fk_coupon_push_recipients_coupon_id_customer_coupons"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupon_push_recipients_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["coupon_push_jobs.id"],
            name=op.f("fk_coupon_push_recipients_job_id_coupon_push_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_push_recipients")),
        sa.UniqueConstraint("coupon_id", name=op.f("uq_coupon_push_recipients_coupon_id")),
        sa.UniqueConstraint(
            "job_id", "customer_id", name=op.f("uq_coupon_push_recipients_job_id_customer_id")
        ),
    )
    with op.batch_alter_table("coupon_push_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_coupon_push_recipients_job_outcome", ["job_id", "outcome"], unique=False)

    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("sale_price", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_coupon_templates_reserved_within_stock"),
            "reserved_count >= 0 AND issued_count + reserved_count <= total_stock",
        )
        batch_op.create_check_constraint(
            op.f("ck_coupon_templates_sale_price_positive"), "sale_price IS NULL OR sale_price > 0"
        )
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.alter_column("reserved_count", existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "coupon_purchase_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.alter_column(
            "order_id", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        )
        batch_op.create_index(
            "ix_payment_transactions_coupon_purchase_id", ["coupon_purchase_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_transactions_coupon_purchase_id_coupon_purchases"),
            "coupon_purchases",
            ["coupon_purchase_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_payment_transactions_order_or_purchase"),
            "(order_id IS NULL) <> (coupon_purchase_id IS NULL)",
        )


def downgrade() -> None:
    op.execute("DELETE FROM payment_transactions WHERE order_id IS NULL")
    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payment_transactions_order_or_purchase"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_payment_transactions_coupon_purchase_id_coupon_purchases"), type_="foreignkey"
        )
        batch_op.drop_index("ix_payment_transactions_coupon_purchase_id")
        batch_op.alter_column(
            "order_id", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        )
        batch_op.drop_column("coupon_purchase_id")

    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_coupon_templates_sale_price_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_coupon_templates_reserved_within_stock"), type_="check")
        batch_op.drop_column("sale_price")
        batch_op.drop_column("reserved_count")

    with op.batch_alter_table("coupon_push_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_push_recipients_job_outcome")

    op.drop_table("coupon_push_recipients")
    with op.batch_alter_table("coupon_purchases", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_purchases_template_customer")
        batch_op.drop_index("ix_coupon_purchases_status_deadline")
        batch_op.drop_index("ix_coupon_purchases_customer_id")

    op.drop_table("coupon_purchases")
    with op.batch_alter_table("coupon_push_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_push_jobs_template_id")
        batch_op.drop_index("ix_coupon_push_jobs_state_heartbeat_at")

    op.drop_table("coupon_push_jobs")
