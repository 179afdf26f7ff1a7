"""Product metrics that are not plain sums over time: listings, movement, exposure, rankings.

The unit of "products on sale" is a store's product (门店商品): a (store, product) pair with at
least one SKU listed on the shelf in that store, product ACTIVE — sold-out listings included, as
the seed says (在售商品包括所有售卖中和已售罄的商品). The listing is a current state (stock and
shelf are not historised), so sold-out rate and the denominators below are as of now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any

from sqlalchemy import Subquery, and_, case, func, select

from models.catalog.rows import Category, Product, Sku, StoreSku
from models.date_ranges import Period, local_day, local_midnight, trailing_days
from models.enums import ProductStatus
from models.metrics.rules import EXPOSURE_WINDOW_DAYS, RankingKey, ratio
from services.metrics.engine import Engine, Row
from services.metrics.facts import LINE_SALES, PRODUCT_VIEWS, Rows
from services.metrics.measures import total
from services.metrics.sections import Figure, MetricsQuery
from services.metrics.sql import Span, bucket_ids, by_cuts, in_stores

SALES = {"units_sold": total("units_sold"), "sales_amount": total("sales_amount")}
VIEWS = {"pv": total("pv")}


def on_sale_pairs(stores: frozenset[int] | None) -> Subquery:
    """(store_id, product_id, sold_out) of the store products on sale within `stores`."""
    return (
        select(
            StoreSku.store_id.label("store_id"),
            Sku.product_id.label("product_id"),
            case((func.max(StoreSku.stock) > 0, 0), else_=1).label("sold_out"),
        )
        .join(Sku, Sku.id == StoreSku.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(
            StoreSku.on_shelf.is_(True),
            Product.status == ProductStatus.ACTIVE,
            in_stores(StoreSku.store_id, stores),
        )
        .group_by(StoreSku.store_id, Sku.product_id)
        .subquery("on_sale")
    )


@dataclass(frozen=True, slots=True)
class Listings:
    on_sale: int
    sold_out: int

    @property
    def sold_out_rate(self) -> float | None:
        return ratio(self.sold_out, self.on_sale)


async def listings(engine: Engine) -> Listings:
    def statement(_: frozenset[str]) -> Rows:
        pairs = on_sale_pairs(engine.stores)
        return select(
            func.count().label("on_sale"), func.coalesce(func.sum(pairs.c.sold_out), 0).label("sold_out")
        ).select_from(pairs)

    row = (await engine.rows("listings", statement))[0]
    return Listings(int(row["on_sale"]), int(row["sold_out"]))


async def movement(query: MetricsQuery) -> tuple[Figure, Figure]:
    """(store products with sales, movement rate 动销率 = those / store products on sale)."""
    engine = query.engine
    spans = query.spans()
    on_sale = (await listings(engine)).on_sale

    def statement(ready: frozenset[str]) -> Rows:
        sold = _per_pair(engine, spans, ready, "units_sold")
        pairs = on_sale_pairs(engine.stores)
        return (
            select(sold.c.b, func.count().label("moving"))
            .select_from(
                sold.join(
                    pairs, and_(pairs.c.store_id == sold.c.store_id, pairs.c.product_id == sold.c.product_id)
                )
            )
            .group_by(sold.c.b)
        )

    rows = await engine.rows(f"movement|{[(s.isoformat(), e.isoformat()) for s, e in spans]}", statement)
    moving = {row["b"]: int(row["moving"]) for row in rows}
    current, previous = moving.get(len(spans) - 1, 0), moving.get(0, 0) if query.compare else None
    return (
        Figure(current, previous, query.compare),
        Figure(
            ratio(current, on_sale), None if previous is None else ratio(previous, on_sale), query.compare
        ),
    )


def _per_pair(engine: Engine, spans: Sequence[Span], ready: frozenset[str], column: str) -> Subquery:
    """(b, store_id, product_id) of the pairs with a positive `column` in span b."""
    fact = LINE_SALES if column == "units_sold" else PRODUCT_VIEWS
    u = engine.source(fact, ["product_id", column], spans, ready, per_store=True)
    cuts, ids = bucket_ids(spans)
    b = by_cuts(u.c.at, cuts, ids).label("b")
    inner = select(b, u.c.store_id, u.c.product_id, u.c[column]).subquery()
    return (
        select(inner.c.b, inner.c.store_id, inner.c.product_id)
        .group_by(inner.c.b, inner.c.store_id, inner.c.product_id)
        .having(func.sum(inner.c[column]) > 0)
        .subquery()
    )


def exposure_window(period: Period, zone: tzinfo) -> Span:
    """近30日: the 30 local days ending with the last counted day of the period."""
    end = (
        period.until
        if period.until > period.start
        else local_midnight(period.first_day + timedelta(days=1), zone)
    )
    start, _ = trailing_days(local_day(end - timedelta(microseconds=1), zone), EXPOSURE_WINDOW_DAYS, zone)
    return start, end


async def exposure(query: MetricsQuery) -> tuple[Figure, Figure]:
    """(on-sale store products with neither views nor sales, those with views but no sales) in the
    30 days ending the range; the previous value ends the previous period."""
    periods = [query.range.previous, query.range.current] if query.compare else [query.range.current]
    counts = [await _exposure(query.engine, exposure_window(p, query.zone)) for p in periods]
    current, previous = counts[-1], counts[0] if query.compare else None
    return (
        Figure(current[0], None if previous is None else previous[0], query.compare),
        Figure(current[1], None if previous is None else previous[1], query.compare),
    )


async def _exposure(engine: Engine, window: Span) -> tuple[int, int]:
    def statement(ready: frozenset[str]) -> Rows:
        pairs = on_sale_pairs(engine.stores)
        viewed = _per_pair(engine, [window], ready, "pv")
        sold = _per_pair(engine, [window], ready, "units_sold")
        on = pairs.outerjoin(
            viewed, and_(viewed.c.store_id == pairs.c.store_id, viewed.c.product_id == pairs.c.product_id)
        ).outerjoin(sold, and_(sold.c.store_id == pairs.c.store_id, sold.c.product_id == pairs.c.product_id))
        unsold = sold.c.product_id.is_(None)
        return select(
            func.coalesce(func.sum(case((and_(unsold, viewed.c.product_id.is_(None)), 1), else_=0)), 0).label(
                "unseen"
            ),
            func.coalesce(
                func.sum(case((and_(unsold, viewed.c.product_id.is_not(None)), 1), else_=0)), 0
            ).label("seen_unsold"),
        ).select_from(on)

    row = (await engine.rows(f"exposure|{window[0].isoformat()}|{window[1].isoformat()}", statement))[0]
    return int(row["unseen"]), int(row["seen_unsold"])


@dataclass(frozen=True, slots=True)
class Ranked:
    id: int
    sales_amount: int
    units_sold: int
    pv: int


def _ranked(sales: list[Row], views: list[Row], key: RankingKey, top: int) -> list[Ranked]:
    merged: dict[int, Ranked] = {}
    for row in sales:
        merged[row["k"]] = Ranked(row["k"], int(row["sales_amount"]), int(row["units_sold"]), 0)
    for row in views:
        old = merged.get(row["k"], Ranked(row["k"], 0, 0, 0))
        merged[row["k"]] = Ranked(old.id, old.sales_amount, old.units_sold, int(row["pv"]))
    field = {RankingKey.SALES_AMOUNT: "sales_amount", RankingKey.UNITS: "units_sold", RankingKey.PV: "pv"}[
        key
    ]
    ordered = sorted(merged.values(), key=lambda r: (-getattr(r, field), r.id))
    return [r for r in ordered if getattr(r, field) > 0][:top]


def _by_product(u: Subquery) -> list[Any]:
    return [u.c.product_id.label("k")]


def _with_categories(totals: Subquery) -> Rows:
    """Each product's totals with its top-level category (c1) and its own category (c2), both
    NULL for a product without one. Table columns, not ORM attributes: a Core statement's rows
    skip the ORM's row processing."""
    products, categories = Product.__table__, Category.__table__
    return select(
        totals,
        func.coalesce(categories.c.parent_id, categories.c.id).label("c1"),
        categories.c.id.label("c2"),
    ).select_from(
        totals.outerjoin(products, products.c.id == totals.c.k).outerjoin(
            categories, categories.c.id == products.c.category_id
        )
    )


