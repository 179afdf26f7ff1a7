"""返券: coupon-issuing rules, the causes they handled, and 助力 assists with their helpers

New tables: `coupon_issue_rules`, `coupon_issues` (unique per rule and cause), `coupon_assists`
and `coupon_assist_helpers` (unique per assist and helper).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = models.base.UtcDateTime(timezone=True)
_KINDS = ("ON_REGISTRATION", "ON_INVITE", "ON_ORDER_COMPLETED", "ON_GOOD_REVIEW", "ASSIST")
_REASONS = ("TEMPLATE_STOPPED", "TEMPLATE_ENDED", "OUT_OF_STOCK", "LIMIT_REACHED")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(len(v) for v in values) + 8
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    t = "coupon_issue_rules"
    op.create_table(
        t,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", _enum("issue_rule_kind", *_KINDS), nullable=False),
        sa.Column("template_id", _ID, nullable=False),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=True),
        sa.Column("store_ids", _JSON, nullable=True),
        sa.Column("channels", _JSON, nullable=True),
        sa.Column("min_paid", sa.Integer(), nullable=True),
        sa.Column("min_rating", sa.Integer(), nullable=True),
        sa.Column("invite_role", _enum("invite_role", "INVITER", "INVITEE"), nullable=True),
        sa.Column("invite_campaign_id", _ID, nullable=True),
        sa.Column("helpers_needed", sa.Integer(), nullable=True),
        sa.Column("assist_hours", sa.Integer(), nullable=True),
        sa.Column("stopped_at", _TS, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("min_paid IS NULL OR min_paid >= 0", name=op.f(f"ck_{t}_min_paid_non_negative")),
        sa.CheckConstraint(
            "min_rating IS NULL OR min_rating BETWEEN 1 AND 5", name=op.f(f"ck_{t}_min_rating_range")
        ),
        sa.CheckConstraint("helpers_needed IS NULL OR helpers_needed >= 1", name=op.f(f"ck_{t}_helpers_positive")),
        sa.CheckConstraint(
            "assist_hours IS NULL OR assist_hours >= 1", name=op.f(f"ck_{t}_assist_hours_positive")
        ),
        _fk(t, "template_id", "coupon_templates"),
        _fk(t, "invite_campaign_id", "campaigns"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_coupon_issue_rules_kind", t, ["kind"])
    op.create_index("ix_coupon_issue_rules_template_id", t, ["template_id"])

    t = "coupon_issues"
    op.create_table(
        t,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", _ID, nullable=False),
        sa.Column("cause_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("outcome", _enum("issue_outcome", "ISSUED", "SKIPPED"), nullable=False),
        sa.Column("skip_reason", _enum("skip_reason", *_REASONS), nullable=True),
        sa.Column("coupon_id", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint(
            "(outcome = 'ISSUED' AND coupon_id IS NOT NULL AND skip_reason IS NULL)"
            " OR (outcome = 'SKIPPED' AND coupon_id IS NULL AND skip_reason IS NOT NULL)",
            name=op.f(f"ck_{t}_outcome_consistent"),
        ),
        _fk(t, "rule_id", "coupon_issue_rules"),
        _fk(t, "customer_id", "customers"),
        _fk(t, "coupon_id", "customer_coupons"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("rule_id", "cause_id", name=op.f(f"uq_{t}_rule_id_cause_id")),
        sa.UniqueConstraint("coupon_id", name=op.f(f"uq_{t}_coupon_id")),
    )
    op.create_index("ix_coupon_issues_customer_id", t, ["customer_id"])

    t = "coupon_assists"
    op.create_table(
        t,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", _ID, nullable=False),
        sa.Column("starter_id", _ID, nullable=False),
        sa.Column("status", _enum("assist_status", "OPEN", "COMPLETED", "EXPIRED"), nullable=False),
        sa.Column("open_key", sa.String(length=48), nullable=True),
        sa.Column("helpers_needed", sa.Integer(), nullable=False),
        sa.Column("helper_count", sa.Integer(), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("completed_at", _TS, nullable=True),
        sa.Column("expired_at", _TS, nullable=True),
        sa.CheckConstraint(
            "helper_count >= 0 AND helper_count <= helpers_needed", name=op.f(f"ck_{t}_helpers_within_needed")
        ),
        _fk(t, "rule_id", "coupon_issue_rules"),
        _fk(t, "starter_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("open_key", name=op.f(f"uq_{t}_open_key")),
    )
    op.create_index("ix_coupon_assists_status_expires", t, ["status", "expires_at"])
    op.create_index("ix_coupon_assists_starter_id", t, ["starter_id"])
    op.create_index("ix_coupon_assists_rule_id", t, ["rule_id"])

    t = "coupon_assist_helpers"
    op.create_table(
        t,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("assist_id", _ID, nullable=False),
        sa.Column("helper_id", _ID, nullable=False),
        sa.Column("joined_at", _TS, nullable=False),
        _fk(t, "assist_id", "coupon_assists"),
        _fk(t, "helper_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("assist_id", "helper_id", name=op.f(f"uq_{t}_assist_id_helper_id")),
    )
    op.create_index("ix_coupon_assist_helpers_helper_id", t, ["helper_id"])


def downgrade() -> None:
    op.drop_index("ix_coupon_assist_helpers_helper_id", table_name="coupon_assist_helpers")
    op.drop_table("coupon_assist_helpers")
    for name in ("ix_coupon_assists_rule_id", "ix_coupon_assists_starter_id", "ix_coupon_assists_status_expires"):
        op.drop_index(name, table_name="coupon_assists")
    op.drop_table("coupon_assists")
    op.drop_index("ix_coupon_issues_customer_id", table_name="coupon_issues")
    op.drop_table("coupon_issues")
    op.drop_index("ix_coupon_issue_rules_template_id", table_name="coupon_issue_rules")
    op.drop_index("ix_coupon_issue_rules_kind", table_name="coupon_issue_rules")
    op.drop_table("coupon_issue_rules")
