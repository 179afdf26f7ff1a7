"""Price promotions in the demo data — 单品直降, 限时抢, 商品折扣, 满额/满件折扣, 多买多折, X元Y件 and
单品买赠 — in every status, and the orders they priced.

Campaign rows are built without the random stream; an order is priced through the one pricing
function (`models.pricing.cart.price_cart`) whenever a running promotion touches it, so its lines,
adjustments and stock takes are what checkout would have written. The promotions stay clear of the
docs' products (1-3) and, for a whole-cart discount, of store SH001.
"""

from __future__ import annotations

from dataclasses import replace

from bench.generator.campaigns import DAIRY, DRINKS, FRUIT, GRAIN, SNACKS, campaign_row, window
from bench.generator.catalog import Catalog
from bench.generator.common import DAY, Batch, Ids, dt, dt_opt, json_text
from bench.generator.sim import LineSim, OrderSim
from bench.generator.world import PromoCampaign, SkuInfo, World
from models.campaigns.rules import Tier
from models.enums import CampaignType, ThresholdKind
from models.pricing import percent_price
from models.pricing.cart import Item, ItemPrice, Layer, Pricing, price_cart
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion, PromotionKind
from services.campaigns.pricing import DISCOUNT_LABEL, FLASH_SALE_LABEL, PRICE_CUT_LABEL

DOCS_PRODUCTS = 3
"""The docs price products 1-3 (and their SKUs) at store SH001: the demo promotions leave them be."""
OPT_IN_DEMO = "新品直降·门店报名（未开始）"
"""HQ's opt-in (报名制) campaign: store SH001 has opted in, no other store."""
T = CampaignType
Days = tuple[float, float, float | None]


def _skus(world: World, tops: tuple[int, ...], count: int) -> list[SkuInfo]:
    pool = [s for s in world.skus if s.top in tops and s.product_id > DOCS_PRODUCTS and s.price >= 300]
    return pool[:count]


def _products(catalog: Catalog, top: int, count: int) -> frozenset[int]:
    return frozenset([p for p in catalog.products_by_top.get(top, ()) if p > DOCS_PRODUCTS][:count])


def _percent(*tiers: tuple[int, int]) -> tuple[Tier, ...]:
    return tuple(Tier(0, threshold, 0, percent_off=pct) for threshold, pct in tiers)


