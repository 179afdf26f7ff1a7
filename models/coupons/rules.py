"""Pure coupon rules (优惠券): the terms of a coupon, whether it may be used on a cart, what it takes off,
and the template rules (what may change once issuing has started). No I/O.

Every refusal carries its own code, so the shopper is told exactly why: COUPON_EXPIRED,
COUPON_NOT_APPLICABLE (store, channel or no product in scope), COUPON_BELOW_THRESHOLD, COUPON_UNAVAILABLE
(used, locked by another order, voided, not yours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from models.errors import DomainError, ErrorCode


class CouponType(StrEnum):
    ALL = "ALL"
    """全场券: any product of the order."""
    PRODUCT = "PRODUCT"
    """商品券: listed products or categories."""
    SHIPPING = "SHIPPING"
    """运费券: takes off the delivery fee."""
    STORE = "STORE"
    """商家券: a store's own coupon, usable only at its stores."""
    CAMPAIGN = "CAMPAIGN"
    """活动券: issued by a campaign (e.g. 邀请有礼)."""


class CouponStatus(StrEnum):
    UNUSED = "UNUSED"
    LOCKED = "LOCKED"
    """Held by an unpaid order; cancellation or payment timeout makes it UNUSED again."""
    USED = "USED"
    EXPIRED = "EXPIRED"
    VOIDED = "VOIDED"


class CouponIssueCause(StrEnum):
    """Why a coupon was issued (its path): every issuing service names one; figures group by it."""

    CLAIM = "CLAIM"
    """领券: the shopper claimed it from a template (in the mini-program or by a store's QR)."""
    INVITE = "INVITE"
    """邀请有礼: an invite reward granted it."""
    RULE = "RULE"
    """返券: an issuing rule (new customer, invite, completed order, good review) granted it."""
    ASSIST = "ASSIST"
    """助力: the starter's reward once enough helpers joined."""
    SALE = "SALE"
    """卖券: bought and paid."""
    PUSH = "PUSH"
    """发券: a push job."""


class CouponThreshold(StrEnum):
    AMOUNT = "AMOUNT"
    QUANTITY = "QUANTITY"


class CouponClaimPath(StrEnum):
    """How shoppers may claim a template's coupons for free (领取方式); pushes, rules, sales and
    campaigns issue whatever the path."""

    CENTER = "CENTER"
    """领券中心: listed by `availableCoupons`, claimed there or through a store's QR link."""
    LINK = "LINK"
    """Only through a store's signed claim link (扫码领券): not listed, `claimCoupon` refuses it."""
    ISSUE_ONLY = "ISSUE_ONLY"
    """Never claimed: given only by a push, a 返券 rule or a sale."""


class CouponRestorePolicy(StrEnum):
    """When a USED coupon comes back after its order's refunds (the template's setting, copied on
    each coupon it issues). A partial refund never restores: the refunded money already excludes
    the coupon's share, so giving the coupon back too would pay its value twice."""

    NEVER = "NEVER"
    """Used is used, whatever is refunded later."""
    FULL_REFUND_BEFORE_COMPLETION = "FULL_REFUND_BEFORE_COMPLETION"
    """Every unit refunded before the order completes (SPEC §8's default)."""
    FULL_REFUND = "FULL_REFUND"
    """Every unit refunded, before or after the order completes."""


def restores_on_refund(policy: CouponRestorePolicy, *, everything_back: bool, completed: bool) -> bool:
    """Whether a USED coupon of an order comes back once this refund is paid out: every unit of the
    order is refunded (`everything_back`), and the policy allows it at this stage (`completed`)."""
    if not everything_back or policy is CouponRestorePolicy.NEVER:
        return False
    return policy is CouponRestorePolicy.FULL_REFUND or not completed


MAX_PERCENT = 99


