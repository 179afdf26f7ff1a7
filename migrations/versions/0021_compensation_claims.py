"""compensation claims (餐损赔付) on store-delivery orders

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = models.base.UtcDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(len(v) for v in values) + 8
    )


def upgrade() -> None:
    op.create_table(
        "compensation_claims",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column(
            "cause", _enum("claim_cause", "RIDER_LATE", "DAMAGED", "SYSTEM", "LOCATION"), nullable=False
        ),
        sa.Column("state", _enum("claim_state", "PENDING", "APPROVED", "PAID", "REJECTED"), nullable=False),
        sa.Column("asked_amount", sa.Integer(), nullable=False),
        sa.Column("compensation_amount", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("evidence_urls", _JSON, nullable=False),
        sa.Column(
            "raised_by_type",
            _enum("raised_by_type", "CUSTOMER", "STAFF", "HQ", "SYSTEM", "PAYMENT"),
            nullable=False,
        ),
        sa.Column("raised_by_id", sa.String(length=64), nullable=True),
        sa.Column("verdict_note", sa.String(length=200), nullable=True),
        sa.Column("after_sale_id", _ID, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("decided_at", _AT, nullable=True),
        sa.Column("paid_at", _AT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("asked_amount > 0", name=op.f("ck_compensation_claims_asked_amount_positive")),
        sa.CheckConstraint(
            "compensation_amount IS NULL OR compensation_amount > 0",
            name=op.f("ck_compensation_claims_compensation_amount_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_compensation_claims_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_compensation_claims_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["after_sale_id"],
            ["after_sales.id"],
            name=op.f("fk_compensation_claims_after_sale_id_after_sales"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_claims")),
    )
    op.create_index("ix_compensation_claims_order_id", "compensation_claims", ["order_id"])
    op.create_index(
        "ix_compensation_claims_store_state", "compensation_claims", ["store_id", "state", "created_at"]
    )
    op.create_index("ix_compensation_claims_state_paid", "compensation_claims", ["state", "paid_at"])


def downgrade() -> None:
    op.drop_index("ix_compensation_claims_state_paid", table_name="compensation_claims")
    op.drop_index("ix_compensation_claims_store_state", table_name="compensation_claims")
    op.drop_index("ix_compensation_claims_order_id", table_name="compensation_claims")
    op.drop_table("compensation_claims")
