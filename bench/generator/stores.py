"""Stores (门店) and staff accounts (主账号/子账号) with their store scope."""

from __future__ import annotations

import random

from bench.generator.common import DAY, Batch, Ids, Weighted, dt, dt_opt, json_text
from bench.generator.names import mobile, real_name, short_district
from bench.generator.vocabulary import BRAND, CITIES, City
from bench.generator.world import StoreInfo
from models.deliveries.stages import DEFAULT_DELIVERY_MINUTES
from models.enums import Fulfillment, StaffRole, StoreSize, StoreStatus

FULFILLMENT_WEIGHTS = {
    Fulfillment.SELF_PICKUP.value: 0.36,
    Fulfillment.STORE_DELIVERY.value: 0.52,
    Fulfillment.EXPRESS.value: 0.12,
}

HQ_ADMIN = "admin"
"""Username (and so actor id) of the HQ operator acting on orders."""

_HOURS = (("08:00", "22:00"), ("07:30", "22:30"), ("08:30", "21:30"), ("07:00", "23:00"), ("09:00", "22:00"))


_ALL_DAY: list[dict[str, object]] = [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)]
"""SH001, the flagship (旗舰店), is open around the clock: a shopper trying the demo or the docs'
`placeOrder` example at any hour finds it open (placeOrder refuses a store outside its hours)."""


