"""The order lists' keyset sorts: a sort spec to SQL keys and the row getters that make cursors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import case

from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.orders.sorting import DEFAULT_ORDER_SORT, OrderSortKey, OrderSortSpec, SortDirection
from models.orders.tabs import STATUS_RANK
from services.pagination import Sort, SortKey

_UNPAID_LAST: Final = case((Order.paid_at.is_(None), 1), else_=0)
_STATUS_RANK: Final = case(
    {status.value: rank for status, rank in STATUS_RANK.items()},
    value=Order.status,
    else_=len(STATUS_RANK),
)

_Getter = Callable[[Order], Any]


def _keys(spec: OrderSortSpec) -> list[tuple[SortKey, _Getter]]:
    descending = spec.direction is SortDirection.DESC
    match spec.key:
        case OrderSortKey.CREATED_AT:
            return [(SortKey(Order.created_at, descending, datetime), lambda o: o.created_at)]
        case OrderSortKey.PAID_AT:
            return [
                (SortKey(_UNPAID_LAST, False), lambda o: int(o.paid_at is None)),
                (SortKey(Order.paid_at, descending, datetime, nullable=True), lambda o: o.paid_at),
            ]
        case OrderSortKey.TOTAL:
            return [(SortKey(Order.payable_amount, descending), lambda o: o.payable_amount)]
        case OrderSortKey.ORDER_NO:
            return [(SortKey(Order.order_no, descending, str), lambda o: o.order_no)]
        case OrderSortKey.STATUS:
            return [(SortKey(_STATUS_RANK, descending), lambda o: STATUS_RANK[o.status])]


def order_sort(specs: Sequence[OrderSortSpec]) -> Sort:
    """The keyset sort of a sort spec; id (in the last key's direction) breaks every tie.

    The sort's name spells the whole spec, so a cursor made under one sort is refused under another.
    One `Sort` per spec (frozen, its keys SQL expressions of the mapped columns): made once.
    """
    return _order_sort(tuple(specs) or DEFAULT_ORDER_SORT)


@lru_cache(maxsize=256)
def _order_sort(specs: tuple[OrderSortSpec, ...]) -> Sort:
    if len({s.key for s in specs}) != len(specs):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give each sort key at most once", "sort")
    pairs = [pair for spec in specs for pair in _keys(spec)]
    pairs.append((SortKey(Order.id, specs[-1].direction is SortDirection.DESC), lambda o: o.id))
    getters = [getter for _, getter in pairs]
    return Sort(
        ",".join(f"{s.key.value}:{s.direction.value}" for s in specs),
        tuple(key for key, _ in pairs),
        lambda row: tuple(g(row) for g in getters),
        frozenset({"id", *(_SORT_READS[s.key] for s in specs)}),
    )


_SORT_READS: Final = {
    OrderSortKey.CREATED_AT: "created_at",
    OrderSortKey.PAID_AT: "paid_at",
    OrderSortKey.TOTAL: "payable_amount",
    OrderSortKey.ORDER_NO: "order_no",
    OrderSortKey.STATUS: "status",
}
"""The row attribute each sort key's getter (`_keys`) reads."""


ORDERS_NEWEST_FIRST: Final = order_sort(DEFAULT_ORDER_SORT)
