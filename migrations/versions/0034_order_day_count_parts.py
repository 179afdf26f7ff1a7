"""order counts per (basis, local day, store, status): the parts, the zone's offsets, the triggers

Time-range counts (`paid:>=…` status tabs, `totalCount`) scanned every order of the range;
`order_day_count_parts` (models/orders/day_counts.py) lets them sum whole local days' parts and
count only the partial first and last days. The triggers mirror those of 0008 for
`order_count_parts`, on both dialects, and also follow changes of `created_at` and `paid_at`.

The zone is this migration's parameter: the configured `TIMEZONE` (gql.settings). The triggers
read the local day's offset from `order_day_offsets` (one row per period of constant offset,
computed with zoneinfo here), so they hold no zone themselves; `mallgraph recount-orders
--repair` and the sweep rebuild offsets and parts together for another zone. Both tables are
filled from the orders already there in the same transaction as the triggers.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

POSTGRES_DAY = """
    CREATE FUNCTION order_local_day(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
        SELECT ((at AT TIME ZONE 'UTC') + make_interval(secs => o.offset_seconds))::date
        FROM order_day_offsets o WHERE o.starts_at <= at ORDER BY o.starts_at DESC LIMIT 1
    $$
"""

_PG_COUNTED = """
    INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
    SELECT basis, day, store_id, status, {sign}count(*) FROM (
        SELECT 'created' AS basis, order_local_day(created_at) AS day, store_id, status FROM {rows}
        UNION ALL
        SELECT 'paid', order_local_day(paid_at), store_id, status FROM {rows} WHERE paid_at IS NOT NULL
    ) t WHERE day IS NOT NULL GROUP BY basis, day, store_id, status;
"""

POSTGRES_UP = [
    POSTGRES_DAY,
    f"""
    CREATE FUNCTION order_day_count_parts_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_PG_COUNTED.format(sign="", rows="added")}
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION order_day_count_parts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_PG_COUNTED.format(sign="-", rows="removed")}
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_day_count_parts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        moved boolean := OLD.status IS DISTINCT FROM NEW.status OR OLD.store_id IS DISTINCT FROM NEW.store_id;
        created boolean := moved OR OLD.created_at IS DISTINCT FROM NEW.created_at;
        paid boolean := moved OR OLD.paid_at IS DISTINCT FROM NEW.paid_at;
    BEGIN
        INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
        SELECT p.basis, p.day, p.store_id, p.status, p.n FROM (VALUES
            ('created', order_local_day(OLD.created_at), OLD.store_id, OLD.status, -1, created),
            ('created', order_local_day(NEW.created_at), NEW.store_id, NEW.status, 1, created),
            ('paid', order_local_day(OLD.paid_at), OLD.store_id, OLD.status, -1, paid),
            ('paid', order_local_day(NEW.paid_at), NEW.store_id, NEW.status, 1, paid)
        ) AS p(basis, day, store_id, status, n, wanted)
        WHERE p.wanted AND p.day IS NOT NULL;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_day_count_parts_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM order_day_count_parts;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orders_day_count_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION order_day_count_parts_added()
    """,
    """
    CREATE TRIGGER orders_day_count_removed AFTER DELETE ON orders
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION order_day_count_parts_removed()
    """,
    """
    CREATE TRIGGER orders_day_count_moved AFTER UPDATE OF status, store_id, created_at, paid_at ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.store_id IS DISTINCT FROM NEW.store_id
        OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.paid_at IS DISTINCT FROM NEW.paid_at)
    EXECUTE FUNCTION order_day_count_parts_moved()
    """,
    """
    CREATE TRIGGER orders_day_count_emptied AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION order_day_count_parts_emptied()
    """,
]

POSTGRES_DOWN = [
    "DROP TRIGGER orders_day_count_emptied ON orders",
    "DROP TRIGGER orders_day_count_moved ON orders",
    "DROP TRIGGER orders_day_count_removed ON orders",
    "DROP TRIGGER orders_day_count_added ON orders",
    "DROP FUNCTION order_day_count_parts_emptied()",
    "DROP FUNCTION order_day_count_parts_moved()",
    "DROP FUNCTION order_day_count_parts_removed()",
    "DROP FUNCTION order_day_count_parts_added()",
    "DROP FUNCTION order_local_day(timestamptz)",
]


def sqlite_day(at: str) -> str:
    """SQLite: the local date (text) of the stored UTC time `at`, NULL when it is NULL or before
    the offsets (or none are stored). The fraction of a second is cut off first: SQLite's date
    functions round it to milliseconds (23:59:59.9999995 would be the next day), and offsets and
    their changes are whole seconds."""
    return (
        f"(SELECT date(substr({at}, 1, 19), o.offset_seconds || ' seconds') FROM order_day_offsets o "
        f"WHERE o.starts_at <= {at} ORDER BY o.starts_at DESC LIMIT 1)"
    )


SQLITE_UP = [
    f"""
    CREATE TRIGGER orders_day_count_added AFTER INSERT ON orders BEGIN
        INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
        SELECT basis, day, NEW.store_id, NEW.status, 1 FROM (
            SELECT 'created' AS basis, {sqlite_day("NEW.created_at")} AS day
            UNION ALL SELECT 'paid', {sqlite_day("NEW.paid_at")}
        ) WHERE day IS NOT NULL;
    END
    """,
    f"""
    CREATE TRIGGER orders_day_count_removed AFTER DELETE ON orders BEGIN
        INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
        SELECT basis, day, OLD.store_id, OLD.status, -1 FROM (
            SELECT 'created' AS basis, {sqlite_day("OLD.created_at")} AS day
            UNION ALL SELECT 'paid', {sqlite_day("OLD.paid_at")}
        ) WHERE day IS NOT NULL;
    END
    """,
    f"""
    CREATE TRIGGER orders_day_count_moved AFTER UPDATE OF status, store_id, created_at, paid_at ON orders
    WHEN OLD.status IS NOT NEW.status OR OLD.store_id IS NOT NEW.store_id
        OR OLD.created_at IS NOT NEW.created_at OR OLD.paid_at IS NOT NEW.paid_at BEGIN
        INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
        SELECT basis, day, store_id, status, n FROM (
            SELECT 'created' AS basis, {sqlite_day("OLD.created_at")} AS day,
                OLD.store_id AS store_id, OLD.status AS status, -1 AS n, OLD.created_at IS NOT NEW.created_at AS own
            UNION ALL SELECT 'created', {sqlite_day("NEW.created_at")}, NEW.store_id, NEW.status, 1,
                OLD.created_at IS NOT NEW.created_at
            UNION ALL SELECT 'paid', {sqlite_day("OLD.paid_at")}, OLD.store_id, OLD.status, -1,
                OLD.paid_at IS NOT NEW.paid_at
            UNION ALL SELECT 'paid', {sqlite_day("NEW.paid_at")}, NEW.store_id, NEW.status, 1,
                OLD.paid_at IS NOT NEW.paid_at
        ) WHERE day IS NOT NULL
            AND (own OR OLD.status IS NOT NEW.status OR OLD.store_id IS NOT NEW.store_id);
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER orders_day_count_moved",
    "DROP TRIGGER orders_day_count_removed",
    "DROP TRIGGER orders_day_count_added",
]


