"""Grouping keys of the aggregate queries, as SQL over an order (and its line), plus their labels.

Time buckets are computed from the moment's whole seconds since the epoch shifted by the business
zone's UTC offset at that moment: the offset is a step function whose steps (DST changes, found
once per zone in Python with `zoneinfo`) become a CASE tree (`services.metrics.sql.by_cuts`), so
SQL does integer arithmetic only and SQLite and PostgreSQL agree to the second. Two offset changes
less than a week apart are seen as one (no zone has them since 1970).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final
from typing import cast as typed

from sqlalchemy import ColumnElement, SQLColumnExpression, case, func
from sqlalchemy.orm import aliased

from models.after_sales.rows import AfterSale
from models.catalog.rows import Category, Product
from models.customers.rows import Customer
from models.orders.rows import Order, OrderLine
from models.stores.rows import Store
from services.metrics.sql import by_cuts, whole_seconds


class Dimension(StrEnum):
    STORE = "STORE"
    PROVINCE = "PROVINCE"
    CITY = "CITY"
    DISTRICT = "DISTRICT"
    CHANNEL = "CHANNEL"
    PAYMENT_METHOD = "PAYMENT_METHOD"
    FULFILLMENT = "FULFILLMENT"
    ORDER_TYPE = "ORDER_TYPE"
    STATUS = "STATUS"
    CAMPAIGN = "CAMPAIGN"
    MEMBER_LEVEL = "MEMBER_LEVEL"
    CUSTOMER_TYPE = "CUSTOMER_TYPE"
    PRODUCT = "PRODUCT"
    SKU = "SKU"
    CATEGORY_L1 = "CATEGORY_L1"
    CATEGORY_L2 = "CATEGORY_L2"
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    HOUR_OF_DAY = "HOUR_OF_DAY"
    DAY_OF_WEEK = "DAY_OF_WEEK"
    REASON = "REASON"
    AFTER_SALE_TYPE = "AFTER_SALE_TYPE"
    AFTER_SALE_STATUS = "AFTER_SALE_STATUS"
    INITIATOR = "INITIATOR"
    PAGE_TYPE = "PAGE_TYPE"
    SOURCE = "SOURCE"
    COUPON_TEMPLATE = "COUPON_TEMPLATE"
    COUPON_TYPE = "COUPON_TYPE"
    ISSUE_CAUSE = "ISSUE_CAUSE"
    COUPON_STATUS = "COUPON_STATUS"


DESCRIPTIONS: Final[Mapping[Dimension, str]] = {
    Dimension.STORE: "The fulfilling store (null: the HQ warehouse); expand with `store`.",
    Dimension.PROVINCE: "The store's province (null: the HQ warehouse).",
    Dimension.CITY: "The store's city.",
    Dimension.DISTRICT: "The store's district.",
    Dimension.CHANNEL: "The order's sales channel.",
    Dimension.PAYMENT_METHOD: "How the order was paid (null: unpaid).",
    Dimension.FULFILLMENT: "SELF_PICKUP, STORE_DELIVERY or EXPRESS.",
    Dimension.ORDER_TYPE: "NORMAL, GROUP_BUY or PRE_ORDER.",
    Dimension.STATUS: "The order's current status.",
    Dimension.CAMPAIGN: "The campaign the order came through (null: none); expand with `campaign`.",
    Dimension.MEMBER_LEVEL: "The customer's current member level.",
    Dimension.CUSTOMER_TYPE: "NEW when the customer had paid no order before this one, else RETURNING.",
    Dimension.PRODUCT: "Order lines only: the product (SPU); expand with `product`.",
    Dimension.SKU: "Order lines only: the SKU; expand with `sku`.",
    Dimension.CATEGORY_L1: "Order lines only: the product's top-level category; expand with `category`.",
    Dimension.CATEGORY_L2: "Order lines only: the product's second-level category (null when the product "
    "sits in a top-level one); expand with `category`.",
    Dimension.HOUR: "Local hour (business time zone) of the time field: value 2026-11-01T13.",
    Dimension.DAY: "Local day of the time field: value 2026-11-01.",
    Dimension.WEEK: "Local week (Monday first) of the time field: value is its Monday, 2026-10-26.",
    Dimension.MONTH: "Local month of the time field: value 2026-11.",
    Dimension.HOUR_OF_DAY: "Local hour of day of the time field, 0..23, whatever the date.",
    Dimension.DAY_OF_WEEK: "Local day of week of the time field, 1 (Monday) .. 7 (Sunday).",
    Dimension.REASON: "After-sales only: the reason the buyer (or merchant) gave.",
    Dimension.AFTER_SALE_TYPE: "After-sales only: REFUND_ONLY or RETURN_AND_REFUND.",
    Dimension.AFTER_SALE_STATUS: "After-sales only: the after-sale's current status.",
    Dimension.INITIATOR: "After-sales only: BUYER or MERCHANT.",
    Dimension.PAGE_TYPE: "Visit events only: the page viewed.",
    Dimension.SOURCE: "Visit events only: the channel the visitor came from.",
    Dimension.COUPON_TEMPLATE: "Coupons only: the template it was issued from (null: none, e.g. 邀请有礼).",
    Dimension.COUPON_TYPE: "Coupons only: ALL, PRODUCT, SHIPPING, STORE or CAMPAIGN.",
    Dimension.ISSUE_CAUSE: "Coupons only: the path it was issued by (CLAIM, INVITE, …).",
    Dimension.COUPON_STATUS: "Coupons only: its current state (UNUSED, LOCKED, USED, EXPIRED, VOIDED).",
}

LINE_DIMENSIONS: Final = frozenset(
    {Dimension.PRODUCT, Dimension.SKU, Dimension.CATEGORY_L1, Dimension.CATEGORY_L2}
)
"""Dimensions of an order line, not of an order."""
AFTER_SALE_DIMENSIONS: Final = frozenset(
    {Dimension.REASON, Dimension.AFTER_SALE_TYPE, Dimension.AFTER_SALE_STATUS, Dimension.INITIATOR}
)
"""Dimensions of an after-sale only."""
VISIT_DIMENSIONS: Final = frozenset({Dimension.PAGE_TYPE, Dimension.SOURCE})
"""Dimensions of a visit event only."""
COUPON_DIMENSIONS: Final = frozenset(
    {Dimension.COUPON_TEMPLATE, Dimension.COUPON_TYPE, Dimension.ISSUE_CAUSE, Dimension.COUPON_STATUS}
)
"""Dimensions of an issued coupon only."""

ENTITIES: Final[Mapping[Dimension, str]] = {
    Dimension.STORE: "Store",
    Dimension.CAMPAIGN: "Campaign",
    Dimension.PRODUCT: "Product",
    Dimension.SKU: "Sku",
    Dimension.CATEGORY_L1: "Category",
    Dimension.CATEGORY_L2: "Category",
    Dimension.COUPON_TEMPLATE: "CouponTemplate",
}
"""Dimensions whose value is an entity's id (the GraphQL type named here)."""

