"""Load whole levels of an order list in one batch per relation, before the walk reaches them.

The list resolver looks at what the document selects below each order (`selected_paths`) and fills
the request's narrowed loaders: stores and customers one statement each, the lines with their SKUs
and those SKUs' products in one (loaders/joined.py), one after another on one pooled connection
(`one_connection`), each loader's batch function called once for all its keys
(`RowLoader.fill`). The relation fields then find their rows loaded and answer synchronously
(gql/engine/loaded.py).

Invariant: only what is selected is loaded, with the loaders and statements the fields would have
run themselves, so answers, scoping and statement counts are the same with or without it
(tests/api/test_order_list_prefetch.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from gql.context import Info
from gql.engine import Path, narrowed_loader, selected_paths
from gql.schema.catalog import PRODUCT_FIELDS, SKU_FIELDS
from gql.schema.customers import CUSTOMER_FIELDS
from gql.schema.order_lines import ORDER_LINE_FIELDS
from gql.schema.stores import STORE_FIELDS
from loaders.joined import Join, fill_joined
from models.catalog.rows import Sku
from models.orders import rows
from models.orders.rows import OrderLine
from services.driver_reads import one_connection


async def _level(fills: dict[str, Awaitable[dict[int, Any]]]) -> dict[str, dict[int, Any]]:
    """The relations of one level, one after another on the prefetch's connection
    (`one_connection`): on a machine kept busy, checking out a connection per statement and
    running them side by side costs more CPU than the round trips it overlaps."""
    return {name: await fill for name, fill in fills.items()}


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

    first: dict[str, Awaitable[dict[int, Any]]] = {}
    if wants("store"):
        first["stores"] = narrowed_loader(info, "store", STORE_FIELDS).fill(_keys(o.store_id for o in orders))
    if wants("customer"):
        customers = narrowed_loader(info, "customer", CUSTOMER_FIELDS)
        first["customers"] = customers.fill(_keys(o.customer_id for o in orders))
    products = narrowed_loader(info, "product", PRODUCT_FIELDS)
    if wants("lines"):
        # The lines with their SKUs and those SKUs' products, when selected, in one statement.
        joins: list[Join] = []
        if wants("lines", "sku"):
            joins.append((narrowed_loader(info, "sku", SKU_FIELDS), OrderLine.sku_id))
            if wants("lines", "sku", "product"):
                joins.append((products, Sku.product_id))
        first["lines"] = fill_joined(
            info.context.sessions,
            narrowed_loader(info, "lines_by_order", ORDER_LINE_FIELDS),
            [o.id for o in orders],
            *joins,
        )
    filled = await _level(first)
    if "lines" in filled and wants("lines", "product"):
        lines = [line for per_order in filled["lines"].values() for line in per_order]
        await products.fill(_keys(line.product_id for line in lines))
