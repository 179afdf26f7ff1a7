"""order lines carry their order's moments; order days count late deliveries

- `order_lines` gets `order_created_at` and `order_paid_at`, copies of its order's `created_at`
  and `paid_at` kept by triggers on both dialects: a line takes its order's values when it is
  inserted (or when anything writes those two columns or its `order_id`), and an update of an
  order's `created_at` or `paid_at` copies them to its lines, whatever code path writes them
  (payment, group-buy payment, manual fixes). An aggregate of lines over a time window then reads
  the window's lines from an index instead of every line joined to the window's orders. The
  existing lines are filled in the same transaction, the tables locked against writes meanwhile.
- PostgreSQL: two covering indexes of lines by those moments, INCLUDE (order_id, product_id,
  quantity, paid_amount), the columns a line aggregate without a filter reads; none of them
  changes after the line is written. SQLite needs no index at its sizes.
- `metrics_order_days` gets `delivery_timeouts` (超时配送), as `metrics_order_hours` has it. The
  day rows are the hour rows summed per local day, so the new column is filled from the hour rows
  in the zone the rollups were built with (`metrics_rollup_state`): no rebuild. Should that zone
  be unknown here, the orders group's state row is removed and the next refresh rebuilds it.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 08:30:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

import models.base
from models.date_ranges import local_day_start

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_STORES = -1
LINE_FACTS = "order_id, product_id, quantity, paid_amount"
INDEXES = {
    "ix_order_lines_created_facts": f"order_lines (order_created_at) INCLUDE ({LINE_FACTS})",
    "ix_order_lines_paid_facts": f"order_lines (order_paid_at) INCLUDE ({LINE_FACTS})",
}

POSTGRES_UP = [
    """
    CREATE FUNCTION order_lines_take_order_moments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT o.created_at, o.paid_at INTO NEW.order_created_at, NEW.order_paid_at
        FROM orders o WHERE o.id = NEW.order_id;
        RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION orders_moments_to_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE order_lines SET order_created_at = NEW.created_at, order_paid_at = NEW.paid_at
        WHERE order_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER order_lines_moments BEFORE INSERT OR UPDATE OF order_id, order_created_at,
    order_paid_at ON order_lines FOR EACH ROW EXECUTE FUNCTION order_lines_take_order_moments()
    """,
    """
    CREATE TRIGGER orders_moments_to_lines AFTER UPDATE OF created_at, paid_at ON orders FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.paid_at IS DISTINCT FROM NEW.paid_at)
    EXECUTE FUNCTION orders_moments_to_lines()
    """,
]

POSTGRES_DOWN = [
    "DROP TRIGGER orders_moments_to_lines ON orders",
    "DROP TRIGGER order_lines_moments ON order_lines",
    "DROP FUNCTION orders_moments_to_lines()",
    "DROP FUNCTION order_lines_take_order_moments()",
]

_SQLITE_TAKE = """
        UPDATE order_lines SET
            order_created_at = (SELECT created_at FROM orders WHERE id = NEW.order_id),
            order_paid_at = (SELECT paid_at FROM orders WHERE id = NEW.order_id)
        WHERE id = NEW.id;
"""

# SQLite's row triggers run after the row is written; recursive triggers are off, so a trigger's
# own UPDATE of order_lines does not fire it again.
SQLITE_UP = [
    f"CREATE TRIGGER order_lines_moments AFTER INSERT ON order_lines BEGIN {_SQLITE_TAKE} END",
    f"""
    CREATE TRIGGER order_lines_moments_kept AFTER UPDATE OF order_id, order_created_at, order_paid_at
    ON order_lines BEGIN {_SQLITE_TAKE} END
    """,
    """
    CREATE TRIGGER orders_moments_to_lines AFTER UPDATE OF created_at, paid_at ON orders
    WHEN OLD.created_at IS NOT NEW.created_at OR OLD.paid_at IS NOT NEW.paid_at BEGIN
        UPDATE order_lines SET order_created_at = NEW.created_at, order_paid_at = NEW.paid_at
        WHERE order_id = NEW.id;
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER orders_moments_to_lines",
    "DROP TRIGGER order_lines_moments_kept",
    "DROP TRIGGER order_lines_moments",
]

FILL_POSTGRES = """
    UPDATE order_lines l SET order_created_at = o.created_at, order_paid_at = o.paid_at
    FROM orders o WHERE o.id = l.order_id
"""
FILL_SQLITE = """
    UPDATE order_lines SET
        order_created_at = (SELECT created_at FROM orders WHERE orders.id = order_lines.order_id),
        order_paid_at = (SELECT paid_at FROM orders WHERE orders.id = order_lines.order_id)
"""

_AT = models.base.UtcDateTime(timezone=True)
_hours = sa.table(
    "metrics_order_hours",
    sa.column("bucket_start", _AT),
    sa.column("store_id", sa.BigInteger()),
    sa.column("delivery_timeouts", sa.BigInteger()),
)
_days = sa.table(
    "metrics_order_days",
    sa.column("day_start", _AT),
    sa.column("store_id", sa.BigInteger()),
    sa.column("delivery_timeouts", sa.BigInteger()),
)
_state = sa.table("metrics_rollup_state", sa.column("name", sa.String()), sa.column("zone", sa.String()))


def _fill_day_timeouts() -> None:
    """Day rows' delivery_timeouts = their local day's hour rows summed (all-stores rows: every store)."""
    bind = op.get_bind()
    zone_key = bind.scalar(sa.select(_state.c.zone).where(_state.c.name == "orders"))
    if zone_key is None:
        return  # never built: the first refresh builds the days with the column
    try:
        zone = ZoneInfo(zone_key)
    except (ZoneInfoNotFoundError, ValueError):
        op.execute(_state.delete().where(_state.c.name == "orders"))
        return
    sums: defaultdict[tuple[datetime, int], int] = defaultdict(int)
    late = sa.select(_hours.c.bucket_start, _hours.c.store_id, _hours.c.delivery_timeouts).where(
        _hours.c.delivery_timeouts > 0
    )
    for start, store_id, n in bind.execute(late):
        day = local_day_start(start, zone)
        sums[(day, store_id)] += n
        sums[(day, ALL_STORES)] += n
    if sums:
        update = (
            _days.update()
            .where(_days.c.day_start == sa.bindparam("day"), _days.c.store_id == sa.bindparam("store"))
            .values(delivery_timeouts=sa.bindparam("n"))
        )
        bind.execute(update, [{"day": d, "store": s, "n": n} for (d, s), n in sums.items()])


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("metrics_order_days", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_timeouts",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
    _fill_day_timeouts()
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_created_at", _AT, nullable=True))
        batch_op.add_column(sa.Column("order_paid_at", _AT, nullable=True))
    if postgres:
        # No order or line may be written between the fill and the triggers.
        op.execute("LOCK TABLE orders, order_lines IN SHARE ROW EXCLUSIVE MODE")
    op.execute(FILL_POSTGRES if postgres else FILL_SQLITE)
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    if postgres:
        for name, definition in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {definition}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for name in INDEXES:
            op.execute(f"DROP INDEX {name}")
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    # ALTER TABLE … DROP COLUMN on SQLite too (3.35+): a batch copy of order_lines would drop the
    # triggers of migration 0015 with the old table.
    for table, column in (
        ("order_lines", "order_paid_at"),
        ("order_lines", "order_created_at"),
        ("metrics_order_days", "delivery_timeouts"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