TIME_BUCKETS: Final = frozenset(
    {
        Dimension.HOUR,
        Dimension.DAY,
        Dimension.WEEK,
        Dimension.MONTH,
        Dimension.HOUR_OF_DAY,
        Dimension.DAY_OF_WEEK,
    }
)

CategoryTable = aliased(Category, name="category")
StoreTable = aliased(Store, name="store")
CustomerTable = aliased(Customer, name="customer")
ProductTable = aliased(Product, name="product")

JOINS: Final[Mapping[Dimension, str]] = {
    Dimension.PROVINCE: "store",
    Dimension.CITY: "store",
    Dimension.DISTRICT: "store",
    Dimension.MEMBER_LEVEL: "customer",
    Dimension.CUSTOMER_TYPE: "customer",
    Dimension.CATEGORY_L1: "category",
    Dimension.CATEGORY_L2: "category",
}
"""The table (beyond orders and lines) a dimension reads: `queries.py` joins each one once."""

_EPOCH_DAY: Final = date(1970, 1, 1)
_EPOCH_MONDAY: Final = date(1969, 12, 29)
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FROM: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TO: Final = datetime(2100, 1, 1, tzinfo=UTC)


def _offset_at(zone: tzinfo, seconds: int) -> int:
    offset = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=16)
def offset_steps(zone: tzinfo) -> tuple[tuple[datetime, ...], tuple[int, ...]]:
    """Cuts and UTC offsets (seconds) of `zone` from 1970 to 2100, for `by_cuts`: offsets[i] holds
    in [cuts[i], cuts[i+1]). Found by weekly probes, each change then pinned to the second."""
    week = 7 * 86400
    start, end = int(_FROM.timestamp()), int(_TO.timestamp())
    cuts, offsets = [start], [_offset_at(zone, start)]
    probe = start
    while probe < end:
        following = min(probe + week, end)
        if _offset_at(zone, following) != offsets[-1]:
            low, high = probe, following
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(zone, middle) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            cuts.append(high)
            offsets.append(_offset_at(zone, high))
        probe = following
    cuts.append(end)
    return tuple(datetime.fromtimestamp(c, UTC) for c in cuts), tuple(offsets)


Span = tuple[datetime, datetime]


def steps_within(zone: tzinfo, span: Span | None) -> tuple[list[datetime], list[int]]:
    """The steps of `offset_steps` that meet [start, end): one offset when the zone did not change
    inside the span, so the offset is a constant rather than a CASE tree."""
    cuts, offsets = offset_steps(zone)
    if span is None:
        return list(cuts), list(offsets)
    start, end = max(span[0], cuts[0]), min(span[1], cuts[-1])
    meets = [i for i in range(len(offsets)) if cuts[i] < end and cuts[i + 1] > start]
    if not meets:
        return list(cuts), list(offsets)
    first, last = meets[0], meets[-1]
    return list(cuts[first : last + 2]), list(offsets[first : last + 1])


