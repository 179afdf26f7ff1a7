"""Each after-sale's refund split by pricing layer (`models.pricing.refunds`), for a page of
after-sales in five statements.

A line's layers come from the order's price explanation (`order_adjustments.line_shares`, aligned
with the order's lines by id); a discount no adjustment explains (orders priced before the
explanation was kept) counts as the order layer. Units refunded before an after-sale are those of
the order's refunds paid out earlier (by refund time, then id); an after-sale not yet refunded is
split as if it were refunded next. One closed without a refund returned nothing: None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.after_sales.rows import AfterSale, AfterSaleLine
from models.after_sales.states import AfterSaleStatus, consumes_units, is_open
from models.coupons.rows import OrderAdjustment
from models.orders.rows import Order, OrderLine
from models.pricing.cart import Layer, LinePrice
from models.pricing.refunds import OrderFees, RefundedLine, RefundLayers, refund_layers

_LAST = datetime.max


def _line_prices(lines: Sequence[OrderLine], adjustments: Sequence[OrderAdjustment]) -> dict[int, LinePrice]:
    taken: dict[tuple[int, Layer], int] = defaultdict(int)
    for a in adjustments:
        for index, share in enumerate(a.line_shares):
            if index < len(lines):
                taken[(lines[index].id, a.layer)] += share
    prices = {}
    for line in lines:
        item, coupon = taken[(line.id, Layer.ITEM)], taken[(line.id, Layer.COUPON)]
        order = line.discount_share - item - coupon
        prices[line.id] = LinePrice(line.unit_price * line.quantity, item, order, coupon)
    return prices


def _refund_key(after_sale: AfterSale) -> tuple[datetime, int]:
    moment = after_sale.refunded_at if after_sale.status is AfterSaleStatus.REFUNDED else None
    return (moment.replace(tzinfo=None) if moment else _LAST, after_sale.id)


async def layers_of(session: AsyncSession, after_sale_ids: Sequence[int]) -> dict[int, RefundLayers | None]:
    if not after_sale_ids:
        return {}
    wanted = (await session.scalars(select(AfterSale).where(AfterSale.id.in_(after_sale_ids)))).all()
    order_ids = {a.order_id for a in wanted}
    orders = {o.id: o for o in (await session.scalars(select(Order).where(Order.id.in_(order_ids)))).all()}
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in (
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)
        )
    ).all():
        lines[line.order_id].append(line)
    adjustments: dict[int, list[OrderAdjustment]] = defaultdict(list)
    for adj in (
        await session.scalars(
            select(OrderAdjustment)
            .where(OrderAdjustment.order_id.in_(order_ids))
            .order_by(OrderAdjustment.id)
        )
    ).all():
        adjustments[adj.order_id].append(adj)
    siblings: dict[int, list[tuple[AfterSale, AfterSaleLine]]] = defaultdict(list)
    for after_sale, row in (
        await session.execute(
            select(AfterSale, AfterSaleLine)
            .join(AfterSaleLine, AfterSaleLine.after_sale_id == AfterSale.id)
            .where(AfterSale.order_id.in_(order_ids))
        )
    ).all():
        siblings[after_sale.order_id].append((after_sale, row))
    found: dict[int, RefundLayers | None] = {}
    for after_sale in wanted:
        if not is_open(after_sale.status) and after_sale.status is not AfterSaleStatus.REFUNDED:
            found[after_sale.id] = None
            continue
        order = orders[after_sale.order_id]
        prices = _line_prices(lines[order.id], adjustments[order.id])
        key = _refund_key(after_sale)
        before: dict[int, int] = defaultdict(int)
        own = []
        for other, row in siblings[order.id]:
            if other.id == after_sale.id:
                own.append(row)
            elif (
                other.status is AfterSaleStatus.REFUNDED
                and consumes_units(other.type)
                and _refund_key(other) < key
            ):
                before[row.order_line_id] += row.quantity
        quantities = {line.id: line.quantity for line in lines[order.id]}
        refunded = [
            RefundedLine(
                prices[row.order_line_id],
                quantities[row.order_line_id],
                before[row.order_line_id],
                row.quantity,
                row.amount,
                consumes_units(after_sale.type),
            )
            for row in sorted(own, key=lambda r: r.order_line_id)
        ]
        shipping = sum(a.amount for a in adjustments[order.id] if a.layer is Layer.SHIPPING_COUPON)
        fees = OrderFees(order.delivery_fee + shipping, shipping, order.packaging_fee)
        found[after_sale.id] = refund_layers(refunded, after_sale.refund_amount, fees)
    return found
