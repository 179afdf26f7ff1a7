"""Load an order list's relations with its page, before the walk reaches them.

The list resolver looks at what the document selects below each order (`selected_paths`) and reads
its page joined with what it selects (`order_page_read`, loaders/joined.py `read_joined_page`): the
page's orders with their stores, customers and lines, the lines with their SKUs and those SKUs'
products, each only when selected, filling the request's narrowed loaders. The lines' own products
(`lines.product`) take a second statement and a third for their lines if they were not joined, on
one pooled connection (`prefetch_orders`). The relation fields then find their rows loaded and
answer synchronously (gql/engine/loaded.py). On PostgreSQL the page's statement renders as JSON
the orders whole (`whole_orders`), or else the relations it can, instead of joining them
(gql/engine/rendered.py).

Invariant: only what is selected is loaded, into the loaders the fields would have read and with
the columns they would have read, so answers and scoping are the same with or without it
(tests/api/test_order_list_prefetch.py); statements: the page and at most two.

One order (the `order` root field) reads its selected relations the same way with the order's id
as the root (`prefetch_order`, loaders/joined.py `fill_joined`) once it has found the order
through its scoped loader: one statement for store, customer, lines and their SKUs and products,
and, beside them (`UNION ALL`), its parcels, timeline and after-sales.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from gql.context import Info
from gql.engine import (
    Path,
    Rendering,
    RowFields,
    narrowed_loader,
    rendered_objects,
    rendered_relations,
    selected_paths,
)
from gql.schema.after_sales import AFTER_SALE_FIELDS
from gql.schema.catalog import PRODUCT_FIELDS, SKU_FIELDS
from gql.schema.customers import CUSTOMER_FIELDS
from gql.schema.order_lines import ORDER_LINE_FIELDS
from gql.schema.order_records import ORDER_EVENT_FIELDS, PARCEL_FIELDS
from gql.schema.orders import ORDER_ROW_FIELDS
from gql.schema.stores import STORE_FIELDS
from loaders.base import RowLoader
from loaders.joined import Join, fill_joined, read_joined_page
from models.catalog.rows import Sku
from models.enums import Role
from models.orders import rows
from models.orders.rows import Order, OrderLine
from services.driver_reads import one_connection
from services.pagination import PageRead
from services.row_snapshots import snapshot_type


def _keys(values: Iterable[int | None]) -> list[int]:
    return sorted({v for v in values if v is not None})


def order_page_read(
    info: Info, paths: frozenset[Path], whole: Rendering | None, at: Path = ("edges", "node")
) -> PageRead | None:
    """How the list reads its page when the document selects relations of its orders under `at`:
    the page's statement rendering the orders `whole` (`whole_orders`), else with the relations
    the database renders (gql/engine/rendered.py) and joined with the others
    (loaders/joined.py `read_joined_page`); None when it selects none."""
    if whole is not None:
        return partial(read_joined_page, info.context.sessions, (), rendered=(whole,))
    rendered = rendered_relations(info, at, ORDER_ROW_FIELDS)
    joins = _joins(info, at, paths, frozenset(r.node.name.value for r in rendered))
    if not joins and not rendered:
        return None
    return partial(read_joined_page, info.context.sessions, joins, rendered=rendered)


def whole_orders(info: Info, at: Path = ("edges", "node")) -> Rendering | None:
    """How the page's statement renders the list's orders whole, when it can
    (gql/engine/rendered.py): then the list's nodes are `answer_of` its page rows."""
    return rendered_objects(info, at, ORDER_ROW_FIELDS)


def _joins(
    info: Info, at: Path, paths: frozenset[Path], rendered: frozenset[str] = frozenset()
) -> list[Join]:
    def wants(*path: str) -> bool:
        return (*at, *path) in paths and path[0] not in rendered

    joins: list[Join] = []
    if wants("store"):
        joins.append((narrowed_loader(info, "store", STORE_FIELDS), Order.store_id))
    if wants("customer"):
        joins.append((narrowed_loader(info, "customer", CUSTOMER_FIELDS), Order.customer_id))
    if wants("lines"):
        joins.append((narrowed_loader(info, "lines_by_order", ORDER_LINE_FIELDS), Order.id))
        if wants("lines", "sku"):
            joins.append((narrowed_loader(info, "sku", SKU_FIELDS), OrderLine.sku_id))
            if wants("lines", "sku", "product"):
                joins.append((narrowed_loader(info, "product", PRODUCT_FIELDS), Sku.product_id))
    return joins


