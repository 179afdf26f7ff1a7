"""Units of work: commit or roll back as a whole, and concurrent writers never trip over each other."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from models.catalog.rows import StoreSku
from services.db import unit_of_work
from tests.conftest import Database
from tests.factories import Seed


async def _listing(db: Database, stock: int) -> StoreSku:
    seed = Seed(db.sessions)
    store = await seed.store()
    _, skus = await seed.product()
    return await seed.listing(store, skus[0], stock=stock)


async def test_rollback_on_error_keeps_nothing(db: Database) -> None:
    listing = await _listing(db, 5)

    async def sell_out_then_fail() -> None:
        async with unit_of_work(db.sessions) as s:
            await s.execute(update(StoreSku).where(StoreSku.id == listing.id).values(stock=0))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await sell_out_then_fail()
    async with db.sessions() as s:
        assert await s.scalar(select(StoreSku.stock).where(StoreSku.id == listing.id)) == 5


async def test_concurrent_read_then_write_transactions_all_succeed(db: Database) -> None:
    """Twenty read-modify-write increments in parallel: none lost, none refused (SQLite and PostgreSQL)."""
    listing = await _listing(db, 0)

    async def increment() -> None:
        async with unit_of_work(db.sessions) as s:
            stmt = select(StoreSku).where(StoreSku.id == listing.id)
            if db.dialect == "postgresql":
                stmt = stmt.with_for_update()
            row = (await s.scalars(stmt)).one()
            await asyncio.sleep(0)  # let the others run between the read and the write
            row.stock = row.stock + 1

    await asyncio.gather(*(increment() for _ in range(20)))
    async with db.sessions() as s:
        assert await s.scalar(select(StoreSku.stock).where(StoreSku.id == listing.id)) == 20
