"""The order count parts equal `count(*)` over the orders after any mix of writes, merges and
concurrent transactions (models/orders/counts.py, services/orders/counts.py, migration 0008)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update

import cli
from models.catalog.rows import Sku
from models.customers.rows import Customer
from models.orders.counts import CountScope, OrderCountPart
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from services.db import count_statements, create_engine, session_factory, unit_of_work
from services.migrations import downgrade, upgrade
from services.orders.counts import (
    Mismatch,
    count_by_status,
    count_orders,
    merge_parts,
    mismatches,
    rebuild_parts,
)
from tests.conftest import Database
from tests.factories import Seed

STATUSES = list(OrderStatus)


async def _shop(seed: Seed, stores: int = 3) -> tuple[list[Store], Seed, Customer, Sku]:
    shops = [await seed.store(f"C{i:03d}") for i in range(stores)]
    customer = await seed.customer()
    _, skus = await seed.product()
    return shops, seed, customer, skus[0]


async def _truth(db: Database) -> Counter[tuple[int | None, str]]:
    async with db.sessions() as s:
        rows = (
            await s.execute(
                select(Order.store_id, Order.status, func.count()).group_by(Order.store_id, Order.status)
            )
        ).all()
    return Counter({(store, str(status.value)): n for store, status, n in rows})


async def _assert_exact(db: Database, stores: list[Store]) -> None:
    """Every kind of scope the parts answer, against GROUP BY over the orders."""
    truth = await _truth(db)
    ids = [s.id for s in stores]
    assert await count_orders(db.sessions, CountScope()) == sum(truth.values())
    for status in STATUSES:
        wanted = sum(n for (_, st), n in truth.items() if st == status.value)
        assert await count_orders(db.sessions, CountScope(statuses=frozenset({status}))) == wanted
    for store in stores:
        for statuses in ({OrderStatus.COMPLETED}, {OrderStatus.PENDING_SHIPMENT, OrderStatus.SHIPPED}):
            wanted = sum(
                n for (sid, st), n in truth.items() if sid == store.id and OrderStatus(st) in statuses
            )
            scope = CountScope(statuses=frozenset(statuses), store_ids=frozenset({store.id}))
            assert await count_orders(db.sessions, scope) == wanted
            coded = CountScope(statuses=frozenset(statuses), store_codes=frozenset({store.code}))
            assert await count_orders(db.sessions, coded) == wanted
    by_status = await count_by_status(db.sessions, CountScope(store_ids=frozenset(ids[:2])))
    wanted_by = Counter[OrderStatus]()
    for (sid, st), n in truth.items():
        if sid in ids[:2] and n:
            wanted_by[OrderStatus(st)] += n
    assert by_status == dict(wanted_by)


async def test_parts_follow_inserts_moves_and_deletes(db: Database) -> None:
    """Random orders placed, moved between statuses and stores, deleted, with merges in between."""
    stores, seed, customer, sku = await _shop(Seed(db.sessions))
    rng = random.Random(20261124)
    orders: list[int] = []
    for round_ in range(4):
        for _ in range(12):
            store = rng.choice([*stores, None])
            placed = await seed.order(store, customer, [(sku, 1)], status=rng.choice(STATUSES))
            orders.append(placed.id)
        async with unit_of_work(db.sessions) as s:
            for order_id in rng.sample(orders, 8):
                await s.execute(update(Order).where(Order.id == order_id).values(status=rng.choice(STATUSES)))
            for order_id in rng.sample(orders, 3):
                moved_to = rng.choice(stores).id
                await s.execute(update(Order).where(Order.id == order_id).values(store_id=moved_to))
            # an update that touches neither status nor store writes no part
            await s.execute(update(Order).where(Order.id == orders[0]).values(buyer_remark=f"r{round_}"))
        gone = rng.sample(orders, 2)
        async with unit_of_work(db.sessions) as s:
            await s.execute(delete(Order).where(Order.id.in_(gone)))
        orders = [o for o in orders if o not in gone]
        await _assert_exact(db, stores)
        if round_ % 2:
            assert await merge_parts(db.sessions) > 0
            await _assert_exact(db, stores)


async def test_a_merge_leaves_one_part_per_pair_and_then_nothing_to_do(db: Database) -> None:
    stores, seed, customer, sku = await _shop(Seed(db.sessions), stores=2)
    for store in stores:
        for status in (OrderStatus.COMPLETED, OrderStatus.COMPLETED, OrderStatus.SHIPPED):
            await seed.order(store, customer, [(sku, 1)], status=status)
    async with unit_of_work(db.sessions) as s:  # move one completed order back and forth: sum 0
        first = await s.scalar(select(Order.id).where(Order.status == OrderStatus.SHIPPED).limit(1))
        await s.execute(update(Order).where(Order.id == first).values(status=OrderStatus.COMPLETED))
        await s.execute(update(Order).where(Order.id == first).values(status=OrderStatus.SHIPPED))
    row = select(OrderCountPart.id, OrderCountPart.store_id, OrderCountPart.status, OrderCountPart.n)
    async with db.sessions() as s:
        before = (await s.execute(row)).all()
    alone = [r for r in before if sum(1 for o in before if o[1:3] == r[1:3]) == 1]
    assert len(alone) == 1
    assert await merge_parts(db.sessions) == (6 + 4) - 4  # ten parts, four pairs
    async with db.sessions() as s:
        assert alone[0] in (await s.execute(row)).all()  # the pair with one part keeps its row
        parts = (await s.execute(select(OrderCountPart.id, OrderCountPart.n))).all()
    assert sorted(n for _, n in parts) == [1, 1, 2, 2]
    assert await merge_parts(db.sessions) == 0
    async with db.sessions() as s:  # nothing rewritten
        assert (await s.execute(select(OrderCountPart.id, OrderCountPart.n))).all() == parts
    await _assert_exact(db, stores)


async def test_empty_scopes_are_zero_without_a_statement(db: Database) -> None:
    with count_statements() as counter:
        assert await count_orders(db.sessions, CountScope(store_ids=frozenset())) == 0
        assert await count_orders(db.sessions, CountScope(statuses=frozenset())) == 0
        assert await count_by_status(db.sessions, CountScope(store_codes=frozenset())) == {}
    assert counter.count == 0


@pytest.mark.postgres_only
async def test_concurrent_writers_and_merges_stay_exact(db: Database) -> None:
    """Eight writers moving orders while merges run: parts are only appended by the writers and
    taken whole by one merge at a time, so every count sees whole transactions."""
    stores, seed, customer, sku = await _shop(Seed(db.sessions))
    for i in range(40):
        await seed.order(stores[i % 3], customer, [(sku, 1)], status=STATUSES[i % len(STATUSES)])
    async with db.sessions() as s:
        ids = list((await s.scalars(select(Order.id))).all())

    async def writer(n: int) -> None:
        rng = random.Random(n)
        for _ in range(15):
            async with unit_of_work(db.sessions) as s:
                for order_id in sorted(rng.sample(ids, 3)):  # one lock order: no deadlock of their own
                    values = {"status": rng.choice(STATUSES), "store_id": rng.choice(stores).id}
                    await s.execute(update(Order).where(Order.id == order_id).values(**values))

    async def merger() -> int:
        merged = 0
        for _ in range(10):
            merged += await merge_parts(db.sessions)
            await asyncio.sleep(0.005)
        return merged

    async def reader() -> None:
        """Moves never change how many orders there are: every snapshot's parts sum to 40."""
        for _ in range(30):
            assert await count_orders(db.sessions, CountScope()) == 40
            await asyncio.sleep(0.002)

    results = await asyncio.gather(*(writer(n) for n in range(8)), merger(), merger(), reader())
    assert sum(r for r in results if r is not None) > 0
    await _assert_exact(db, stores)
    await merge_parts(db.sessions)
    await _assert_exact(db, stores)