@dataclass(frozen=True, slots=True)
class CouponTerms:
    """What one issued coupon promises, as the pricing needs it."""

    coupon_id: int
    type: CouponType
    title: str
    amount_off: int = 0
    """Face value in cents (ignored when `percent_off` is set)."""
    percent_off: int | None = None
    """12 takes 12 % off the coupon's goods (88折), floored to the cent, at most `cap`."""
    cap: int | None = None
    threshold_kind: CouponThreshold = CouponThreshold.AMOUNT
    threshold: int = 0
    """Cents of goods in scope (after promotions) or units in scope the order must reach."""
    product_ids: frozenset[int] | None = None
    category_ids: frozenset[int] | None = None
    """Scope: a product is in when it or its category is listed; both None: every product."""
    store_ids: frozenset[int] | None = None
    channels: frozenset[str] | None = None
    fulfillments: frozenset[str] | None = None
    """Scenes (适用场景): the fulfilments it may be used with (自提, 外卖配送, 快递); None: every one."""
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def is_shipping(self) -> bool:
        return self.type is CouponType.SHIPPING

    def covers(self, product_id: int, category_id: int | None) -> bool:
        if self.product_ids is None and self.category_ids is None:
            return True
        return (self.product_ids is not None and product_id in self.product_ids) or (
            self.category_ids is not None and category_id is not None and category_id in self.category_ids
        )

    def label(self) -> str:
        return self.title


def coupon_value(terms: CouponTerms, base: int) -> int:
    """What the coupon takes off `base` cents (its goods, or the delivery fee): never more than `base`."""
    if terms.percent_off is not None:
        value = base * terms.percent_off // 100
        if terms.cap is not None:
            value = min(value, terms.cap)
    else:
        value = terms.amount_off
    return max(0, min(value, base))


def check_usable(
    terms: CouponTerms,
    state: CouponStatus,
    store_id: int | None,
    channel: str,
    now: datetime,
    field: str,
    fulfillment: str | None = None,
) -> None:
    """Refuse a coupon that cannot be used at this store, on this channel, for this fulfilment
    (scene; None: not known yet), now (the cart aside)."""
    if state is CouponStatus.EXPIRED or (terms.valid_until is not None and now >= terms.valid_until):
        raise DomainError(ErrorCode.COUPON_EXPIRED, f"{terms.title} has expired", field)
    if state is not CouponStatus.UNUSED:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, f"{terms.title} is {state.value}", field)
    if terms.valid_from is not None and now < terms.valid_from:
        raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, f"{terms.title} is not valid yet", field)
    if terms.store_ids is not None and store_id not in terms.store_ids:
        raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, f"{terms.title} is not valid at this store", field)
    if terms.channels is not None and channel not in terms.channels:
        raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, f"{terms.title} is not valid on {channel}", field)
    if fulfillment is not None and terms.fulfillments is not None and fulfillment not in terms.fulfillments:
        raise DomainError(
            ErrorCode.COUPON_NOT_APPLICABLE, f"{terms.title} is not valid for {fulfillment}", field
        )


def pick_coupons(coupons: Sequence[CouponTerms], field: str) -> tuple[CouponTerms | None, CouponTerms | None]:
    """(goods coupon, shipping coupon): at most one of each per order."""
    goods = [c for c in coupons if not c.is_shipping]
    shipping = [c for c in coupons if c.is_shipping]
    if len(goods) > 1 or len(shipping) > 1:
        raise DomainError(
            ErrorCode.COUPON_NOT_APPLICABLE, "one goods coupon and one shipping coupon per order", field
        )
    if len({c.coupon_id for c in coupons}) != len(coupons):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a coupon is given twice", field)
    return (goods[0] if goods else None), (shipping[0] if shipping else None)


# --- templates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """The fields of a coupon template the rules look at (cents, units, days)."""

    type: CouponType
    amount_off: int
    percent_off: int | None
    cap: int | None
    threshold_kind: CouponThreshold
    threshold: int
    total_stock: int
    per_customer_limit: int
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    store_ids: frozenset[int] | None
    campaign_id: int | None
    restore_on_refund: CouponRestorePolicy = CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION

    @classmethod
    def of(cls, source: object) -> TemplateShape:
        """The shape of anything holding a template's fields under these names (a template row, a
        draft); `store_ids` may be any iterable of ids or None."""
        values = {f.name: getattr(source, f.name) for f in fields(cls)}
        ids = values["store_ids"]
        values["store_ids"] = None if ids is None else frozenset(int(i) for i in ids)
        return cls(**values)


