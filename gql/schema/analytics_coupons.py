"""Types of `couponAggregate`, the analysts' aggregate of issued coupons (services/analytics/coupons.py)."""

from __future__ import annotations

import strawberry

from gql.schema.analytics import (
    SORT_HELP,
    AggregateHavingOf,
    AggregateRowOf,
    AggregateSortOf,
    AggregateSource,
    money_of,
)
from gql.schema.common import Money
from models.coupons.rules import CouponIssueCause, CouponStatus, CouponType
from services.analytics.coupons import CouponMeasure
from services.analytics.queries import Value


@strawberry.type(description="A measure of a coupon aggregate.")
class CouponAggregateValue:
    measure: CouponMeasure
    value: float | None = strawberry.field(description="The number: a count, cents or a fraction.")
    money: Money | None = strawberry.field(description="Money measures: exact cents.")

    @classmethod
    def of(cls, found: Value) -> CouponAggregateValue:
        return cls(measure=CouponMeasure(found.measure), value=found.value, money=money_of(found))


@strawberry.type(description="One group of issued coupons: its keys (in groupBy order) and measures.")
class CouponAggregateRow(AggregateRowOf[CouponAggregateValue]):
    pass


@strawberry.type(description="Issued coupons grouped and measured.")
class CouponAggregate:
    source: AggregateSource
    rows: list[CouponAggregateRow]
    totals: list[CouponAggregateValue] = strawberry.field(description="Measures over all matching coupons.")
    group_count: int = strawberry.field(description="Groups in all (after `having`), before `top`.")


@strawberry.input(description="Keep the groups whose measure compares true with `value` (cents for money).")
class CouponAggregateHaving(AggregateHavingOf[CouponMeasure]):
    pass


@strawberry.input(description=SORT_HELP)
class CouponAggregateSort(AggregateSortOf[CouponMeasure]):
    pass


@strawberry.input(description="Which issued coupons to aggregate; each given part narrows (empty: any).")
class CouponFilter:
    template_ids: list[strawberry.ID] | None = None
    types: list[CouponType] | None = None
    causes: list[CouponIssueCause] | None = None
    statuses: list[CouponStatus] | None = None
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Stores the coupons were used at."
    )
