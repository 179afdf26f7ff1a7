"""The text terms of the order filter (`models/orders/filters.py` `TextMatch`) as SQL conditions.

Each term has two compilations that select exactly the same orders:

- the scanning one (`indexed=False`): the term as written — `ILIKE '%…%'` on the order or an
  EXISTS over its lines — which reads every order (or line) that the rest of the WHERE leaves;
- the indexed one (the default), which every request uses: the same `ILIKE`, but reached from an
  index. Consignee names carry a GIN index of their characters and character pairs on PostgreSQL
  (`search_grams`, migration 0015): `search_grams(name) @> search_query_grams(q)` holds for every
  name that contains `q`, so ANDing it changes nothing but lets the index find the candidates
  (on SQLite it compiles to nothing). Product names go through `order_line_names`, the few
  thousand distinct names of the lines: the names that contain the text, then the lines of those
  exact names from the `(product_name, order_id)` index. SKU codes go through the small `skus`
  table, then the lines of those SKUs. A bare word's order-number, consignee and phone parts are
  one `id IN (… UNION …)`, so each is its own index lookup rather than one OR no index serves; its
  consignee part takes the names that contain the text from their dictionary
  (`order_consignee_names`, migration 0039), then those names' orders from an index of orders.
  Product terms and bare words have two such compilations: their lookups ORed (a term with many
  matches, whose page walks the newest orders) or all in one UNION (`sparse`: few matches, fetched
  and sorted; and every count); `sparse_terms` tells which a term is.

A count per status reads indexes only: `status_pairs` takes a term's (order id, status)
pairs from indexes alone, through the lines' copy of their order's status and the dictionary of
consignee names (migration 0039).

The two agree by construction and by test (a hypothesis property over random terms, CJK and Latin,
on SQLite and PostgreSQL); the scanning one is the reference.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Final, cast

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models.catalog.rows import Sku
from models.customers.rows import Customer
from models.orders import filters as f
from models.orders.rows import Order, OrderConsigneeName, OrderLine, OrderLineName
from models.payments import PaymentTransaction
from models.stores.rows import Store
from services.db import SessionFactory


class grams_cover(FunctionElement[bool]):
    """`search_grams(column) @> search_query_grams(text)` on PostgreSQL; TRUE elsewhere.

    True whenever `column ILIKE '%text%'` is (every pair of characters of the text, or its one
    character, is among the column's), so it only ever adds an index to that condition.
    """

    type = Boolean()
    name = "grams_cover"
    inherit_cache = True


@compiles(grams_cover)
def _grams_cover_default(element: grams_cover, compiler: SQLCompiler, **kw: Any) -> str:
    return "1 = 1"


@compiles(grams_cover, "postgresql")
def _grams_cover_postgresql(element: grams_cover, compiler: SQLCompiler, **kw: Any) -> str:
    column, text = list(element.clauses)
    grams, wanted = compiler.process(column, **kw), compiler.process(text, **kw)
    return f"search_grams({grams}) @> search_query_grams({wanted})"


def text_condition(
    node: f.TextMatch, *, phones: bool, indexed: bool = True, sparse: bool = False
) -> ColumnElement[bool]:
    """The SQL condition of one text term. With `phones` False, free text does not look at phones.

    `sparse` (indexed product terms and bare words only): the term's lookups as one
    `id IN (… UNION …)`, for a term that matches few orders (`sparse_terms`); otherwise they are
    ORed. Both select the same orders.
    """
    text = node.text
    if indexed and sparse and node.field in SPARSE_FIELDS:
        return Order.id.in_(union(*_id_selects(node, phones)))
    match node.field:
        case f.TextField.ORDER_NO:
            return Order.order_no == text
        case f.TextField.ORDER_NO_PREFIX:
            return Order.order_no.startswith(text, autoescape=True)
        case f.TextField.PHONE:
            return Order.id.in_(_phone_ids(text))
        case f.TextField.BUYER_PHONE:
            customer = Customer.phone_last4 if len(text) == 4 else Customer.phone
            return Order.customer_id.in_(select(Customer.id).where(customer == text))
        case f.TextField.STORE_NAME:
            named = select(Store.id).where(Store.name.icontains(text, autoescape=True))
            return and_(Order.store_id.is_not(None), Order.store_id.in_(named))
        case f.TextField.MERCHANT_NO:
            return and_(Order.merchant_order_no.is_not(None), Order.merchant_order_no == text)
        case f.TextField.SERIAL:
            paid = select(PaymentTransaction.order_id).where(PaymentTransaction.gateway_reference == text)
            return Order.id.in_(paid)
        case f.TextField.CONSIGNEE:
            return _consignee(text, indexed)
        case f.TextField.PRODUCT:
            if indexed:
                by_code = _coded_lines(_contains(Sku.sku_code, text))
                return or_(Order.id.in_(_named_lines(text)), Order.id.in_(by_code))
            return _has_line(
                or_(
                    OrderLine.product_name.icontains(text, autoescape=True),
                    Sku.sku_code.icontains(text, autoescape=True),
                )
            )
        case f.TextField.SKU:
            coded = or_(Sku.sku_code.icontains(text, autoescape=True), Sku.barcode == text)
            return Order.id.in_(_coded_lines(coded)) if indexed else _has_line(coded)
    phone = f.normalize_phone(text) if phones else None
    if indexed:
        parts = _word_selects(text, phone)
        return or_(Order.id.in_(union(*parts)), Order.id.in_(_named_lines(text)))
    return or_(
        Order.order_no.startswith(text, autoescape=True),
        Order.consignee_name.icontains(text, autoescape=True),
        *([Order.id.in_(_phone_ids(phone))] if phone else []),
        exists(
            select(OrderLine.id).where(
                OrderLine.order_id == Order.id, OrderLine.product_name.icontains(text, autoescape=True)
            )
        ),
    )


SPARSE_FIELDS: Final = frozenset({f.TextField.PRODUCT, f.TextField.ANY})
"""The terms with two compilations of their lookups, ORed (many matches) or one UNION (few)."""


def _word_selects(text: str, phone: str | None) -> list[Select[Any]]:
    """A bare word's lookups but the product names': order number prefix, consignee, phones."""
    return [
        select(Order.id).where(Order.order_no.startswith(text, autoescape=True)),
        select(Order.id).where(Order.consignee_name.in_(_consignee_names(text))),
        *(_phone_selects(phone) if phone else []),
    ]


def _id_selects(node: f.TextMatch, phones: bool) -> list[Select[Any]]:
    """Each index lookup of a product term or bare word, as a select of order ids (with repeats)."""
    if node.field is f.TextField.PRODUCT:
        return [_named_lines(node.text), _coded_lines(_contains(Sku.sku_code, node.text))]
    phone = f.normalize_phone(node.text) if phones else None
    return [*_word_selects(node.text, phone), _named_lines(node.text)]


def two_plan_terms(nodes: Iterable[f.Node | None]) -> frozenset[f.TextMatch]:
    """The product terms and bare words of `nodes`: the terms `text_condition`'s `sparse` changes."""
    return frozenset(
        leaf
        for node in nodes
        if node is not None
        for leaf in f.leaves(node)
        if isinstance(leaf, f.TextMatch) and leaf.field in SPARSE_FIELDS
    )


async def sparse_terms(
    sessions: SessionFactory, nodes: Iterable[f.Node | None], *, phones: bool
) -> frozenset[f.TextMatch]:
    """The product terms and bare words of `nodes` that match fewer than `SPARSE_LIMIT` orders.

    Each term's lookups are read up to the limit (`SELECT count(*) FROM (… UNION ALL … LIMIT n)`:
    at most n index entries, a millisecond or two), and remembered for `SPARSE_TTL_SECONDS`. The
    answer only chooses a plan (`text_condition`'s `sparse`), never which orders match, so one a
    little out of date is harmless.
    """
    now = time.monotonic()
    found = set()
    for term in sorted(two_plan_terms(nodes), key=lambda t: (t.field.value, t.text)):
        key = (term, phones)
        known = _SPARSE.get(key)
        if known is None or known[0] < now:
            lookups = union_all(*_id_selects(term, phones)).limit(SPARSE_LIMIT).subquery()
            async with sessions() as session:
                n = int(await session.scalar(select(func.count()).select_from(lookups)) or 0)
            if len(_SPARSE) >= _MAX_SPARSE:
                _SPARSE.clear()
            known = _SPARSE[key] = (now + SPARSE_TTL_SECONDS, n < SPARSE_LIMIT)
        if known[1]:
            found.add(term)
    return frozenset(found)


async def count_term(sessions: SessionFactory, term: f.TextMatch, *, phones: bool) -> int:
    """How many orders a product term or bare word matches, with no other condition: the distinct
    order ids of its lookups, without reading the orders (every id a lookup finds is an order's:
    the lookups read orders, or lines, whose order always exists)."""
    found = union(*_id_selects(term, phones)).subquery()
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(found)) or 0)


