"""The per-test reset (`Database.reset`, tests/conftest.py) leaves every table empty and every id
starting again from 1, whichever tables the last test wrote — also a table a rolled-back
transaction took an id of but left empty."""

from __future__ import annotations

from sqlalchemy import text

from models.enums import IdempotencyStatus
from models.idempotency import IdempotencyRecord
from models.orders.states import OrderStatus
from services.db import unit_of_work
from tests.conftest import TABLES, Database
from tests.factories import T0, Seed


def _record(key: str) -> IdempotencyRecord:
    return IdempotencyRecord(
        principal="reset",
        key=key,
        operation="test",
        request_hash="0" * 64,
        status=IdempotencyStatus.IN_PROGRESS,
        response=None,
        expires_at=T0,
    )


async def _filled(db: Database) -> set[str]:
    async with db.sessions() as s:
        return {name for name in TABLES if await s.scalar(text(f"SELECT count(*) FROM {name}"))}


async def test_reset_empties_every_table_and_restarts_every_id(db: Database) -> None:
    seed = Seed(db.sessions)
    store, customer = await seed.store(), await seed.customer()
    _, skus = await seed.product(prices=(100, 200))
    await seed.listing(store, skus[0])
    await seed.order(store, customer, [(skus[0], 2), (skus[1], 1)], status=OrderStatus.SHIPPED, parcels=1)
    await seed.staff("reset-staff", stores=[store])
    async with db.sessions() as s:  # takes ids of a table it leaves empty
        s.add_all([_record("a"), _record("b")])
        await s.flush()
        await s.rollback()
    assert {"orders", "order_lines", "order_count_parts", "parcels", "staff_stores"} <= await _filled(db)

    await db.reset()

    assert await _filled(db) == set()
    seed = Seed(db.sessions)
    store = await seed.store()
    product, skus = await seed.product()
    customer = await seed.customer()
    order = await seed.order(store, customer, [(skus[0], 1)])
    record = _record("c")
    async with unit_of_work(db.sessions) as s:
        s.add(record)
    ids = (store.id, product.id, product.category_id, skus[0].id, customer.id, order.id, record.id)
    assert ids == (1, 1, 2, 1, 1, 1, 1)
    await db.reset()
    assert await _filled(db) == set()