def fill_statement(postgres: bool) -> str:
    """Parts from the orders already there: one per (basis, day, store, status)."""
    def day(at: str) -> str:
        return f"order_local_day({at})" if postgres else sqlite_day(at)

    return f"""
    INSERT INTO order_day_count_parts (basis, day, store_id, status, n)
    SELECT basis, day, store_id, status, count(*) FROM (
        SELECT 'created' AS basis, {day("created_at")} AS day, store_id, status FROM orders
        UNION ALL
        SELECT 'paid', {day("paid_at")}, store_id, status FROM orders WHERE paid_at IS NOT NULL
    ) t WHERE day IS NOT NULL GROUP BY basis, day, store_id, status
    """


def _zone() -> ZoneInfo:
    from gql.settings import get_settings

    return get_settings().zone


def upgrade() -> None:
    from models.orders.day_counts import name_of, zone_offsets

    offsets = op.create_table(
        "order_day_offsets",
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("starts_at", name=op.f("pk_order_day_offsets")),
    )
    op.create_table(
        "order_day_count_parts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_day_count_parts")),
    )
    with op.batch_alter_table("order_day_count_parts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_day_count_parts_basis_day",
            ["basis", "day", "status", "store_id"],
            unique=False,
            postgresql_include=["n"],
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # No order may be written between the first fill and the triggers' first part.
        op.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    zone = _zone()
    rows = [
        # SQLite stores naive UTC (models.base.UtcDateTime), PostgreSQL timestamptz
        {"starts_at": at if postgres else at.replace(tzinfo=None), "offset_seconds": s, "zone": name_of(zone)}
        for at, s in zone_offsets(zone)
    ]
    op.bulk_insert(offsets, rows)
    op.execute(fill_statement(postgres))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("order_day_count_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_order_day_count_parts_basis_day")
    op.drop_table("order_day_count_parts")
    op.drop_table("order_day_offsets")