STATUS_PAIR_FIELDS: Final = SPARSE_FIELDS | {f.TextField.CONSIGNEE}
"""The terms whose matches `status_pairs` reads as (order id, status) pairs from indexes alone."""


def status_pairs(term: f.TextMatch, *, phones: bool) -> Any:
    """The (order id, status) pairs of the orders a product term, bare word or consignee term
    matches (`STATUS_PAIR_FIELDS`), with repeats: `_id_selects` with each order's status beside
    its id, in one UNION ALL.

    The lines carry their order's status (`OrderLine.order_status`, migration 0039), and consignee
    names are matched in their dictionary, then their orders found by exact name: on PostgreSQL
    each lookup is then an index-only scan. A line's status is its order's in every snapshot (the
    triggers write both in one transaction), so all pairs of an order hold the same status, and
    the distinct ids per status count each order once.
    """
    text = term.text
    lines = select(OrderLine.order_id.label("order_id"), OrderLine.order_status.label("status"))
    orders = select(Order.id.label("order_id"), Order.status.label("status"))
    named = lines.where(OrderLine.product_name.in_(_names(text)))
    if term.field is f.TextField.PRODUCT:
        coded = lines.where(OrderLine.sku_id.in_(select(Sku.id).where(_contains(Sku.sku_code, text))))
        return union_all(named, coded)
    by_name = orders.where(Order.consignee_name.in_(_consignee_names(text)))
    if term.field is f.TextField.CONSIGNEE:
        return by_name
    phone = f.normalize_phone(text) if phones else None
    phoned = [orders.where(Order.id.in_(_phone_ids(phone)))] if phone else []
    numbered = orders.where(Order.order_no.startswith(text, autoescape=True))
    return union_all(numbered, by_name, *phoned, named)


