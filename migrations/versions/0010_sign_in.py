"""shopper sign-in: provider identities, refresh-token sessions, hashed refresh tokens

One identity per (provider, subject) — the unique constraint that makes concurrent first sign-ins
create one customer. Sessions are refresh-token families (revoked together); refresh tokens are
stored as SHA-256 digests only, unique, each with its session.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 8,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, models.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer_identities",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("provider", _enum("identity_provider", "WECHAT_MINIPROGRAM"), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("union_id", sa.String(length=128), nullable=True),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column(
            "source",
            _enum(
                "source_channel",
                "DIRECT",
                "SEARCH",
                "SHARE",
                "QR_CODE",
                "OFFICIAL_ACCOUNT",
                "MOMENTS_AD",
                "OTHER",
            ),
            nullable=True,
        ),
        _at("created_at"),
        _at("last_sign_in_at"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_identities_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_customer_identities_provider_subject")),
    )
    op.create_index(
        op.f("ix_customer_identities_customer_id"), "customer_identities", ["customer_id"], unique=False
    )
    op.create_table(
        "shopper_sessions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("identity_id", _ID, nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        _at("created_at"),
        _at("revoked_at", nullable=True),
        sa.Column("revoked_reason", _enum("session_end", "SIGNED_OUT", "REUSE_DETECTED"), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_shopper_sessions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["customer_identities.id"],
            name=op.f("fk_shopper_sessions_identity_id_customer_identities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopper_sessions")),
    )
    op.create_index(
        op.f("ix_shopper_sessions_customer_id"), "shopper_sessions", ["customer_id"], unique=False
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _at("issued_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["shopper_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_shopper_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_tokens_session_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_shopper_sessions_customer_id"), table_name="shopper_sessions")
    op.drop_table("shopper_sessions")
    op.drop_index(op.f("ix_customer_identities_customer_id"), table_name="customer_identities")
    op.drop_table("customer_identities")
