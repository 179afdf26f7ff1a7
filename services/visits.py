"""Ingestion of page views (`trackEvents`): validate each event, store the good ones with one
multi-row INSERT that skips known event ids, and add them to the traffic rollups.

Events never change once stored, so the visits rollups are maintained right here, in the same
transaction as the insert, from exactly the rows the INSERT reported as new (RETURNING): a
re-sent batch adds nothing, and a crash adds nothing either. Each rollup takes one upsert that
adds to existing rows, keys sorted so that concurrent batches lock rows in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select

from models.campaigns.rows import Campaign
from models.catalog.rows import Product
from models.date_ranges import Granularity, local_day_start, local_hour_start
from models.enums import ActorType
from models.errors import DomainError, ErrorCode
from models.metrics.rollups import (
    ALL_STORES,
    ProductViewDay,
    ProductViewWeek,
    SourceDay,
    TrafficHour,
    VisitorDay,
)
from models.metrics.visits import MAX_EVENTS, EventRejectReason, PageView, Rejection, check
from models.principals import Actor, Principal
from models.stores.rows import Store
from models.visits import VisitEvent
from services.commands import Deps, Result, Work, run_command
from services.metrics import sets as metrics_sets
from services.metrics.sources import grain_floor
from services.metrics.sql import dialect_of, insert_ignoring, upsert_adding

_REFERENCES: tuple[tuple[str, Any, EventRejectReason], ...] = (
    ("product_id", Product, EventRejectReason.UNKNOWN_PRODUCT),
    ("store_id", Store, EventRejectReason.UNKNOWN_STORE),
    ("campaign_id", Campaign, EventRejectReason.UNKNOWN_CAMPAIGN),
)


async def track_events(
    deps: Deps, principal: Principal, items: Sequence[PageView | Rejection], now: datetime | None = None
) -> Result:
    """Store the acceptable events of a batch; `items` holds a Rejection where the edge could not
    even read an event (a malformed id). Returns accepted / duplicates / rejected counts."""
    if len(items) > MAX_EVENTS:
        raise DomainError(
            ErrorCode.BATCH_TOO_LARGE, f"at most {MAX_EVENTS} events a call; got {len(items)}", "events"
        )

    async def use_case(work: Work) -> Result:
        rejected = [item for item in items if isinstance(item, Rejection)]
        candidates: list[tuple[int, PageView]] = []
        for index, item in enumerate(items):
            if isinstance(item, PageView):
                problem = check(item, work.now)
                if problem is None:
                    candidates.append((index, item))
                else:
                    rejected.append(Rejection(index, *problem))
        candidates, missing = await _existing(work, candidates)
        rejected.extend(missing)
        unique: dict[str, PageView] = {}
        for _, event in candidates:
            unique.setdefault(event.event_id, event)
        stored = await _insert(work, principal, list(unique.values()))
        await _add_to_rollups(work, stored)
        return {
            "accepted": len(stored),
            "duplicates": len(candidates) - len(stored),
            "rejected": [
                {"index": r.index, "reason": r.reason.value, "message": r.message}
                for r in sorted(rejected, key=lambda r: r.index)
            ],
        }

    actor = Actor(ActorType.CUSTOMER, principal.subject)
    return await run_command(deps, principal, "trackEvents", use_case, actor=actor, now=now)


async def _existing(
    work: Work, candidates: list[tuple[int, PageView]]
) -> tuple[list[tuple[int, PageView]], list[Rejection]]:
    """Drop events naming a product, store or campaign that does not exist (one query per kind)."""
    known: dict[str, set[int]] = {}
    for name, model, _ in _REFERENCES:
        wanted = {getattr(e, name) for _, e in candidates if getattr(e, name) is not None}
        if wanted:
            found = await work.session.scalars(select(model.id).where(model.id.in_(sorted(wanted))))
            known[name] = set(found.all())
    kept: list[tuple[int, PageView]] = []
    rejected: list[Rejection] = []
    for index, event in candidates:
        for name, _, reason in _REFERENCES:
            value = getattr(event, name)
            if value is not None and value not in known.get(name, set()):
                rejected.append(Rejection(index, reason, f"{name} {value} does not exist"))
                break
        else:
            kept.append((index, event))
    return kept, rejected


async def _insert(work: Work, principal: Principal, events: list[PageView]) -> list[Any]:
    """One multi-row INSERT … ON CONFLICT DO NOTHING; returns the rows actually inserted."""
    if not events:
        return []
    table: Table = VisitEvent.__table__  # type: ignore[assignment]
    rows = [
        {
            "event_id": e.event_id,
            "visitor_id": e.visitor_id,
            "customer_id": principal.customer_id,
            "session_id": e.session_id,
            "page_type": e.page_type,
            "product_id": e.product_id,
            "campaign_id": e.campaign_id,
            "store_id": e.store_id,
            "source": e.source,
            "dwell_ms": e.dwell_ms,
            "occurred_at": e.occurred_at,
            "received_at": work.now,
        }
        for e in events
    ]
    statement = insert_ignoring(dialect_of(work.session), table, rows).returning(
        table.c.visitor_id,
        table.c.store_id,
        table.c.product_id,
        table.c.source,
        table.c.dwell_ms,
        table.c.occurred_at,
    )
    return list((await work.session.execute(statement)).all())


async def _add_to_rollups(work: Work, stored: list[Any]) -> None:
    if not stored:
        return
    zone = work.deps.rules.zone
    hours: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    products: dict[tuple[Any, ...], int] = defaultdict(int)
    weeks: dict[tuple[Any, ...], int] = defaultdict(int)
    visitors: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    sources: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0])
    for row in stored:
        store = row.store_id or 0
        day = local_day_start(row.occurred_at, zone)
        is_product = 1 if row.product_id is not None else 0
        sources[(day, store, row.source, row.visitor_id)][0] += 1
        for bucket, key in (
            (hours, (local_hour_start(row.occurred_at, zone), store)),
            (visitors, (day, store, row.visitor_id)),
        ):
            sums = bucket[key]
            sums[0] += 1
            sums[1] += is_product
            sums[2] += row.dwell_ms
        if is_product:
            products[(day, store, row.product_id)] += 1
            products[(day, ALL_STORES, row.product_id)] += 1
            weeks[(grain_floor(row.occurred_at, Granularity.WEEK, zone), ALL_STORES, row.product_id)] += 1
    dialect = dialect_of(work.session)
    await _upsert(work, dialect, TrafficHour.__table__, ("bucket_start", "store_id"), hours)  # type: ignore[arg-type]
    await _upsert(
        work,
        dialect,
        VisitorDay.__table__,  # type: ignore[arg-type]
        ("day_start", "store_id", "visitor_id"),
        visitors,
    )
    await _upsert(
        work,
        dialect,
        SourceDay.__table__,  # type: ignore[arg-type]
        ("day_start", "store_id", "source", "visitor_id"),
        sources,
    )
    await _upsert(
        work,
        dialect,
        ProductViewDay.__table__,  # type: ignore[arg-type]
        ("day_start", "store_id", "product_id"),
        {k: [v] for k, v in products.items()},
    )
    await _upsert(
        work,
        dialect,
        ProductViewWeek.__table__,  # type: ignore[arg-type]
        ("week_start", "store_id", "product_id"),
        {k: [v] for k, v in weeks.items()},
    )
    await metrics_sets.mark_changed(work.session, ((day, store) for day, store, _ in visitors))


async def _upsert(
    work: Work, dialect: str, table: Table, keys: tuple[str, ...], sums: dict[tuple[Any, ...], Any]
) -> None:
    if not sums:
        return
    values = [c.name for c in table.columns if c.name not in keys]
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(values, sums[key], strict=True))}
        for key in sorted(sums, key=lambda k: tuple(str(part) for part in k))
    ]
    await work.session.execute(upsert_adding(dialect, table, keys, rows))
