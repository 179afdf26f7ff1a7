"""The admin order list: filtering, paging and status-tab counts within the caller's scope (sorts: `sorting`).

`compile_filter` is the one place a filter AST (`models/orders/filters.py`, built from the typed
`OrderFilter` or from the `query:` string) becomes SQL: one WHERE clause over `orders`, with
EXISTS / IN subqueries for lines, SKUs, stores, customers and after-sales — never a join that
would multiply rows, never filtering in Python. Every condition is two-valued (a NULL column is
"no match", never "unknown"), so `NOT` means what a user expects: `-payment:WECHAT_PAY` includes
unpaid orders and `-store:SH001` includes orders of the HQ warehouse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from functools import partial
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from models import pre_orders
from models.after_sales.rows import AfterSale
from models.base import UtcDateTime, utcnow
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.orders import filters as f
from models.orders.counts import count_scope
from models.orders.day_counts import day_count_scope
from models.orders.query_values import fail
from models.orders.rows import Order
from models.orders.sorting import OrderSortSpec
from models.orders.states import OrderStatus
from models.orders.tabs import STATUS_LIFECYCLE
from models.orders.watches import OrderWatch
from models.principals import Principal
from models.stores.rows import Store
from services.db import SessionFactory
from services.orders import counts as order_counts
from services.orders import day_counts, term_counts
from services.orders.sorting import order_sort
from services.orders.text_search import (
    SPARSE_FIELDS,
    count_term,
    sparse_terms,
    text_condition,
    two_plan_terms,
)
from services.pagination import Page, PageRead, PageRequest, paginate
from services.scoping import order_visibility


@dataclass(frozen=True, slots=True)
class OrderCriteria:
    """What the caller asked for: the typed filter and the query string, ANDed (either may be absent)."""

    filter: f.Node | None = None
    query: f.Node | None = None


# ---- filters --------------------------------------------------------------------------------------

_ENUM_COLUMNS: Final[dict[f.EnumField, InstrumentedAttribute[Any]]] = {
    f.EnumField.STATUS: Order.status,
    f.EnumField.PAYMENT: Order.payment_method,
    f.EnumField.TYPE: Order.type,
    f.EnumField.FULFILLMENT: Order.fulfillment,
    f.EnumField.CHANNEL: Order.channel,
}
_ID_COLUMNS: Final = {f.IdField.STORE: Order.store_id, f.IdField.CAMPAIGN: Order.campaign_id}
_STORE_COLUMNS: Final = {
    f.NameField.STORE_CODE: Store.code,
    f.NameField.PROVINCE: Store.province,
    f.NameField.CITY: Store.city,
    f.NameField.DISTRICT: Store.district,
}
_TIME_COLUMNS: Final = {f.TimeField.CREATED: Order.created_at, f.TimeField.PAID: Order.paid_at}


def compile_filter(
    node: f.Node,
    *,
    phones: bool = True,
    watcher: str | None = None,
    indexed: bool = True,
    sparse: frozenset[f.TextMatch] = frozenset(),
) -> ColumnElement[bool]:
    """The SQL condition of a filter. With `phones` False, free text does not look at phone numbers.

    `watcher` is whose watch list `watched:` reads (`Principal.key`); with none, nothing is watched.
    `indexed` False compiles text terms as plain scans, the reference the indexed ones are tested
    against (services/orders/text_search.py); both select the same orders. `sparse`: the product
    terms and bare words to compile as one UNION of their lookups (`text_condition`); it changes
    plans, never results.
    """
    compile_child = partial(compile_filter, phones=phones, watcher=watcher, indexed=indexed, sparse=sparse)
    if isinstance(node, f.AllOf | f.AnyOf):
        combine = and_ if isinstance(node, f.AllOf) else or_
        return combine(*(compile_child(c) for c in node.children))
    if isinstance(node, f.Not):
        return not_(compile_child(node.child))
    if isinstance(node, f.EnumIn):
        if node.field is f.EnumField.AFTER_SALE:
            return exists(
                select(AfterSale.id).where(AfterSale.order_id == Order.id, AfterSale.status.in_(node.values))
            )
        if node.field is f.EnumField.BOOKING:
            return booking_condition(node.values)
        return _present_in(_ENUM_COLUMNS[node.field], sorted(node.values))
    if isinstance(node, f.IdIn):
        return _present_in(_ID_COLUMNS[node.field], sorted(node.ids))
    if isinstance(node, f.FlagIs):
        if node.field is f.FlagField.HQ_WAREHOUSE:  # the HQ warehouse is "no store" (models/stores/rows.py)
            return Order.store_id.is_(None) if node.value else Order.store_id.is_not(None)
        if node.field is f.FlagField.WATCHED:
            watched = Order.id.in_(select(OrderWatch.order_id).where(OrderWatch.watcher_key == watcher))
            return watched if node.value else not_(watched)
        if node.field is f.FlagField.PRE_ORDER:
            return Order.booked_for.is_not(None) if node.value else Order.booked_for.is_(None)
        return Order.campaign_id.is_not(None) if node.value else Order.campaign_id.is_(None)
    if isinstance(node, f.NameIn):
        stores = select(Store.id).where(_STORE_COLUMNS[node.field].in_(sorted(node.names)))
        return _present_in(Order.store_id, stores)
    if isinstance(node, f.TextMatch):
        return text_condition(node, phones=phones, indexed=indexed, sparse=node in sparse)
    if isinstance(node, f.TimeIn):
        column = _TIME_COLUMNS[node.field]
        bounds: list[ColumnElement[bool]] = [column.is_not(None)] if _nullable(column) else []
        if node.start is not None:
            bounds.append(column >= node.start)
        if node.end is not None:
            bounds.append(column < node.end)
        return and_(*bounds)
    amounts: list[ColumnElement[bool]] = [Order.payable_amount >= node.min] if node.min is not None else []
    if node.max is not None:
        amounts.append(Order.payable_amount <= node.max)
    return and_(*amounts)


# The booking states move with the clock, but list statements are built once and kept (`_listed`):
# the current time is a parameter whose value is read when each statement runs.
_NOW: Final = bindparam("booking_now", callable_=utcnow, type_=UtcDateTime())
_SOON: Final = bindparam("booking_soon", callable_=lambda: utcnow() + pre_orders.SOON, type_=UtcDateTime())


def booking_condition(states: Iterable[StrEnum]) -> ColumnElement[bool]:
    """Pre-orders whose booking state (`models.pre_orders.booking_state`) is one of `states` now."""
    chosen = set(states)
    ranges: list[ColumnElement[bool]] = []
    if pre_orders.BookingState.OVERDUE in chosen:
        ranges.append(Order.booked_for <= _NOW)
    if pre_orders.BookingState.SOON in chosen:
        ranges.append(and_(Order.booked_for > _NOW, Order.booked_for <= _SOON))
    if pre_orders.BookingState.NOT_YET in chosen:
        ranges.append(Order.booked_for > _SOON)
    return and_(
        Order.booked_for.is_not(None),
        Order.status.in_(sorted(pre_orders.OPEN_STATUSES)),
        or_(*ranges),
    )


def _present_in(column: InstrumentedAttribute[Any], values: Any) -> ColumnElement[bool]:
    """`column IN values`, but FALSE rather than NULL when the column is NULL (so NOT stays sound)."""
    return and_(column.is_not(None), column.in_(values)) if _nullable(column) else column.in_(values)


def _nullable(column: InstrumentedAttribute[Any]) -> bool:
    return bool(getattr(column.expression, "nullable", True))


def order_condition(
    principal: Principal, criteria: OrderCriteria, sparse: frozenset[f.TextMatch] = frozenset()
) -> ColumnElement[bool]:
    """The caller's scope AND the filter AND the query: the WHERE of the list and of the counts.

    Analysts see phones masked, so they may not search by phone either (that would confirm a
    number by probing); their free text simply does not look at phones. `sparse`: as in
    `compile_filter`.
    """
    analyst = principal.role is Role.ANALYST
    parts = [order_visibility(principal)]
    for field, node in (("filter", criteria.filter), ("query", criteria.query)):
        if node is None:
            continue
        if analyst and f.uses_phone(node):
            raise DomainError(ErrorCode.FORBIDDEN, "analysts may not search orders by phone", field)
        parts.append(compile_filter(node, phones=not analyst, watcher=principal.key, sparse=sparse))
    return and_(*parts)


async def check_store_codes(sessions: SessionFactory, criteria: OrderCriteria) -> None:
    """Every `store:` code of the query and every `storeCodes` entry of the filter names a store.

    An unknown code is an error naming it, never a condition that silently matches nothing: in the
    query string INVALID_QUERY_SYNTAX with the code's `column` (like any other bad value there), in
    the typed filter BAD_USER_INPUT at its input path (`filter.storeCodes.1`). A known store outside
    the caller's scope is not an error: it just matches none of the caller's orders. One indexed
    lookup, only when the criteria name store codes.
    """
    named = [
        (leaf, in_query)
        for node, in_query in ((criteria.filter, False), (criteria.query, True))
        if node is not None
        for leaf in f.leaves(node)
        if isinstance(leaf, f.NameIn) and leaf.field is f.NameField.STORE_CODE
    ]
    if not named:
        return
    codes = sorted(set().union(*(leaf.names for leaf, _ in named)))
    async with sessions() as session:
        known = set((await session.scalars(select(Store.code).where(Store.code.in_(codes)))).all())
    for leaf, in_query in named:
        # the origins keep the order the codes were written in
        unknown = [c for c in leaf.origins if c not in known] or sorted(leaf.names - known)
        if not unknown:
            continue
        code, origin = unknown[0], leaf.origins.get(unknown[0])
        if in_query and isinstance(origin, int):
            raise fail(origin, f'unknown store code "{code}"')
        raise DomainError(
            ErrorCode.BAD_USER_INPUT,
            f'unknown store code "{code}"',
            origin if isinstance(origin, str) else "filter.storeCodes",
        )


# ---- use cases ------------------------------------------------------------------------------------


async def list_orders(
    sessions: SessionFactory,
    principal: Principal,
    page: PageRequest,
    criteria: OrderCriteria | None = None,
    sort: Sequence[OrderSortSpec] = (),
    columns: frozenset[str] | None = None,
    zone: tzinfo | None = None,
    read: PageRead | None = None,
) -> Page[Order]:
    """A page of the orders `principal` may see; `columns`: the attributes the caller reads, `read`:
    how it reads the page (paginate).

    Its `totalCount` sums the order count parts when the filter is about statuses and stores only
    (models/orders/counts.py), the day count parts when it adds one time range (`zone`: the local
    days they are cut in; models/orders/day_counts.py), a lone text term's lookups (`count_term`),
    index entries or a subtraction of count parts when the criteria have that shape
    (services/orders/term_counts.py), and counts the matching orders otherwise.
    """
    criteria = criteria or OrderCriteria()
    _listed(principal, criteria)  # refuses what the list refuses, before any lookup
    await check_store_codes(sessions, criteria)
    scope = count_scope(principal, (criteria.filter, criteria.query))
    count: Callable[[], Awaitable[int | None]] | None = None
    if scope is not None:
        count = partial(order_counts.count_orders, sessions, scope)
    if count is None and zone is not None:
        count = _day_count(sessions, principal, criteria, zone)
    if count is None and (term := _lone_term(principal, criteria)) is not None:
        phones = principal.role is not Role.ANALYST
        count = partial(count_term, sessions, term, phones=phones)
    if count is None and (counts := _term_counts(principal, criteria)) is not None:
        count = partial(term_counts.count_total, sessions, counts)
    return await paginate(
        sessions,
        _listed(principal, criteria, await _sparse(sessions, principal, criteria)),
        order_sort(sort),
        page,
        count_base=_counted(principal, criteria),
        columns=columns,
        count=count,
        lasting_base=True,
        read=read,
    )


def _lone_term(principal: Principal, criteria: OrderCriteria) -> f.TextMatch | None:
    """The criteria's one product term or bare word when it is all they ask of a caller who sees
    every order: its count is then its lookups' (`count_term`)."""
    nodes = [n for n in (criteria.filter, criteria.query) if n is not None]
    if not principal.sees_all_stores() or len(nodes) != 1:
        return None
    node = nodes[0]
    return node if isinstance(node, f.TextMatch) and node.field in SPARSE_FIELDS else None


