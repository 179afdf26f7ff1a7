"""status tabs of text terms: lines carry their order's status; a dictionary of consignee names

The status tabs of a product term or a bare word counted the matching orders per status, reading
each match's order for its status. This adds what lets the count read indexes only:

- Both dialects: `order_lines.order_status`, a copy of its order's `status` kept by the triggers
  of migration 0029, extended: a line takes its order's status with its moments when it is
  inserted (or when anything writes those columns or its `order_id`), and an update of an order's
  `status` copies it to its lines with the moments, whatever code path writes it. The existing
  lines are filled in the same transaction, the tables locked against writes meanwhile.
- Both dialects: `order_consignee_names`, every consignee name any order holds (or held), filled
  by triggers on `orders`, none ever removed: a superset of the orders' names, as
  `order_line_names` is of the lines' product names.
- PostgreSQL: a GIN index of the names' grams (`search_grams`, migration 0015), and b-trees of
  orders by `(consignee_name, status, id)` and of lines by `(product_name, order_status,
  order_id)`: a term's matching names come from the dictionaries, then its (order, status) pairs
  from those indexes alone. SQLite needs no index at its sizes. (The lines' index is built in the
  transaction that filled the column: PostgreSQL uses it once every transaction older than the
  migration has ended.)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_order_consignee_names_grams": "order_consignee_names USING gin (search_grams(consignee_name))",
    "ix_orders_consignee_status": "orders (consignee_name, status, id)",
    "ix_order_lines_name_status": "order_lines (product_name, order_status, order_id)",
}


def _postgres_moments(status: bool) -> list[str]:
    """0029's triggers copying an order's moments to its lines, with its status when `status`."""
    take = ", o.status" if status else ""
    into = ", NEW.order_status" if status else ""
    copy = ", order_status = NEW.status" if status else ""
    line_columns = ", order_status" if status else ""
    order_columns = ", status" if status else ""
    changed = " OR OLD.status IS DISTINCT FROM NEW.status" if status else ""
    return [
        f"""
        CREATE OR REPLACE FUNCTION order_lines_take_order_moments() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            SELECT o.created_at, o.paid_at{take} INTO NEW.order_created_at, NEW.order_paid_at{into}
            FROM orders o WHERE o.id = NEW.order_id;
            RETURN NEW;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION orders_moments_to_lines() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE order_lines SET order_created_at = NEW.created_at, order_paid_at = NEW.paid_at{copy}
            WHERE order_id = NEW.id;
            RETURN NULL;
        END $$
        """,
        "DROP TRIGGER order_lines_moments ON order_lines",
        f"""
        CREATE TRIGGER order_lines_moments BEFORE INSERT OR UPDATE OF order_id, order_created_at,
        order_paid_at{line_columns} ON order_lines FOR EACH ROW
        EXECUTE FUNCTION order_lines_take_order_moments()
        """,
        "DROP TRIGGER orders_moments_to_lines ON orders",
        f"""
        CREATE TRIGGER orders_moments_to_lines AFTER UPDATE OF created_at, paid_at{order_columns}
        ON orders FOR EACH ROW
        WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at
              OR OLD.paid_at IS DISTINCT FROM NEW.paid_at{changed})
        EXECUTE FUNCTION orders_moments_to_lines()
        """,
    ]


POSTGRES_NAMES_UP = [
    """
    CREATE FUNCTION order_consignee_names_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_consignee_names (consignee_name)
        SELECT DISTINCT consignee_name FROM added ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_consignee_names_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_consignee_names (consignee_name)
        VALUES (NEW.consignee_name) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orders_consignee_names_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION order_consignee_names_added()
    """,
    """
    CREATE TRIGGER orders_consignee_names_renamed AFTER UPDATE OF consignee_name ON orders
    FOR EACH ROW WHEN (OLD.consignee_name IS DISTINCT FROM NEW.consignee_name)
    EXECUTE FUNCTION order_consignee_names_renamed()
    """,
]

POSTGRES_NAMES_DOWN = [
    "DROP TRIGGER orders_consignee_names_renamed ON orders",
    "DROP TRIGGER orders_consignee_names_added ON orders",
    "DROP FUNCTION order_consignee_names_renamed()",
    "DROP FUNCTION order_consignee_names_added()",
]


def _sqlite_moments(status: bool) -> list[str]:
    """0029's SQLite triggers, with the status when `status` (row triggers run after the write;
    recursive triggers are off, so a trigger's own UPDATE of order_lines does not fire it again)."""
    take_status = ", order_status = (SELECT status FROM orders WHERE id = NEW.order_id)" if status else ""
    take = f"""
        UPDATE order_lines SET
            order_created_at = (SELECT created_at FROM orders WHERE id = NEW.order_id),
            order_paid_at = (SELECT paid_at FROM orders WHERE id = NEW.order_id){take_status}
        WHERE id = NEW.id;
    """
    line_columns = ", order_status" if status else ""
    order_columns = ", status" if status else ""
    changed = " OR OLD.status IS NOT NEW.status" if status else ""
    copy = ", order_status = NEW.status" if status else ""
    return [
        "DROP TRIGGER orders_moments_to_lines",
        "DROP TRIGGER order_lines_moments_kept",
        "DROP TRIGGER order_lines_moments",
        f"CREATE TRIGGER order_lines_moments AFTER INSERT ON order_lines BEGIN {take} END",
        f"""
        CREATE TRIGGER order_lines_moments_kept AFTER UPDATE OF order_id, order_created_at,
        order_paid_at{line_columns} ON order_lines BEGIN {take} END
        """,
        f"""
        CREATE TRIGGER orders_moments_to_lines AFTER UPDATE OF created_at, paid_at{order_columns}
        ON orders WHEN OLD.created_at IS NOT NEW.created_at OR OLD.paid_at IS NOT NEW.paid_at{changed}
        BEGIN
            UPDATE order_lines SET order_created_at = NEW.created_at, order_paid_at = NEW.paid_at{copy}
            WHERE order_id = NEW.id;
        END
        """,
    ]


