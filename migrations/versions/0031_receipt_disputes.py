"""客服介入 on a refused return (拒绝收货): two verdict actions

HQ supporting the buyer in a receipt dispute counts the goods as received: a return-and-refund
is refunded (SUPPORT_BUYER_RECEIVED), an exchange owes the replacement (SUPPORT_BUYER_RESHIP).
Only the CHECK on `after_sale_events.action` changes; on SQLite its text is edited in the schema
(as 0023 does) rather than rebuilding the table.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 09:40:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "after_sale_events"
_CHECK = "ck_after_sale_events_after_sale_action"
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
    "CONFIRM_EXCHANGE_RETURN",
    "SHIP_REPLACEMENT",
    "CONFIRM_REPLACEMENT",
    "ESCALATE",
    "SUPPORT_BUYER_REFUND",
    "SUPPORT_BUYER_RETURN",
    "SUPPORT_STORE",
)
_NEW_ACTIONS = ("SUPPORT_BUYER_RECEIVED", "SUPPORT_BUYER_RESHIP")


def _set_actions(values: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(_CHECK), _TABLE, type_="check")
        op.create_check_constraint(op.f(_CHECK), _TABLE, sa.column("action").in_(values))
        return
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": _TABLE}
    ).scalar_one()
    listed = ", ".join(f"'{v}'" for v in values)
    sql, count = re.subn(
        rf"CONSTRAINT {_CHECK} CHECK \(action IN \([^)]*\)\)", f"CONSTRAINT {_CHECK} CHECK (action IN ({listed}))", sql
    )
    assert count == 1, f"{_CHECK} not found"
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"), {"sql": sql, "t": _TABLE}
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _set_actions(_ACTIONS + _NEW_ACTIONS)


def downgrade() -> None:
    # Events of the new verdicts have no meaning before this revision.
    new_actions = ", ".join(f"'{v}'" for v in _NEW_ACTIONS)
    op.execute(sa.text(f"DELETE FROM after_sale_events WHERE action IN ({new_actions})"))
    _set_actions(_ACTIONS)