def _counted(principal: Principal, criteria: OrderCriteria) -> Select[Any]:
    """The orders a count reads: `_listed` with every product term and bare word as one UNION of its
    lookups. A count reads every match whatever its order, so it joins the orders to their matched
    ids rather than testing each order of the scope against two lookups."""
    return _listed(principal, criteria, two_plan_terms((criteria.filter, criteria.query)))


async def _sparse(
    sessions: SessionFactory, principal: Principal, criteria: OrderCriteria
) -> frozenset[f.TextMatch]:
    """The criteria's product terms and bare words that match few orders (text_search.py)."""
    nodes = (criteria.filter, criteria.query)
    return await sparse_terms(sessions, nodes, phones=principal.role is not Role.ANALYST)


def _listed(
    principal: Principal, criteria: OrderCriteria, sparse: frozenset[f.TextMatch] = frozenset()
) -> Select[Any]:
    """`SELECT orders WHERE <scope AND filter AND query>`, one statement object per (scope, criteria,
    sparse terms).

    The SPA sends the same tab's filter again and again, so its condition is built and walked by
    SQLAlchemy for its cache key once. The statement depends on the principal's role, stores and
    customer (and who they are when the filter reads their watch list) and on the filter's AST
    (frozen, hashable) only; one that fails to build (an analyst searching by phone) is not
    remembered, so it fails again. `paginate` keeps the page statements made from it
    (services/pagination.py).
    """
    watcher = (
        principal.key if any(f.uses_watch_list(n) for n in (criteria.filter, criteria.query) if n) else None
    )
    key = (principal.role, watcher, principal.store_ids, principal.customer_id, criteria, sparse)
    found = _LISTED.get(key)
    if found is None:
        found = select(Order).where(order_condition(principal, criteria, sparse))
        if len(_LISTED) >= _MAX_LISTED:
            _LISTED.clear()
        _LISTED[key] = found
    return found


