"""Exchanges (换货): the buyer sends units back and the store ships replacements; no money moves.

The request, review, return parcel and receipt are the after-sale steps every type shares
(`services.after_sales.lifecycle`); this module adds what only an exchange has: the replacement SKU per
line (the same product at the same price; by default the line's own), the replacement parcel
(its stock taken atomically at the order's store, OUT_OF_STOCK refused with nothing changed),
the buyer's confirmation and the sweeper's after the configured days. Exchanged units stay
bought: the line's refunded quantity and amount do not change, so they may be refunded later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from models.after_sales.rows import AfterSale, AfterSaleLine, AfterSaleReplacement
from models.after_sales.states import AfterSaleAction, AfterSaleStatus, AfterSaleType, next_after_sale_status
from models.catalog.rows import Sku, StoreSku
from models.errors import DomainError, ErrorCode, check_version
from models.orders.event_types import REPLACEMENT_SHIPPED
from models.orders.rows import Order, OrderLine
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.after_sales.lifecycle import (
    LineAsk,
    after_sale_result,
    lock_after_sale,
    request,
    required_text,
)
from services.after_sales.refunds import after_sale_transition
from services.commands import Deps, Result, Work, run_command
from services.orders.transitions import timeline_note
from services.stock import reserve_stock

A = AfterSaleAction
log = logging.getLogger("mallgraph.exchanges")
BATCH = 200


async def _price(work: Work, store_id: int | None, sku: Sku) -> int:
    """What the SKU sells for at the store now (its listing's override, else the catalogue price)."""
    if store_id is None:
        return sku.price
    override = await work.session.scalar(
        select(StoreSku.price_override).where(StoreSku.store_id == store_id, StoreSku.sku_id == sku.id)
    )
    return sku.price if override is None else override


async def _check_replacement(work: Work, order: Order, line: OrderLine, sku_id: int, field: str) -> None:
    wanted = await work.session.get(Sku, sku_id)
    if wanted is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such SKU", field)
    own = await work.session.get(Sku, line.sku_id)
    assert own is not None, "order lines reference an existing SKU"
    if wanted.product_id != line.product_id or await _price(work, order.store_id, wanted) != await _price(
        work, order.store_id, own
    ):
        raise DomainError(
            ErrorCode.REPLACEMENT_SKU_MISMATCH,
            "a replacement is another spec of the same product at the same price",
            field,
        )


async def request_exchange(
    work: Work, order_id: int, asks: Sequence[LineAsk], reason: str, evidence_urls: Sequence[str] = ()
) -> Result:
    """The buyer asks to exchange units of shipped or collected lines, optionally for another spec."""
    result = await request(work, order_id, AfterSaleType.EXCHANGE, asks, reason, evidence_urls)
    order = await work.session.get(Order, int(result["orderId"]))
    assert order is not None
    for i, ask in enumerate(asks):
        if ask.replacement_sku_id is None:
            continue
        line = await work.session.get(OrderLine, ask.line_id)
        assert line is not None, "the request checked its lines"
        await _check_replacement(work, order, line, ask.replacement_sku_id, f"lines.{i}.replacementSkuId")
        if ask.replacement_sku_id != line.sku_id:
            work.session.add(
                AfterSaleReplacement(
                    after_sale_id=int(result["afterSaleId"]),
                    order_line_id=line.id,
                    sku_id=ask.replacement_sku_id,
                )
            )
    return result


async def replacement_units(work: Work, after_sale: AfterSale) -> list[tuple[int, int]]:
    """(SKU, units) the store sends for the exchange: each line's chosen SKU, else its own."""
    rows = (
        await work.session.execute(
            select(OrderLine.sku_id, AfterSaleLine.quantity, AfterSaleReplacement.sku_id)
            .join(OrderLine, OrderLine.id == AfterSaleLine.order_line_id)
            .outerjoin(
                AfterSaleReplacement,
                (AfterSaleReplacement.after_sale_id == AfterSaleLine.after_sale_id)
                & (AfterSaleReplacement.order_line_id == AfterSaleLine.order_line_id),
            )
            .where(AfterSaleLine.after_sale_id == after_sale.id)
            .order_by(AfterSaleLine.order_line_id)
        )
    ).all()
    return [(chosen or own, quantity) for own, quantity, chosen in rows]


async def ship_replacement(
    work: Work, after_sale_id: int, carrier: str, tracking_no: str, *, expected_version: int | None = None
) -> Result:
    """The store sends the replacement: its stock is taken (or OUT_OF_STOCK, nothing changed)."""
    carrier, tracking_no = required_text(carrier, "carrier", 32), required_text(tracking_no, "trackingNo", 40)
    after_sale, order = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    next_after_sale_status(after_sale.status, A.SHIP_REPLACEMENT, after_sale.type)  # refuse before stock
    await reserve_stock(
        work.session, order.store_id, await replacement_units(work, after_sale), "afterSaleId"
    )
    await after_sale_transition(
        work, after_sale, A.SHIP_REPLACEMENT, {"carrier": carrier, "trackingNo": tracking_no}
    )
    after_sale.replacement_carrier, after_sale.replacement_tracking_no = carrier, tracking_no
    timeline_note(
        work,
        order,
        {
            "event": REPLACEMENT_SHIPPED,
            "afterSaleId": after_sale.id,
            "afterSaleNo": after_sale.after_sale_no,
            "carrier": carrier,
            "trackingNo": tracking_no,
        },
    )
    return after_sale_result(after_sale)


async def confirm_replacement(
    work: Work, after_sale_id: int, *, expected_version: int | None = None
) -> Result:
    """The buyer has the replacement: the exchange is done (EXCHANGED)."""
    after_sale, _ = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    await after_sale_transition(work, after_sale, A.CONFIRM_REPLACEMENT)
    return after_sale_result(after_sale)


async def auto_confirm_replacements(deps: Deps, now: datetime) -> int:
    """Sweep: confirm exchanges whose replacement left `auto_complete_after` ago, each in its own
    transaction; the order lock serialises sweepers and a late one finds the exchange done."""
    due = (
        select(AfterSale.id)
        .where(
            AfterSale.status == AfterSaleStatus.RESHIPPED,
            AfterSale.replacement_shipped_at <= now - deps.rules.auto_complete_after,
        )
        .order_by(AfterSale.id)
        .limit(BATCH)
    )
    async with deps.sessions() as session:
        ids = (await session.scalars(due)).all()
    done = 0
    for after_sale_id in ids:

        async def confirm(work: Work, after_sale_id: int = after_sale_id) -> Result:
            after_sale, _ = await lock_after_sale(work, after_sale_id)
            if after_sale.status is not AfterSaleStatus.RESHIPPED:
                return {"moved": False}
            await after_sale_transition(work, after_sale, A.CONFIRM_REPLACEMENT, {"auto": True})
            return {"moved": True}

        try:
            result = await run_command(deps, SYSTEM_PRINCIPAL, "sweep", confirm, actor=SYSTEM, now=now)
        except DomainError as exc:
            log.warning("sweep could not confirm exchange %s: %s", after_sale_id, exc)
            continue
        done += bool(result["moved"])
    return done
