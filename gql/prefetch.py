"""Load whole levels of an order list in one batch per relation, before GraphQL walks it.

Left to itself, graphql-core completes a 50-order page field by field: each order's `store`,
`customer` and `lines`, then each line's `sku` and `product`, is a coroutine that parks on a
DataLoader future. The SQL is already batched (one statement per relation), but the ~450
coroutines, futures and event-loop turns cost more CPU than the SQL. Here the list resolver
looks at what the document selects below it and fills the request's loaders level by level
(relations of one level concurrently, each batch on its own connection, and one call of a loader's
batch function for all its keys rather than a future awaited per row: `RowLoader.fill`); the
relation fields then find their rows resolved and answer synchronously (`gql/loaded.py`).


Only what is selected is loaded, with the same loaders and the same statements the fields would
have run, so results, scoping and statement counts do not change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from gql.context import Info
from gql.selection import Path, selected_paths
from loaders import Loaders
from models import orders as rows


async def _level(fills: dict[str, Awaitable[dict[int, Any]]]) -> dict[str, dict[int, Any]]:
    """The relations of one level, loaded concurrently (each batch on its own connection)."""
    return dict(zip(fills, await asyncio.gather(*fills.values()), strict=True))


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
    loaders: Loaders = info.context.loaders

    def wants(*path: str) -> bool:
        return (*at, *path) in paths

    first: dict[str, Awaitable[dict[int, Any]]] = {}
    if wants("store"):
        first["stores"] = loaders.store.fill(_keys(o.store_id for o in orders))
    if wants("customer"):
        first["customers"] = loaders.customer.fill(_keys(o.customer_id for o in orders))
    if wants("lines"):
        first["lines"] = loaders.lines_by_order.fill([o.id for o in orders])
    filled = await _level(first)
    if "lines" not in filled or not (wants("lines", "sku") or wants("lines", "product")):
        return
    lines = [line for per_order in filled["lines"].values() for line in per_order]
    second: dict[str, Awaitable[dict[int, Any]]] = {}
    if wants("lines", "sku"):
        second["skus"] = loaders.sku.fill(_keys(line.sku_id for line in lines))
    if wants("lines", "product") or wants("lines", "sku", "product"):
        # A line's product is its SKU's product, so this also serves `lines.sku.product`.
        second["products"] = loaders.product.fill(_keys(line.product_id for line in lines))
    filled = await _level(second)
    if wants("lines", "sku", "product"):
        # Usually the lines' own products: already loaded, so this costs no statement.
        skus = filled["skus"].values()
        await loaders.product.fill(_keys(s.product_id for s in skus if s is not None))
