"""Types of the analysts' aggregate queries (`orderAggregate` … `couponAggregate`).

A result row is `{ keys { dimension value label } values { measure value } }`; an entity key
(store, campaign, product, SKU, category) expands through the loaders. Money measures carry exact
cents in `money` (an average is rounded half up there; `value` keeps the fraction).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum
from typing import Final

import strawberry

from gql.schema import visits as _registered_enums  # noqa: F401  (PageType, SourceChannel)
from gql.schema.campaigns import Campaign
from gql.schema.catalog import Category, Product, Sku
from gql.schema.common import Money, money
from gql.schema.coupons import CouponTemplate
from gql.schema.stores import Store
from models.enums import PageType, SourceChannel
from services.analytics.coupons import CouponMeasure
from services.analytics.dimensions import DESCRIPTIONS, Dimension
from services.analytics.measures import AfterSaleMeasure, Kind, LineMeasure, OrderMeasure, describe
from services.analytics.queries import Measured, Number
from services.analytics.questions import Comparison, TimeField
from services.analytics.visits import VisitMeasure


def _described(enum: type[Enum], name: str, description: str, values: dict[str, str]) -> None:
    strawberry.enum(enum, name=name, description=description)
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]


_described(
    Dimension,
    "AggregateDimension",
    "What an aggregate groups by. Time buckets are in the business time zone.",
    {d.name: text for d, text in DESCRIPTIONS.items()},
)
_described(
    OrderMeasure,
    "OrderMeasure",
    "What an order aggregate computes per group.",
    {m.name: describe(m) for m in OrderMeasure},
)
_described(
    LineMeasure,
    "OrderLineMeasure",
    "What an order-line aggregate computes per group.",
    {m.name: describe(m) for m in LineMeasure},
)
_described(
    AfterSaleMeasure,
    "AfterSaleMeasure",
    "What an after-sale aggregate computes per group (rows: after-sale lines).",
    {m.name: describe(m) for m in AfterSaleMeasure},
)
_described(
    VisitMeasure,
    "VisitMeasure",
    "What a visit-event aggregate computes per group (rows: page views).",
    {m.name: describe(m) for m in VisitMeasure},
)
_described(
    CouponMeasure,
    "CouponMeasure",
    "What a coupon aggregate computes per group (rows: issued coupons).",
    {m.name: describe(m) for m in CouponMeasure},
)
_described(
    TimeField,
    "AggregateTimeField",
    "Which moment of the order the time buckets read.",
    {
        "CREATED_AT": "When the order was placed.",
        "PAID_AT": "When it was paid (unpaid orders: null key).",
        "REQUESTED_AT": "After-sales only: when the after-sale was opened.",
        "REFUNDED_AT": "After-sales only: when it was refunded (others: null key).",
        "OCCURRED_AT": "Visit events only: when the page was viewed.",
        "ISSUED_AT": "Coupons only: when the coupon was issued.",
        "USED_AT": "Coupons only: when its order was paid (unused coupons: null key).",
    },
)
_described(
    Comparison,
    "AggregateComparison",
    "How `having` compares a measure with its value.",
    {"GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "EQ": "="},
)


@strawberry.enum(description="Where an aggregate was computed.")
class AggregateSource(Enum):
    RAW = strawberry.enum_value("RAW", description="The order and line rows themselves.")
    ROLLUP = strawberry.enum_value(
        "ROLLUP",
        description="Summaries kept by the metrics rollups (orders per store and local hour; paid "
        "orders and paying customers per store, local day and channel; order lines per category "
        "and local hour) for the range's whole hours or days, and the rows for a partial hour or "
        "day at its end; the numbers are the same as from the rows.",
    )


MAX_TOP_DESCRIPTION: Final = (
    "Keep the first `top` groups by `sort` (default: the first measure, descending), at most 1000. "
    "Without it a grouping of more than 100 groups is refused with TOO_MANY_GROUPS."
)


@strawberry.type(description="One grouping key of a row.")
class AggregateKey:
    """Built once per distinct key of an answer and shared by the rows holding it; the entity of
    an entity key is loaded (one batch per entity type) only when the document expands it
    (gql/resolvers/analytics_rows.py), so the other expansion fields are null."""

    dimension: Dimension
    value: str | None = strawberry.field(
        description="Machine value: an enum value, a date (2026-11-01), an hour (2026-11-01T13), a month "
        "(2026-11), a number (hour of day, ISO day of week) or the global id of an entity; null for rows "
        "without one (e.g. the HQ warehouse's store)."
    )
    label: str | None = strawberry.field(description="For people; null for entities (expand them instead).")
    store: Store | None = strawberry.field(default=None, description="The store, for STORE.")
    campaign: Campaign | None = strawberry.field(default=None, description="The campaign, for CAMPAIGN.")
    product: Product | None = strawberry.field(default=None, description="The product, for PRODUCT.")
    sku: Sku | None = strawberry.field(default=None, description="The SKU, for SKU.")
    coupon_template: CouponTemplate | None = strawberry.field(
        default=None, description="The template, for COUPON_TEMPLATE."
    )
    category: Category | None = strawberry.field(
        default=None, description="The category, for CATEGORY_L1 and CATEGORY_L2."
    )


def money_of(kind: Kind, value: Number) -> Money | None:
    """The exact `Money` of a money measure (an average rounded half up to a cent); None otherwise."""
    if kind is not Kind.MONEY or value is None:
        return None
    if isinstance(value, int):
        return money(value)
    return money(math.floor(value + 0.5))  # an average: half a cent rounds up


def as_float(value: Number) -> float | None:
    """What graphql-core's Float makes of the number, done once here (its fast path is a float)."""
    return None if value is None else float(value)