@pytest.mark.postgres_only
async def test_truncating_orders_empties_the_parts(db: Database) -> None:
    stores, seed, customer, sku = await _shop(Seed(db.sessions), stores=1)
    await seed.order(stores[0], customer, [(sku, 1)])
    async with db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE orders CASCADE"))
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OrderCountPart)) == 0


async def test_the_migration_fills_the_parts_from_existing_orders(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        database = Database("sqlite", url, engine, session_factory(engine))
        stores, seed, customer, sku = await _shop(Seed(database.sessions), stores=2)
        for i in range(9):
            await seed.order(stores[i % 2], customer, [(sku, 1)], status=STATUSES[i % 3])
        await asyncio.to_thread(downgrade, url, "0007")
        await asyncio.to_thread(upgrade, url)
        async with database.sessions() as s:
            assert (
                await s.scalar(select(func.count()).select_from(OrderCountPart)) == 6
            )  # one part per pair: 2 stores × 3 statuses
        await _assert_exact(database, stores)
    finally:
        await engine.dispose()


async def test_a_bypassed_trigger_is_found_and_repaired(db: Database) -> None:
    """What `mallgraph recount-orders [--repair]` does after parts went missing or astray."""
    stores, seed, customer, sku = await _shop(Seed(db.sessions), stores=2)
    for i in range(6):
        await seed.order(stores[i % 2], customer, [(sku, 1)], status=STATUSES[i % 2])
    await seed.order(None, customer, [(sku, 1)], status=OrderStatus.SHIPPED)
    assert await mismatches(db.sessions) == []
    async with unit_of_work(db.sessions) as s:  # as a restore with the triggers off would leave it
        await s.execute(delete(OrderCountPart).where(OrderCountPart.store_id == stores[0].id))
        s.add(OrderCountPart(store_id=None, status="SHIPPED", n=5))
    found = await mismatches(db.sessions)
    assert found == [
        Mismatch(None, "SHIPPED", 6, 1),
        Mismatch(stores[0].id, STATUSES[0].value, 0, 3),
    ]
    assert await rebuild_parts(db.sessions) == 3
    assert await mismatches(db.sessions) == []
    await _assert_exact(db, stores)


async def test_the_recount_command(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stores, seed, customer, sku = await _shop(Seed(db.sessions), stores=1)
    await seed.order(stores[0], customer, [(sku, 1)], status=OrderStatus.COMPLETED)
    async with unit_of_work(db.sessions) as s:
        s.add(OrderCountPart(store_id=stores[0].id, status="COMPLETED", n=2))
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setattr(cli, "configure_logging", lambda settings: None)  # leave the tests' logging be

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["recount-orders", *argv])
        return code, capsys.readouterr().out

    code, out = await asyncio.to_thread(run)
    assert (code, out.splitlines()[0]) == (1, f"store {stores[0].id} COMPLETED: parts sum to 3, orders 1")
    assert "run with --repair" in out
    code, out = await asyncio.to_thread(run, "--repair")
    # one (store, status) part, and the day parts (never built since the reset): created and paid
    assert (code, out.splitlines()[-1]) == (0, "rebuilt: 3 parts, 0 counts differ now")
    assert await asyncio.to_thread(run) == (0, "order counts match the orders\n")
