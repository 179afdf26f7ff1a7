"""Types of the analysts' aggregate queries (`orderAggregate` … `couponAggregate`).

A result row is `{ keys { dimension value label } values { measure value } }`; an entity key
(store, campaign, product, SKU, category) expands through the loaders. Money measures carry exact
cents in `money` (an average is rounded half up there; `value` keeps the fraction).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Coroutine
from enum import Enum
from typing import Any, Final, Generic, TypeVar

import strawberry
from aiodataloader import DataLoader

from gql.context import Info
from gql.ids import encode_id
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
from services.analytics.queries import Comparison, TimeField, Value
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
        description="The metrics rollups (orders per store and local hour) for the range's whole "
        "hours, and the order rows for a partial hour at its end; the numbers are the same as "
        "from the rows.",
    )


MAX_TOP_DESCRIPTION: Final = (
    "Keep the first `top` groups by `sort` (default: the first measure, descending), at most 1000. "
    "Without it a grouping of more than 100 groups is refused with TOO_MANY_GROUPS."
)


_Entity = TypeVar("_Entity")


class Expansions:
    """The entities one answer's keys expand to: each distinct entity is loaded once (one task,
    through its DataLoader) and every key naming it awaits that same future."""

    def __init__(self) -> None:
        self._loads: dict[tuple[str, int], asyncio.Future[Any]] = {}

    def get(
        self, entity: str, id_: int, load: Callable[[], Coroutine[Any, Any, _Entity]]
    ) -> Awaitable[_Entity]:
        found = self._loads.get((entity, id_))
        if found is None:
            found = self._loads[(entity, id_)] = asyncio.ensure_future(load())
        return found


@strawberry.type(description="One grouping key of a row.")
class AggregateKey:
    dimension: Dimension
    value: str | None = strawberry.field(
        description="Machine value: an enum value, a date (2026-11-01), an hour (2026-11-01T13), a month "
        "(2026-11), a number (hour of day, ISO day of week) or the global id of an entity; null for rows "
        "without one (e.g. the HQ warehouse's store)."
    )
    label: str | None = strawberry.field(description="For people; null for entities (expand them instead).")
    _type: strawberry.Private[str | None]
    _id: strawberry.Private[int | None]
    _expansions: strawberry.Private[Expansions]

    @strawberry.field(description="The store, for STORE.", graphql_type=Store | None)
    def store(self, info: Info) -> Awaitable[Store | None] | None:
        return self._expand(info, "Store", "store", Store.from_row)

    @strawberry.field(description="The campaign, for CAMPAIGN.", graphql_type=Campaign | None)
    def campaign(self, info: Info) -> Awaitable[Campaign | None] | None:
        return self._expand(info, "Campaign", "campaign", Campaign.from_row)

    @strawberry.field(description="The product, for PRODUCT.", graphql_type=Product | None)
    def product(self, info: Info) -> Awaitable[Product | None] | None:
        return self._expand(info, "Product", "product", Product.from_row)

    @strawberry.field(description="The SKU, for SKU.", graphql_type=Sku | None)
    def sku(self, info: Info) -> Awaitable[Sku | None] | None:
        return self._expand(info, "Sku", "sku", Sku.from_row)

    @strawberry.field(description="The template, for COUPON_TEMPLATE.", graphql_type=CouponTemplate | None)
    def coupon_template(self, info: Info) -> Awaitable[CouponTemplate | None] | None:
        return self._expand(info, "CouponTemplate", "coupon_template", CouponTemplate.from_row)

    @strawberry.field(
        description="The category, for CATEGORY_L1 and CATEGORY_L2.", graphql_type=Category | None
    )
    def category(self, info: Info) -> Awaitable[Category | None] | None:
        return self._expand(info, "Category", "category", Category.from_row)

    def _expand(
        self, info: Info, entity: str, loader: str, convert: Callable[[Any], _Entity]
    ) -> Awaitable[_Entity | None] | None:
        """Null at once for a key of another dimension (no awaitable to schedule); else the answer's
        shared load of the entity."""
        if self._type != entity or self._id is None:
            return None
        id_ = self._id
        load: DataLoader[int, Any] = getattr(info.context.loaders, loader)

        async def expanded() -> _Entity | None:
            row = await load.load(id_)
            return None if row is None else convert(row)

        return self._expansions.get(entity, id_, expanded)

    @classmethod
    def of(
        cls,
        dimension: Dimension,
        value: str | None,
        label: str | None,
        entity: str | None,
        id_: int | None,
        expansions: Expansions,
    ) -> AggregateKey:
        shown = value if entity is None or id_ is None else encode_id(entity, id_)
        return cls(
            dimension=dimension, value=shown, label=label, _type=entity, _id=id_, _expansions=expansions
        )


MeasureT = TypeVar("MeasureT", bound=Enum)
ValueT = TypeVar("ValueT")
SORT_HELP: Final = "Sort groups by one measure or one groupBy dimension (exactly one)."


@strawberry.type
class AggregateRowOf(Generic[ValueT]):
    """What every source's result row holds; each source names its own (`OrderAggregateRow` …)."""

    keys: list[AggregateKey]
    values: list[ValueT]


