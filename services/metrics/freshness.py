"""Before a request reads the rollups: are they current, and which groups may it read?

`freshen` reads, in one statement, every group's state row together with what the raw tables say
now — the newest `updated_at` of the orders and of the after-sales, and whether page-view
ingestion left visitor-set markers — and refreshes only when that shows a need
(`services/metrics/rollups.py` does the work): a group never built (or built with another zone or
definition version), a last refresh older than `max_age`, a source row newer than the group's
high-water mark, or a marker waiting. When nothing changed, that one statement is the whole cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import cast

from sqlalchemy import exists, func, select

from models.after_sales.rows import AfterSale
from models.metrics.rollups import RollupState
from models.metrics.sets import DaySetChange
from models.orders.rows import Order
from services.db import SessionFactory
from services.metrics import sets as metrics_sets
from services.metrics.rollups import CHANGE_OVERLAP, GROUPS, is_being_built, is_current, refresh_rollups

SOURCES = {"orders": Order.updated_at, "refunds": AfterSale.updated_at}
"""The recomputed groups and the column whose maximum is their high-water mark."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state rows and, read in the same statement, the raw tables' newest changes."""

    states: dict[str, RollupState]
    newest: dict[str, datetime | None]
    """Per recomputed group (`SOURCES`), the largest `updated_at` of its source rows."""
    markers: bool
    """Whether visitor-set change markers are waiting."""


async def snapshot(sessions: SessionFactory) -> Snapshot:
    """One statement: a row per state row, each carrying the newest changes (uncorrelated
    subqueries, computed once). No state row at all: nothing is built, and nothing else matters."""
    newest = [select(func.max(column)).scalar_subquery() for column in SOURCES.values()]
    markers = exists(select(DaySetChange.id))
    async with sessions() as session:
        rows = (await session.execute(select(RollupState, *newest, markers))).all()
    if not rows:
        return Snapshot({}, dict.fromkeys(SOURCES), markers=False)
    first = rows[0]
    newest_at = [cast(datetime | None, value) for value in first[1 : 1 + len(SOURCES)]]
    return Snapshot(
        {row[0].name: row[0] for row in rows},
        dict(zip(SOURCES, newest_at, strict=True)),
        markers=bool(first[-1]),
    )


def refresh_needed(found: Snapshot, zone: tzinfo, now: datetime, max_age: timedelta) -> timedelta | None:
    """None: nothing to recompute; else the overlap the refresh should re-read (a group to build
    or a refresh older than `max_age`: the full overlap; only newer source rows: none)."""
    states = found.states
    for group in GROUPS:
        state = states.get(group)
        if not is_current(state, zone) and not is_being_built(state, now):
            return CHANGE_OVERLAP
    current = {g: states[g] for g in SOURCES if is_current(states.get(g), zone)}
    if any(s.refreshed_at <= now - max_age for s in current.values()):
        return CHANGE_OVERLAP
    behind = any(
        (latest := found.newest[g]) is not None and (state.seen_until is None or latest > state.seen_until)
        for g, state in current.items()
    )
    return timedelta(0) if behind else None


async def freshen(
    sessions: SessionFactory, zone: tzinfo, now: datetime, max_age: timedelta
) -> frozenset[str]:
    """Before serving metrics: build a missing group; fold in changes newer than the high-water
    mark and visitor-set markers (one statement when there are none); when the last refresh is
    older than `max_age`, re-read the overlap too (the sweeper does that every run). Returns the
    groups whose rollups are complete and may be read."""
    found = await snapshot(sessions)
    states = found.states
    overlap = refresh_needed(found, zone, now, max_age)
    if overlap is not None:
        await refresh_rollups(sessions, zone, now, overlap)  # visitor sets included
        states = (await snapshot(sessions)).states
    elif found.markers:
        await metrics_sets.refresh_visitor_sets(sessions, zone)
    return frozenset(name for name, s in states.items() if is_current(s, zone))
