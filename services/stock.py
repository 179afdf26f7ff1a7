"""Store stock reservations: taken when an order is placed, given back when it is cancelled.

Reservation is one conditional UPDATE per SKU (`stock = stock - q WHERE stock >= q`): the row
lock it takes makes overselling impossible under any concurrency, on PostgreSQL and SQLite,
and the `stock >= 0` CHECK backs it up. SKUs are taken in id order so two orders never
deadlock on each other's rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog.rows import StoreSku
from models.errors import DomainError, ErrorCode
from models.orders.rows import OrderLine


async def reserve_stock(
    session: AsyncSession, store_id: int | None, items: Iterable[tuple[int, int]], field: str = "lines"
) -> None:
    """Take `quantity` of each SKU off the store's stock, or fail (nothing taken) with the reason."""
    if store_id is None:  # the HQ warehouse's stock is not managed here
        return
    wanted = Counter[int]()
    for sku_id, quantity in items:
        wanted[sku_id] += quantity
    for sku_id in sorted(wanted):
        quantity = wanted[sku_id]
        if quantity <= 0:
            continue
        taken = await session.execute(
            update(StoreSku)
            .where(
                StoreSku.store_id == store_id,
                StoreSku.sku_id == sku_id,
                StoreSku.on_shelf.is_(True),
                StoreSku.stock >= quantity,
            )
            .values(stock=StoreSku.stock - quantity)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise await _why_not(session, store_id, sku_id, quantity, field)


async def _why_not(
    session: AsyncSession, store_id: int, sku_id: int, quantity: int, field: str
) -> DomainError:
    listing = await session.scalar(
        select(StoreSku).where(StoreSku.store_id == store_id, StoreSku.sku_id == sku_id)
    )
    if listing is None or not listing.on_shelf:
        return DomainError(ErrorCode.NOT_ON_SHELF, f"SKU {sku_id} is not on sale in this store", field)
    return DomainError(
        ErrorCode.OUT_OF_STOCK, f"SKU {sku_id}: {quantity} wanted, {listing.stock} in stock", field
    )


async def release_stock(session: AsyncSession, store_id: int | None, lines: Sequence[OrderLine]) -> None:
    """Give back the units of `lines` that were neither shipped nor already given back by a refund."""
    await return_units(
        session,
        store_id,
        [(line.sku_id, line.quantity - line.shipped_quantity - line.refunded_quantity) for line in lines],
    )


async def return_units(session: AsyncSession, store_id: int | None, items: Iterable[tuple[int, int]]) -> None:
    """Put refunded units that never left the store back on its shelf."""
    if store_id is None:
        return
    back = Counter[int]()
    for sku_id, quantity in items:
        back[sku_id] += quantity
    for sku_id in sorted(back):
        if back[sku_id] > 0:
            await session.execute(
                update(StoreSku)
                .where(StoreSku.store_id == store_id, StoreSku.sku_id == sku_id)
                .values(stock=StoreSku.stock + back[sku_id])
            )
