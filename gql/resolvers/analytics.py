"""Root fields `orderAggregate` … `couponAggregate`: the analysts' typed GROUP BY (SPEC §9).

They take the admin order list's `filter` and `query:` (same grammar, same scope: HQ and analysts
all stores, store staff theirs; shoppers are refused by `Allowed`), translate the arguments into a
`services.analytics.queries.Question` and run it on the analytics sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.resolvers.after_sales import after_sale_criteria
from gql.resolvers.analytics_rows import shaped
from gql.resolvers.order_search import QueryArgument, criteria
from gql.schema.after_sales import AfterSaleFilter
from gql.schema.analytics import (
    MAX_TOP_DESCRIPTION,
    AfterSaleAggregate,
    AfterSaleAggregateHaving,
    AfterSaleAggregateRow,
    AfterSaleAggregateSort,
    AfterSaleAggregateValue,
    OrderAggregate,
    OrderAggregateHaving,
    OrderAggregateRow,
    OrderAggregateSort,
    OrderAggregateValue,
    OrderLineAggregate,
    OrderLineAggregateHaving,
    OrderLineAggregateRow,
    OrderLineAggregateSort,
    OrderLineAggregateValue,
    VisitAggregate,
    VisitAggregateHaving,
    VisitAggregateRow,
    VisitAggregateSort,
    VisitAggregateValue,
    VisitFilter,
)
from gql.schema.analytics_coupons import (
    CouponAggregate,
    CouponAggregateHaving,
    CouponAggregateRow,
    CouponAggregateSort,
    CouponAggregateValue,
    CouponFilter,
)
from gql.schema.metrics_figures import DateRange
from gql.schema.order_search import OrderFilter
from models.base import utcnow
from models.date_ranges import RangeError, resolve_range
from models.errors import DomainError, ErrorCode
from services.after_sales.search import AfterSaleCriteria
from services.analytics.coupons import CouponCriteria, CouponMeasure
from services.analytics.dimensions import Dimension
from services.analytics.measures import AfterSaleMeasure, LineMeasure, OrderMeasure
from services.analytics.queries import Answer, answer
from services.analytics.questions import Fact, Having, Question, SortTerm, TimeField
from services.analytics.visits import VisitCriteria, VisitMeasure
from services.metrics.freshness import freshen

Having_ = (
    OrderAggregateHaving
    | OrderLineAggregateHaving
    | AfterSaleAggregateHaving
    | VisitAggregateHaving
    | CouponAggregateHaving
)
Sort_ = (
    OrderAggregateSort
    | OrderLineAggregateSort
    | AfterSaleAggregateSort
    | VisitAggregateSort
    | CouponAggregateSort
)

GROUP_BY = "Dimensions to group by, at most 4 (none: one row, the totals)."
MEASURES = "Measures to compute per group, 1 to 16."
RANGE = (
    "Local days (business time zone) the time field must lie in, like the metrics' range; a range "
    "that includes the present counts up to the end of the current hour."
)
TIME = "Which moment of the order the time buckets (HOUR .. DAY_OF_WEEK) read."


async def _answer(
    info: Info,
    fact: Fact,
    filter: OrderFilter | None,
    query: str | None,
    group_by: Sequence[Dimension] | None,
    measures: Sequence[StrEnum],
    having: Sequence[Having_],
    sort: Sequence[Sort_],
    top: int | None,
    time: TimeField,
    range_: DateRange | None,
    after_sale: AfterSaleCriteria | None = None,
    visit: VisitCriteria | None = None,
    coupon: CouponCriteria | None = None,
) -> Answer:
    ctx = info.context
    settings = ctx.settings
    now = utcnow()
    span = None
    if range_ is not None:
        try:
            period = resolve_range(settings.zone, now, range_.preset, range_.from_, range_.to)
        except RangeError as exc:
            raise DomainError(ErrorCode.BAD_USER_INPUT, str(exc), "range") from None
        span = period.current.counted

    async def rollups() -> frozenset[str]:  # freshened on the primary, as the metrics' are
        max_age = timedelta(seconds=settings.metrics_rollup_max_age_seconds)
        return await freshen(ctx.sessions, settings.zone, now, max_age)

    question = Question(
        fact=fact,
        criteria=criteria(info, filter, query),
        group_by=tuple(group_by or ()),
        measures=tuple(measures),
        having=tuple(Having(h.measure, h.comparison, h.value) for h in having),
        sort=tuple(SortTerm(s.measure, s.dimension, s.descending) for s in sort),
        top=top,
        time=time,
        span=span,
        after_sale=after_sale,
        visit=visit,
        coupon=coupon,
    )
    return await answer(
        question,
        ctx.principal,
        sessions=ctx.analytics_sessions,
        dialect=ctx.analytics_dialect,
        zone=ctx.settings.zone,
        analyst_timeout_ms=settings.analyst_statement_timeout_ms,
        rollups=rollups if settings.metrics_rollups else None,
    )


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Orders the caller's order list would show for `filter` AND `query`, grouped by "
        "`groupBy` and measured (docs/analytics.md). HQ and analysts: all stores; store staff: theirs.",
    )
    async def order_aggregate(
        self,
        info: Info,
        measures: Annotated[list[OrderMeasure], strawberry.argument(description=MEASURES)],
        group_by: Annotated[list[Dimension] | None, strawberry.argument(description=GROUP_BY)] = None,
        filter: OrderFilter | None = None,
        query: QueryArgument = None,
        having: list[OrderAggregateHaving] | None = None,
        sort: list[OrderAggregateSort] | None = None,
        top: Annotated[int | None, strawberry.argument(description=MAX_TOP_DESCRIPTION)] = None,
        time_field: Annotated[TimeField, strawberry.argument(description=TIME)] = TimeField.CREATED_AT,
        range: Annotated[DateRange | None, strawberry.argument(description=RANGE)] = None,
    ) -> OrderAggregate:
        found = await _answer(
            info,
            Fact.ORDERS,
            filter,
            query,
            group_by,
            measures,
            having or (),
            sort or (),
            top,
            time_field,
            range,
        )
        return await shaped(info, found, OrderAggregate, OrderAggregateRow, OrderAggregateValue.column)

    @strawberry.field(
        permission_classes=[Allowed],
        description="Lines of the orders the caller's order list would show for `filter` AND `query`, "
        "grouped by `groupBy` (products, SKUs and categories too) and measured (docs/analytics.md).",
    )
    async def order_line_aggregate(
        self,
        info: Info,
        measures: Annotated[list[LineMeasure], strawberry.argument(description=MEASURES)],
        group_by: Annotated[list[Dimension] | None, strawberry.argument(description=GROUP_BY)] = None,
        filter: OrderFilter | None = None,
        query: QueryArgument = None,
        having: list[OrderLineAggregateHaving] | None = None,
        sort: list[OrderLineAggregateSort] | None = None,
        top: Annotated[int | None, strawberry.argument(description=MAX_TOP_DESCRIPTION)] = None,
        time_field: Annotated[TimeField, strawberry.argument(description=TIME)] = TimeField.CREATED_AT,
        range: Annotated[DateRange | None, strawberry.argument(description=RANGE)] = None,
    ) -> OrderLineAggregate:
        found = await _answer(
            info,
            Fact.ORDER_LINES,
            filter,
            query,
            group_by,
            measures,
            having or (),
            sort or (),
            top,
            time_field,
            range,
        )
        return await shaped(
            info, found, OrderLineAggregate, OrderLineAggregateRow, OrderLineAggregateValue.column
        )

    @strawberry.field(
        permission_classes=[Allowed],
        description="Lines of the after-sales the caller's after-sale list would show for `filter`, of "
        "orders matching `query` (the order list's grammar), grouped by `groupBy` (reasons, types, "
        "statuses, products, categories too) and measured (docs/analytics.md).",
    )
    async def after_sale_aggregate(
        self,
        info: Info,
        measures: Annotated[list[AfterSaleMeasure], strawberry.argument(description=MEASURES)],
        group_by: Annotated[list[Dimension] | None, strawberry.argument(description=GROUP_BY)] = None,
        filter: AfterSaleFilter | None = None,
        query: QueryArgument = None,
        having: list[AfterSaleAggregateHaving] | None = None,
        sort: list[AfterSaleAggregateSort] | None = None,
        top: Annotated[int | None, strawberry.argument(description=MAX_TOP_DESCRIPTION)] = None,
        time_field: Annotated[TimeField, strawberry.argument(description=TIME)] = TimeField.REQUESTED_AT,
        range: Annotated[DateRange | None, strawberry.argument(description=RANGE)] = None,
    ) -> AfterSaleAggregate:
        found = await _answer(
            info,
            Fact.AFTER_SALES,
            None,
            query,
            group_by,
            measures,
            having or (),
            sort or (),
            top,
            time_field,
            range,
            after_sale=after_sale_criteria(filter),
        )
        return await shaped(
            info, found, AfterSaleAggregate, AfterSaleAggregateRow, AfterSaleAggregateValue.column
        )

    @strawberry.field(
        permission_classes=[Allowed],
        description="Page views of the mini-program matching `filter`, grouped by `groupBy` (stores, "
        "pages, sources, products, categories, time buckets) and measured (docs/analytics.md). HQ and "
        "analysts: every event; store staff: their stores' events.",
    )
    async def visit_aggregate(
        self,
        info: Info,
        measures: Annotated[list[VisitMeasure], strawberry.argument(description=MEASURES)],
        group_by: Annotated[list[Dimension] | None, strawberry.argument(description=GROUP_BY)] = None,
        filter: VisitFilter | None = None,
        having: list[VisitAggregateHaving] | None = None,
        sort: list[VisitAggregateSort] | None = None,
        top: Annotated[int | None, strawberry.argument(description=MAX_TOP_DESCRIPTION)] = None,
        range: Annotated[DateRange | None, strawberry.argument(description=RANGE)] = None,
    ) -> VisitAggregate:
        found = await _answer(
            info,
            Fact.VISITS,
            None,
            None,
            group_by,
            measures,
            having or (),
            sort or (),
            top,
            TimeField.OCCURRED_AT,
            range,
            visit=_visit_criteria(filter),
        )
        return await shaped(info, found, VisitAggregate, VisitAggregateRow, VisitAggregateValue.column)

    @strawberry.field(
        permission_classes=[Allowed],
        description="Issued coupons matching `filter`, grouped by `groupBy` (template, type, issue "
        "cause, status, campaign, the store and channel they were used at, time buckets of issue or "
        "use) and measured (docs/analytics.md). HQ and analysts: every coupon; store staff: those "
        "valid at their stores, less those spent at another store.",
    )
    async def coupon_aggregate(
        self,
        info: Info,
        measures: Annotated[list[CouponMeasure], strawberry.argument(description=MEASURES)],
        group_by: Annotated[list[Dimension] | None, strawberry.argument(description=GROUP_BY)] = None,
        filter: CouponFilter | None = None,
        having: list[CouponAggregateHaving] | None = None,
        sort: list[CouponAggregateSort] | None = None,
        top: Annotated[int | None, strawberry.argument(description=MAX_TOP_DESCRIPTION)] = None,
        time_field: Annotated[
            TimeField,
            strawberry.argument(description="ISSUED_AT or USED_AT: what time buckets and range read."),
        ] = TimeField.ISSUED_AT,
        range: Annotated[DateRange | None, strawberry.argument(description=RANGE)] = None,
    ) -> CouponAggregate:
        found = await _answer(
            info,
            Fact.COUPONS,
            None,
            None,
            group_by,
            measures,
            having or (),
            sort or (),
            top,
            time_field,
            range,
            coupon=_coupon_criteria(filter),
        )
        return await shaped(info, found, CouponAggregate, CouponAggregateRow, CouponAggregateValue.column)


def _visit_criteria(typed: VisitFilter | None) -> VisitCriteria:
    f = typed or VisitFilter()

    def ids(values: list[strawberry.ID] | None, kind: str, name: str) -> tuple[int, ...]:
        return tuple(decode_id(v, kind, f"filter.{name}.{i}") for i, v in enumerate(values or ()))

    return VisitCriteria(
        store_ids=ids(f.store_ids, "Store", "storeIds"),
        page_types=tuple(f.page_types or ()),
        sources=tuple(f.sources or ()),
        product_ids=ids(f.product_ids, "Product", "productIds"),
        campaign_ids=ids(f.campaign_ids, "Campaign", "campaignIds"),
    )


def _coupon_criteria(typed: CouponFilter | None) -> CouponCriteria:
    f = typed or CouponFilter()

    def ids(values: list[strawberry.ID] | None, kind: str, name: str) -> tuple[int, ...]:
        return tuple(decode_id(v, kind, f"filter.{name}.{i}") for i, v in enumerate(values or ()))

    return CouponCriteria(
        template_ids=ids(f.template_ids, "CouponTemplate", "templateIds"),
        types=tuple(f.types or ()),
        causes=tuple(f.causes or ()),
        statuses=tuple(f.statuses or ()),
        store_ids=ids(f.store_ids, "Store", "storeIds"),
    )
