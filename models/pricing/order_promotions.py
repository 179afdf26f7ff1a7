"""Layer 3 of the pricing: the order-level promotions and which one applies. Pure, exact cents.

Kinds (each a campaign type; all compete, one applies per order):
* REDUCTION — 满减赠: the reached tier's cents off and/or its gift;
* PERCENT — 满额折扣 / 满件折扣 / 多买多折: the reached tier's percentage off the goods in scope,
  rounded down to the cent and at most `cap`;
* BUNDLE — X元Y件: any `bundle_size` units in scope for `bundle_price`, as many groups as pay off.
  The dearest units are grouped first (ties: the earlier cart line), which is the best for the buyer
  and deterministic.
The reduction is spread over the lines it touches pro rata (`models.pricing.allocate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from models.campaigns.rules import Tier, TierOutcome, reached_tier
from models.enums import ThresholdKind
from models.money import format_cents
from models.pricing import allocate


class PromotionKind(StrEnum):
    REDUCTION = "REDUCTION"
    PERCENT = "PERCENT"
    BUNDLE = "BUNDLE"


@dataclass(frozen=True, slots=True)
class ScopedLine:
    """What a promotion needs of a cart line: its product and units, after the item level."""

    product_id: int
    quantity: int
    amount: int
    """Cents of the line after the item level (a whole number of cents per unit)."""


@dataclass(frozen=True, slots=True)
class OrderPromotion:
    """A running order-level promotion over the goods in its scope."""

    campaign_id: int
    name: str
    threshold_kind: ThresholdKind
    tiers: tuple[Tier, ...]
    """REDUCTION: `reduction` / gift; PERCENT: `percent_off`; BUNDLE: none."""
    product_ids: frozenset[int] | None = None
    """None: every product."""
    priority: int = 0
    kind: PromotionKind = PromotionKind.REDUCTION
    cap: int | None = None
    """PERCENT: the most cents off (None: no cap)."""
    bundle_size: int = 0
    bundle_price: int = 0

    def covers(self, product_id: int) -> bool:
        return self.product_ids is None or product_id in self.product_ids


@dataclass(frozen=True, slots=True)
class PromotionResult:
    promotion: OrderPromotion
    outcome: TierOutcome
    shares: tuple[int, ...]
    groups: int = 0
    """BUNDLE: how many X元Y件 groups were formed."""

    @property
    def reduction(self) -> int:
        return sum(self.shares)

    @property
    def gives_gift(self) -> bool:
        return self.outcome.reached is not None and self.outcome.reached.gift_sku_id is not None


def bundle_groups(
    lines: Sequence[ScopedLine], inside: Sequence[bool], size: int, price: int
) -> tuple[int, list[int]]:
    """(groups, per line the cents of its units put in a group): the lines `inside` the scope, the
    dearest units first, a group only while its units cost more than `price` (each later group
    costs no more than the one before, so stopping there is the best for the buyer)."""
    units = sorted(
        (
            (line.amount // line.quantity, index)
            for index, (line, ok) in enumerate(zip(lines, inside, strict=True))
            if ok
            for _ in range(line.quantity)
        ),
        key=lambda u: (-u[0], u[1]),
    )
    grouped = [0] * len(lines)
    groups = 0
    for start in range(0, len(units) - size + 1, size):
        chunk = units[start : start + size]
        if sum(unit for unit, _ in chunk) <= price:
            break
        groups += 1
        for unit, index in chunk:
            grouped[index] += unit
    return groups, grouped


def _bundle(
    promotion: OrderPromotion, lines: Sequence[ScopedLine], inside: Sequence[bool]
) -> PromotionResult:
    size, price = promotion.bundle_size, promotion.bundle_price
    groups, grouped = bundle_groups(lines, inside, size, price)
    units = sum(line.quantity for line, ok in zip(lines, inside, strict=True) if ok)
    reduction = sum(grouped) - groups * price
    shares = allocate(reduction, grouped) if reduction else [0] * len(lines)
    tier = Tier(0, size, reduction)
    missing = 0 if groups else size - units
    outcome = TierOutcome(tier if groups else None, None if groups else tier, missing)
    return PromotionResult(promotion, outcome, tuple(shares), groups)


def evaluate_promotion(promotion: OrderPromotion, lines: Sequence[ScopedLine]) -> PromotionResult:
    """The promotion's tier (or groups) for the goods in its scope and the reduction spread over them."""
    inside = [promotion.covers(line.product_id) for line in lines]
    if promotion.kind is PromotionKind.BUNDLE:
        return _bundle(promotion, lines, inside)
    weights = [line.amount if ok else 0 for line, ok in zip(lines, inside, strict=True)]
    quantity = sum(line.quantity for line, ok in zip(lines, inside, strict=True) if ok)
    outcome = reached_tier(promotion.threshold_kind, promotion.tiers, sum(weights), quantity)
    reduction = 0
    if outcome.reached is not None:
        if promotion.kind is PromotionKind.PERCENT:
            reduction = sum(weights) * outcome.reached.percent_off // 100
            if promotion.cap is not None:
                reduction = min(reduction, promotion.cap)
        else:
            reduction = outcome.reached.reduction
    reduction = min(reduction, sum(weights))
    shares = allocate(reduction, weights) if reduction else [0] * len(lines)
    return PromotionResult(promotion, outcome, tuple(shares))


def best_promotion(results: Sequence[PromotionResult]) -> PromotionResult | None:
    """Highest priority first, then most money off, then a gift; earlier promotions win ties."""
    reached = [r for r in results if r.outcome.reached is not None]
    if not reached:
        return None
    return max(reached, key=lambda r: (r.promotion.priority, r.reduction, r.gives_gift))


def hint_promotion(
    results: Sequence[PromotionResult], applied: PromotionResult | None
) -> PromotionResult | None:
    if applied is not None:
        return applied if applied.outcome.next_tier else None
    waiting = [r for r in results if r.outcome.next_tier is not None]
    return min(waiting, key=lambda r: r.outcome.missing) if waiting else None


def yuan(cents: int) -> str:
    """1000 → "10", 1050 → "10.50" (how a promotion's name reads: 满100减10)."""
    text = format_cents(cents)
    return text[:-3] if text.endswith(".00") else text


def zhe(percent_off: int) -> str:
    """20 % off → "8折", 15 % → "8.5折", 12 % → "8.8折" (how a shopper reads a discount)."""
    tens, rest = divmod(100 - percent_off, 10)
    return f"{tens}折" if rest == 0 else f"{tens}.{rest}折"


def promotion_label(result: PromotionResult) -> str:
    """The breakdown's label: 满减节: 满100减10, 多买多折: 满3件8折, 满额折: 满200元9折, 任选: 10元3件 ×2."""
    p = result.promotion
    if p.kind is PromotionKind.BUNDLE:
        return f"{p.name}: {yuan(p.bundle_price)}元{p.bundle_size}件 ×{result.groups}"
    tier = result.outcome.reached
    assert tier is not None
    unit = "件" if p.threshold_kind is ThresholdKind.QUANTITY else ""
    threshold = str(tier.threshold) if unit else yuan(tier.threshold)
    if p.kind is PromotionKind.PERCENT:
        return f"{p.name}: 满{threshold}{unit or '元'}{zhe(tier.percent_off)}"
    return f"{p.name}: 满{threshold}{unit}减{yuan(tier.reduction)}"
