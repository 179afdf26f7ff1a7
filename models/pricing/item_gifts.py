"""Layer 2 of the pricing: item gifts (单品买赠). Pure.

A gift offer gives `gift_quantity` units of a gift SKU for every `buy_quantity` units of its
products in the cart (all SKUs of a product count together), at most the units its gift stock has
left. A product's units count for one offer only: the highest `priority`, then the earlier offer.
Gifts cost nothing and change no price; they are zero-price lines of the order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gift:
    sku_id: int
    quantity: int
    label: str
    source_id: int | None = None
    """The 单品买赠 campaign giving it (None: the 满减赠 tier's gift)."""


@dataclass(frozen=True, slots=True)
class GiftOffer:
    """单品买赠: buy `buy_quantity` of a listed product, get `gift_quantity` of `gift_sku_id` free."""

    campaign_id: int
    name: str
    product_ids: frozenset[int]
    buy_quantity: int
    gift_sku_id: int
    gift_quantity: int
    stock_left: int | None = None
    """Gift units left in the campaign's stock (None: unlimited)."""
    priority: int = 0

    @property
    def label(self) -> str:
        return f"{self.name}: 买{self.buy_quantity}赠{self.gift_quantity}"


def item_gifts(offers: Sequence[GiftOffer], units: Sequence[tuple[int, int]]) -> list[Gift]:
    """The gifts for a cart given as (product id, units) lines, one per offer that gives any."""
    ranked = sorted(enumerate(offers), key=lambda o: (-o[1].priority, o[0]))
    counted: dict[int, int] = defaultdict(int)
    for product_id, quantity in units:
        owner = next((i for i, o in ranked if product_id in o.product_ids), None)
        if owner is not None:
            counted[owner] += quantity
    gifts = []
    for index, offer in enumerate(offers):
        if offer.buy_quantity <= 0 or offer.gift_quantity <= 0:
            raise ValueError("a gift offer buys and gives a positive number of units")
        quantity = counted[index] // offer.buy_quantity * offer.gift_quantity
        if offer.stock_left is not None:
            quantity = min(quantity, max(offer.stock_left, 0))
        if quantity:
            gifts.append(Gift(offer.gift_sku_id, quantity, offer.label, offer.campaign_id))
    return gifts