@strawberry.input
class AggregateHavingOf(Generic[MeasureT]):
    """What every source's `having` holds; each source names its own (`OrderAggregateHaving` …)."""

    measure: MeasureT
    comparison: Comparison
    value: float


@strawberry.input
class AggregateSortOf(Generic[MeasureT]):
    """What every source's sort holds; each source names its own (`OrderAggregateSort` …)."""

    measure: MeasureT | None = None
    dimension: Dimension | None = None
    descending: bool = True


def money_of(found: Value) -> Money | None:
    if found.kind is not Kind.MONEY or found.value is None:
        return None
    if isinstance(found.value, int):
        return money(found.value)
    return money(math.floor(found.value + 0.5))  # an average: half a cent rounds up


@strawberry.type(description="A measure of an order aggregate.")
class OrderAggregateValue:
    measure: OrderMeasure
    value: float | None = strawberry.field(
        description="The number: a count, cents, seconds or a fraction (ratios); null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def of(cls, found: Value) -> OrderAggregateValue:
        return cls(measure=OrderMeasure(found.measure), value=found.value, money=money_of(found))


@strawberry.type(description="A measure of an order-line aggregate.")
class OrderLineAggregateValue:
    measure: LineMeasure
    value: float | None = strawberry.field(
        description="The number: a count, units, cents or a fraction; null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def of(cls, found: Value) -> OrderLineAggregateValue:
        return cls(measure=LineMeasure(found.measure), value=found.value, money=money_of(found))


@strawberry.type(description="A measure of an after-sale aggregate.")
class AfterSaleAggregateValue:
    measure: AfterSaleMeasure
    value: float | None = strawberry.field(
        description="The number: a count, units, cents or seconds; null when no row has it."
    )
    money: Money | None = strawberry.field(description="Money measures: exact cents (averages rounded).")

    @classmethod
    def of(cls, found: Value) -> AfterSaleAggregateValue:
        return cls(measure=AfterSaleMeasure(found.measure), value=found.value, money=money_of(found))


@strawberry.type(description="One group of after-sale lines: its keys (in groupBy order) and measures.")
class AfterSaleAggregateRow(AggregateRowOf[AfterSaleAggregateValue]):
    pass


@strawberry.type(description="After-sale lines grouped and measured.")
class AfterSaleAggregate:
    source: AggregateSource
    rows: list[AfterSaleAggregateRow]
    totals: list[AfterSaleAggregateValue] = strawberry.field(description="Measures over all matching lines.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class AfterSaleAggregateHaving(AggregateHavingOf[AfterSaleMeasure]):
    pass


@strawberry.input(description=SORT_HELP)
class AfterSaleAggregateSort(AggregateSortOf[AfterSaleMeasure]):
    pass


@strawberry.type(description="A measure of a visit-event aggregate.")
class VisitAggregateValue:
    measure: VisitMeasure
    value: float | None = strawberry.field(
        description="The number: a count or milliseconds; null when no row has it."
    )

    @classmethod
    def of(cls, found: Value) -> VisitAggregateValue:
        return cls(measure=VisitMeasure(found.measure), value=found.value)


@strawberry.type(description="One group of page views: its keys (in groupBy order) and measures.")
class VisitAggregateRow(AggregateRowOf[VisitAggregateValue]):
    pass


@strawberry.type(description="Visit events (page views) grouped and measured.")
class VisitAggregate:
    source: AggregateSource
    rows: list[VisitAggregateRow]
    totals: list[VisitAggregateValue] = strawberry.field(description="Measures over all matching events.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value`.")
class VisitAggregateHaving(AggregateHavingOf[VisitMeasure]):
    pass


@strawberry.input(description=SORT_HELP)
class VisitAggregateSort(AggregateSortOf[VisitMeasure]):
    pass


@strawberry.input(description="Which page views to aggregate; each given part narrows (empty: any).")
class VisitFilter:
    store_ids: list[strawberry.ID] | None = None
    page_types: list[PageType] | None = None
    sources: list[SourceChannel] | None = None
    product_ids: list[strawberry.ID] | None = None
    campaign_ids: list[strawberry.ID] | None = None


@strawberry.type(description="One group of orders: its keys (in groupBy order) and measures.")
class OrderAggregateRow(AggregateRowOf[OrderAggregateValue]):
    pass


@strawberry.type(description="One group of order lines: its keys (in groupBy order) and measures.")
class OrderLineAggregateRow(AggregateRowOf[OrderLineAggregateValue]):
    pass


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
class OrderAggregateHaving(AggregateHavingOf[OrderMeasure]):
    pass


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class OrderLineAggregateHaving(AggregateHavingOf[LineMeasure]):
    pass


@strawberry.input(description=SORT_HELP)
class OrderAggregateSort(AggregateSortOf[OrderMeasure]):
    pass


@strawberry.input(description=SORT_HELP)
class OrderLineAggregateSort(AggregateSortOf[LineMeasure]):
    pass
