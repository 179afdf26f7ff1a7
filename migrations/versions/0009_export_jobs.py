"""export jobs (bulk export of the admin lists as background jobs)

One row per export: the owner's role and scope, the list, format, columns and filter AST, its
state and progress, the file once written. Claimers look for QUEUED jobs and RUNNING ones with a
stale heartbeat (state, heartbeat_at); the per-owner limit counts open jobs (owner_key, state).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 8,
    )


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("owner_key", sa.String(length=200), nullable=False),
        sa.Column(
            "owner_role", _enum("role", "HQ_ADMIN", "STORE_STAFF", "ANALYST", "SHOPPER"), nullable=False
        ),
        sa.Column("owner_subject", sa.String(length=200), nullable=True),
        sa.Column("owner_store_ids", _JSON, nullable=False),
        sa.Column("owner_customer_id", _ID, nullable=True),
        sa.Column("list_kind", _enum("export_list", "ORDERS", "ORDER_LINES"), nullable=False),
        sa.Column("format", _enum("export_format", "CSV", "NDJSON"), nullable=False),
        sa.Column("columns", _JSON, nullable=False),
        sa.Column("criteria", _JSON, nullable=False),
        sa.Column("query_text", sa.Text(), nullable=True),
        sa.Column(
            "state",
            _enum("export_state", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "EXPIRED"),
            nullable=False,
        ),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    op.create_index("ix_export_jobs_state_heartbeat_at", "export_jobs", ["state", "heartbeat_at"])
    op.create_index("ix_export_jobs_owner_key_state", "export_jobs", ["owner_key", "state"])


def downgrade() -> None:
    op.drop_index("ix_export_jobs_owner_key_state", table_name="export_jobs")
    op.drop_index("ix_export_jobs_state_heartbeat_at", table_name="export_jobs")
    op.drop_table("export_jobs")