@strawberry.type(description="A measure of an order aggregate.")
class OrderAggregateValue:
    measure: OrderMeasure
    value: float | None = strawberry.field(
        description="The number: a count, cents, seconds or a fraction (ratios); null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def column(cls, measured: Measured) -> Callable[[Number], OrderAggregateValue]:
        """The value objects of one measure's numbers."""
        measure, kind = OrderMeasure(measured.measure), measured.kind
        return lambda v: cls(measure=measure, value=as_float(v), money=money_of(kind, v))


@strawberry.type(description="A measure of an order-line aggregate.")
class OrderLineAggregateValue:
    measure: LineMeasure
    value: float | None = strawberry.field(
        description="The number: a count, units, cents or a fraction; null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def column(cls, measured: Measured) -> Callable[[Number], OrderLineAggregateValue]:
        """The value objects of one measure's numbers."""
        measure, kind = LineMeasure(measured.measure), measured.kind
        return lambda v: cls(measure=measure, value=as_float(v), money=money_of(kind, v))


@strawberry.type(description="A measure of an after-sale aggregate.")
class AfterSaleAggregateValue:
    measure: AfterSaleMeasure
    value: float | None = strawberry.field(
        description="The number: a count, units, cents or seconds; null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def column(cls, measured: Measured) -> Callable[[Number], AfterSaleAggregateValue]:
        """The value objects of one measure's numbers."""
        measure, kind = AfterSaleMeasure(measured.measure), measured.kind
        return lambda v: cls(measure=measure, value=as_float(v), money=money_of(kind, v))


@strawberry.type(description="One group of after-sale lines: its keys (in groupBy order) and measures.")
class AfterSaleAggregateRow:
    keys: list[AggregateKey]
    values: list[AfterSaleAggregateValue]


@strawberry.type(description="After-sale lines grouped and measured.")
class AfterSaleAggregate:
    source: AggregateSource
    rows: list[AfterSaleAggregateRow]
    totals: list[AfterSaleAggregateValue] = strawberry.field(description="Measures over all matching lines.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class AfterSaleAggregateHaving:
    measure: AfterSaleMeasure
    comparison: Comparison
    value: float


@strawberry.input(description="Sort groups by one measure or one groupBy dimension (exactly one).")
class AfterSaleAggregateSort:
    measure: AfterSaleMeasure | None = None
    dimension: Dimension | None = None
    descending: bool = True


@strawberry.type(description="A measure of a visit-event aggregate.")
class VisitAggregateValue:
    measure: VisitMeasure
    value: float | None = strawberry.field(
        description="The number: a count or milliseconds; null when no row has it."
    )

    @classmethod
    def column(cls, measured: Measured) -> Callable[[Number], VisitAggregateValue]:
        """The value objects of one measure's numbers."""
        measure = VisitMeasure(measured.measure)
        return lambda v: cls(measure=measure, value=as_float(v))


@strawberry.type(description="One group of page views: its keys (in groupBy order) and measures.")
class VisitAggregateRow:
    keys: list[AggregateKey]
    values: list[VisitAggregateValue]


@strawberry.type(description="Visit events (page views) grouped and measured.")
class VisitAggregate:
    source: AggregateSource
    rows: list[VisitAggregateRow]
    totals: list[VisitAggregateValue] = strawberry.field(description="Measures over all matching events.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value`.")
class VisitAggregateHaving:
    measure: VisitMeasure
    comparison: Comparison
    value: float


@strawberry.input(description="Sort groups by one measure or one groupBy dimension (exactly one).")
class VisitAggregateSort:
    measure: VisitMeasure | None = None
    dimension: Dimension | None = None
    descending: bool = True


@strawberry.input(description="Which page views to aggregate; each given part narrows (empty: any).")
class VisitFilter:
    store_ids: list[strawberry.ID] | None = None
    page_types: list[PageType] | None = None
    sources: list[SourceChannel] | None = None
    product_ids: list[strawberry.ID] | None = None
    campaign_ids: list[strawberry.ID] | None = None


@strawberry.type(description="One group of orders: its keys (in groupBy order) and measures.")
class OrderAggregateRow:
    keys: list[AggregateKey]
    values: list[OrderAggregateValue]


@strawberry.type(description="One group of order lines: its keys (in groupBy order) and measures.")
class OrderLineAggregateRow:
    keys: list[AggregateKey]
    values: list[OrderLineAggregateValue]


@strawberry.type(description="Orders grouped and measured.")
class OrderAggregate:
    source: AggregateSource
    rows: list[OrderAggregateRow]
    totals: list[OrderAggregateValue] = strawberry.field(description="Measures over all matching orders.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.type(description="Order lines grouped and measured.")
class OrderLineAggregate:
    source: AggregateSource
    rows: list[OrderLineAggregateRow]
    totals: list[OrderLineAggregateValue] = strawberry.field(description="Measures over all matching lines.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class OrderAggregateHaving:
    measure: OrderMeasure
    comparison: Comparison
    value: float


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class OrderLineAggregateHaving:
    measure: LineMeasure
    comparison: Comparison
    value: float


@strawberry.input(description="Sort groups by one measure or one groupBy dimension (exactly one).")
class OrderAggregateSort:
    measure: OrderMeasure | None = None
    dimension: Dimension | None = None
    descending: bool = True


@strawberry.input(description="Sort groups by one measure or one groupBy dimension (exactly one).")
class OrderLineAggregateSort:
    measure: LineMeasure | None = None
    dimension: Dimension | None = None
    descending: bool = True