async def prefetch_orders(
    info: Info,
    orders: Sequence[rows.Order],
    at: Path = ("edges", "node"),
    paths: frozenset[Path] | None = None,
) -> None:
    """Fill the loaders for what the page's joined read (`order_page_read`) did not bring: the
    lines' own products (`lines.product`), those the SKUs' products did not already bring."""
    if not orders:
        return
    if paths is None:
        paths = selected_paths(info)
    if (*at, "lines", "product") not in paths:
        return
    if at and (
        whole_orders(info, at) is not None
        or any(r.node.name.value == "lines" for r in rendered_relations(info, at, ORDER_ROW_FIELDS))
    ):
        return  # the page's statement rendered the lines with their products
    products = narrowed_loader(info, "product", PRODUCT_FIELDS)
    lines = narrowed_loader(info, "lines_by_order", ORDER_LINE_FIELDS)
    async with one_connection(info.context.sessions.kw["bind"]):
        per_order = await lines.fill([o.id for o in orders])
        await products.fill(_keys(line.product_id for rows_ in per_order.values() for line in rows_))


async def visible_order_prefetched(info: Info, order_id: int) -> rows.Order | None:
    """The order `order_id` when the viewer may see it (its scoped loader `visible_order`), its
    selected relations prefetched (`prefetch_order`); both statements on one pooled connection."""
    async with one_connection(info.context.sessions.kw["bind"]):
        row = (await info.context.loaders.visible_order.fill([order_id]))[order_id]
        if row is not None:
            await prefetch_order(info, row)
    return row


async def prefetch_order(info: Info, order: rows.Order) -> None:
    """Fill the loaders of the relations the document selects below one order (a root field that
    found `order` through its scoped loader) from one joined statement, when it selects two or
    more of them (one alone is read as cheaply by its own loader); then what `prefetch_orders`
    fills. The order's own lists (parcels, events, after-sales) are read in the same statement,
    beside the joined rows (`_beside`).

    When the order's refund facts are read too (`Order._refund_facts`: its lines with every
    column and their after-sale lines), the join reads those lines and their after-sale lines, and
    the narrowed `lines` loader is filled from them."""
    paths = selected_paths(info)
    joins = _joins(info, (), paths)
    narrowed_lines: RowLoader[Any, Any] | None = None
    if _reads_refund_facts(info, paths):
        full = info.context.loaders.lines_by_order
        at = next((i for i, (loader, _) in enumerate(joins) if loader.shape and loader.shape.many), None)
        if at is None:
            joins.append((full, Order.id))
        elif joins[at][0] is not full:
            narrowed_lines = joins[at][0]
            joins[at] = (full, Order.id)
        joins.append((info.context.loaders.after_sale_lines_by_line, OrderLine.id))
    beside = _beside(info, paths)
    if len(joins) + len(beside) >= 2:
        await fill_joined(info.context.sessions, Order.id, [order.id], *joins, beside=beside)
        if narrowed_lines is not None:
            _project(info.context.loaders.lines_by_order, narrowed_lines, order.id)
    await prefetch_orders(info, [order], at=(), paths=paths)


def _beside(info: Info, paths: frozenset[Path]) -> list[RowLoader[Any, Any]]:
    """The narrowed loaders of the order's own lists the document selects (parcels, timeline,
    after-sales), those its fields read: read beside the joined rows in the same statement."""
    wanted: tuple[tuple[str, str, RowFields[Any]], ...] = (
        ("parcels", "parcels_by_order", PARCEL_FIELDS),
        ("events", "events_by_order", ORDER_EVENT_FIELDS),
        ("afterSales", "after_sales_by_order", AFTER_SALE_FIELDS),
    )
    return [narrowed_loader(info, name, fields) for field, name, fields in wanted if (field,) in paths]


def _reads_refund_facts(info: Info, paths: frozenset[Path]) -> bool:
    """Whether the order's fields read `Order._refund_facts` (as `availableActions` and
    `refundableLines` decide); a wrong answer costs a statement, never a different result."""
    if ("refundableLines",) in paths:
        return True
    role = info.context.principal.role
    return ("availableActions",) in paths and role is not None and role is not Role.ANALYST


def _project(full: RowLoader[Any, Any], narrowed: RowLoader[Any, Any], key: Any) -> None:
    """`narrowed` (the same rows, fewer columns) given `full`'s list for `key` cut to its columns."""
    shape = narrowed.shape
    if shape is None or key not in full.values or key in narrowed.values or key in narrowed.futures:
        return
    cls = snapshot_type(shape.entity, shape.keep)
    every: tuple[str, ...] = snapshot_type(shape.entity, None)._fields  # type: ignore[attr-defined]
    kept: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    at = [every.index(name) for name in kept]
    new = tuple.__new__
    narrowed.values[key] = [new(cls, [item[i] for i in at]) for item in full.values[key]]
