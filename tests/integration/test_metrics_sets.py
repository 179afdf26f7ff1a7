"""Day sets (roaring bitmaps per store and local day) count exactly what COUNT(DISTINCT) counts.

Property-based: hypothesis draws sequences of changes around local midnights (and the New York
fall-back day) — orders placed, paid, accepted and moved between stores, paid orders cancelled
through the real use case (a full refund), unpaid ones cancelled, page views from a small pool of
visitors, with and without a product — in a business time zone with and without daylight saving.
After the sweeper's incremental refresh, every distinct count (paying and ordering customers,
visitors, product visitors) over random unions of stores and of whole or partial days, read from
the day sets, equals the raw rows' SQL COUNT(DISTINCT); the sets themselves equal a rebuild.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select, update

from bench.generator import generate
from models.catalog.rows import Product
from models.customers.rows import Customer
from models.date_ranges import local_midnight
from models.enums import PageType, Role, SourceChannel
from models.metrics.visits import PageView
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Deps, run_command
from services.config import RulesConfig
from services.metrics.engine import Engine
from services.metrics.facts import PAID, PLACED, VISITS
from services.metrics.measures import distinct
from services.metrics.rollups import GROUPS, refresh_rollups
from services.metrics.sql import Span
from services.orders import lifecycle as orders
from services.payments import DevPaymentGateway
from services.visits import track_events
from tests.conftest import Database

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
HQ = Principal(Role.HQ_ADMIN, "hq-test")
ZONES = ["Asia/Shanghai", "America/New_York"]
FALL_BACK = date(2026, 11, 1)  # New York leaves daylight saving time: a 25-hour local day
COUNTS = {
    "paying": (PAID, distinct("customer_id")),
    "ordering": (PLACED, distinct("customer_id")),
    "visitors": (VISITS, distinct("visitor_id")),
    "product_visitors": (VISITS, distinct("visitor_id", when="product_pv")),
}

moments = st.tuples(
    st.integers(1, 20) | st.just(-1),  # local days before NOW's (-1: the fall-back day)
    st.integers(-180, 180),  # minutes around that local midnight
)
place = st.tuples(st.just("place"), st.integers(0, 10_000), moments, st.integers(0, 10_000))
later = st.tuples(
    st.sampled_from(["pay", "accept", "cancel", "cancel_paid"]),
    st.integers(0, 10_000),  # which order in that state
    st.integers(0, 600),  # minutes after its previous moment (across midnight or not)
)
page_view = st.tuples(
    st.just("view"),
    st.integers(0, 7),  # visitor: a small pool, so visitors return across days and stores
    moments,
    st.integers(0, 10_000),  # store (or none)
    st.booleans(),  # a product page
)
changes = st.lists(st.one_of(place, later, page_view), min_size=1, max_size=12)


def moment(zone: ZoneInfo, when: tuple[int, int]) -> datetime:
    days, minutes = when
    day = FALL_BACK if days < 0 else NOW.astimezone(zone).date() - timedelta(days=days)
    return local_midnight(day, zone) + timedelta(minutes=minutes)


class World:
    """The database under test and what the changes draw from."""

    def __init__(
        self, db: Database, zone: ZoneInfo, template: dict[str, Any], ids: tuple[list[int], ...]
    ) -> None:
        self.db, self.zone, self.template = db, zone, template
        self.customers, self.stores, self.products = ids
        self.deps = Deps(db.sessions, DevPaymentGateway(), RulesConfig(zone=zone))

    async def apply(self, change: tuple[Any, ...]) -> None:
        """Orders are placed, then paid, accepted or cancelled, each moment set once and never
        moved (as the order services do); page views arrive through ingestion."""
        kind, now = change[0], datetime.now(UTC)
        if kind == "place":
            _, customer, when, store = change
            row = {**self.template, "order_no": f"T{uuid.uuid4().hex[:20]}", "updated_at": now}
            row |= {"customer_id": self.customers[customer % len(self.customers)]}
            row |= {"store_id": None if store % 5 == 0 else self.stores[store % len(self.stores)]}
            row |= {"created_at": moment(self.zone, when), "status": OrderStatus.PENDING_PAYMENT}
            async with self.db.sessions() as s, s.begin():
                await s.execute(insert(Order).values(**row))
            return
        if kind == "view":
            await self._view(*change[1:])
            return
        _, which, minutes = change
        state = {
            "pay": OrderStatus.PENDING_PAYMENT,
            "accept": OrderStatus.PENDING_ACCEPTANCE,
            "cancel": OrderStatus.PENDING_PAYMENT,
            "cancel_paid": OrderStatus.PENDING_ACCEPTANCE,
        }[kind]
        async with self.db.sessions() as s:
            candidates = (
                await s.execute(
                    select(Order.id, Order.created_at, Order.paid_at)
                    .where(Order.status == state, Order.order_no.like("T%"))
                    .order_by(Order.id)
                )
            ).all()
        if not candidates:
            return
        order_id, created, paid = candidates[which % len(candidates)]
        step = timedelta(minutes=minutes)
        if kind == "cancel_paid":  # through the use case, now: a full refund
            cancel = partial(orders.cancel, order_id=order_id, reason="顾客要求")
            await run_command(self.deps, HQ, "test", cancel)
            return
        values: dict[str, Any] = {"updated_at": now}
        if kind == "pay":
            values |= {"paid_at": created + step, "status": OrderStatus.PENDING_ACCEPTANCE}
        elif kind == "accept":
            values |= {"accepted_at": paid + step, "status": OrderStatus.PENDING_SHIPMENT}
        else:
            values |= {"cancelled_at": created + step, "status": OrderStatus.CANCELLED}
        async with self.db.sessions() as s, s.begin():
            await s.execute(update(Order).where(Order.id == order_id).values(**values))

    async def _view(self, visitor: int, when: tuple[int, int], store: int, product: bool) -> None:
        at = moment(self.zone, when)
        view = PageView(
            f"e-{uuid.uuid4().hex}",
            f"wx-{visitor}",
            "s",
            PageType.PRODUCT if product else PageType.HOME,
            SourceChannel.SHARE,
            100,
            at,
            product_id=self.products[store % len(self.products)] if product else None,
            store_id=None if store % 4 == 0 else self.stores[store % len(self.stores)],
        )
        result = await track_events(self.deps, Principal(None), [view], now=at + timedelta(minutes=1))
        assert result["accepted"] == 1, result


def engine(db: Database, zone: ZoneInfo, stores: frozenset[int] | None, ready: frozenset[str]) -> Engine:
    async def prepare() -> frozenset[str]:
        return ready

    return Engine(db.sessions, zone, db.dialect, stores, prepare)


def spans_of(rng: random.Random, zone: ZoneInfo) -> list[Span]:
    """Sorted disjoint spans: whole local days (a few days, or one) and a partial day."""
    first = NOW.astimezone(zone).date() - timedelta(days=rng.randrange(3, 22))
    out: list[Span] = []
    for _ in range(3):
        length = rng.choice([1, 1, 2, 5])
        out.append((local_midnight(first, zone), local_midnight(first + timedelta(days=length), zone)))
        first += timedelta(days=length + rng.randrange(0, 2))
    partial_start = local_midnight(first, zone) + timedelta(minutes=rng.randrange(0, 600))
    out.append((partial_start, partial_start + timedelta(hours=rng.randrange(1, 30))))
    if rng.random() < 0.5:  # the fall-back day, whole
        fall = (local_midnight(FALL_BACK, zone), local_midnight(FALL_BACK + timedelta(days=1), zone))
        out.insert(0, fall)
    return out


async def compare_counts(world: World, rng: random.Random) -> None:
    db, zone = world.db, world.zone
    for _ in range(3):
        spans = spans_of(rng, zone)
        pool = [0, *world.stores]
        scope = None if rng.random() < 0.4 else frozenset(rng.sample(pool, k=rng.randrange(1, 4)))
        statements: list[str] = []

        def record(_c: Any, _cur: Any, statement: str, *_: Any, seen: list[str] = statements) -> None:
            seen.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            from_sets = {
                name: await engine(db, zone, scope, frozenset(GROUPS)).by_spans(fact, {name: m}, spans)
                for name, (fact, m) in COUNTS.items()
            }
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert any("metrics_day_sets" in s for s in statements), "the day sets were not read"
        exact = {
            name: await engine(db, zone, scope, frozenset()).by_spans(fact, {name: m}, spans)
            for name, (fact, m) in COUNTS.items()
        }
        assert from_sets == exact, (spans, scope)


async def setup(db: Database, zone: ZoneInfo) -> World:
    async with db.sessions() as s:
        fresh = await s.scalar(select(Order.id).limit(1)) is None
    if fresh:  # the examples of one test share one shop
        await generate(db.engine, orders=40, seed=4, now=NOW, progress=False)
    async with db.sessions() as s:
        template = (await s.execute(select(Order.__table__).where(Order.paid_at.is_not(None)).limit(1))).one()
        customers = list((await s.scalars(select(Customer.id).order_by(Customer.id).limit(12))).all())
        stores = list((await s.scalars(select(Store.id).order_by(Store.id))).all())
        products = list((await s.scalars(select(Product.id).order_by(Product.id).limit(5))).all())
    blank = dict.fromkeys(("paid_at", "accepted_at", "shipped_at", "completed_at", "cancelled_at"))
    fixed = {k: v for k, v in template._mapping.items() if k != "id"} | blank
    return World(db, zone, fixed, (customers, stores, products))


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=changes, seed=st.integers(0, 2**32))
async def test_day_sets_count_what_count_distinct_counts(
    db: Database, zone: str, steps: list[tuple[Any, ...]], seed: int
) -> None:
    world = await setup(db, ZoneInfo(zone))
    for step in steps:
        await world.apply(step)
    # No overlap: the changes are committed one after another, and re-reading the earlier
    # examples' orders (changed minutes ago) would recompute their days again and again.
    await refresh_rollups(db.sessions, world.zone, datetime.now(UTC), overlap=timedelta(0))
    await compare_counts(world, random.Random(seed))
