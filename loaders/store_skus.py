"""Listing loader keyed by (store, SKU): what a product page shows for the chosen store."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import select, tuple_

from models.catalog.rows import StoreSku
from services.db import SessionFactory


def listing_by_store_sku(sessions: SessionFactory) -> DataLoader[tuple[int, int], StoreSku | None]:
    """`load((store_id, sku_id))` → the listing, or None when the store does not list the SKU."""

    async def batch(keys: Sequence[tuple[int, int]]) -> list[StoreSku | None]:
        stmt = select(StoreSku).where(tuple_(StoreSku.store_id, StoreSku.sku_id).in_(set(keys)))
        async with sessions() as session:
            rows = (await session.scalars(stmt)).all()
        by_key = {(r.store_id, r.sku_id): r for r in rows}
        return [by_key.get(k) for k in keys]

    return DataLoader(batch)
