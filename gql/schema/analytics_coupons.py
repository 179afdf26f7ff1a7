"""Types of `couponAggregate`, the analysts' aggregate of issued coupons (services/analytics/coupons.py)."""

from __future__ import annotations

from collections.abc import Callable

import strawberry

from gql.schema.analytics import AggregateKey, AggregateSource, as_float, money_of
from gql.schema.common import Money
from models.coupons.rules import CouponIssueCause, CouponStatus, CouponType
from services.analytics.coupons import CouponMeasure
from services.analytics.dimensions import Dimension
from services.analytics.queries import Measured, Number
from services.analytics.questions import Comparison


@strawberry.type(description="A measure of a coupon aggregate.")
class CouponAggregateValue:
    measure: CouponMeasure
    value: float | None = strawberry.field(description="The number: a count, cents or a fraction.")
    money: Money | None = strawberry.field(description="Money measures: exact cents.")

    @classmethod
    def column(cls, measured: Measured) -> Callable[[Number], CouponAggregateValue]:
        """The value objects of one measure's numbers."""
        measure, kind = CouponMeasure(measured.measure), measured.kind
        return lambda v: cls(measure=measure, value=as_float(v), money=money_of(kind, v))


@strawberry.type(description="One group of issued coupons: its keys (in groupBy order) and measures.")
class CouponAggregateRow:
    keys: list[AggregateKey]
    values: list[CouponAggregateValue]


@strawberry.type(description="Issued coupons grouped and measured.")
class CouponAggregate:
    source: AggregateSource
    rows: list[CouponAggregateRow]
    totals: list[CouponAggregateValue] = strawberry.field(description="Measures over all matching coupons.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class CouponAggregateHaving:
    measure: CouponMeasure
    comparison: Comparison
    value: float


@strawberry.input(description="Sort groups by one measure or one groupBy dimension (exactly one).")
class CouponAggregateSort:
    measure: CouponMeasure | None = None
    dimension: Dimension | None = None
    descending: bool = True


@strawberry.input(description="Which issued coupons to aggregate; each given part narrows (empty: any).")
class CouponFilter:
    template_ids: list[strawberry.ID] | None = None
    types: list[CouponType] | None = None
    causes: list[CouponIssueCause] | None = None
    statuses: list[CouponStatus] | None = None
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Stores the coupons were used at."
    )