def store_count(orders: int) -> int:
    return min(300, max(8, orders // 500))


def _stores_per_city(rng: random.Random, total: int) -> list[int]:
    """Largest-remainder split by city weight; Shanghai (SH001) always has a store."""
    weights = [c.weight for c in CITIES]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    order = sorted(range(len(CITIES)), key=lambda i: (-(weights[i] * scale - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    if counts[0] == 0:
        donor = max(range(len(counts)), key=lambda i: counts[i])
        counts[donor] -= 1
        counts[0] += 1
    return counts


def _store_hours(rng: random.Random, index: int) -> list[dict[str, object]]:
    """The hours of the `index`-th store; drawn for SH001 too, so every later draw stays the same."""
    drawn = _business_hours(rng, split=index == 1)
    return _ALL_DAY if index == 0 else drawn


def _business_hours(rng: random.Random, split: bool) -> list[dict[str, object]]:
    """Most stores keep one range a day; some close for the afternoon (two ranges)."""
    if split or rng.random() < 0.12:
        ranges = [("08:00", "13:30"), ("16:00", "21:30")]
        return [{"weekday": d, "open": o, "close": c} for d in range(1, 8) for o, c in ranges]
    open_, close = rng.choice(_HOURS)
    weekend_close = "23:00" if rng.random() < 0.4 else close
    return [{"weekday": d, "open": open_, "close": weekend_close if d >= 6 else close} for d in range(1, 8)]


def build_stores(rng: random.Random, ids: Ids, batch: Batch, orders: int, now: float) -> list[StoreInfo]:
    total = store_count(orders)
    per_city = _stores_per_city(rng, total)
    closed = set(rng.sample(range(1, total), max(1, total // 25)))
    paused = set(rng.sample(sorted(set(range(1, total)) - closed), max(1, total // 30)))
    stores: list[StoreInfo] = []
    for city_index, (city, count) in enumerate(zip(CITIES, per_city, strict=True)):
        used: set[str] = set()
        for n in range(1, count + 1):
            index = len(stores)
            status = (
                StoreStatus.CLOSED
                if index in closed
                else StoreStatus.PAUSED
                if index in paused
                else StoreStatus.OPEN
            )
            stores.append(_store(rng, ids, batch, city_index, city, n, index, status, used, now))
    return stores


def _store(
    rng: random.Random,
    ids: Ids,
    batch: Batch,
    city_index: int,
    city: City,
    n: int,
    index: int,
    status: StoreStatus,
    used: set[str],
    now: float,
) -> StoreInfo:
    store_id = ids.next("stores")
    code = f"{city.code}{n:03d}"
    district = city.districts[(n - 1 + rng.randrange(len(city.districts))) % len(city.districts)]
    landmark = rng.choice(district.landmarks)
    label = short_district(district.name) + landmark
    while label in used:
        label += "二"
    used.add(label)
    name = f"{BRAND}·{label}店"
    first = index == 0
    opened = (
        now - (rng.uniform(20, 80) if not first and rng.random() < 0.08 else rng.uniform(200, 1200)) * DAY
    )
    open_until = float("inf")
    updated = min(now - DAY, opened + rng.uniform(1, 200) * DAY)
    if status is StoreStatus.CLOSED:
        open_until = updated = max(opened + 10 * DAY, now - rng.uniform(20, 60) * DAY)
    elif status is StoreStatus.PAUSED:
        open_until = updated = now - rng.uniform(1, 7) * DAY
    pickup = first or rng.random() < 0.9
    delivery = first or rng.random() < 0.85
    express = first or rng.random() < 0.35
    if not (pickup or delivery or express):
        pickup = True
    supports = frozenset(
        f.value
        for f, on in (
            (Fulfillment.SELF_PICKUP, pickup),
            (Fulfillment.STORE_DELIVERY, delivery),
            (Fulfillment.EXPRESS, express),
        )
        if on
    )
    lat = city.latitude + rng.gauss(0, 0.04)
    lng = city.longitude + rng.gauss(0, 0.05)
    info = StoreInfo(
        id=store_id,
        code=code,
        city=city_index,
        province=city.province,
        city_name=city.name,
        district=district.name,
        latitude=round(lat, 6),
        longitude=round(lng, 6),
        opened_at=opened,
        open_until=open_until,
        # SH001 (the docs' store) accepts by hand; the third store always auto-accepts.
        auto_accept=index == 2 or (index > 2 and rng.random() < 0.25),
        takes_pre_orders=index % 3 == 0,  # not drawn: every later draw stays the same
        fulfillments=Weighted([(f, w) for f, w in FULFILLMENT_WEIGHTS.items() if f in supports]),
        supports=supports,
        delivery_fee=rng.choice((0, 300, 400, 500, 600)),
        packaging_fee=rng.choice((0, 0, 50, 100, 200)),
        min_order=rng.choice((0, 0, 1500, 2000, 2900)),
    )
    batch.add(
        "stores",
        (
            store_id,
            code,
            name,
            city.province,
            city.name,
            district.name,
            f"{district.name}{rng.choice(district.streets)}{rng.randint(1, 999)}号",
            info.latitude,
            info.longitude,
            f"{city.area_code}-{rng.randint(5000_0000, 6999_9999)}",
            status.value,
            (StoreSize.LARGE if first or rng.random() < 0.25 else StoreSize.STANDARD).value,
            json_text(_store_hours(rng, index)),
            rng.choice((2000, 3000, 3000, 5000)),
            info.min_order,
            info.delivery_fee,
            json_text(_fee_slots(rng, info.delivery_fee) if delivery else []),
            info.packaging_fee,
            pickup,
            delivery,
            express,
            info.auto_accept,
            info.takes_pre_orders,
            PRE_ORDER_DAYS,
            index % 4 == 1,  # 极速退款 at every fourth store from the second (not drawn)
            dt(opened),
            dt(updated),
            DEFAULT_DELIVERY_MINUTES,
        ),
    )
    return info


PRE_ORDER_DAYS = 2


def _fee_slots(rng: random.Random, base_fee: int) -> list[dict[str, object]]:
    """分时段运费 for some delivering stores: dearer in the evening rush, cheaper mid-afternoon."""
    roll = rng.random()
    if roll < 0.2:
        return [{"start": "18:00", "end": "21:00", "fee": base_fee + 300}]
    if roll < 0.3:
        return [{"start": "14:00", "end": "16:00", "fee": max(0, base_fee - 200)}]
    return []


def build_staff(rng: random.Random, ids: Ids, batch: Batch, stores: list[StoreInfo], now: float) -> None:
    """HQ admin and analyst, then a main account with 1-2 sub-accounts per store."""
    earliest = min(s.opened_at for s in stores) - 30 * DAY
    _account(rng, ids, batch, HQ_ADMIN, "总部管理员", StaffRole.HQ_ADMIN, None, earliest, now, True)
    _account(rng, ids, batch, "analyst", "数据分析师", StaffRole.ANALYST, None, earliest, now, True)
    for store in stores:
        enabled = store.open_until > now
        label = store.code.lower()
        display = f"{store.code}店长{real_name(rng)}"
        main = _account(
            rng, ids, batch, label, display, StaffRole.STORE_STAFF, None, store.opened_at, now, enabled
        )
        accounts = [(main, label)]
        for k in range(1, rng.randint(1, 2) + 1):
            username, display = f"{label}_{k:02d}", f"{store.code}店员{real_name(rng)}"
            sub = _account(
                rng, ids, batch, username, display, StaffRole.STORE_STAFF, main, store.opened_at, now, enabled
            )
            accounts.append((sub, username))
        for staff_id, username in accounts:
            store.staff.append(username)
            batch.add("staff_stores", (staff_id, store.id))


def _account(
    rng: random.Random,
    ids: Ids,
    batch: Batch,
    username: str,
    display: str,
    role: StaffRole,
    parent: int | None,
    created: float,
    now: float,
    enabled: bool,
) -> int:
    staff_id = ids.next("staff_accounts")
    last_login = now - rng.uniform(0.05, 3) * DAY if enabled else None
    batch.add(
        "staff_accounts",
        (
            staff_id,
            username,
            display,
            mobile(rng),
            role.value,
            parent,
            enabled,
            dt(created),
            dt_opt(last_login),
        ),
    )
    return staff_id
