"""GraphQL types of product metrics (商品分析), rankings and store metrics (门店分析)."""

from __future__ import annotations

from typing import Any

import strawberry

from gql.context import Info
from gql.engine import selected_python_fields
from gql.schema.catalog import Category, Product
from gql.schema.common import Money, money
from gql.schema.metrics_figures import (
    CountFigure,
    CountValue,
    MoneyFigure,
    NumberValue,
    amount,
    count,
    count_value,
    number_value,
)
from gql.schema.stores import Store
from models.errors import DomainError, ErrorCode
from models.metrics.rules import MAX_TOP, RankingKey, RegionLevel
from services.metrics import products as metrics_products
from services.metrics import stores as metrics_stores
from services.metrics.sections import PRODUCTS, Figure, MetricsQuery
from services.metrics.stores import StoreFigures

ON_SALE = (
    "store products on sale (在售商品): (store, product) pairs with a SKU on the shelf, sold-out ones "
    "included; the listing is a current state, so this is as of now"
)


@strawberry.type(description="商品概览 (products).")
class ProductOverview:
    _q: strawberry.Private[MetricsQuery]

    @strawberry.field(description="商品浏览量 (product PV): page views naming a product in the range.")
    async def product_pv(self) -> CountFigure:
        return await count(self._q, PRODUCTS, "product_pv")

    @strawberry.field(description="商品访客数 (product UV): distinct visitors with a product page view.")
    async def product_uv(self) -> CountFigure:
        return await count(self._q, PRODUCTS, "product_uv")

    @strawberry.field(description="被访问商品数 (products visited): distinct products viewed in the range.")
    async def products_visited(self) -> CountFigure:
        return await count(self._q, PRODUCTS, "products_visited")

    @strawberry.field(
        description="被购买商品数 (products purchased): distinct products in orders paid in the range "
        "(gift lines aside)."
    )
    async def products_purchased(self) -> CountFigure:
        return await count(self._q, PRODUCTS, "products_purchased")

    @strawberry.field(
        description="商品销量 (units sold): units in orders paid in the range (gifts excluded)."
    )
    async def units_sold(self) -> CountFigure:
        return await count(self._q, PRODUCTS, "units_sold")

    @strawberry.field(description="商品销售额: what was paid for the lines of orders paid in the range.")
    async def sales_amount(self) -> MoneyFigure:
        return await amount(self._q, PRODUCTS, "sales_amount")

    @strawberry.field(description=f"Number of {ON_SALE}.")
    async def products_on_sale(self) -> CountValue:
        listing = await metrics_products.listings(self._q.engine)
        return count_value(Figure(listing.on_sale, None, False))

    @strawberry.field(
        description="售罄商品: store products on sale whose every listed SKU has no stock (as of now)."
    )
    async def sold_out_products(self) -> CountValue:
        listing = await metrics_products.listings(self._q.engine)
        return count_value(Figure(listing.sold_out, None, False))

    @strawberry.field(
        description="售罄率 (sold-out rate) = sold-out store products / store products on sale."
    )
    async def sold_out_rate(self) -> NumberValue:
        listing = await metrics_products.listings(self._q.engine)
        return number_value(Figure(listing.sold_out_rate, None, False))

    @strawberry.field(description=f"有动销商品数: {ON_SALE} that sold at least one unit in the range.")
    async def products_with_sales(self) -> CountValue:
        moving, _ = await metrics_products.movement(self._q)
        return count_value(moving)

    @strawberry.field(description="动销率 (movement rate) = products with sales / products on sale.")
    async def movement_rate(self) -> NumberValue:
        _, rate = await metrics_products.movement(self._q)
        return number_value(rate)

    @strawberry.field(
        description="近30日无曝光无动销: store products on sale with neither a page view nor a sale in the "
        "30 days ending the range's last day."
    )
    async def no_exposure_30_days(self) -> CountValue:
        unseen, _ = await metrics_products.exposure(self._q)
        return count_value(unseen)

    @strawberry.field(
        description="近30日有曝光无动销: store products on sale viewed but not sold in the 30 days "
        "ending the range's last day."
    )
    async def exposure_without_sale_30_days(self) -> CountValue:
        _, seen = await metrics_products.exposure(self._q)
        return count_value(seen)


