"""Orders counted per (store, status), kept by the database itself, and when a count may use them.

The admin list shows `totalCount` on every page and the status tabs show a count per status; a
`count(*)` over the matching orders grows with the chain's whole history, and most of those counts
ask only "these statuses, these stores".

`order_count_parts` answers that from a few hundred rows. Triggers on `orders` (migration 0008)
append a part for every insert (+1), delete (−1) and change of status or store (−1 for the old
pair, +1 for the new) in the writer's own transaction, so the sum over a pair's parts is always
exactly the number of its committed orders, whatever wrote them (services, sweeps, the generator,
hand-written SQL). Writers only ever append: no row is shared between concurrent transactions, so
counting adds no lock that order placement or a sweep could wait on or deadlock over.
`services/orders/counts.py` merges the parts from time to time and reads them.

What may be counted this way is decided here, without I/O: a filter that is an AND of statuses,
store ids and store codes, seen by someone whose scope is "all stores" or a set of stores. The same
plus one time range is counted from the day count parts (models/orders/day_counts.py). Anything
else (amounts, text, a shopper's own orders, OR, NOT) is counted over `orders` as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, id_pk
from models.enums import Role
from models.orders import filters as f
from models.orders.states import OrderStatus
from models.principals import Principal

T = TypeVar("T")


class OrderCountPart(Base):
    """+n or −n orders of one (store, status) pair; a pair's count is the sum of its parts.

    No foreign key to `stores`: a part is written by a trigger inside every order write, and a key
    check would take a share lock on the store row there. `store_id` is None for the HQ
    warehouse's express orders, as on `orders`.
    """

    __tablename__ = "order_count_parts"
    __table_args__ = (Index("ix_order_count_parts_status_store", "status", "store_id"),)

    id: Mapped[int] = id_pk()
    store_id: Mapped[int | None] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True, slots=True)
class CountScope:
    """Orders whose status is in `statuses` (None: any) at a store in `store_ids` (None: any store,
    the HQ warehouse included) whose code is in `store_codes` (None: any code)."""

    statuses: frozenset[OrderStatus] | None = None
    store_ids: frozenset[int] | None = None
    store_codes: frozenset[str] | None = None


def count_scope(principal: Principal, filters: Iterable[f.Node | None]) -> CountScope | None:
    """The pairs that `principal`'s orders matching every filter in `filters` fall in, or None when
    the filters or the principal's scope ask something the parts cannot answer.

    The caller has already refused principals who may not list orders at all.
    """
    scope = CountScope()
    if not principal.sees_all_stores():
        if principal.role is not Role.STORE_STAFF:
            return None  # a shopper's orders are picked by customer, which the parts do not hold
        scope = CountScope(store_ids=frozenset(principal.store_ids))
    for node in filters:
        if node is None:
            continue
        for leaf in node.children if isinstance(node, f.AllOf) else (node,):
            narrowed = _narrowed(scope, leaf)
            if narrowed is None:
                return None
            scope = narrowed
    return scope


def _narrowed(scope: CountScope, leaf: f.Node) -> CountScope | None:
    """`scope` ANDed with one filter term, or None when the term is not about statuses or stores."""
    if isinstance(leaf, f.EnumIn) and leaf.field is f.EnumField.STATUS:
        statuses = frozenset(OrderStatus(str(v)) for v in leaf.values)
        return CountScope(_both(scope.statuses, statuses), scope.store_ids, scope.store_codes)
    if isinstance(leaf, f.IdIn) and leaf.field is f.IdField.STORE:
        return CountScope(scope.statuses, _both(scope.store_ids, leaf.ids), scope.store_codes)
    if isinstance(leaf, f.NameIn) and leaf.field is f.NameField.STORE_CODE:
        return CountScope(scope.statuses, scope.store_ids, _both(scope.store_codes, leaf.names))
    return None


def _both(current: frozenset[T] | None, more: frozenset[T]) -> frozenset[T]:
    return more if current is None else current & more
