"""Per-value counts of a filtered list, for its tabs (one per status or state)."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from services.db import SessionFactory

E = TypeVar("E", bound=Enum)


async def tab_counts(
    sessions: SessionFactory,
    column: InstrumentedAttribute[Any],
    where: ColumnElement[bool],
    values: type[E],
) -> dict[E, int]:
    """How many rows matching `where` hold each value of `values` in `column`, zeros included and in
    the enum's order, in one statement. `where` leaves out the tabs' own filter."""
    stmt = select(column, func.count()).where(where).group_by(column)
    async with sessions() as session:
        found = {values(value): int(n) for value, n in (await session.execute(stmt)).all()}
    return {value: found.get(value, 0) for value in values}