_LISTED: dict[tuple[Any, ...], Select[Any]] = {}
_MAX_LISTED: Final = 1_000


async def count_by_status(
    sessions: SessionFactory,
    principal: Principal,
    criteria: OrderCriteria | None = None,
    zone: tzinfo | None = None,
) -> dict[OrderStatus, int]:
    """Orders per status (every status present, zeros included) in one GROUP BY statement: over the
    order count parts when the filter is about statuses and stores only, over the day count parts
    (and the partial days' orders) when it adds one time range and `zone` is given, over a text
    term's index entries or count parts minus a negated term's orders when the criteria have that
    shape (services/orders/term_counts.py), over the orders otherwise."""
    criteria = criteria or OrderCriteria()
    _listed(principal, criteria)  # refuses what the list refuses, in any case
    await check_store_codes(sessions, criteria)
    scope = count_scope(principal, (criteria.filter, criteria.query))
    days = None if scope is not None or zone is None else day_count_scope(principal, _nodes(criteria))
    found: dict[OrderStatus, int] | None = None
    if scope is not None:
        found = await order_counts.count_by_status(sessions, scope)
    elif days is not None:
        found = await day_counts.count_by_status(sessions, days, zone)  # type: ignore[arg-type]
    if found is None and (counts := _term_counts(principal, criteria)) is not None:
        found = await term_counts.count_by_status(sessions, counts)
    if found is None:
        stmt = (
            _counted(principal, criteria).with_only_columns(Order.status, func.count()).group_by(Order.status)
        )
        async with sessions() as session:
            found = {status: int(n) for status, n in (await session.execute(stmt)).all()}
    return {status: found.get(status, 0) for status in STATUS_LIFECYCLE}


def _term_counts(principal: Principal, criteria: OrderCriteria) -> Select[Any, Any] | None:
    """The criteria's counts per status from indexes and count parts, if they have that shape
    (services/orders/term_counts.py)."""
    counted = lambda p, node: _counted(p, OrderCriteria(query=node))  # noqa: E731
    return term_counts.status_count_statement(principal, _nodes(criteria), counted)


def _nodes(criteria: OrderCriteria) -> tuple[f.Node | None, ...]:
    return (criteria.filter, criteria.query)


def _day_count(
    sessions: SessionFactory, principal: Principal, criteria: OrderCriteria, zone: tzinfo
) -> Callable[[], Awaitable[int | None]] | None:
    """`totalCount` from the day count parts when the criteria are one time range and scope terms;
    its None (parts not built for `zone`, no whole day) makes `paginate` count the orders."""
    days = day_count_scope(principal, _nodes(criteria))
    return None if days is None else partial(day_counts.count_orders, sessions, days, zone)
