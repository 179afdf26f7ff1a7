"""Enumerations shared by several domains (stored by value, exposed as GraphQL enums).

State enums live beside their transition tables (`models/orders/states.py`, `models/after_sales/states.py`).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HQ_ADMIN = "HQ_ADMIN"
    STORE_STAFF = "STORE_STAFF"
    ANALYST = "ANALYST"
    SHOPPER = "SHOPPER"


class StoreStatus(StrEnum):
    OPEN = "OPEN"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


class StoreSize(StrEnum):
    """Large stores get a longer picking allowance (30 min vs 15 min) in fulfilment metrics."""

    LARGE = "LARGE"
    STANDARD = "STANDARD"


class Fulfillment(StrEnum):
    SELF_PICKUP = "SELF_PICKUP"
    STORE_DELIVERY = "STORE_DELIVERY"
    EXPRESS = "EXPRESS"


class OrderType(StrEnum):
    NORMAL = "NORMAL"
    GROUP_BUY = "GROUP_BUY"
    PRE_ORDER = "PRE_ORDER"


class OrderChannel(StrEnum):
    MINI_PROGRAM = "MINI_PROGRAM"
    H5 = "H5"
    APP = "APP"
    POS = "POS"


class PaymentMethod(StrEnum):
    WECHAT_PAY = "WECHAT_PAY"
    ALIPAY = "ALIPAY"
    UNION_PAY = "UNION_PAY"
    BALANCE = "BALANCE"


class MemberLevel(StrEnum):
    NORMAL = "NORMAL"
    SILVER = "SILVER"
    GOLD = "GOLD"
    DIAMOND = "DIAMOND"


class ProductStatus(StrEnum):
    """HQ-level listing of an SPU; per-store shelf state lives on StoreSku."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ActorType(StrEnum):
    """Who caused an order or after-sale event."""

    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"
    HQ = "HQ"
    SYSTEM = "SYSTEM"
    PAYMENT = "PAYMENT"


class TraceState(StrEnum):
    COLLECTED = "COLLECTED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"


class PaymentKind(StrEnum):
    PAY = "PAY"
    REFUND = "REFUND"


class PaymentStatus(StrEnum):
    """Outbox state of a gateway call: PENDING until the gateway confirms (retried by a sweep)."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class CampaignType(StrEnum):
    INVITE_REWARD = "INVITE_REWARD"
    SPEND_REWARD = "SPEND_REWARD"
    GROUP_BUY = "GROUP_BUY"
    PRICE_CUT = "PRICE_CUT"
    """单品直降 / 爆品价: a fixed lower unit price for chosen SKUs (item level of the pricing)."""
    FLASH_SALE = "FLASH_SALE"
    """限时抢: a time-boxed item price with its own stock and a per-customer limit."""
    PRODUCT_DISCOUNT = "PRODUCT_DISCOUNT"
    """商品折扣: a percentage off every SKU of chosen products (item level of the pricing)."""
    ORDER_DISCOUNT = "ORDER_DISCOUNT"
    """满额折扣 / 满件折扣: a percentage off the order's goods from an amount or unit threshold."""
    MULTI_BUY_DISCOUNT = "MULTI_BUY_DISCOUNT"
    """多买多折: N units of the listed products → a percentage off them (2件9折, 3件8折)."""
    BUNDLE_PRICE = "BUNDLE_PRICE"
    """X元Y件: any Y units of the listed products for X."""
    BUY_GIFT = "BUY_GIFT"
    """单品买赠: buy N of a listed product, get M of a gift SKU free, from a gift stock."""


class CampaignStatus(StrEnum):
    """Derived from the clock and stopped_at; never stored."""

    NOT_STARTED = "NOT_STARTED"
    ONGOING = "ONGOING"
    ENDED = "ENDED"
    STOPPED = "STOPPED"


class RewardKind(StrEnum):
    COUPON = "COUPON"
    POINTS = "POINTS"


class InviteTrigger(StrEnum):
    INVITEE_REGISTERED = "INVITEE_REGISTERED"
    FIRST_ORDER_COMPLETED = "FIRST_ORDER_COMPLETED"


class RewardRole(StrEnum):
    INVITER = "INVITER"
    INVITEE = "INVITEE"


class RewardStatus(StrEnum):
    PENDING = "PENDING"
    GRANTED = "GRANTED"
    VOIDED = "VOIDED"


class ThresholdKind(StrEnum):
    AMOUNT = "AMOUNT"
    QUANTITY = "QUANTITY"


class ProductScope(StrEnum):
    ALL = "ALL"
    LISTED = "LISTED"


class GroupBuyKind(StrEnum):
    NORMAL = "NORMAL"
    NEW_USER_LED = "NEW_USER_LED"


class TeamStatus(StrEnum):
    FORMING = "FORMING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class PageType(StrEnum):
    HOME = "HOME"
    CATEGORY = "CATEGORY"
    PRODUCT = "PRODUCT"
    CAMPAIGN = "CAMPAIGN"
    GROUP_BUY = "GROUP_BUY"
    CART = "CART"
    CHECKOUT = "CHECKOUT"
    ORDER = "ORDER"
    PROFILE = "PROFILE"
    OTHER = "OTHER"


class SourceChannel(StrEnum):
    DIRECT = "DIRECT"
    SEARCH = "SEARCH"
    SHARE = "SHARE"
    QR_CODE = "QR_CODE"
    OFFICIAL_ACCOUNT = "OFFICIAL_ACCOUNT"
    MOMENTS_AD = "MOMENTS_AD"
    OTHER = "OTHER"


class StaffRole(StrEnum):
    HQ_ADMIN = "HQ_ADMIN"
    STORE_STAFF = "STORE_STAFF"
    ANALYST = "ANALYST"


class IdempotencyStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
