"""O2O store delivery: stages, promised time, riders and the courier webhook's nonces

`orders` gets `delivery_stage` (PICKING … DELIVERED), `picked_at`, `rider_assigned_at`,
`delivered_at` and `promised_at`, with an index for the stage/promise queues; `stores` gets
`delivery_minutes` (the promised delivery time, default 45). New tables: `deliveries` (the rider of
a store-delivery order: 自配 or a courier platform's dispatch) and `webhook_nonces` (replay guard).
`order_events.action` takes the five delivery actions (its CHECK constraint is replaced; the
column's length already fits them). `metrics_order_hours` gets `delivery_timeouts` (超时配送); its
rows are refreshed by the rollup sweep like any other figure. `delivery_alerts`: an order's entry
into the 催单 / 配送异常 queues, raised once by the sweeper.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = models.base.UtcDateTime(timezone=True)
_STAGES = ("PICKING", "PICKED", "RIDER_ASSIGNED", "DELIVERING", "DELIVERED")
_ACTIONS_BEFORE = (
    "PAY",
    "PAY_GROUP_BUY",
    "CANCEL",
    "PAYMENT_TIMEOUT",
    "TEAM_SUCCEEDED",
    "TEAM_FAILED",
    "ACCEPT_PICKUP",
    "ACCEPT_SHIP",
    "REJECT",
    "ACCEPTANCE_TIMEOUT",
    "REALLOCATE",
    "SHIP_PARTIAL",
    "SHIP",
    "CONFIRM_RECEIPT",
    "AUTO_COMPLETE",
    "VERIFY_PICKUP",
    "CLOSE",
)
_DELIVERY_ACTIONS = ("FINISH_PICKING", "ASSIGN_RIDER", "UNASSIGN_RIDER", "RIDER_PICKUP", "DELIVER")
_ACTION_CHECK = "ck_order_events_order_action"
_ORDER_COLUMNS = ("picked_at", "rider_assigned_at", "delivered_at", "promised_at")


def _replace_action_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("order_events") as batch:
        batch.drop_constraint(op.f(_ACTION_CHECK), type_="check")
        batch.create_check_constraint(op.f(_ACTION_CHECK), sa.column("action").in_(values))


def upgrade() -> None:
    op.add_column("orders", sa.Column("delivery_stage", sa.String(length=22), nullable=True))
    for name in _ORDER_COLUMNS:
        op.add_column("orders", sa.Column(name, _AT, nullable=True))
    op.add_column(
        "stores", sa.Column("delivery_minutes", sa.Integer(), server_default=sa.text("45"), nullable=False)
    )
    if op.get_bind().dialect.name != "sqlite":  # SQLite cannot add a CHECK to an existing table
        op.create_check_constraint(
            op.f("ck_orders_delivery_stage"), "orders", sa.column("delivery_stage").in_(_STAGES)
        )
        op.create_check_constraint(
            op.f("ck_stores_delivery_minutes_range"),
            "stores",
            "delivery_minutes > 0 AND delivery_minutes <= 1440",
        )
    op.create_index("ix_orders_stage_promised", "orders", ["delivery_stage", "promised_at"])
    op.create_table(
        "deliveries",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "STORE", "PLATFORM", name="rider_source", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("rider_name", sa.String(length=64), nullable=True),
        sa.Column("rider_phone", sa.String(length=20), nullable=True),
        sa.Column("requested_at", _AT, nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("position_at", _AT, nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_deliveries_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_platform_external", "deliveries", ["platform", "external_id"], unique=True)
    op.create_index("ix_deliveries_requested_at", "deliveries", ["requested_at"])
    op.create_table(
        "webhook_nonces",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("source", "nonce", name=op.f("pk_webhook_nonces")),
    )
    op.create_index("ix_webhook_nonces_received_at", "webhook_nonces", ["received_at"])
    op.create_table(
        "delivery_alerts",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column(
            "queue",
            sa.Enum("OVERDUE", "NO_RIDER", name="delivery_queue", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("raised_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_delivery_alerts_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", "queue", name=op.f("pk_delivery_alerts")),
    )
    op.create_index("ix_delivery_alerts_raised_at", "delivery_alerts", ["raised_at"])
    _replace_action_check((*_ACTIONS_BEFORE, *_DELIVERY_ACTIONS))
    op.add_column(
        "metrics_order_hours",
        sa.Column(
            "delivery_timeouts",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=sa.text("0"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("metrics_order_hours", "delivery_timeouts")
    op.execute(
        sa.text(
            "DELETE FROM order_events WHERE action IN "
            "('FINISH_PICKING', 'ASSIGN_RIDER', 'UNASSIGN_RIDER', 'RIDER_PICKUP', 'DELIVER')"
        )
    )
    _replace_action_check(_ACTIONS_BEFORE)
    op.drop_index("ix_delivery_alerts_raised_at", table_name="delivery_alerts")
    op.drop_table("delivery_alerts")
    op.drop_index("ix_webhook_nonces_received_at", table_name="webhook_nonces")
    op.drop_table("webhook_nonces")
    op.drop_index("ix_deliveries_requested_at", table_name="deliveries")
    op.drop_index("ix_deliveries_platform_external", table_name="deliveries")
    op.drop_table("deliveries")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_stores_delivery_minutes_range"), "stores", type_="check")
        op.drop_constraint(op.f("ck_orders_delivery_stage"), "orders", type_="check")
    op.drop_index("ix_orders_stage_promised", table_name="orders")
    op.drop_column("stores", "delivery_minutes")
    for name in (*_ORDER_COLUMNS, "delivery_stage"):
        op.drop_column("orders", name)
