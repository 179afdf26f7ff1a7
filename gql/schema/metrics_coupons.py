"""GraphQL type of the coupon figures (优惠券数据) of `metrics` (services/metrics/coupons.py)."""

from __future__ import annotations

import strawberry

from gql.schema.metrics_figures import CountFigure, MoneyFigure, NumberFigure, amount, count, number
from services.metrics.coupons import COUPONS
from services.metrics.sections import MetricsQuery


@strawberry.type(description="优惠券数据 (coupons): what coupons were issued, used, cost and drove.")
class CouponOverview:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(
        description="发券数 (coupons issued) in the range, by any path; a store scope keeps the coupons "
        "valid at one of its stores (coupons of every store included)."
    )
    async def issued(self) -> CountFigure:
        return await count(self._q, COUPONS, "coupons_issued")

    @strawberry.field(
        description="用券数 (coupons used): coupons in orders paid in the range (at the order's store) "
        "that are still USED (an order refunded in full before completion gave its coupons back)."
    )
    async def used(self) -> CountFigure:
        return await count(self._q, COUPONS, "coupons_used")

    @strawberry.field(description="用券率 (usage rate) = coupons used / coupons issued, both in the range.")
    async def usage_rate(self) -> NumberFigure:
        return await number(self._q, COUPONS, "usage_rate")

    @strawberry.field(
        description="优惠成本 (discount cost): what those coupons took off their orders (goods and "
        "shipping coupon layers), less the goods coupon's share of the units refunded since."
    )
    async def discount_cost(self) -> MoneyFigure:
        return await amount(self._q, COUPONS, "coupon_discount")

    @strawberry.field(description="用券订单数 (orders driven): orders paid in the range with a USED coupon.")
    async def orders(self) -> CountFigure:
        return await count(self._q, COUPONS, "coupon_orders")

    @strawberry.field(description="用券成交额 (sales driven): those orders' paid amount net of refunds.")
    async def sales(self) -> MoneyFigure:
        return await amount(self._q, COUPONS, "coupon_sales")
