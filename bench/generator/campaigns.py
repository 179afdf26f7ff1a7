"""Campaigns (营销): 邀请有礼, 满减赠, 拼团 — past, ongoing, stopped and future ones.

Their windows are laid out so that some campaign of each type runs throughout the 90-day order
window (group-buy orders and invitations always have a campaign to belong to), and every derived
status (NOT_STARTED, ONGOING, ENDED, STOPPED) is present relative to `now`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.generator.catalog import Catalog
from bench.generator.common import DAY, HOUR, Batch, Ids, dt, dt_opt
from bench.generator.world import (
    CampaignInfo,
    GroupCampaign,
    InviteCampaign,
    SkuInfo,
    SpendCampaign,
    SpendTier,
    StoreInfo,
    World,
)
from models.enums import (
    CampaignType,
    GroupBuyKind,
    InviteTrigger,
    ProductScope,
    RewardKind,
    ThresholdKind,
)

FRUIT, SNACKS, DAIRY, DRINKS, GRAIN = 0, 4, 3, 5, 6


@dataclass(frozen=True, slots=True)
class _Window:
    starts: float
    ends: float
    stopped: float | None = None


def window(now: float, start_day: float, end_day: float, stopped_day: float | None = None) -> _Window:
    return _Window(
        now + start_day * DAY, now + end_day * DAY, None if stopped_day is None else now + stopped_day * DAY
    )


def campaign_row(
    batch: Batch,
    now: float,
    info: CampaignInfo,
    kind: CampaignType,
    description: str,
    priority: int = 0,
    opt_in: bool = False,
) -> None:
    created = min(now - HOUR, info.starts - 7 * DAY)
    batch.add(
        "campaigns",
        (
            info.id,
            kind.value,
            info.name,
            description,
            info.store_ids is None,
            dt(info.starts),
            dt(info.ends),
            dt_opt(info.stopped),
            priority,
            "admin",
            dt(created),
            dt(info.stopped if info.stopped is not None else created),
            opt_in,
        ),
    )
    for store_id in sorted(info.store_ids or ()):
        batch.add("campaign_stores", (info.id, store_id))


def _scope(rng: random.Random, stores: list[StoreInfo]) -> frozenset[int]:
    """About half of the stores, always including the first one (SH001, used in the docs)."""
    chosen = {stores[0].id} | {s.id for s in stores[1:] if rng.random() < 0.5}
    return frozenset(chosen)


def _group_price(price: int, rng: random.Random) -> int:
    cents = price * rng.uniform(0.65, 0.85)
    return max(10, min(price - 10, round(cents / 100) * 100 - 10 if cents >= 500 else round(cents / 10) * 10))


def _pick_skus(rng: random.Random, catalog: Catalog, tops: tuple[int, ...], count: int) -> list[SkuInfo]:
    pool = [s for s in catalog.skus[: max(40, len(catalog.skus) // 3)] if s.top in tops and s.price >= 300]
    pool = pool or [s for s in catalog.skus if s.price >= 300] or catalog.skus
    return rng.sample(pool, min(count, len(pool)))


def build_campaigns(rng: random.Random, ids: Ids, batch: Batch, world: World, catalog: Catalog) -> None:
    _invites(ids, batch, world)
    _spend(rng, ids, batch, world, catalog)
    _group(rng, ids, batch, world, catalog)


def _invites(ids: Ids, batch: Batch, world: World) -> None:
    now = world.now
    plans = (
        (
            "老友邀新·春季版",
            window(now, -240, -120),
            InviteTrigger.INVITEE_REGISTERED,
            (RewardKind.COUPON, 1000),
            (RewardKind.COUPON, 500),
            10,
        ),
        (
            "邀请有礼·首单返积分",
            window(now, -120, 30, -60),
            InviteTrigger.FIRST_ORDER_COMPLETED,
            (RewardKind.POINTS, 500),
            (RewardKind.COUPON, 1000),
            20,
        ),
        (
            "邀好友得20元券",
            window(now, -60, 60),
            InviteTrigger.FIRST_ORDER_COMPLETED,
            (RewardKind.COUPON, 2000),
            (RewardKind.COUPON, 1000),
            None,
        ),
        (
            "年货节邀新",
            window(now, 20, 50),
            InviteTrigger.INVITEE_REGISTERED,
            (RewardKind.POINTS, 300),
            (RewardKind.POINTS, 100),
            5,
        ),
    )
    for name, w, trigger, inviter, invitee, cap in plans:
        info = InviteCampaign(
            ids.next("campaigns"),
            name,
            w.starts,
            w.ends,
            w.stopped,
            None,
            trigger,
            inviter[0],
            inviter[1],
            invitee[0],
            invitee[1],
            cap,
        )
        world.invite.append(info)
        campaign_row(batch, now, info, CampaignType.INVITE_REWARD, "邀请好友注册下单，双方均可获得奖励")
        batch.add(
            "invite_rules",
            (info.id, trigger.value, inviter[0].value, inviter[1], invitee[0].value, invitee[1], cap),
        )


def _gift_sku(catalog: Catalog) -> SkuInfo:
    cheap = [s for s in catalog.skus if s.top in (DAIRY, DRINKS) and s.price <= 1500]
    return cheap[0] if cheap else min(catalog.skus, key=lambda s: (s.price, s.id))


def _spend(rng: random.Random, ids: Ids, batch: Batch, world: World, catalog: Catalog) -> None:
    now = world.now
    gift = _gift_sku(catalog)
    listed_fruit = frozenset(catalog.products_by_top.get(FRUIT, ()))
    listed_snacks = frozenset(catalog.products_by_top.get(SNACKS, ()))
    plans: tuple[
        tuple[str, _Window, ThresholdKind, frozenset[int] | None, bool, tuple[tuple[int, int, bool], ...]],
        ...,
    ]
    plans = (
        (
            "周年庆 满99减10",
            window(now, -95, -62),
            ThresholdKind.AMOUNT,
            None,
            False,
            ((9900, 1000, False), (19900, 3000, False), (29900, 5000, False)),
        ),
        (
            "鲜果节 满减赠",
            window(now, -50, 10),
            ThresholdKind.AMOUNT,
            listed_fruit or None,
            False,
            ((6800, 800, False), (12800, 2000, True)),
        ),
        (
            "零食任选3件减15",
            window(now, -30, 30),
            ThresholdKind.QUANTITY,
            listed_snacks or None,
            True,
            ((3, 1500, False), (5, 3000, False)),
        ),
        (
            "周末满减（已停止）",
            window(now, -58, -20, -40),
            ThresholdKind.AMOUNT,
            None,
            False,
            ((5900, 500, False), (9900, 1200, False), (15900, 0, True)),
        ),
        (
            "双十二预热 满199减40",
            window(now, 15, 25),
            ThresholdKind.AMOUNT,
            None,
            False,
            ((19900, 4000, False), (39900, 10000, False)),
        ),
    )
    for name, w, kind, products, scoped, tiers in plans:
        info = SpendCampaign(
            ids.next("campaigns"),
            name,
            w.starts,
            w.ends,
            w.stopped,
            _scope(rng, world.stores) if scoped else None,
            kind,
            products,
        )
        campaign_row(
            batch, now, info, CampaignType.SPEND_REWARD, "活动期间下单满额自动减免，部分档位赠送好礼"
        )
        scope = ProductScope.ALL if products is None else ProductScope.LISTED
        batch.add("spend_reward_rules", (info.id, kind.value, scope.value))
        for threshold, reduction, with_gift in tiers:
            tier = SpendTier(
                ids.next("spend_reward_tiers"),
                threshold,
                reduction,
                gift if with_gift else None,
                1 if with_gift else 0,
            )
            batch.add(
                "spend_reward_tiers",
                (
                    tier.id,
                    info.id,
                    threshold,
                    reduction,
                    tier.gift.id if tier.gift else None,
                    tier.gift_quantity,
                ),
            )
            info.tiers.append(tier)
        info.tiers.sort(key=lambda t: -t.threshold)
        for product_id in sorted(products or ()):
            batch.add("campaign_products", (info.id, product_id))
        world.spend.append(info)


def _group(rng: random.Random, ids: Ids, batch: Batch, world: World, catalog: Catalog) -> None:
    now = world.now
    plans = (
        ("两人拼·鲜果特惠", window(now, -100, -45), GroupBuyKind.NORMAL, 2, 24, 3, (FRUIT,), False),
        ("老带新三人团", window(now, -60, 30), GroupBuyKind.NEW_USER_LED, 3, 24, 2, (DAIRY, FRUIT), False),
        ("五人成团·粮油囤货", window(now, -40, 20), GroupBuyKind.NORMAL, 5, 48, None, (GRAIN,), True),
        (
            "拼团尝鲜（已停止）",
            window(now, -80, 10, -50),
            GroupBuyKind.NORMAL,
            3,
            24,
            2,
            (SNACKS, DRINKS),
            False,
        ),
        ("年货拼团", window(now, 5, 35), GroupBuyKind.NORMAL, 4, 24, None, (GRAIN, SNACKS), False),
    )
    for name, w, kind, size, hours, limit, tops, scoped in plans:
        info = GroupCampaign(
            ids.next("campaigns"),
            name,
            w.starts,
            w.ends,
            w.stopped,
            _scope(rng, world.stores) if scoped else None,
            kind,
            size,
            hours,
            limit,
        )
        campaign_row(batch, now, info, CampaignType.GROUP_BUY, f"{size}人成团，超值拼团价")
        batch.add("group_buy_rules", (info.id, kind.value, size, hours, limit))
        for sku in _pick_skus(rng, catalog, tops, rng.randint(2, 3)):
            price = _group_price(sku.price, rng)
            info.skus.append((sku, price))
            batch.add("group_buy_skus", (info.id, sku.id, price))
        world.group.append(info)
