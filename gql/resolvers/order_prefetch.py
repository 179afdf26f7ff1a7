"""Load an order list's relations in one statement, before the walk reaches them.

The list resolver looks at what the document selects below each order (`selected_paths`) and fills
the request's narrowed loaders from one statement (loaders/joined.py): the page's orders joined
with their stores, customers and lines, the lines with their SKUs and those SKUs' products, each
only when selected. The lines' own products (`lines.product`) take a second statement, on the same
pooled connection (`one_connection`). The relation fields then find their rows loaded and answer
synchronously (gql/engine/loaded.py).

Invariant: only what is selected is loaded, into the loaders the fields would have read and with
the columns they would have read, so answers and scoping are the same with or without it
(tests/api/test_order_list_prefetch.py); statements: the page and at most two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gql.context import Info
from gql.engine import Path, narrowed_loader, selected_paths
from gql.schema.catalog import PRODUCT_FIELDS, SKU_FIELDS
from gql.schema.customers import CUSTOMER_FIELDS
from gql.schema.order_lines import ORDER_LINE_FIELDS
from gql.schema.stores import STORE_FIELDS
from loaders.joined import Join, fill_joined
from models.catalog.rows import Sku
from models.orders import rows
from models.orders.rows import Order, OrderLine
from services.driver_reads import one_connection


def _keys(values: Iterable[int | None]) -> list[int]:
    return sorted({v for v in values if v is not None})


async def prefetch_orders(
    info: Info,
    orders: Sequence[rows.Order],
    at: Path = ("edges", "node"),
    paths: frozenset[Path] | None = None,
) -> None:
    """Fill the loaders for the relations the document selects under `at` (an order) of this list
    (`paths`: `selected_paths(info)`, when the caller has it already)."""
    if not orders:
        return
    if paths is None:
        paths = selected_paths(info)
    if not any(p[: len(at)] == at and len(p) > len(at) for p in paths):
        return
    async with one_connection(info.context.sessions.kw["bind"]):
        await _prefetch(info, orders, at, paths)


async def _prefetch(info: Info, orders: Sequence[rows.Order], at: Path, paths: frozenset[Path]) -> None:
    def wants(*path: str) -> bool:
        return (*at, *path) in paths

    joins: list[Join] = []
    if wants("store"):
        joins.append((narrowed_loader(info, "store", STORE_FIELDS), Order.store_id))
    if wants("customer"):
        joins.append((narrowed_loader(info, "customer", CUSTOMER_FIELDS), Order.customer_id))
    products = narrowed_loader(info, "product", PRODUCT_FIELDS)
    lines = narrowed_loader(info, "lines_by_order", ORDER_LINE_FIELDS)
    if wants("lines"):
        joins.append((lines, Order.id))
        if wants("lines", "sku"):
            joins.append((narrowed_loader(info, "sku", SKU_FIELDS), OrderLine.sku_id))
            if wants("lines", "sku", "product"):
                joins.append((products, Sku.product_id))
    if joins:
        await fill_joined(info.context.sessions, Order.id, [o.id for o in orders], *joins)
    if wants("lines", "product"):
        # The lines' own products: those the SKUs' products did not already bring.
        per_order = await lines.fill([o.id for o in orders])
        await products.fill(_keys(line.product_id for rows_ in per_order.values() for line in rows_))
