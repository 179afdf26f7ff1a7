"""Campaign stock at checkout: an order takes its 限时抢 units and its 单品买赠 gift units from the
campaigns' own stock in the order's transaction, and gives them back (once) when it is cancelled
or times out unpaid.

The take is a conditional update (`sold + n <= stock`), so concurrent orders can never sell more
than the stock; it also locks the SKU's row, so the per-customer count that follows it sees every
committed take of that customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from models.campaigns.rows import BuyGiftRule, FlashSaleTake, ItemPriceSku
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from services.commands import Work


@dataclass(frozen=True, slots=True)
class FlashTake:
    campaign_id: int
    sku_id: int
    quantity: int
    line: int
    """The cart line's index (for the error's field)."""


async def take_for_order(work: Work, order: Order, takes: Sequence[FlashTake]) -> None:
    """Hold each take's units for `order`; FLASH_SALE_SOLD_OUT or PURCHASE_LIMIT_EXCEEDED otherwise
    (the caller's transaction then writes nothing)."""
    for take in takes:
        where = (ItemPriceSku.campaign_id == take.campaign_id, ItemPriceSku.sku_id == take.sku_id)
        taken = await work.session.execute(
            update(ItemPriceSku)
            .where(*where, ItemPriceSku.sold + take.quantity <= ItemPriceSku.stock)
            .values(sold=ItemPriceSku.sold + take.quantity)
            .returning(ItemPriceSku.per_customer_limit)
        )
        row = taken.one_or_none()
        if row is None:
            raise DomainError(
                ErrorCode.FLASH_SALE_SOLD_OUT,
                "the flash sale has too few units left at this price; preview the cart again",
                f"lines.{take.line}.quantity",
            )
        limit = row[0]
        if limit is not None:
            held = await work.session.scalar(
                select(func.coalesce(func.sum(FlashSaleTake.quantity), 0)).where(
                    FlashSaleTake.campaign_id == take.campaign_id,
                    FlashSaleTake.sku_id == take.sku_id,
                    FlashSaleTake.customer_id == order.customer_id,
                    FlashSaleTake.released_at.is_(None),
                )
            )
            if int(held or 0) + take.quantity > limit:
                raise DomainError(
                    ErrorCode.PURCHASE_LIMIT_EXCEEDED,
                    f"at most {limit} per customer at the flash-sale price",
                    f"lines.{take.line}.quantity",
                )
        _record(work, order, take)


def _record(work: Work, order: Order, take: FlashTake) -> None:
    work.session.add(
        FlashSaleTake(
            campaign_id=take.campaign_id,
            sku_id=take.sku_id,
            order_id=order.id,
            customer_id=order.customer_id,
            quantity=take.quantity,
        )
    )


async def take_gifts_for_order(work: Work, order: Order, takes: Sequence[FlashTake]) -> None:
    """Hold each 单品买赠 take's gift units (`sku_id`: the gift SKU) for `order`; GIFT_SOLD_OUT when
    another order took them first (the caller's transaction then writes nothing)."""
    for take in takes:
        taken = await work.session.execute(
            update(BuyGiftRule)
            .where(
                BuyGiftRule.campaign_id == take.campaign_id,
                BuyGiftRule.gift_sku_id == take.sku_id,
                BuyGiftRule.given + take.quantity <= BuyGiftRule.stock,
            )
            .values(given=BuyGiftRule.given + take.quantity)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError(
                ErrorCode.GIFT_SOLD_OUT,
                "the gift's stock ran out meanwhile; preview the cart again",
                f"lines.{take.line}.quantity",
            )
        _record(work, order, take)


async def release_for_order(work: Work, order: Order) -> None:
    """Give the order's held flash-sale and gift units back to their campaigns (a second call does
    nothing)."""
    held = (
        await work.session.scalars(
            select(FlashSaleTake)
            .where(FlashSaleTake.order_id == order.id, FlashSaleTake.released_at.is_(None))
            .order_by(FlashSaleTake.id)
            .with_for_update()
        )
    ).all()
    for take in held:
        await work.session.execute(
            update(ItemPriceSku)
            .where(ItemPriceSku.campaign_id == take.campaign_id, ItemPriceSku.sku_id == take.sku_id)
            .values(sold=ItemPriceSku.sold - take.quantity)
        )
        await work.session.execute(
            update(BuyGiftRule)
            .where(BuyGiftRule.campaign_id == take.campaign_id, BuyGiftRule.gift_sku_id == take.sku_id)
            .values(given=BuyGiftRule.given - take.quantity)
            .execution_options(synchronize_session=False)
        )
        take.released_at = work.now
