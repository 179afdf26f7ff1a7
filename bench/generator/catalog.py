"""Two-level categories, products (SPU), SKUs and per-store listings (StoreSku)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.generator.catalog_words import CATEGORIES, PACK_SUFFIXES, SPEC_FAMILIES, BaseProduct, TopCategory
from bench.generator.common import DAY, Batch, Ids, dt, json_text, scramble
from bench.generator.world import SkuInfo, StoreInfo
from models.enums import ProductStatus

IMAGE_BASE = "https://img.mallgraph.example"
DEMO_LISTING = (1, 1)
"""(store id, SKU id) of the demo listing: SH001 always has the first SKU on the shelf, in stock."""
DEMO_LISTING_STOCK = 500
_POPULAR_TOPS = {0: 1.6, 1: 1.4, 3: 1.3, 5: 1.1}
"""Fruit, vegetables, dairy and drinks sell most in a neighbourhood store."""


@dataclass(slots=True)
class Catalog:
    skus: list[SkuInfo]
    """Orderable SKUs (ACTIVE products), most popular first."""
    archived: list[int]
    """SKU ids of archived products: still listed in some stores, off the shelf."""
    product_ids: list[int]
    products_by_top: dict[int, list[int]]


def product_count(orders: int) -> int:
    return min(3000, 40 + orders // 100)


def _price(cents: float) -> int:
    """Shelf prices end in .9 (29.9), cheap ones stay exact."""
    if cents < 500:
        return max(100, round(cents / 10) * 10)
    return round(cents / 100) * 100 - 10


def _ean13(body12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _interleaved() -> list[tuple[int, int, BaseProduct]]:
    """Base products round-robin over top categories (and their children), so that even the
    first few dozen products cover every category."""
    queues: list[list[tuple[int, int, BaseProduct]]] = []
    for t, top in enumerate(CATEGORIES):
        per_child = [[(t, c, p) for p in child.products] for c, child in enumerate(top.children)]
        merged: list[tuple[int, int, BaseProduct]] = []
        while any(per_child):
            for q in per_child:
                if q:
                    merged.append(q.pop(0))
        queues.append(merged)
    flat: list[tuple[int, int, BaseProduct]] = []
    while any(queues):
        for q in queues:
            if q:
                flat.append(q.pop(0))
    return flat


def _variant(top: TopCategory, base: BaseProduct, round_: int) -> str:
    if round_ == 0:
        return base.name
    combos = [(p, s) for s in PACK_SUFFIXES for p in top.prefixes]
    prefix, suffix = combos[(round_ - 1) % len(combos)]
    return f"{prefix}{base.name}{suffix}"


def build_catalog(rng: random.Random, ids: Ids, batch: Batch, orders: int, now: float) -> Catalog:
    created = now - 800 * DAY
    child_ids: list[list[int]] = []
    top_ids = []
    for t, top in enumerate(CATEGORIES):
        top_id = ids.next("categories")
        top_ids.append(top_id)
        batch.add("categories", (top_id, None, top.name, 1, t + 1, dt(created)))
    for t, top in enumerate(CATEGORIES):
        row = []
        for c, child in enumerate(top.children):
            child_id = ids.next("categories")
            row.append(child_id)
            batch.add("categories", (child_id, top_ids[t], child.name, 2, c + 1, dt(created)))
        child_ids.append(row)

    flat = _interleaved()
    skus: list[tuple[float, SkuInfo]] = []
    archived: list[int] = []
    product_ids: list[int] = []
    by_top: dict[int, list[int]] = {}
    for k in range(product_count(orders)):
        t, c, base = flat[k % len(flat)]
        top = CATEGORIES[t]
        product_id = ids.next("products")
        product_ids.append(product_id)
        name = _variant(top, base, k // len(flat))
        status = ProductStatus.ACTIVE
        if k >= 8:
            u = rng.random()
            status = ProductStatus.DRAFT if u < 0.02 else ProductStatus.ARCHIVED if u < 0.05 else status
        born = now - (rng.uniform(5, 60) if rng.random() < 0.1 else rng.uniform(100, 700)) * DAY
        image = f"{IMAGE_BASE}/products/{product_id}/main.jpg"
        gallery = [image] + [
            f"{IMAGE_BASE}/products/{product_id}/{i}.jpg" for i in range(1, rng.randint(1, 4))
        ]
        family = SPEC_FAMILIES[base.family]
        batch.add(
            "products",
            (
                product_id,
                child_ids[t][c],
                name,
                top.subtitle,
                f"{name}，{top.subtitle}。" if rng.random() < 0.7 else None,
                image,
                json_text(gallery),
                family[0][2],
                status.value,
                dt(born),
                dt(min(now - DAY, born + rng.uniform(0, 90) * DAY)),
            ),
        )
        if status is ProductStatus.ACTIVE:
            by_top.setdefault(t, []).append(product_id)
        factor = rng.uniform(0.9, 1.35) if k >= len(flat) else 1.0
        popularity = rng.random() * _POPULAR_TOPS.get(t, 1.0)
        n_skus = min(len(family), 1 + (rng.random() > 0.45) + (rng.random() > 0.7))
        for s in range(n_skus):
            spec, mult, weight = family[s]
            sku_id = ids.next("skus")
            price = _price(base.price * mult * factor)
            original = (
                price if rng.random() < 0.3 else max(price + 100, _price(price * rng.uniform(1.1, 1.4)))
            )
            sku_image = f"{IMAGE_BASE}/products/{product_id}/sku{s + 1}.jpg"
            batch.add(
                "skus",
                (
                    sku_id,
                    product_id,
                    f"XF{product_id:06d}{s + 1:02d}",
                    _ean13(f"69{scramble(sku_id, 10**10):010d}"),  # 69: China's GS1 prefix
                    spec,
                    price,
                    original,
                    sku_image,
                    weight,
                    dt(born),
                ),
            )
            if status is ProductStatus.ACTIVE:
                info = SkuInfo(sku_id, product_id, name, spec, sku_image, price, original, t)
                skus.append((popularity * (0.85 if s else 1.0), info))
            elif status is ProductStatus.ARCHIVED:
                archived.append(sku_id)
    skus.sort(key=lambda pair: (-pair[0], pair[1].id))
    return Catalog([info for _, info in skus], archived, product_ids, by_top)


def build_listings(
    rng: random.Random, ids: Ids, batch: Batch, catalog: Catalog, stores: list[StoreInfo], now: float
) -> None:
    """Each store lists 60-90% of the SKUs; sold out (stock 0) is not off the shelf."""
    for store in stores:
        share = rng.uniform(0.6, 0.9)
        for sku in catalog.skus:
            demo = (store.id, sku.id) == DEMO_LISTING
            if rng.random() >= share and not demo:
                continue
            override = None
            if rng.random() < 0.08:
                override = min(sku.original_price, _price(sku.price * rng.uniform(0.88, 1.05)))
            stock = 0 if rng.random() < 0.08 else int(1 + 199 * rng.random() ** 2)
            on_shelf = rng.random() < 0.94
            limit = rng.choice((2, 5, 10)) if rng.random() < 0.05 else None
            if demo:  # the docs' examples order it (bench/generator/demo.py)
                stock, on_shelf, limit = max(stock, DEMO_LISTING_STOCK), True, None
            batch.add(
                "store_skus",
                (
                    ids.next("store_skus"),
                    store.id,
                    sku.id,
                    override,
                    stock,
                    on_shelf,
                    limit,
                    dt(now - rng.uniform(0, 30) * DAY),
                ),
            )
            if on_shelf:
                store.listing.append((sku, sku.price if override is None else override))
        for sku_id in catalog.archived:
            if rng.random() < 0.5:
                batch.add(
                    "store_skus",
                    (
                        ids.next("store_skus"),
                        store.id,
                        sku_id,
                        None,
                        0,
                        False,
                        None,
                        dt(now - rng.uniform(30, 90) * DAY),
                    ),
                )