@strawberry.type(description="A ranked product of the range.")
class RankedProduct:
    rank: int
    sales_amount: Money
    units_sold: int
    pv: int
    _id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        row = await info.context.loaders.product.load(self._id)
        return Product.from_row(row) if row else None

    @classmethod
    async def ranking(cls, query: MetricsQuery, by: RankingKey, top: int) -> list[RankedProduct]:
        ranked = await metrics_products.product_ranking(query, by, top)
        return [
            cls(rank=i + 1, sales_amount=money(r.sales_amount), units_sold=r.units_sold, pv=r.pv, _id=r.id)
            for i, r in enumerate(ranked)
        ]


@strawberry.type(description="A ranked category of the range (its products' sums).")
class RankedCategory:
    rank: int
    sales_amount: Money
    units_sold: int
    pv: int
    _id: strawberry.Private[int]

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        row = await info.context.loaders.category.load(self._id)
        return Category.from_row(row) if row else None

    @classmethod
    async def ranking(cls, query: MetricsQuery, by: RankingKey, top: int, level: int) -> list[RankedCategory]:
        if level not in (1, 2):
            raise DomainError(ErrorCode.BAD_USER_INPUT, "level is 1 (一级类目) or 2", "level")
        ranked = await metrics_products.category_ranking(query, by, top, level)
        return [
            cls(rank=i + 1, sales_amount=money(r.sales_amount), units_sold=r.units_sold, pv=r.pv, _id=r.id)
            for i, r in enumerate(ranked)
        ]


OVERDUE_HELP = (
    "异常订单 (催单): store-delivery orders that passed their promised time before reaching the door, "
    "counted when they did."
)
NO_RIDER_HELP = (
    "异常订单 (配送异常): picked orders that waited too long for a rider, counted when they started to."
)


def _figures_fields(f: StoreFigures) -> dict[str, Any]:
    return {
        "paying_customers": f.paying_customers,
        "paid_orders": f.paid_orders,
        "paid_amount": money(f.paid_amount),
        "aov": None if f.aov is None else money(f.aov),
        "refund_amount": money(f.refund_amount),
        "average_accept_seconds": f.average_accept_seconds,
        "average_pick_seconds": f.average_pick_seconds,
        "average_delivery_seconds": f.average_delivery_seconds,
        "pick_timeouts": f.pick_timeouts,
        "delivery_timeouts": f.delivery_timeouts,
        "overdue_orders": f.overdue_orders,
        "no_rider_orders": f.no_rider_orders,
        "reject_rate": f.reject_rate,
    }


@strawberry.interface(description="Sales and fulfilment of a store or region in the range (no comparison).")
class StoreSums:
    paying_customers: int = strawberry.field(description="Distinct customers with an order paid here.")
    paid_orders: int
    paid_amount: Money
    aov: Money | None = strawberry.field(description="paid amount / paying customers.")
    refund_amount: Money
    average_accept_seconds: float | None = strawberry.field(
        description="平均接单时间: from payment (or team success, or reallocation) to acceptance, "
        "of the orders accepted in the range."
    )
    average_pick_seconds: float | None = strawberry.field(
        description="平均拣货时间: acceptance to hand-over to delivery (store delivery and express orders "
        "of stores; self-pickup has no recorded pick end)."
    )
    average_delivery_seconds: float | None = strawberry.field(
        description="平均配送时间: the rider's pickup (hand-over) to the door (DELIVERED), of store-delivery "
        "orders delivered; the buyer's confirmation plays no part."
    )
    pick_timeouts: int = strawberry.field(
        description="超时拣货订单数: picks over 30 minutes in large stores, 15 minutes in others."
    )
    delivery_timeouts: int = strawberry.field(
        description="超时配送订单数: store-delivery orders delivered after their promised time."
    )
    overdue_orders: int = strawberry.field(description=OVERDUE_HELP)
    no_rider_orders: int = strawberry.field(description=NO_RIDER_HELP)
    reject_rate: float | None = strawberry.field(
        description="拒单率 = rejections (incl. acceptance timeouts) / (rejections + acceptances)."
    )


