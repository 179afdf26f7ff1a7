"""order counts per (store, status): the parts table, the triggers that keep it, and its first fill

The admin list's `totalCount` and the status tabs counted every matching order on every request;
`order_count_parts` (models/orders/counts.py) lets a count by status and store sum a few hundred
rows instead. The triggers append a part in every transaction that inserts, deletes or moves an
order between statuses or stores, so the parts stay exact whatever writes the orders. The table is
filled from the orders already there, one part per pair, in the same transaction as the triggers.

PostgreSQL counts a statement's inserted or deleted rows once per statement (transition tables:
the generator's bulk inserts add one part per pair, not per order) and a status or store change per
row, only when one of the two changed. A TRUNCATE of orders empties the parts. SQLite has no
statement triggers; its row triggers do the same.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

POSTGRES_UP = [
    """
    CREATE FUNCTION order_count_parts_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_count_parts (store_id, status, n)
        SELECT store_id, status, count(*) FROM added GROUP BY store_id, status;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_count_parts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_count_parts (store_id, status, n)
        SELECT store_id, status, -count(*) FROM removed GROUP BY store_id, status;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_count_parts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_count_parts (store_id, status, n)
        VALUES (OLD.store_id, OLD.status, -1), (NEW.store_id, NEW.status, 1);
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_count_parts_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM order_count_parts;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orders_count_added AFTER INSERT ON orders
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION order_count_parts_added()
    """,
    """
    CREATE TRIGGER orders_count_removed AFTER DELETE ON orders
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION order_count_parts_removed()
    """,
    """
    CREATE TRIGGER orders_count_moved AFTER UPDATE OF status, store_id ON orders FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.store_id IS DISTINCT FROM NEW.store_id)
    EXECUTE FUNCTION order_count_parts_moved()
    """,
    """
    CREATE TRIGGER orders_count_emptied AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION order_count_parts_emptied()
    """,
]

POSTGRES_DOWN = [
    "DROP TRIGGER orders_count_emptied ON orders",
    "DROP TRIGGER orders_count_moved ON orders",
    "DROP TRIGGER orders_count_removed ON orders",
    "DROP TRIGGER orders_count_added ON orders",
    "DROP FUNCTION order_count_parts_emptied()",
    "DROP FUNCTION order_count_parts_moved()",
    "DROP FUNCTION order_count_parts_removed()",
    "DROP FUNCTION order_count_parts_added()",
]

SQLITE_UP = [
    """
    CREATE TRIGGER orders_count_added AFTER INSERT ON orders BEGIN
        INSERT INTO order_count_parts (store_id, status, n) VALUES (NEW.store_id, NEW.status, 1);
    END
    """,
    """
    CREATE TRIGGER orders_count_removed AFTER DELETE ON orders BEGIN
        INSERT INTO order_count_parts (store_id, status, n) VALUES (OLD.store_id, OLD.status, -1);
    END
    """,
    """
    CREATE TRIGGER orders_count_moved AFTER UPDATE OF status, store_id ON orders
    WHEN OLD.status IS NOT NEW.status OR OLD.store_id IS NOT NEW.store_id BEGIN
        INSERT INTO order_count_parts (store_id, status, n)
        VALUES (OLD.store_id, OLD.status, -1), (NEW.store_id, NEW.status, 1);
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER orders_count_moved",
    "DROP TRIGGER orders_count_removed",
    "DROP TRIGGER orders_count_added",
]

FIRST_FILL = """
    INSERT INTO order_count_parts (store_id, status, n)
    SELECT store_id, status, count(*) FROM orders GROUP BY store_id, status
"""


def upgrade() -> None:
    op.create_table(
        "order_count_parts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("store_id", ID, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_count_parts")),
    )
    with op.batch_alter_table("order_count_parts", schema=None) as batch_op:
        batch_op.create_index("ix_order_count_parts_status_store", ["status", "store_id"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # No order may be written between the first fill and the triggers' first part.
        op.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    op.execute(FIRST_FILL)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("order_count_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_order_count_parts_status_store")
    op.drop_table("order_count_parts")
