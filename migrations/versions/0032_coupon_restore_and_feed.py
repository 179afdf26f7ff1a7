"""Coupons: the restore-on-refund policy and the scenes per template (copied on each coupon), the
claim path per template, and the store of each ledger row for the live coupon feed

`restore_on_refund` (NEVER / FULL_REFUND_BEFORE_COMPLETION / FULL_REFUND) defaults to
FULL_REFUND_BEFORE_COMPLETION and `claim_path` (CENTER / LINK / ISSUE_ONLY) to CENTER: the rules
every existing template and coupon already followed; `fulfillments` (scenes) null: every one.
Existing ledger rows that name an order get its store.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POLICIES = ("NEVER", "FULL_REFUND_BEFORE_COMPLETION", "FULL_REFUND")
_DEFAULT = "FULL_REFUND_BEFORE_COMPLETION"
_PATHS = ("CENTER", "LINK", "ISSUE_ONLY")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    for table in ("coupon_templates", "customer_coupons"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "restore_on_refund",
                    sa.String(max(len(p) for p in _POLICIES) + 8),
                    nullable=False,
                    server_default=_DEFAULT,
                )
            )
            batch.create_check_constraint(
                op.f(f"ck_{table}_coupon_restore_policy"), sa.column("restore_on_refund").in_(_POLICIES)
            )
    with op.batch_alter_table("coupon_templates") as batch:
        batch.add_column(
            sa.Column("claim_path", sa.String(max(len(p) for p in _PATHS) + 8), nullable=False, server_default="CENTER")
        )
        batch.create_check_constraint(op.f("ck_coupon_templates_coupon_claim_path"), sa.column("claim_path").in_(_PATHS))
    for table in ("coupon_templates", "customer_coupons"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("fulfillments", _JSON))
    with op.batch_alter_table("coupon_ledger") as batch:
        batch.add_column(sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
        batch.create_foreign_key(op.f("fk_coupon_ledger_store_id_stores"), "stores", ["store_id"], ["id"])
        batch.create_index("ix_coupon_ledger_store_id_id", ["store_id", "id"])
    op.execute(
        "UPDATE coupon_ledger SET store_id = (SELECT o.store_id FROM orders o WHERE o.id = coupon_ledger.order_id)"
        " WHERE order_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("coupon_ledger") as batch:
        batch.drop_index("ix_coupon_ledger_store_id_id")
        batch.drop_constraint(op.f("fk_coupon_ledger_store_id_stores"), type_="foreignkey")
        batch.drop_column("store_id")
    with op.batch_alter_table("coupon_templates") as batch:
        batch.drop_constraint(op.f("ck_coupon_templates_coupon_claim_path"), type_="check")
        batch.drop_column("claim_path")
    for table in ("customer_coupons", "coupon_templates"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("fulfillments")
            batch.drop_constraint(op.f(f"ck_{table}_coupon_restore_policy"), type_="check")
            batch.drop_column("restore_on_refund")
