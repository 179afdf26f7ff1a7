"""The copies the status tabs of text terms read (migration 0039), checked and repaired.

Triggers keep every line's `order_status` equal to its order's status and every order's consignee
name in `order_consignee_names`. These are the operator's check after something may have bypassed
them (a data-only restore with triggers disabled): they read every line and order, so they are
maintenance commands, not request paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, insert, or_, select, update

from models.orders.rows import Order, OrderConsigneeName, OrderLine
from services.db import SessionFactory, unit_of_work


@dataclass(frozen=True, slots=True)
class CopyDrift:
    """How many lines hold a status other than their order's, and how many consignee names of
    orders the dictionary lacks."""

    lines: int
    names: int

    def __bool__(self) -> bool:
        return bool(self.lines or self.names)


def _order_status() -> ScalarSelect[Any]:
    """The status of the line's order, for a statement over lines."""
    return select(Order.status).where(Order.id == OrderLine.order_id).scalar_subquery()


def _stale() -> ColumnElement[bool]:
    """The line's status copy differs from its order's status."""
    return or_(OrderLine.order_status.is_(None), OrderLine.order_status != _order_status())


def _missing_name() -> ColumnElement[bool]:
    """The order's consignee name is not in the dictionary."""
    return Order.consignee_name.not_in(select(OrderConsigneeName.consignee_name))


async def copy_drift(sessions: SessionFactory) -> CopyDrift:
    """What differs now (one snapshot per count)."""
    async with sessions() as session:
        lines = await session.scalar(select(func.count()).select_from(OrderLine).where(_stale()))
        names = await session.scalar(
            select(func.count(func.distinct(Order.consignee_name))).where(_missing_name())
        )
    return CopyDrift(int(lines or 0), int(names or 0))


async def repair_copies(sessions: SessionFactory) -> None:
    """Copy every order's status to its lines where they differ and add the missing names."""
    missing = select(Order.consignee_name).distinct().where(_missing_name())
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(OrderLine)
            .where(_stale())
            .values(order_status=_order_status())
            .execution_options(synchronize_session=False)
        )
        await session.execute(insert(OrderConsigneeName).from_select(["consignee_name"], missing))
