"""Per-status counts of text-term criteria that read indexes and count parts, not every match.

Two shapes of the admin list's criteria (their AND-ed terms), for the status tabs and `totalCount`:

- a product term, bare word or consignee term, alone or with status terms, for a caller who sees
  every store: the (order id, status) pairs of its matches from indexes alone
  (`text_search.status_pairs`), counted per status;
- terms R that the order count parts answer (statuses, stores, the caller's stores) and one
  negated term ¬X: per status, R's parts minus the orders of R ∧ X (counted by the first shape
  when it applies, over the orders otherwise). R ∧ X and R ∧ ¬X split R's orders, so the
  difference is exact; it is one statement, so both sides see one snapshot.

Any other criteria get None: the caller counts the matching orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, false, func, select, union_all

from models.enums import Role
from models.orders import filters as f
from models.orders.counts import count_scope
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import Principal
from services.db import SessionFactory
from services.orders import counts as order_counts
from services.orders.text_search import STATUS_PAIR_FIELDS, status_pairs

Counted = Callable[[Principal, f.Node], Select[Any]]
"""`SELECT orders WHERE <the caller's scope AND the node>`: what a count over the orders reads."""


def status_count_statement(
    principal: Principal, nodes: tuple[f.Node | None, ...], counted: Counted
) -> Select[Any, Any] | None:
    """Rows (status, n), one per status holding matches of every node in `nodes` that `principal`
    may see (statuses without any may be left out or read 0), or None when neither shape applies.

    The caller has refused what the list refuses (an analyst searching by phone)."""
    terms = _conjuncts(nodes)
    found = _pairs_count(principal, terms)
    if found is not None:
        return found
    negated = [t for t in terms if isinstance(t, f.Not)]
    if len(negated) != 1:
        return None
    rest = [t for t in terms if t is not negated[0]]
    scope = count_scope(principal, rest)
    if scope is None:
        return None
    parts = order_counts.by_status_select(scope)
    if parts is None:  # R holds no order
        return (
            select(Order.status.label("status"), func.count().label("n"))
            .where(false())
            .group_by(Order.status)
        )
    kept = [*rest, negated[0].child]
    inner = _pairs_count(principal, kept)
    if inner is None:
        inner = (
            counted(principal, f.all_of(*kept))
            .with_only_columns(Order.status.label("status"), func.count().label("n"))
            .group_by(Order.status)
        )
    matched = inner.subquery()
    both = union_all(parts, select(matched.c.status, -matched.c.n)).subquery()
    return select(both.c.status, func.sum(both.c.n).label("n")).group_by(both.c.status)


def _conjuncts(nodes: tuple[f.Node | None, ...]) -> list[f.Node]:
    return [
        t
        for node in nodes
        if node is not None
        for t in (node.children if isinstance(node, f.AllOf) else (node,))
    ]


def _pairs_count(principal: Principal, terms: list[f.Node]) -> Select[Any, Any] | None:
    """The first shape: one pair-read term and status terms, a caller who sees every store."""
    if not principal.sees_all_stores():
        return None
    texts = [t for t in terms if isinstance(t, f.TextMatch) and t.field in STATUS_PAIR_FIELDS]
    if len(texts) != 1:
        return None
    scope = count_scope(principal, [t for t in terms if t is not texts[0]])
    if scope is None or scope.store_ids is not None or scope.store_codes is not None:
        return None
    pairs = status_pairs(texts[0], phones=principal.role is not Role.ANALYST).subquery()
    stmt = select(pairs.c.status, func.count(func.distinct(pairs.c.order_id)).label("n"))
    if scope.statuses is not None:
        stmt = stmt.where(pairs.c.status.in_(sorted(s.value for s in scope.statuses)))
    return stmt.group_by(pairs.c.status)


async def count_by_status(sessions: SessionFactory, stmt: Select[Any, Any]) -> dict[OrderStatus, int]:
    """The rows of a `status_count_statement`, statuses without orders left out."""
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    return {OrderStatus(str(getattr(status, "value", status))): int(n) for status, n in rows if n}


async def count_total(sessions: SessionFactory, stmt: Select[Any, Any]) -> int:
    """The sum of a `status_count_statement`'s counts: how many orders match."""
    counts = stmt.subquery()
    async with sessions() as session:
        total = await session.scalar(select(func.coalesce(func.sum(counts.c.n), 0)))
    return int(total or 0)
