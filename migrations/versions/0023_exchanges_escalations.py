"""exchanges (换货) and escalations to HQ (客服介入)

The after-sale enums take the new type, statuses and actions: their `IN (...)` CHECKs are
replaced (the columns' lengths already fit the new values). On SQLite the constraint text is
edited in the schema rather than rebuilding the tables: a batch copy of `after_sales` would
cascade to its lines and events, and one of `after_sale_lines` could lose its partial index.
`after_sales` gets the replacement parcel, `after_sale_replacements` the SKU sent back per line,
and `after_sale_escalations` holds each escalation and its verdict.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 08:30:00
"""

import re
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = models.base.UtcDateTime(timezone=True)

_TYPES = ("REFUND_ONLY", "RETURN_AND_REFUND", "PRICE_DIFFERENCE")
_STATUSES = (
    "PENDING_REVIEW",
    "AWAITING_RETURN",
    "RETURN_SHIPPED",
    "REFUNDED",
    "REJECTED",
    "CANCELLED",
    "RECEIPT_REJECTED",
)
_ACTIONS = (
    "REQUEST",
    "MERCHANT_REFUND",
    "APPROVE_REFUND_ONLY",
    "APPROVE_RETURN",
    "REJECT",
    "WITHDRAW",
    "SUBMIT_RETURN",
    "CONFIRM_RETURN_RECEIVED",
    "REFUSE_RETURN_RECEIPT",
)
_NEW_TYPES = ("EXCHANGE",)
_NEW_STATUSES = ("AWAITING_RESHIP", "RESHIPPED", "EXCHANGED", "ESCALATED", "CLOSED")
_NEW_ACTIONS = (
    "CONFIRM_EXCHANGE_RETURN",
    "SHIP_REPLACEMENT",
    "CONFIRM_REPLACEMENT",
    "ESCALATE",
    "SUPPORT_BUYER_REFUND",
    "SUPPORT_BUYER_RETURN",
    "SUPPORT_STORE",
)
_ACTOR_TYPES = ("CUSTOMER", "STAFF", "HQ", "SYSTEM", "PAYMENT")


def _checks(new: bool) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """Per table, per CHECK name: (column, allowed values) before or after this revision."""
    types = _TYPES + (_NEW_TYPES if new else ())
    statuses = _STATUSES + (_NEW_STATUSES if new else ())
    actions = _ACTIONS + (_NEW_ACTIONS if new else ())
    return {
        "after_sales": {
            "ck_after_sales_after_sale_type": ("type", types),
            "ck_after_sales_after_sale_status": ("status", statuses),
        },
        "after_sale_events": {
            "ck_after_sale_events_after_sale_action": ("action", actions),
            "ck_after_sale_events_from_status": ("from_status", statuses),
            "ck_after_sale_events_to_status": ("to_status", statuses),
        },
    }


def _set_checks(table: str, checks: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for name, (column, values) in checks.items():
            op.drop_constraint(op.f(name), table, type_="check")
            op.create_check_constraint(op.f(name), table, sa.column(column).in_(values))
        return
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    ).scalar_one()
    for name, (column, values) in checks.items():
        listed = ", ".join(f"'{v}'" for v in values)
        sql, count = re.subn(
            rf"CONSTRAINT {name} CHECK \({column} IN \([^)]*\)\)",
            f"CONSTRAINT {name} CHECK ({column} IN ({listed}))",
            sql,
        )
        assert count == 1, f"{name} not found in {table}"
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
        {"sql": sql, "t": table},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(len(v) for v in values) + 8
    )


def upgrade() -> None:
    for table, checks in _checks(new=True).items():
        _set_checks(table, checks)
    op.add_column("after_sales", sa.Column("replacement_carrier", sa.String(length=32), nullable=True))
    op.add_column("after_sales", sa.Column("replacement_tracking_no", sa.String(length=40), nullable=True))
    op.add_column("after_sales", sa.Column("replacement_shipped_at", _AT, nullable=True))
    op.create_table(
        "after_sale_replacements",
        sa.Column("after_sale_id", _ID, nullable=False),
        sa.Column("order_line_id", _ID, nullable=False),
        sa.Column("sku_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["after_sale_id"],
            ["after_sales.id"],
            name=op.f("fk_after_sale_replacements_after_sale_id_after_sales"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_after_sale_replacements_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_after_sale_replacements_sku_id_skus")),
        sa.PrimaryKeyConstraint("after_sale_id", "order_line_id", name=op.f("pk_after_sale_replacements")),
    )
    statuses = _STATUSES + _NEW_STATUSES
    op.create_table(
        "after_sale_escalations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("after_sale_id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("store_id", _ID, nullable=True),
        sa.Column(
            "state",
            _enum("escalation_state", "PENDING", "BUYER_SUPPORTED", "STORE_SUPPORTED", "WITHDRAWN"),
            nullable=False,
        ),
        sa.Column("from_status", _enum("escalated_from", *statuses), nullable=False),
        sa.Column("raised_by_type", _enum("escalation_raised_by", *_ACTOR_TYPES), nullable=False),
        sa.Column("raised_by_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=True),
        sa.Column("verdict_note", sa.String(length=200), nullable=True),
        sa.Column("decided_by_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("decided_at", _AT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["after_sale_id"],
            ["after_sales.id"],
            name=op.f("fk_after_sale_escalations_after_sale_id_after_sales"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_after_sale_escalations_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_after_sale_escalations_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sale_escalations")),
        sa.UniqueConstraint("after_sale_id", name=op.f("uq_after_sale_escalations_after_sale_id")),
    )
    op.create_index("ix_after_sale_escalations_order_id", "after_sale_escalations", ["order_id"])
    op.create_index(
        "ix_after_sale_escalations_state_created", "after_sale_escalations", ["state", "created_at"]
    )
    op.create_index("ix_after_sale_escalations_store_state", "after_sale_escalations", ["store_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_after_sale_escalations_store_state", table_name="after_sale_escalations")
    op.drop_index("ix_after_sale_escalations_state_created", table_name="after_sale_escalations")
    op.drop_index("ix_after_sale_escalations_order_id", table_name="after_sale_escalations")
    op.drop_table("after_sale_escalations")
    op.drop_table("after_sale_replacements")
    for column in ("replacement_shipped_at", "replacement_tracking_no", "replacement_carrier"):
        op.drop_column("after_sales", column)
    # Rows of the new kinds and states have no meaning before this revision.
    new_types = ", ".join(f"'{v}'" for v in _NEW_TYPES)
    new_statuses = ", ".join(f"'{v}'" for v in _NEW_STATUSES)
    op.execute(sa.text(f"DELETE FROM after_sales WHERE type IN ({new_types}) OR status IN ({new_statuses})"))
    new_actions = ", ".join(f"'{v}'" for v in _NEW_ACTIONS)
    op.execute(
        sa.text(
            f"DELETE FROM after_sale_events WHERE action IN ({new_actions}) "
            f"OR from_status IN ({new_statuses}) OR to_status IN ({new_statuses})"
        )
    )
    for table, checks in _checks(new=False).items():
        _set_checks(table, checks)
