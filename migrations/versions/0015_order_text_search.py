"""order text search: a bigram index of consignee names and a dictionary of product names

Contains-searches (`consignee:王`, `product:车厘子`, a bare word) compiled to `ILIKE '%…%'`, which
no b-tree serves: every search read every order, or every order line. This adds:

- PostgreSQL: `search_grams(text)`, the distinct characters and character pairs of the lower-cased
  text, and a GIN index of it over `orders.consignee_name`. A search's own pairs (its character
  when it is one character long: `search_query_grams`) are all among those of every name that
  contains it, so `search_grams(name) @> search_query_grams(q)` finds a superset of the matches
  from the index, and the `ILIKE` itself keeps the result exact. Unlike pg_trgm (three-character
  grams: it extracts nothing from a one- or two-character pattern), it serves the one- and
  two-character Chinese searches operators type most (a surname, a given name).
- Both dialects: `order_line_names`, every (product name snapshot, SKU) pair any order line holds
  (a few thousand), filled by triggers on `order_lines`, and an index of lines by
  `(product_name, sku_id, order_id)`: a product search matches the short list of names first,
  then takes the lines of those exact names from the index.
- Both dialects: `ix_orders_created_at_id (created_at, id)` replaces `ix_orders_created_at`: the
  list's default order is `created_at DESC, id DESC`, and with both keys in the index PostgreSQL
  can walk the newest orders and stop at a full page of matches of a common term, rather than
  fetch and sort every match.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_UP = [
    """
    CREATE FUNCTION search_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, n)), '{}')
        FROM generate_series(1, 2) AS n, generate_series(1, char_length(t) - n + 1) AS i
    $$
    """,
    """
    CREATE FUNCTION search_query_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN char_length(t) = 1 THEN ARRAY[lower(t)] ELSE coalesce(
            (SELECT array_agg(DISTINCT substr(lower(t), i, 2))
             FROM generate_series(1, char_length(t) - 1) AS i),
            '{}') END
    $$
    """,
    "CREATE INDEX ix_orders_consignee_grams ON orders USING gin (search_grams(consignee_name))",
    """
    CREATE FUNCTION order_line_names_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_line_names (product_name, sku_id)
        SELECT DISTINCT product_name, sku_id FROM added ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION order_line_names_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO order_line_names (product_name, sku_id)
        VALUES (NEW.product_name, NEW.sku_id) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER order_lines_names_added AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION order_line_names_added()
    """,
    """
    CREATE TRIGGER order_lines_names_renamed AFTER UPDATE OF product_name, sku_id ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_line_names_renamed()
    """,
]

POSTGRES_DOWN = [
    "DROP TRIGGER order_lines_names_renamed ON order_lines",
    "DROP TRIGGER order_lines_names_added ON order_lines",
    "DROP FUNCTION order_line_names_renamed()",
    "DROP FUNCTION order_line_names_added()",
    "DROP INDEX ix_orders_consignee_grams",
    "DROP FUNCTION search_query_grams(text)",
    "DROP FUNCTION search_grams(text)",
]

SQLITE_UP = [
    """
    CREATE TRIGGER order_lines_names_added AFTER INSERT ON order_lines BEGIN
        INSERT OR IGNORE INTO order_line_names (product_name, sku_id) VALUES (NEW.product_name, NEW.sku_id);
    END
    """,
    """
    CREATE TRIGGER order_lines_names_renamed AFTER UPDATE OF product_name, sku_id ON order_lines BEGIN
        INSERT OR IGNORE INTO order_line_names (product_name, sku_id) VALUES (NEW.product_name, NEW.sku_id);
    END
    """,
]

SQLITE_DOWN = ["DROP TRIGGER order_lines_names_renamed", "DROP TRIGGER order_lines_names_added"]


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_created_at")
        batch_op.create_index("ix_orders_created_at_id", ["created_at", "id"], unique=False)
    op.create_table(
        "order_line_names",
        sa.Column("product_name", sa.String(length=120), nullable=False),
        sa.Column("sku_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("product_name", "sku_id", name=op.f("pk_order_line_names")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_lines_product_name", ["product_name", "sku_id", "order_id"], unique=False
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # No line may be written between the first fill and the triggers' first pair.
        op.execute("LOCK TABLE order_lines IN SHARE ROW EXCLUSIVE MODE")
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    op.execute(
        "INSERT INTO order_line_names (product_name, sku_id) "
        "SELECT DISTINCT product_name, sku_id FROM order_lines"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_product_name")
    op.drop_table("order_line_names")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_created_at_id")
        batch_op.create_index("ix_orders_created_at", ["created_at"], unique=False)
