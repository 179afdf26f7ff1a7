"""Time-range counts from the day count parts equal `count(*)` over the orders, whatever the writes,
merges and time zone (models/orders/day_counts.py, services/orders/day_counts.py, migration 0034)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, delete, func, select, update

import cli
from models.date_ranges import local_midnight
from models.enums import Role
from models.orders import filters as f
from models.orders.counts import CountScope
from models.orders.day_counts import (
    DayBasis,
    DayCountScope,
    OrderDayCountPart,
    irregular_days,
    split_days,
    zone_offsets,
)
from models.orders.query_language import parse_query
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import Principal
from models.stores.rows import Store
from services.db import unit_of_work
from services.orders import day_counts
from services.orders.search import OrderCriteria, count_by_status, list_orders
from services.pagination import PageRequest
from tests.conftest import Database
from tests.factories import Seed

ZONES = ["Asia/Shanghai", "America/New_York", "Asia/Beirut"]
"""No DST; DST changes at 02:00; DST ending at midnight (back to 23:00: a 25-hour day)."""
FIRST_DAY = date(2026, 10, 22)  # around the end of DST in New York (Nov 1) and Beirut (Oct 25)
DAYS = 12
STATUSES = list(OrderStatus)
HQ = Principal(Role.HQ_ADMIN, "hq")

moments = st.tuples(
    st.integers(0, DAYS - 1), st.sampled_from([0, 1, 59, 60, 120, 150, 719, 1380, 1439, -1])
)  # (day, minute of the local day; -1: the last microsecond before its midnight)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("place"), st.integers(0, 3), moments, st.sampled_from(STATUSES), st.booleans()),
        st.tuples(st.just("pay"), st.integers(0, 30), moments),
        st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(STATUSES)),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("unpay"), st.integers(0, 30)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("merge")),
    ),
    min_size=5,
    max_size=30,
)


@cache
def _irregular(key: str) -> frozenset[date]:
    return irregular_days(zone_offsets(ZoneInfo(key)))


def _at(moment: tuple[int, int], zone: ZoneInfo) -> datetime:
    day, minute = moment
    midnight = local_midnight(FIRST_DAY + timedelta(days=day), zone)
    if minute < 0:
        return local_midnight(FIRST_DAY + timedelta(days=day + 1), zone) - timedelta(microseconds=1)
    return midnight + timedelta(minutes=minute)


async def _raw(db: Database, basis: DayBasis, start: datetime | None, end: datetime | None) -> Counter[Any]:
    """(store, status) → count(*) of the orders in the range, straight from the orders."""
    at = Order.created_at if basis is DayBasis.CREATED else Order.paid_at
    conditions: list[ColumnElement[bool]] = [at.is_not(None)]
    if start is not None:
        conditions.append(at >= start)
    if end is not None:
        conditions.append(at < end)
    stmt = select(Order.store_id, Order.status, func.count()).where(*conditions)
    async with db.sessions() as s:
        rows = (await s.execute(stmt.group_by(Order.store_id, Order.status))).all()
    return Counter({(store, status): n for store, status, n in rows})


async def _apply(
    db: Database,
    step: tuple[Any, ...],
    orders: list[int],
    stores: list[Store],
    seed: Seed,
    customer: Any,
    sku: Any,
    zone: ZoneInfo,
) -> None:
    kind = step[0]
    if kind == "merge":
        await day_counts.merge_day_parts(db.sessions)
        return
    if kind == "place":
        _, store, moment, status, paid = step
        placed = await seed.order(
            None if store == 3 else stores[store],
            customer,
            [(sku, 1)],
            status=status,
            created_at=_at(moment, zone),
            paid_at=_at(moment, zone) + timedelta(minutes=5) if paid else None,
        )
        orders.append(placed.id)
        return
    if not orders:
        return
    order_id = orders[step[1] % len(orders)]
    one = update(Order).where(Order.id == order_id)
    async with unit_of_work(db.sessions) as s:
        if kind == "pay":  # payment: status and paid time in one write
            values: dict[str, Any] = {"status": OrderStatus.PENDING_SHIPMENT, "paid_at": _at(step[2], zone)}
            await s.execute(one.values(**values))
        elif kind == "status":
            await s.execute(one.values(status=step[2]))
        elif kind == "move":  # reallocation to another store (or the HQ warehouse)
            await s.execute(one.values(store_id=None if step[2] == 3 else stores[step[2]].id))
        elif kind == "cancel":
            await s.execute(one.values(status=OrderStatus.CANCELLED))
        elif kind == "unpay":
            await s.execute(one.values(paid_at=None))
        else:
            await s.execute(delete(Order).where(Order.id == order_id))
            orders.remove(order_id)


def _ranges(zone: ZoneInfo) -> list[tuple[datetime | None, datetime | None]]:
    def day(n: int) -> datetime:
        return local_midnight(FIRST_DAY + timedelta(days=n), zone)

    return [
        (day(2), None),  # paid:>=…
        (None, day(5)),
        (day(1), day(9)),  # whole days only
        (day(1) + timedelta(minutes=90), day(9) - timedelta(minutes=1)),  # partial first and last days
        (day(2) - timedelta(microseconds=1), day(4) + timedelta(microseconds=1)),
        (day(2), day(4)),  # Beirut's Oct 24 has 25 hours
        (day(0) + timedelta(hours=1), day(0) + timedelta(hours=5)),  # no whole day
    ]


async def _check(db: Database, stores: list[Store], zone: ZoneInfo) -> None:
    staff = Principal(Role.STORE_STAFF, "staff", store_ids=frozenset({stores[0].id, stores[1].id}))
    for basis in DayBasis:
        field = f.TimeField(basis.value)
        for start, end in _ranges(zone):
            raw = await _raw(db, basis, start, end)
            when = f.time_in(field, start, end, zone)
            for principal, extra in (
                (HQ, None),
                (HQ, f.enum_in(f.EnumField.STATUS, [OrderStatus.COMPLETED, OrderStatus.PENDING_SHIPMENT])),
                (HQ, f.name_in(f.NameField.STORE_CODE, [stores[2].code])),
                (staff, None),
                (staff, f.id_in(f.IdField.STORE, [stores[1].id])),
            ):
                node = when if extra is None else f.all_of(when, extra)
                criteria = OrderCriteria(filter=node)
                wanted = Counter[OrderStatus]()
                for (store, status), n in raw.items():
                    if principal is staff and store not in principal.store_ids:
                        continue
                    if isinstance(extra, f.EnumIn) and status not in extra.values:
                        continue
                    if isinstance(extra, f.NameIn) and store != stores[2].id:
                        continue
                    if isinstance(extra, f.IdIn) and store not in extra.ids:
                        continue
                    wanted[status] += n
                tabs = await count_by_status(db.sessions, principal, criteria, zone=zone)
                assert {s: n for s, n in tabs.items() if n} == dict(wanted), (basis, start, end, extra)
                page = await list_orders(db.sessions, principal, PageRequest(first=1), criteria, zone=zone)
                assert await page.count() == sum(wanted.values())
            # the parts answered (not the fallback), unless the range holds no regular whole day
            split = split_days(start, end, zone, _irregular(zone.key))
            answered = await day_counts.count_orders(
                db.sessions, DayCountScope(CountScope(), basis, start, end), zone
            )
            assert (answered is None) == (split is None)
            if answered is not None:
                assert answered == sum(raw.values())


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(zone_key=st.sampled_from(ZONES), plan=steps)
async def test_time_range_counts_equal_the_scan(
    db: Database, zone_key: str, plan: list[tuple[Any, ...]]
) -> None:
    await db.reset()
    zone = ZoneInfo(zone_key)
    await day_counts.rebuild_day_parts(db.sessions, zone)
    seed = Seed(db.sessions)
    stores = [await seed.store(f"D{i:03d}") for i in range(3)]
    customer = await seed.customer()
    sku = (await seed.product())[1][0]
    orders: list[int] = []
    for step in plan:
        await _apply(db, step, orders, stores, seed, customer, sku, zone)
    await _check(db, stores, zone)
    assert await day_counts.day_mismatches(db.sessions, zone) == []
    await day_counts.merge_day_parts(db.sessions)
    await _check(db, stores, zone)


async def test_the_query_language_and_a_change_of_zone(db: Database) -> None:
    """`paid:>=…` reads the parts; parts built for another zone are not read, and the sweep's
    `ensure_day_parts` rebuilds them for the configured one."""
    shanghai, new_york = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    seed = Seed(db.sessions)
    store, customer = await seed.store("D001"), await seed.customer()
    sku = (await seed.product())[1][0]
    for hours in range(0, 96, 7):
        at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours)
        await seed.order(store, customer, [(sku, 1)], status=OrderStatus.COMPLETED, created_at=at, paid_at=at)
    scope = DayCountScope(CountScope(), DayBasis.PAID, datetime(2026, 11, 2, tzinfo=UTC), None)
    assert await day_counts.count_orders(db.sessions, scope, shanghai) is None  # never built
    assert await day_counts.ensure_day_parts(db.sessions, shanghai) > 0
    criteria = OrderCriteria(query=parse_query("paid:>=2026-11-02", shanghai))
    truth = (await _raw(db, DayBasis.PAID, datetime(2026, 11, 1, 16, tzinfo=UTC), None)).total()
    assert (await count_by_status(db.sessions, HQ, criteria, zone=shanghai))[OrderStatus.COMPLETED] == truth
    ny_scope = DayCountScope(CountScope(), DayBasis.PAID, local_midnight(date(2026, 11, 2), new_york), None)
    assert await day_counts.count_orders(db.sessions, ny_scope, new_york) is None  # built for Shanghai
    ny_criteria = OrderCriteria(query=parse_query("paid:>=2026-11-02", new_york))
    ny_truth = (await _raw(db, DayBasis.PAID, local_midnight(date(2026, 11, 2), new_york), None)).total()
    assert (await count_by_status(db.sessions, HQ, ny_criteria, zone=new_york))[
        OrderStatus.COMPLETED
    ] == ny_truth
    await day_counts.ensure_day_parts(db.sessions, new_york)
    assert await day_counts.count_orders(db.sessions, ny_scope, new_york) == ny_truth
    assert await day_counts.count_orders(db.sessions, scope, shanghai) is None


async def test_a_bypassed_trigger_is_found_and_repaired(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mallgraph recount-orders` checks the day parts in the configured zone; --repair rebuilds them."""
    seed = Seed(db.sessions)
    store, customer = await seed.store("D001"), await seed.customer()
    sku = (await seed.product())[1][0]
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    monkeypatch.setattr(cli, "configure_logging", lambda settings: None)

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["recount-orders", *argv])
        return code, capsys.readouterr().out

    code, out = await asyncio.to_thread(run)
    assert code == 1
    assert "day counts are not built for Asia/Shanghai" in out
    assert (await asyncio.to_thread(run, "--repair"))[0] == 0
    at = datetime(2026, 11, 1, 20, tzinfo=UTC)  # 04:00 on Nov 2 in Shanghai
    await seed.order(store, customer, [(sku, 1)], status=OrderStatus.COMPLETED, created_at=at, paid_at=at)
    assert await asyncio.to_thread(run) == (0, "order counts match the orders\n")
    async with unit_of_work(db.sessions) as s:  # as a restore with the triggers off would leave it
        await s.execute(delete(OrderDayCountPart).where(OrderDayCountPart.basis == "paid"))
    code, out = await asyncio.to_thread(run)
    assert code == 1
    assert out.splitlines()[0] == f"paid 2026-11-02 store {store.id} COMPLETED: parts sum to 0, orders 1"
    code, out = await asyncio.to_thread(run, "--repair")
    assert code == 0
    assert out.splitlines()[-1].endswith(", 0 counts differ now")
    assert await day_counts.day_mismatches(db.sessions, ZoneInfo("Asia/Shanghai")) == []


def test_a_day_that_begins_again_is_never_read_from_parts() -> None:
    """A change of offset that turns the clock back across midnight (00:30 → 23:30 the day before)
    makes that day two intervals: such days are counted from the orders."""
    change = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 00:30 on Mar 2 at +2, then 23:30 on Mar 1 at +1
    offsets = [(datetime(1970, 1, 1, tzinfo=UTC), 7200), (change, 3600)]
    assert irregular_days(offsets) == {date(2026, 3, 1), date(2026, 3, 2)}
    assert irregular_days(zone_offsets(ZoneInfo("Asia/Beirut"))) == frozenset()
    assert irregular_days(zone_offsets(ZoneInfo("America/New_York"))) == frozenset()