@strawberry.type(
    description="One store's figures; the list is the sales ranking (paid amount, highest first)."
)
class StoreRank(StoreSums):
    rank: int
    _id: strawberry.Private[int]

    @strawberry.field
    async def store(self, info: Info) -> Store | None:
        row = await info.context.loaders.store.load(self._id)
        return Store.from_row(row) if row else None


@strawberry.type(description="One region's figures (paying customers counted once per region).")
class RegionRank(StoreSums):
    rank: int
    province: str
    city: str | None
    district: str | None


@strawberry.type(description="门店履约效率 over the store scope.")
class StoreFulfilment:
    average_accept_seconds: NumberValue
    average_pick_seconds: NumberValue
    average_delivery_seconds: NumberValue
    pick_timeouts: CountValue = strawberry.field(
        description="超时拣货: picks over 30 minutes in large stores, 15 minutes in others."
    )
    delivery_timeouts: CountValue = strawberry.field(
        description="超时配送: store-delivery orders delivered after their promised time."
    )
    overdue_orders: CountValue = strawberry.field(description=OVERDUE_HELP)
    no_rider_orders: CountValue = strawberry.field(description=NO_RIDER_HELP)
    reject_rate: NumberValue = strawberry.field(
        description="拒单率 = rejections (incl. acceptance timeouts) / (rejections + acceptances)."
    )


@strawberry.type(description="门店分析 (stores): HQ-warehouse orders belong to no store and no region.")
class StoreMetrics:
    _q: strawberry.Private[MetricsQuery]
    _level: strawberry.Private[RegionLevel]

    @strawberry.field(description="门店销售金额排行: stores with activity, by paid amount (ties by id).")
    async def by_store(self, info: Info, top: int = 20) -> list[StoreRank]:
        if not 1 <= top <= MAX_TOP:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"top must be between 1 and {MAX_TOP}", "top")
        fields = selected_python_fields(info, StoreRank)  # only the figures asked for are computed
        ordered = await metrics_stores.store_ranking(self._q, top, fields)
        return [StoreRank(rank=i + 1, _id=sid, **_figures_fields(f)) for i, (sid, f) in enumerate(ordered)]

    @strawberry.field(description="Regions at the chosen level (regionLevel), by paid amount.")
    async def by_region(self) -> list[RegionRank]:
        regions = await metrics_stores.by_region(self._q, self._level)
        ordered = sorted(regions.items(), key=lambda kv: (-kv[1].paid_amount, kv[0]))
        rows = []
        for i, (key, f) in enumerate(ordered):
            parts = [*key, None, None]
            rows.append(
                RegionRank(
                    rank=i + 1, province=str(parts[0]), city=parts[1], district=parts[2], **_figures_fields(f)
                )
            )
        return rows

    @strawberry.field(
        description="履约效率 over every store in scope, with the previous period when comparing."
    )
    async def fulfilment(self) -> StoreFulfilment:
        f = await metrics_stores.fulfilment(self._q)
        return StoreFulfilment(
            average_accept_seconds=number_value(f["average_accept_seconds"]),
            average_pick_seconds=number_value(f["average_pick_seconds"]),
            average_delivery_seconds=number_value(f["average_delivery_seconds"]),
            pick_timeouts=count_value(f["pick_timeouts"]),
            delivery_timeouts=count_value(f["delivery_timeouts"]),
            overdue_orders=count_value(f["overdue_orders"]),
            no_rider_orders=count_value(f["no_rider_orders"]),
            reject_rate=number_value(f["reject_rate"]),
        )