def local_seconds(
    moment: SQLColumnExpression[Any], zone: tzinfo, dialect: str, span: Span | None = None
) -> ColumnElement[int]:
    """Seconds since 1970-01-01 00:00 local time: integer division by 86,400 gives the local day.

    With `span`, the rows are those whose moment lies in it (the caller filters them)."""
    cuts, offsets = steps_within(zone, span)
    if len(offsets) == 1:
        return whole_seconds(moment, dialect) + offsets[0]
    return whole_seconds(moment, dialect) + by_cuts(typed(ColumnElement[Any], moment), cuts, offsets)


def _month(seconds: ColumnElement[int], dialect: str) -> ColumnElement[str]:
    if dialect == "sqlite":
        return func.strftime("%Y-%m", seconds, "unixepoch")
    return func.to_char(func.timezone("UTC", func.to_timestamp(seconds)), "YYYY-MM")


def time_key(
    dimension: Dimension,
    moment: SQLColumnExpression[Any],
    zone: tzinfo,
    dialect: str,
    span: Span | None = None,
) -> SQLColumnExpression[Any]:
    seconds = local_seconds(moment, zone, dialect, span)
    match dimension:
        case Dimension.HOUR:
            return seconds // 3600
        case Dimension.DAY:
            return seconds // 86400
        case Dimension.WEEK:
            return (seconds // 86400 + 3) // 7
        case Dimension.MONTH:
            return _month(seconds, dialect)
        case Dimension.HOUR_OF_DAY:
            return (seconds % 86400) // 3600
        case _:
            return (seconds // 86400 + 3) % 7 + 1


def key_expression(
    dimension: Dimension,
    moment: SQLColumnExpression[Any],
    zone: tzinfo,
    dialect: str,
    span: Span | None = None,
) -> SQLColumnExpression[Any]:
    """The SQL value a row is grouped by; the tables of JOINS are aliased as above. With `span`,
    only rows whose moment lies in it are grouped."""
    if dimension in TIME_BUCKETS:
        return time_key(dimension, moment, zone, dialect, span)
    simple = _COLUMNS.get(dimension)
    if simple is not None:
        return simple()
    if dimension is Dimension.CUSTOMER_TYPE:
        first = CustomerTable.first_paid_at
        is_new = (first.is_(None)) | (first >= func.coalesce(Order.paid_at, Order.created_at))
        return case((is_new, "NEW"), else_="RETURNING")
    if dimension is Dimension.CATEGORY_L1:
        return case((CategoryTable.level == 1, CategoryTable.id), else_=CategoryTable.parent_id)
    return case((CategoryTable.level == 2, CategoryTable.id))


_COLUMNS: Final[Mapping[Dimension, Callable[[], SQLColumnExpression[Any]]]] = {
    Dimension.STORE: lambda: Order.store_id,
    Dimension.PROVINCE: lambda: StoreTable.province,
    Dimension.CITY: lambda: StoreTable.city,
    Dimension.DISTRICT: lambda: StoreTable.district,
    Dimension.CHANNEL: lambda: Order.channel,
    Dimension.PAYMENT_METHOD: lambda: Order.payment_method,
    Dimension.FULFILLMENT: lambda: Order.fulfillment,
    Dimension.ORDER_TYPE: lambda: Order.type,
    Dimension.STATUS: lambda: Order.status,
    Dimension.CAMPAIGN: lambda: Order.campaign_id,
    Dimension.MEMBER_LEVEL: lambda: CustomerTable.member_level,
    Dimension.PRODUCT: lambda: OrderLine.product_id,
    Dimension.SKU: lambda: OrderLine.sku_id,
    Dimension.REASON: lambda: AfterSale.reason,
    Dimension.AFTER_SALE_TYPE: lambda: AfterSale.type,
    Dimension.AFTER_SALE_STATUS: lambda: AfterSale.status,
    Dimension.INITIATOR: lambda: AfterSale.initiator,
}


@dataclass(frozen=True, slots=True)
class Key:
    """One grouping key of a result row: `value` is machine-readable (an id for entities), `label`
    is for people (null for entities: expand them instead)."""

    dimension: Dimension
    value: str | None
    label: str | None
    entity_id: int | None = None


def decode_key(dimension: Dimension, raw: Any) -> Key:
    """The key of a database value of `key_expression`."""
    if raw is None:
        return Key(dimension, None, None)
    if dimension in ENTITIES:
        return Key(dimension, str(int(raw)), None, int(raw))
    match dimension:
        case Dimension.HOUR:
            hour = datetime(1970, 1, 1) + timedelta(hours=int(raw))
            return Key(dimension, hour.strftime("%Y-%m-%dT%H"), hour.strftime("%Y-%m-%d %H:00"))
        case Dimension.DAY:
            day = (_EPOCH_DAY + timedelta(days=int(raw))).isoformat()
            return Key(dimension, day, day)
        case Dimension.WEEK:
            monday = (_EPOCH_MONDAY + timedelta(weeks=int(raw))).isoformat()
            return Key(dimension, monday, f"week of {monday}")
        case Dimension.HOUR_OF_DAY:
            return Key(dimension, str(int(raw)), f"{int(raw):02d}:00")
        case Dimension.DAY_OF_WEEK:
            return Key(dimension, str(int(raw)), _WEEKDAYS[int(raw) - 1])
    text = str(getattr(raw, "value", raw))
    return Key(dimension, text, text)
