"""`mallgraph recount-orders [--repair]`: the order count parts (models/orders/counts.py), the
day count parts in the configured zone (models/orders/day_counts.py) and the search's copies of
orders' statuses and names (services/orders/search_copies.py) against the orders."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.date_ranges import zone_name
from services.db import SessionFactory
from services.orders.counts import mismatches, rebuild_parts
from services.orders.day_counts import day_mismatches, rebuild_day_parts
from services.orders.search_copies import copy_drift, repair_copies


def _store(store_id: int | None) -> str:
    return "HQ warehouse" if store_id is None else f"store {store_id}"


async def recount(sessions: SessionFactory, zone: ZoneInfo, *, repair: bool) -> int:
    """Print every count that differs (day parts never built, or built for another zone, count as
    differing); with `repair`, rebuild what differs and check again. The exit code: 0 when all match."""
    found = await mismatches(sessions)
    for m in found:
        print(f"{_store(m.store_id)} {m.status}: parts sum to {m.parts:,}, orders {m.orders:,}")
    days = await day_mismatches(sessions, zone)
    if days is None:
        print(f"day counts are not built for {zone_name(zone)}")
    for d in days or ():
        where = f"{d.basis} {d.day} {_store(d.store_id)} {d.status}"
        print(f"{where}: parts sum to {d.parts:,}, orders {d.orders:,}")
    drift = await copy_drift(sessions)
    if drift:
        lines, names = f"{drift.lines:,} lines", f"{drift.names:,} consignee names"
        print(f"{lines} hold a status other than their order's; {names} are missing from their dictionary")
    if not found and days == [] and not drift:
        print("order counts match the orders")
        return 0
    if not repair:
        off = len(found) + (len(days) if days is not None else 1) + bool(drift)
        print(f"{off} counts differ; run with --repair to rebuild them")
        return 1
    written = await rebuild_parts(sessions) if found else 0
    if days != []:
        written += await rebuild_day_parts(sessions, zone)
    if drift:
        await repair_copies(sessions)
    left = await mismatches(sessions)
    days_left = await day_mismatches(sessions, zone)
    off = len(left) + (len(days_left) if days_left is not None else 1) + bool(await copy_drift(sessions))
    print(f"rebuilt: {written} parts, {off} counts differ now")
    return 0 if not off else 1
