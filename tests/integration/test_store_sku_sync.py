"""The batch sync as a unit of work: a failure after the writes leaves nothing; concurrent syncs
of overlapping SKUs (in opposite orders) and shoppers' reservations never deadlock or lose stock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from models.action_log import ActionLog
from models.catalog.rows import Sku, StoreSku
from models.enums import Role
from models.principals import Principal
from services import action_log
from services.commands import Deps, Work, run_command
from services.payments import DevPaymentGateway
from services.stock import reserve_stock
from services.stores.sku_sync import SyncItem, sync_store_skus
from tests.conftest import Database
from tests.factories import Seed

HQ = Principal(Role.HQ_ADMIN, "admin")


async def _setup(db: Database, skus: int) -> tuple[int, list[Sku]]:
    seed = Seed(db.sessions)
    store = await seed.store("SH001")
    _, rows = await seed.product(prices=tuple(100 + i for i in range(skus)), listable=True)
    for sku in rows:
        await seed.listing(store, sku, stock=50)
    return store.id, rows


async def _sync(db: Database, store_id: int, items: list[SyncItem]) -> dict[str, Any]:
    async def use_case(work: Work) -> dict[str, Any]:
        return await sync_store_skus(work, store_id, items)

    return await run_command(Deps(db.sessions, DevPaymentGateway()), HQ, "syncStoreSkus", use_case)


async def test_a_failure_after_the_writes_rolls_everything_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_id, skus = await _setup(db, 20)

    async def broken_log(work: Work, entries: Any) -> None:
        raise RuntimeError("the log insert failed after the listings were updated")

    monkeypatch.setattr(action_log, "record_many", broken_log)
    items = [SyncItem(barcode=s.barcode, price=1, stock=0) for s in skus]
    with pytest.raises(RuntimeError):
        await _sync(db, store_id, items)
    async with db.sessions() as s:
        assert set((await s.execute(select(StoreSku.stock, StoreSku.price_override))).all()) == {(50, None)}
        assert await s.scalar(select(func.count()).select_from(ActionLog)) == 0


async def test_concurrent_syncs_and_reservations_all_complete(db: Database) -> None:
    store_id, skus = await _setup(db, 30)
    forward = [SyncItem(barcode=s.barcode, stock=100) for s in skus]
    backward = [SyncItem(sku_id=s.id, stock=200) for s in reversed(skus)]

    async def reserve(sku: Sku) -> None:
        async with db.sessions() as session, session.begin():
            await reserve_stock(session, store_id, [(sku.id, 1)])

    await asyncio.wait_for(
        asyncio.gather(
            _sync(db, store_id, forward),
            _sync(db, store_id, backward),
            *(reserve(s) for s in skus[::3]),
        ),
        timeout=60,
    )
    async with db.sessions() as s:
        stocks = set((await s.scalars(select(StoreSku.stock))).all())
    # each listing ends at the last sync's value, minus any reservation that came after it
    assert stocks <= {99, 100, 199, 200}