SPARSE_LIMIT: Final = 2_000
"""Below this many matching lines, names, numbers and phones a term's matches are fetched and sorted;
from it on the page walks the newest orders until it is full (bench/README.md, "Order search")."""
SPARSE_TTL_SECONDS: Final = 60.0
_SPARSE: dict[tuple[f.TextMatch, bool], tuple[float, bool]] = {}
_MAX_SPARSE: Final = 10_000


def _consignee(text: str, indexed: bool) -> ColumnElement[bool]:
    if not indexed:
        return Order.consignee_name.icontains(text, autoescape=True)
    return and_(grams_cover(Order.consignee_name, _inline(text)), _contains(Order.consignee_name, text))


def _consignee_names(text: str) -> Select[Any]:
    """The dictionary's consignee names that contain the text (from their grams' GIN index on
    PostgreSQL): their orders are then found by exact name, from an index of orders."""
    return select(OrderConsigneeName.consignee_name).where(
        grams_cover(OrderConsigneeName.consignee_name, _inline(text)),
        _contains(OrderConsigneeName.consignee_name, text),
    )


def _inline(value: str) -> BindParameter[str]:
    """A parameter written into the SQL text when it runs, as a quoted literal.

    The planner then sees the searched text itself, not `$1`: it estimates from the column's
    statistics how many rows the term matches, and so picks between walking the newest orders
    until a page is full (a common term) and fetching the few matches by index (a rare one).
    With a `$1` a prepared statement soon gets one generic plan for every term.
    """
    return bindparam(None, value, type_=String(), literal_execute=True)


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column ILIKE '%text%'` with LIKE's wildcards in the text escaped, as `icontains(autoescape)`."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return cast(ColumnElement[bool], column.ilike(_inline(f"%{escaped}%"), escape="/"))


def _names(text: str) -> Select[Any]:
    """The distinct line product names that contain the text (a small table: a short scan)."""
    return select(OrderLineName.product_name).where(_contains(OrderLineName.product_name, text))


def _named_lines(text: str) -> Select[Any]:
    """Order ids of the lines whose product name contains the text, via the names' dictionary."""
    return select(OrderLine.order_id).where(OrderLine.product_name.in_(_names(text)))


def _coded_lines(condition: ColumnElement[bool]) -> Select[Any]:
    """Order ids of the lines of the SKUs that meet the condition (a few of a small table)."""
    return select(OrderLine.order_id).where(OrderLine.sku_id.in_(select(Sku.id).where(condition)))


def _phone_ids(digits: str) -> Any:
    """Ids of the orders whose consignee or customer has the phone: 4 digits are the last four (尾号).

    A UNION rather than an OR across the two tables, so each side is one index lookup (an OR made
    PostgreSQL scan every order).
    """
    return union(*_phone_selects(digits))


def _phone_selects(digits: str) -> list[Select[Any]]:
    last4 = len(digits) == 4
    by_consignee, by_customer = aliased(Order), aliased(Order)
    consignee = by_consignee.consignee_phone_last4 if last4 else by_consignee.consignee_phone
    customer = Customer.phone_last4 if last4 else Customer.phone
    return [
        select(by_consignee.id).where(consignee == digits),
        select(by_customer.id)
        .join(Customer, Customer.id == by_customer.customer_id)
        .where(customer == digits),
    ]


def _has_line(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Some line of the order (with its SKU) matches: EXISTS, so an order is counted once."""
    return exists(
        select(OrderLine.id)
        .join(Sku, Sku.id == OrderLine.sku_id)
        .where(OrderLine.order_id == Order.id, condition)
    )
