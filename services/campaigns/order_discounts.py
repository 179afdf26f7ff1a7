"""Administration of the order-level discounts — 满额折扣 / 满件折扣 (ORDER_DISCOUNT), 多买多折
(MULTI_BUY_DISCOUNT), X元Y件 (BUNDLE_PRICE) — and of 单品买赠 (BUY_GIFT): settings, checks, rows.
`services.campaigns.admin` creates the campaign and calls `check_settings` / `add_rows`; the
settings are fixed once created (name, description, end and, before the start, priority may change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from models.campaigns.rows import BuyGiftRule, Campaign, CampaignProduct, OrderDiscountRule, OrderDiscountTier
from models.campaigns.rules import validate_percent_tiers
from models.catalog.rows import Product, Sku
from models.enums import ThresholdKind
from models.errors import DomainError, ErrorCode
from services.commands import Work

MAX_BUNDLE_SIZE = 99
MAX_GIFT_STOCK = 1_000_000


@dataclass(frozen=True, slots=True)
class OrderDiscountSettings:
    """满额折扣 (AMOUNT: thresholds in cents) / 满件折扣 (QUANTITY: units)."""

    threshold_kind: ThresholdKind
    tiers: tuple[tuple[int, int], ...]
    """(threshold, percent off)."""
    product_ids: tuple[int, ...] = ()
    """Empty: every product."""
    cap: int | None = None
    """The most cents off one order (None: no cap)."""


@dataclass(frozen=True, slots=True)
class MultiBuySettings:
    """多买多折: (units, percent off) tiers over the listed products."""

    tiers: tuple[tuple[int, int], ...]
    product_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BundleSettings:
    """X元Y件: any `quantity` units of the listed products for `price` cents, repeatedly."""

    quantity: int
    price: int
    product_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BuyGiftSettings:
    """单品买赠: every `buy_quantity` units of a listed product give `gift_quantity` of the gift SKU."""

    product_ids: tuple[int, ...]
    buy_quantity: int
    gift_sku_id: int
    gift_quantity: int
    gift_stock: int


def _check_products(product_ids: Sequence[int], field: str, required: bool) -> None:
    if (required and not product_ids) or len(set(product_ids)) != len(product_ids):
        wanted = "list each product once, at least one" if required else "list each product once"
        raise DomainError(ErrorCode.BAD_USER_INPUT, wanted, f"{field}.productIds")


def check_settings(
    discount: OrderDiscountSettings | None,
    multi: MultiBuySettings | None,
    bundle: BundleSettings | None,
    gift: BuyGiftSettings | None,
) -> None:
    """The shape of the settings (ids against the catalogue: `add_rows`)."""
    if discount is not None:
        validate_percent_tiers(discount.tiers, "orderDiscount")
        _check_products(discount.product_ids, "orderDiscount", required=False)
        if discount.cap is not None and discount.cap <= 0:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "the cap must be positive", "orderDiscount.capCents")
    if multi is not None:
        validate_percent_tiers(multi.tiers, "multiBuyDiscount")
        _check_products(multi.product_ids, "multiBuyDiscount", required=True)
        if any(units < 2 for units, _ in multi.tiers):
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "多买多折 starts at 2 units", "multiBuyDiscount.tiers"
            )
    if bundle is not None:
        if not 2 <= bundle.quantity <= MAX_BUNDLE_SIZE:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"a bundle is 2 to {MAX_BUNDLE_SIZE} units", "bundlePrice.quantity"
            )
        if bundle.price <= 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the price must be positive", "bundlePrice.priceCents"
            )
        _check_products(bundle.product_ids, "bundlePrice", required=True)
    if gift is not None:
        _check_products(gift.product_ids, "buyGift", required=True)
        for name, value in (("buyQuantity", gift.buy_quantity), ("giftQuantity", gift.gift_quantity)):
            if not 1 <= value <= MAX_BUNDLE_SIZE:
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, f"{name} is 1 to {MAX_BUNDLE_SIZE}", f"buyGift.{name}"
                )
        if not 1 <= gift.gift_stock <= MAX_GIFT_STOCK:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"the gift stock is 1 to {MAX_GIFT_STOCK}", "buyGift.giftStock"
            )


async def check_products_exist(work: Work, product_ids: Sequence[int], field: str) -> None:
    ids = set(product_ids)
    found = set((await work.session.scalars(select(Product.id).where(Product.id.in_(ids)))).all())
    if ids - found:
        raise DomainError(ErrorCode.NOT_FOUND, f"unknown ids {sorted(ids - found)}", field)


async def add_rows(
    work: Work,
    campaign: Campaign,
    discount: OrderDiscountSettings | None,
    multi: MultiBuySettings | None,
    bundle: BundleSettings | None,
    gift: BuyGiftSettings | None,
) -> None:
    products: tuple[int, ...] = ()
    field = "orderDiscount"
    if multi is not None:
        discount, field = (
            OrderDiscountSettings(ThresholdKind.QUANTITY, multi.tiers, multi.product_ids),
            "multiBuyDiscount",
        )
    if discount is not None:
        products = discount.product_ids
        await check_products_exist(work, products, f"{field}.productIds")
        work.session.add(
            OrderDiscountRule(
                campaign_id=campaign.id, threshold_kind=discount.threshold_kind, cap=discount.cap
            )
        )
        work.session.add_all(
            OrderDiscountTier(campaign_id=campaign.id, threshold=t, percent_off=p) for t, p in discount.tiers
        )
    if bundle is not None:
        products = bundle.product_ids
        await check_products_exist(work, products, "bundlePrice.productIds")
        work.session.add(
            OrderDiscountRule(
                campaign_id=campaign.id,
                threshold_kind=ThresholdKind.QUANTITY,
                bundle_size=bundle.quantity,
                bundle_price=bundle.price,
            )
        )
    if gift is not None:
        products = gift.product_ids
        await check_products_exist(work, products, "buyGift.productIds")
        if await work.session.get(Sku, gift.gift_sku_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"unknown SKU {gift.gift_sku_id}", "buyGift.giftSkuId")
        work.session.add(
            BuyGiftRule(
                campaign_id=campaign.id,
                buy_quantity=gift.buy_quantity,
                gift_sku_id=gift.gift_sku_id,
                gift_quantity=gift.gift_quantity,
                stock=gift.gift_stock,
                given=0,
            )
        )
    work.session.add_all(
        CampaignProduct(campaign_id=campaign.id, product_id=p) for p in sorted(set(products))
    )