async def _product_totals(query: MetricsQuery) -> tuple[list[Row], list[Row]]:
    """Sales and page views per product over the range, with the product's categories (shared by
    the product and category rankings: one statement each per request, run at once)."""
    span = [query.range.current.counted]
    engine = query.engine
    sales, views = await asyncio.gather(
        *(
            engine.grouped(
                fact,
                measures,
                span,
                "product-category",
                _by_product,
                needs=["product_id"],
                then=_with_categories,
            )
            for fact, measures in ((LINE_SALES, SALES), (PRODUCT_VIEWS, VIEWS))
        )
    )
    return sales, views


async def product_ranking(query: MetricsQuery, key: RankingKey, top: int) -> list[Ranked]:
    """Top products of the range by sales amount (实付), units sold or product page views."""
    sales, views = await _product_totals(query)
    return _ranked(sales, views, key, top)


async def category_ranking(query: MetricsQuery, key: RankingKey, top: int, level: int) -> list[Ranked]:
    """Top categories (level 1: top-level 一级类目, level 2: the product's own category): the
    per-product totals summed per category of the product (products without one are left out)."""
    sales, views = await _product_totals(query)
    column = "c1" if level == 1 else "c2"
    summed: dict[str, dict[int, dict[str, int]]] = {"sales": {}, "views": {}}
    for name, rows in (("sales", sales), ("views", views)):
        for row in rows:
            category = row[column]
            if category is None:
                continue
            into = summed[name].setdefault(category, {"k": category})
            for field in ("sales_amount", "units_sold", "pv"):
                if field in row:
                    into[field] = into.get(field, 0) + int(row[field] or 0)
    return _ranked(list(summed["sales"].values()), list(summed["views"].values()), key, top)