def validate_template(t: TemplateShape) -> None:
    """A template that can be issued: a value, a sane threshold, stock, and one validity rule."""
    if t.percent_off is None:
        if t.amount_off <= 0:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "give a face value or a percentage", "amountOff")
        if t.threshold_kind is CouponThreshold.AMOUNT and t.threshold and t.amount_off >= t.threshold:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "the face value must be below the threshold", "amountOff"
            )
    else:
        if not 1 <= t.percent_off <= MAX_PERCENT:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"percentOff is 1 to {MAX_PERCENT}", "percentOff")
        if t.type is CouponType.SHIPPING:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "a shipping coupon has a face value", "percentOff")
    if t.cap is not None and t.cap <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the cap must be positive", "cap")
    if t.threshold < 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the threshold cannot be negative", "threshold")
    if t.total_stock <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "the total stock must be positive", "totalStock")
    if not 1 <= t.per_customer_limit <= t.total_stock:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "the per-customer limit is 1 to the total stock", "perCustomerLimit"
        )
    fixed = t.valid_until is not None
    if fixed == (t.valid_days is not None):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "give either a fixed window (validUntil) or validDays", "validDays"
        )
    if t.valid_days is not None and not 1 <= t.valid_days <= 366:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "validDays is 1 to 366", "validDays")
    if t.valid_from is not None and t.valid_until is not None and t.valid_until <= t.valid_from:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "validUntil must be after validFrom", "validUntil")
    if t.type is CouponType.STORE and not t.store_ids:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a store coupon names its stores", "storeIds")
    if t.type is CouponType.CAMPAIGN and t.campaign_id is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a campaign coupon names its campaign", "campaignId")


FROZEN_AFTER_ISSUE = (
    "type",
    "amount_off",
    "percent_off",
    "cap",
    "threshold_kind",
    "threshold",
    "valid_from",
    "valid_days",
    "store_ids",
    "campaign_id",
    "restore_on_refund",
)
"""Once a coupon is issued its promise is fixed: value, threshold, scope start, validity rule and
when a refund gives it back.
Afterwards only the name, the stock (never below what is issued), the per-customer limit (never
lowered), a later end of the window, and stopping may change."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_update(before: TemplateShape, after: TemplateShape, issued: int) -> None:
    """What may change on a template that has issued coupons (raises COUPON_NOT_EDITABLE)."""
    validate_template(after)
    if issued == 0:
        return
    for name in FROZEN_AFTER_ISSUE:
        if getattr(before, name) != getattr(after, name):
            field = _camel(name)
            raise DomainError(
                ErrorCode.COUPON_NOT_EDITABLE, f"{field} cannot change once coupons are issued", field
            )
    if after.total_stock < issued:
        raise DomainError(ErrorCode.COUPON_NOT_EDITABLE, f"{issued} coupons are already issued", "totalStock")
    if after.per_customer_limit < before.per_customer_limit:
        raise DomainError(
            ErrorCode.COUPON_NOT_EDITABLE, "the per-customer limit cannot be lowered", "perCustomerLimit"
        )
    if (
        before.valid_until is not None
        and after.valid_until is not None
        and after.valid_until < before.valid_until
    ):
        raise DomainError(ErrorCode.COUPON_NOT_EDITABLE, "the window can only be extended", "validUntil")


def expiry_on_claim(valid_until: datetime | None, valid_days: int | None, claimed_at: datetime) -> datetime:
    """When a coupon claimed at `claimed_at` expires: the fixed end, or N days after the claim."""
    if valid_days is not None:
        return claimed_at + timedelta(days=valid_days)
    assert valid_until is not None
    return valid_until
