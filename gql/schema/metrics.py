"""GraphQL types of the metrics (数据分析): trade, funnel, refunds, customers, traffic, sources.

Descriptions state each definition as SPEC §5 gives it (and docs/metrics.md explains them). All
figures count within the range and the store scope: HQ and analysts see every store (HQ-
warehouse orders included), store staff only theirs. No figure carries customer data.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema import visits as _registered_enums  # noqa: F401  (SourceChannel)
from gql.schema.claims import ServiceLoss
from gql.schema.common import money
from gql.schema.metrics_coupons import CouponOverview
from gql.schema.metrics_figures import (
    CountFigure,
    CountValue,
    MetricsRange,
    MoneyFigure,
    NumberFigure,
    amount,
    count,
    count_value,
    number,
)
from gql.schema.metrics_products import ProductOverview, RankedCategory, RankedProduct, StoreMetrics
from models.customers.lifecycle import LifecycleSegment
from models.enums import SourceChannel
from models.errors import DomainError, ErrorCode
from models.metrics.rules import MAX_TOP, RankingKey, RegionLevel
from services.claims import losses_by_cause
from services.metrics import customers as metrics_customers
from services.metrics.sections import CUSTOMERS, FUNNEL, REFUNDS, TRADE, TRAFFIC, Figure, MetricsQuery

PAYING = "支付客户数 (paying customers): distinct customers with an order paid in the range."
VISITORS = "访客数 (visitors, UV): distinct visitor ids with a page view in the range."


@strawberry.type(description="交易概览 (trade overview).")
class TradeOverview:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(description=PAYING)
    async def paying_customers(self) -> CountFigure:
        return await count(self._q, TRADE, "paying_customers")

    @strawberry.field(
        description="支付订单数 (paid orders): orders paid in the range, counted when paid (a later "
        "refund or cancellation does not remove them; see refunds)."
    )
    async def paid_orders(self) -> CountFigure:
        return await count(self._q, TRADE, "paid_orders")

    @strawberry.field(description="支付金额 (paid amount): what was paid for the orders paid in the range.")
    async def paid_amount(self) -> MoneyFigure:
        return await amount(self._q, TRADE, "paid_amount")

    @strawberry.field(
        description="客单价 (AOV) = paid amount / paying customers; null without paying customers."
    )
    async def aov(self) -> MoneyFigure:
        return await amount(self._q, TRADE, "aov")

    @strawberry.field(
        description="有效订单 (valid orders) = accepted and not cancelled: orders placed in the range "
        "that the store accepted and that were not cancelled (as they stand now)."
    )
    async def valid_orders(self) -> CountFigure:
        return await count(self._q, TRADE, "valid_orders")

    @strawberry.field(
        description="无效订单 (invalid orders) = cancelled: orders placed in the range and cancelled."
    )
    async def invalid_orders(self) -> CountFigure:
        return await count(self._q, TRADE, "invalid_orders")

    @strawberry.field(
        description="无效订单损失 (invalid-order loss) = their amount: the turnover (营业额) of the "
        "invalid orders."
    )
    async def invalid_order_loss(self) -> MoneyFigure:
        return await amount(self._q, TRADE, "invalid_loss")

    @strawberry.field(
        description="营业额 (turnover) = goods original price + packaging fee (+ delivery fee for store "
        "delivery), of the valid orders placed in the range."
    )
    async def turnover(self) -> MoneyFigure:
        return await amount(self._q, TRADE, "turnover")


@strawberry.type(description="客户转化漏斗: visitors → ordering customers → paying customers.")
class Funnel:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(description=VISITORS)
    async def visitors(self) -> CountFigure:
        return await count(self._q, FUNNEL, "visitors")

    @strawberry.field(
        description="下单客户数 (ordering customers): distinct customers who placed an order in the range."
    )
    async def ordering_customers(self) -> CountFigure:
        return await count(self._q, FUNNEL, "ordering_customers")

    @strawberry.field(description=PAYING)
    async def paying_customers(self) -> CountFigure:
        return await count(self._q, FUNNEL, "paying_customers")

    @strawberry.field(description="访问-下单转化率 = ordering customers / visitors.")
    async def visit_to_order_rate(self) -> NumberFigure:
        return await number(self._q, FUNNEL, "visit_to_order")

    @strawberry.field(description="下单-支付转化率 = paying customers / ordering customers.")
    async def order_to_pay_rate(self) -> NumberFigure:
        return await number(self._q, FUNNEL, "order_to_pay")

    @strawberry.field(description="访问-支付转化率 = paying customers / visitors.")
    async def visit_to_pay_rate(self) -> NumberFigure:
        return await number(self._q, FUNNEL, "visit_to_pay")


@strawberry.type(description="退款概览 (refunds).")
class RefundOverview:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(
        description="退款金额 (refund amount): money refunded in the range (after-sales that became "
        "REFUNDED, including the automatic full refund of a paid order that was cancelled)."
    )
    async def refund_amount(self) -> MoneyFigure:
        return await amount(self._q, REFUNDS, "refund_amount")

    @strawberry.field(description="退款订单数 (refunded orders): distinct orders with a refund in the range.")
    async def refunded_orders(self) -> CountFigure:
        return await count(self._q, REFUNDS, "refunded_orders")

    @strawberry.field(description="退款率 (refund rate) = refunded orders / paid orders, both in the range.")
    async def refund_rate(self) -> NumberFigure:
        return await number(self._q, REFUNDS, "refund_rate")


@strawberry.type(
    description="Paying customers of one kind: new (first payment ever in the range) or returning."
)
class CustomerSegmentFigures:
    _q: strawberry.Private[MetricsQuery]
    _prefix: strawberry.Private[str]

    @strawberry.field(description="成交客户数: distinct paying customers of this kind.")
    async def customers(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, f"{self._prefix}_customers")

    @strawberry.field(description="客户数占比: their share of all paying customers.")
    async def share(self) -> NumberFigure:
        return await number(self._q, CUSTOMERS, f"{self._prefix}_share")

    @strawberry.field(description="支付订单数: orders they paid in the range.")
    async def paid_orders(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, f"{self._prefix}_orders")

    @strawberry.field(description="支付金额: what they paid in the range.")
    async def paid_amount(self) -> MoneyFigure:
        return await amount(self._q, CUSTOMERS, f"{self._prefix}_amount")

    @strawberry.field(description="客单价 = their paid amount / their number.")
    async def aov(self) -> MoneyFigure:
        return await amount(self._q, CUSTOMERS, f"{self._prefix}_aov")

    @strawberry.field(description="访问-支付转化率 = these paying customers / all visitors.")
    async def visit_to_pay_rate(self) -> NumberFigure:
        return await number(self._q, CUSTOMERS, f"{self._prefix}_visit_to_pay")


@strawberry.type(description="用户分析 (customers).")
class CustomerOverview:
    _q: strawberry.Private[MetricsQuery]
    _now: strawberry.Private[datetime]

    @strawberry.field(description=VISITORS)
    async def visitors(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, "visitors")

    @strawberry.field(
        description="新增客户数 (new customers): customers who registered in the range (with a store "
        "scope: those of them who ordered at its stores)."
    )
    async def new_customers(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, "registered_customers")

    @strawberry.field(description=PAYING)
    async def paying_customers(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, "paying_customers")

    @strawberry.field(description="支付新客: paying customers whose first payment ever is in the range.")
    async def new_payers(self) -> CustomerSegmentFigures:
        return CustomerSegmentFigures(_q=self._q, _prefix="new")

    @strawberry.field(description="支付老客: paying customers who had paid before the range.")
    async def returning_payers(self) -> CustomerSegmentFigures:
        return CustomerSegmentFigures(_q=self._q, _prefix="returning")

    @strawberry.field(description="支付订单数: orders paid in the range.")
    async def paid_orders(self) -> CountFigure:
        return await count(self._q, CUSTOMERS, "paid_orders")

    @strawberry.field(description="客单价 (AOV) = paid amount / paying customers.")
    async def aov(self) -> MoneyFigure:
        return await amount(self._q, CUSTOMERS, "aov")

    @strawberry.field(description="访问-支付转化率 = paying customers / visitors.")
    async def visit_to_pay_rate(self) -> NumberFigure:
        return await number(self._q, CUSTOMERS, "visit_to_pay")

    @strawberry.field(
        description="复购率 (repurchase rate) = customers who ordered in the range and had paid before it "
        "(老顾客下单人数) / customers who ordered in the range (总下单人数)."
    )
    async def repurchase_rate(self) -> NumberFigure:
        return await number(self._q, CUSTOMERS, "repurchase_rate")

    async def _segment(self, segment: LifecycleSegment) -> CountValue:
        counts = await metrics_customers.lifecycle_counts(self._q, self._now)
        return count_value(Figure(counts[segment], None, False))

    @strawberry.field(
        description="活跃客户: last order less than 30 days ago (as of now, whatever the range)."
    )
    async def active(self) -> CountValue:
        return await self._segment(LifecycleSegment.ACTIVE)

    @strawberry.field(description="沉默客户: last order 30 to 60 days ago (as of now).")
    async def silent(self) -> CountValue:
        return await self._segment(LifecycleSegment.SILENT)

    @strawberry.field(description="流失客户: last order 60 to 90 days ago (as of now).")
    async def lost(self) -> CountValue:
        return await self._segment(LifecycleSegment.LOST)


@strawberry.type(description="流量概览 (traffic).")
class TrafficOverview:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(description="浏览量 (PV): page views in the range.")
    async def pv(self) -> CountFigure:
        return await count(self._q, TRAFFIC, "pv")

    @strawberry.field(description=VISITORS)
    async def uv(self) -> CountFigure:
        return await count(self._q, TRAFFIC, "visitors")

    @strawberry.field(
        description="新访客数: visitors whose first page view ever (at any store) is in the range."
    )
    async def new_visitors(self) -> CountFigure:
        return await count(self._q, TRAFFIC, "new_visitors")

    @strawberry.field(description="平均停留时长: total dwell time / page views, in seconds.")
    async def average_dwell_seconds(self) -> NumberFigure:
        return await number(self._q, TRAFFIC, "average_dwell_seconds")

    @strawberry.field(description="人均浏览量 = PV / UV.")
    async def pv_per_visitor(self) -> NumberFigure:
        return await number(self._q, TRAFFIC, "pv_per_visitor")

    @strawberry.field(description=PAYING)
    async def paying_customers(self) -> CountFigure:
        return await count(self._q, TRAFFIC, "paying_customers")

    @strawberry.field(description="访问-支付转化率 = paying customers / visitors.")
    async def visit_to_pay_rate(self) -> NumberFigure:
        return await number(self._q, TRAFFIC, "visit_to_pay")


@strawberry.type(description="One visit source (访客来源) of the range.")
class SourceRank:
    rank: int
    source: SourceChannel
    visitors: int = strawberry.field(description="Distinct visitors who came from it.")
    pv: int
    visitor_share: float | None = strawberry.field(
        description="visitors / all visitors (a visitor with two sources counts in both)."
    )
    pv_share: float | None = strawberry.field(description="pv / all page views (shares add up to 1).")


def _top(top: int) -> int:
    if not 1 <= top <= MAX_TOP:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"top must be between 1 and {MAX_TOP}", "top")
    return top


@strawberry.type(
    description="Figures of SPEC §5 (campaign figures are on each campaign) for a range and stores."
)
class Metrics:
    range: MetricsRange = strawberry.field(description="The range and previous period as computed.")
    _q: strawberry.Private[MetricsQuery]
    _now: strawberry.Private[datetime]

    @strawberry.field(
        description="Revenue lost to service problems (餐损赔付): compensation paid in the range, per cause, "
        "within the store scope (the current period only)."
    )
    async def service_losses(self) -> list[ServiceLoss]:
        engine = self._q.engine
        losses = await losses_by_cause(engine.sessions, engine.stores, self._q.range.current.counted)
        return [ServiceLoss(cause=c, amount=money(total), claims=n) for c, (total, n) in losses.items()]

    @strawberry.field(description="交易概览.")
    def trade_overview(self) -> TradeOverview:
        return TradeOverview(_q=self._q)

    @strawberry.field(description="客户转化漏斗.")
    def funnel(self) -> Funnel:
        return Funnel(_q=self._q)

    @strawberry.field(description="退款概览.")
    def refunds(self) -> RefundOverview:
        return RefundOverview(_q=self._q)

    @strawberry.field(description="优惠券数据.")
    def coupons(self) -> CouponOverview:
        return CouponOverview(_q=self._q)

    @strawberry.field(description="商品概览.")
    def products(self) -> ProductOverview:
        return ProductOverview(_q=self._q)

    @strawberry.field(description="类目排名: categories by sales amount, units or product page views.")
    async def category_ranking(
        self, by: RankingKey = RankingKey.SALES_AMOUNT, top: int = 10, level: int = 1
    ) -> list[RankedCategory]:
        return await RankedCategory.ranking(self._q, by, _top(top), level)

    @strawberry.field(description="商品排名: products by sales amount, units or product page views.")
    async def product_ranking(
        self, by: RankingKey = RankingKey.SALES_AMOUNT, top: int = 10
    ) -> list[RankedProduct]:
        return await RankedProduct.ranking(self._q, by, _top(top))

    @strawberry.field(description="门店分析.")
    def stores(self, region_level: RegionLevel = RegionLevel.CITY) -> StoreMetrics:
        return StoreMetrics(_q=self._q, _level=region_level)

    @strawberry.field(description="用户分析.")
    def customers(self) -> CustomerOverview:
        return CustomerOverview(_q=self._q, _now=self._now)

    @strawberry.field(description="流量概览.")
    def traffic(self) -> TrafficOverview:
        return TrafficOverview(_q=self._q)

    @strawberry.field(description="访客来源排名占比: sources by visitors.")
    async def sources(self, top: int = 10) -> list[SourceRank]:
        ranked = await metrics_customers.source_ranking(self._q, _top(top))
        return [
            SourceRank(
                rank=i + 1,
                source=r.source,
                visitors=r.visitors,
                pv=r.pv,
                visitor_share=r.visitor_share,
                pv_share=r.pv_share,
            )
            for i, r in enumerate(ranked)
        ]