def _plans(world: World, catalog: Catalog) -> list[tuple[str, Days, PromoCampaign]]:
    plans: list[tuple[str, Days, PromoCampaign]] = []

    def plan(name: str, days: Days, kind: CampaignType, **settings: object) -> None:
        settings.setdefault("store_ids", None)
        campaign = PromoCampaign(0, name, 0, 0, None, kind=kind, **settings)  # type: ignore[arg-type]
        plans.append((name, days, campaign))

    for name, days, tops, kind in (
        ("爆品价·鲜果", (-20, 20, None), (FRUIT,), T.PRICE_CUT),
        ("周末直降（已结束）", (-60, -40, None), (GRAIN,), T.PRICE_CUT),
        ("午间限时抢", (-10, 5, None), (SNACKS, DRINKS), T.FLASH_SALE),
        ("秒杀专场（已停止）", (-30, 10, -25), (DAIRY,), T.FLASH_SALE),
    ):
        prices = {s.id: max(100, s.price * 8 // 1000 * 100 - 10) for s in _skus(world, tops, 3)}
        plan(name, days, kind, item_prices=prices, stock=60)
    plan(
        "乳品9折", (-15, 15, None), T.PRODUCT_DISCOUNT, percent_off=10, products=_products(catalog, DAIRY, 4)
    )
    plan(
        "年货85折（未开始）",
        (10, 30, None),
        T.PRODUCT_DISCOUNT,
        percent_off=15,
        products=_products(catalog, GRAIN, 4),
    )
    not_first = frozenset(s.id for s in world.stores[1:]) or None
    amount = OrderPromotion(0, "", ThresholdKind.AMOUNT, _percent((20000, 10), (30000, 15)), cap=5000)
    plan("满200享9折", (-25, 25, None), T.ORDER_DISCOUNT, promotion=amount, store_ids=not_first)
    units = OrderPromotion(0, "", ThresholdKind.QUANTITY, _percent((3, 5)))
    plan("满3件95折（已结束）", (-80, -50, None), T.ORDER_DISCOUNT, promotion=units)
    multi = OrderPromotion(0, "", ThresholdKind.QUANTITY, _percent((2, 10), (3, 20)), priority=5)
    plan(
        "零食多买多折",
        (-30, 30, None),
        T.MULTI_BUY_DISCOUNT,
        promotion=multi,
        products=_products(catalog, SNACKS, 6),
    )
    drinks = _skus(world, (DRINKS,), 4)
    price = max(300, sum(s.price for s in drinks[:3]) * 8 // 1000 * 100)
    bundle = OrderPromotion(
        0, "", ThresholdKind.QUANTITY, (), kind=PromotionKind.BUNDLE, bundle_size=3, bundle_price=price
    )
    plan(
        "饮品任选3件",
        (-20, 40, None),
        T.BUNDLE_PRICE,
        promotion=bundle,
        products=frozenset(s.product_id for s in drinks),
    )
    gift_sku = min(world.skus, key=lambda s: (s.price, s.id)).id
    for name, days in (("买二赠一·乳品", (-30, 20, None)), ("买赠尝鲜（未开始）", (5, 35, None))):
        gift = GiftOffer(0, "", _products(catalog, DAIRY, 5), 2, gift_sku, 1)
        plan(name, days, T.BUY_GIFT, gift=gift, products=gift.product_ids, stock=80)
    opt_in = {s.id: max(100, s.price * 9 // 1000 * 100 - 10) for s in _skus(world, (GRAIN,), 3)}
    plan(OPT_IN_DEMO, (3, 30, None), T.PRICE_CUT, item_prices=opt_in, stock=60)
    return plans


def build_promotions(ids: Ids, batch: Batch, world: World, catalog: Catalog) -> None:
    """Campaign and rule rows (the stock rows come after the orders: `stock_rows`)."""
    for name, days, c in _plans(world, catalog):
        w = window(world.now, *days)
        c.id, c.starts, c.ends, c.stopped = ids.next("campaigns"), w.starts, w.ends, w.stopped
        if (p := c.promotion) is not None:
            kind = PromotionKind.BUNDLE if p.bundle_size else PromotionKind.PERCENT
            c.promotion = replace(p, campaign_id=c.id, name=name, product_ids=c.products or None, kind=kind)
            bundle = (p.bundle_size, p.bundle_price) if p.bundle_size else (None, None)
            batch.add("order_discount_rules", (c.id, p.threshold_kind.value, p.cap, *bundle))
            for t in p.tiers:
                batch.add(
                    "order_discount_tiers",
                    (ids.next("order_discount_tiers"), c.id, t.threshold, t.percent_off),
                )
        if (g := c.gift) is not None:
            c.gift = replace(g, campaign_id=c.id, name=name)
        if c.kind is T.PRODUCT_DISCOUNT:
            batch.add("product_discount_rules", (c.id, c.percent_off))
        priority = c.promotion.priority if c.promotion else 0
        campaign_row(batch, world.now, c, c.kind, name, priority, opt_in=name == OPT_IN_DEMO)
        if name == OPT_IN_DEMO:
            batch.add("campaign_opt_ins", (c.id, world.stores[0].id, dt(world.now - DAY), None, None))
        for product_id in sorted(c.products):
            batch.add("campaign_products", (c.id, product_id))
        world.promotions.append(c)


def stock_rows(world: World) -> Batch:
    """The item prices and gift stock with what the orders not cancelled hold (written last)."""
    batch = Batch()
    for c in world.promotions:
        flash = c.kind is T.FLASH_SALE
        for sku_id, price in c.item_prices.items():
            held = c.held.get(sku_id, 0)
            batch.add(
                "item_price_skus",
                (c.id, sku_id, price, c.stock if flash else None, held if flash else 0, None),
            )
        if c.gift is not None:
            g = c.gift
            batch.add(
                "buy_gift_rules",
                (c.id, g.buy_quantity, g.gift_sku_id, g.gift_quantity, c.stock, c.held.get(g.gift_sku_id, 0)),
            )
    return batch


def _offers(c: PromoCampaign, line: LineSim) -> list[ItemPrice]:
    if c.kind is T.PRODUCT_DISCOUNT and line.sku.product_id in c.products:
        return [ItemPrice(DISCOUNT_LABEL, percent_price(line.unit_price, c.percent_off), c.id)]
    price = c.item_prices.get(line.sku.id)
    if price is None or (c.kind is T.FLASH_SALE and c.left(line.sku.id) < line.quantity):
        return []
    return [ItemPrice(FLASH_SALE_LABEL if c.kind is T.FLASH_SALE else PRICE_CUT_LABEL, price, c.id)]


def _spend(world: World, sim: OrderSim, ts: float) -> list[OrderPromotion]:
    """The 满减赠 running for this order, competing with the promotions as at checkout."""
    return [
        OrderPromotion(
            c.id,
            c.name,
            c.threshold_kind,
            tuple(
                Tier(t.id, t.threshold, t.reduction, t.gift.id if t.gift else None, t.gift_quantity)
                for t in c.tiers
            ),
            c.products,
        )
        for c in world.spend
        if c.active_at(ts) and c.covers(sim.store)
    ]


def price_order(world: World, sim: OrderSim, ts: float) -> bool:
    """Price `sim` through the pricing function when a running promotion touches it (True then)."""
    running = [c for c in world.promotions if c.active_at(ts) and c.covers(sim.store)]
    lines = [line for line in sim.lines if not line.is_gift]
    if not running or not lines:
        return False
    items = [
        Item(
            line.sku.product_id,
            line.unit_price,
            line.quantity,
            None,
            tuple(o for c in running for o in _offers(c, line)),
        )
        for line in lines
    ]
    ours = [c.promotion for c in running if c.promotion is not None]
    offers = [replace(c.gift, stock_left=c.left(c.gift.gift_sku_id)) for c in running if c.gift is not None]
    p = price_cart(items, [*ours, *_spend(world, sim, ts)], gift_offers=offers)
    by_id = {c.id: c for c in running}
    if not (any(a.source_id in by_id for a in p.adjustments) or any(g.source_id in by_id for g in p.gifts)):
        return False
    _apply(world, sim, lines, p, by_id)
    return True


def _apply(
    world: World, sim: OrderSim, lines: list[LineSim], p: Pricing, by_id: dict[int, PromoCampaign]
) -> None:
    skus = {s.id: s for s in world.skus}
    sim.lines = lines
    for line, priced in zip(lines, p.lines, strict=True):
        line.discount, line.paid = priced.discount, priced.paid
    applied = p.applied
    sim.campaign_id = applied.promotion.campaign_id if applied else None
    reached = (
        applied.outcome.reached if applied and applied.promotion.kind is PromotionKind.REDUCTION else None
    )
    sim.tier_id = reached.id if reached else None
    for gift in p.gifts:
        sku = skus[gift.sku_id]
        lines.append(LineSim(sku, gift.quantity, 0, sku.original_price, is_gift=True))
        if gift.source_id in by_id:
            _take(sim, by_id[gift.source_id], gift.sku_id, gift.quantity)
    for a in p.adjustments:
        sim.adjustments.append((a.layer.value, a.label, a.amount, a.source_id, list(a.shares)))
        c = by_id.get(a.source_id or 0)
        if a.layer is Layer.ITEM and c is not None and c.kind is T.FLASH_SALE:
            line = lines[next(i for i, share in enumerate(a.shares) if share)]
            _take(sim, c, line.sku.id, line.quantity)
    sim.discount = p.discount
    sim.payable = sim.goods - sim.discount + sim.delivery_fee + sim.packaging_fee


def _take(sim: OrderSim, c: PromoCampaign, sku_id: int, quantity: int) -> None:
    c.taken[sku_id] = c.taken.get(sku_id, 0) + quantity
    sim.takes.append((c, sku_id, quantity))


def emit_pricing(sim: OrderSim, ids: Ids, batch: Batch) -> None:
    """The order's adjustments and stock takes (released when it was cancelled)."""
    for layer, label, amount, source_id, shares in sim.adjustments:
        batch.add(
            "order_adjustments",
            (ids.next("order_adjustments"), sim.id, layer, label, amount, source_id, json_text(shares)),
        )
    released = sim.cancelled if sim.cancelled is not None else None
    for campaign, sku_id, quantity in sim.takes:
        if released is None:
            campaign.held[sku_id] = campaign.held.get(sku_id, 0) + quantity
        batch.add(
            "flash_sale_takes",
            (
                ids.next("flash_sale_takes"),
                campaign.id,
                sku_id,
                sim.id,
                sim.customer.id,
                quantity,
                dt_opt(released),
            ),
        )