SQLITE_NAMES_UP = [
    """
    CREATE TRIGGER orders_consignee_names_added AFTER INSERT ON orders BEGIN
        INSERT OR IGNORE INTO order_consignee_names (consignee_name) VALUES (NEW.consignee_name);
    END
    """,
    """
    CREATE TRIGGER orders_consignee_names_renamed AFTER UPDATE OF consignee_name ON orders BEGIN
        INSERT OR IGNORE INTO order_consignee_names (consignee_name) VALUES (NEW.consignee_name);
    END
    """,
]

SQLITE_NAMES_DOWN = [
    "DROP TRIGGER orders_consignee_names_renamed",
    "DROP TRIGGER orders_consignee_names_added",
]

FILL_SQLITE = (
    "UPDATE order_lines SET order_status = (SELECT status FROM orders WHERE orders.id = order_lines.order_id)"
)
FILL_POSTGRES = FILL_SQLITE
"""A subquery per line, not a join: the lines are rewritten in their physical order, so they stay
laid out by order id (a join's hash order would scatter them, and the facts' nested loops over
`order_lines (order_id)` would turn into scans of the whole table)."""
FILL_NAMES = "INSERT INTO order_consignee_names (consignee_name) SELECT DISTINCT consignee_name FROM orders"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "order_consignee_names",
        sa.Column("consignee_name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("consignee_name", name=op.f("pk_order_consignee_names")),
    )
    # ALTER TABLE … ADD COLUMN on SQLite too: a batch copy of order_lines would drop its triggers.
    op.add_column("order_lines", sa.Column("order_status", sa.String(length=32), nullable=True))
    if postgres:
        # No order or line may be written between the fills and the triggers.
        op.execute("LOCK TABLE orders, order_lines IN SHARE ROW EXCLUSIVE MODE")
    op.execute(FILL_POSTGRES if postgres else FILL_SQLITE)
    op.execute(FILL_NAMES)
    statements = (
        [*_postgres_moments(True), *POSTGRES_NAMES_UP]
        if postgres
        else [*_sqlite_moments(True), *SQLITE_NAMES_UP]
    )
    for statement in statements:
        op.execute(statement)
    if postgres:
        for name, definition in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {definition}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for name in INDEXES:
            op.execute(f"DROP INDEX {name}")
    statements = (
        [*POSTGRES_NAMES_DOWN, *_postgres_moments(False)]
        if postgres
        else [*SQLITE_NAMES_DOWN, *_sqlite_moments(False)]
    )
    for statement in statements:
        op.execute(statement)
    op.execute("ALTER TABLE order_lines DROP COLUMN order_status")
    op.drop_table("order_consignee_names")
