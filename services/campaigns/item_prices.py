"""Administration of the item-level price promotions: 单品直降 (PRICE_CUT), 限时抢 (FLASH_SALE) and
商品折扣 (PRODUCT_DISCOUNT) — their settings, checks and rows. `services.campaigns.admin` creates the
campaign and calls `check_settings` / `add_rows`; the prices are fixed once created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from models.campaigns.rows import Campaign, CampaignProduct, ItemPriceSku, ProductDiscountRule
from models.catalog.rows import Sku
from models.errors import DomainError, ErrorCode
from services.campaigns.order_discounts import check_products_exist
from services.commands import Work


@dataclass(frozen=True, slots=True)
class PriceCutSettings:
    skus: tuple[tuple[int, int], ...]
    """(sku id, unit price in cents while the campaign runs)."""


@dataclass(frozen=True, slots=True)
class FlashSaleSettings:
    skus: tuple[tuple[int, int, int], ...]
    """(sku id, unit price in cents, units on offer at that price)."""
    per_customer_limit: int | None = None
    """Units of each SKU one customer may hold at the flash price."""


@dataclass(frozen=True, slots=True)
class DiscountSettings:
    percent_off: int
    """1 to 99: the share of each unit's store price taken off (rounded down to the cent)."""
    product_ids: tuple[int, ...]


def check_settings(
    price_cut: PriceCutSettings | None, flash: FlashSaleSettings | None, discount: DiscountSettings | None
) -> None:
    """The shape of the settings (ids and prices against the catalogue: `add_rows`)."""
    if price_cut is not None and (
        not price_cut.skus or len({s for s, _ in price_cut.skus}) != len(price_cut.skus)
    ):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "list each SKU once, at least one", "priceCut.skus")
    if flash is not None:
        if not flash.skus or len({s for s, _, _ in flash.skus}) != len(flash.skus):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "list each SKU once, at least one", "flashSale.skus")
        for n, (_, _, stock) in enumerate(flash.skus):
            if stock <= 0:
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "the stock must be positive", f"flashSale.skus.{n}.stock"
                )
        if flash.per_customer_limit is not None and flash.per_customer_limit <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the limit must be positive", "flashSale.perCustomerLimit"
            )
    if discount is not None:
        if not 1 <= discount.percent_off <= 99:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "percentOff is 1 to 99", "productDiscount.percentOff")
        if not discount.product_ids or len(set(discount.product_ids)) != len(discount.product_ids):
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "list each product once, at least one", "productDiscount.productIds"
            )


async def check_sku_prices(
    work: Work, prices: Sequence[tuple[int, int]], field: str = "groupBuy.skus", label: str = "group"
) -> None:
    """Each SKU exists and each price is above 0 and below its price (group prices, item prices)."""
    skus = {
        s.id: s
        for s in (await work.session.scalars(select(Sku).where(Sku.id.in_([i for i, _ in prices])))).all()
    }
    for i, (sku_id, price) in enumerate(prices):
        sku = skus.get(sku_id)
        if sku is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"unknown SKU {sku_id}", f"{field}.{i}.skuId")
        if not 0 < price < sku.price:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                f"the {label} price must be above 0 and below the price ({sku.price} cents)",
                f"{field}.{i}.{label}Price",
            )


async def add_rows(
    work: Work,
    campaign: Campaign,
    price_cut: PriceCutSettings | None,
    flash: FlashSaleSettings | None,
    discount: DiscountSettings | None,
) -> None:
    if price_cut is not None:
        await check_sku_prices(work, price_cut.skus, "priceCut.skus", "item")
        work.session.add_all(
            ItemPriceSku(campaign_id=campaign.id, sku_id=s, price=p, sold=0) for s, p in price_cut.skus
        )
    if flash is not None:
        await check_sku_prices(work, [(s, p) for s, p, _ in flash.skus], "flashSale.skus", "item")
        work.session.add_all(
            ItemPriceSku(
                campaign_id=campaign.id,
                sku_id=s,
                price=p,
                stock=n,
                sold=0,
                per_customer_limit=flash.per_customer_limit,
            )
            for s, p, n in flash.skus
        )
    if discount is not None:
        ids = set(discount.product_ids)
        await check_products_exist(work, discount.product_ids, "productDiscount.productIds")
        work.session.add(ProductDiscountRule(campaign_id=campaign.id, percent_off=discount.percent_off))
        work.session.add_all(CampaignProduct(campaign_id=campaign.id, product_id=p) for p in sorted(ids))
