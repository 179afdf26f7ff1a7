"""Customers (顾客): registration, contact data, invite codes and who invited whom.

`first_paid_at`, `last_order_at`, points and member level depend on the orders generated later,
so customers are inserted with neutral values and updated once all orders exist
(see `finish_customers`).
"""

from __future__ import annotations

import random
import string

from bench.generator.catalog import IMAGE_BASE
from bench.generator.common import DAY, Batch, Ids, Row, dt, dt_opt
from bench.generator.names import mobile, nickname, real_name, street_address
from bench.generator.vocabulary import CITIES
from bench.generator.world import CustomerInfo, StoreInfo
from models.enums import MemberLevel

_CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "IO01")

REGISTRATION_DAYS = 180


def customer_count(orders: int) -> int:
    return max(50, orders // 4)


def build_customers(
    rng: random.Random, ids: Ids, batch: Batch, orders: int, stores: list[StoreInfo], now: float
) -> list[CustomerInfo]:
    total = customer_count(orders)
    # Sign-ups grow over time: younger registrations are a little more frequent.
    registered = sorted(now - REGISTRATION_DAYS * DAY * rng.random() ** 1.15 for _ in range(total))
    registered[0] = now - REGISTRATION_DAYS * DAY  # someone can always place the first order
    phones: set[str] = set()
    codes: set[str] = set()
    customers: list[CustomerInfo] = []
    for i, reg in enumerate(registered):
        customer_id = ids.next("customers")
        candidates = [s for s in stores if s.takes_orders(reg)] or stores
        home = rng.choice(candidates)
        city = CITIES[home.city]
        district = next((d for d in city.districts if d.name == home.district), city.districts[0])
        if rng.random() < 0.3:
            district = rng.choice(city.districts)
        name = real_name(rng)
        phone = mobile(rng)
        while phone in phones:
            phone = mobile(rng)
        phones.add(phone)
        code = "".join(rng.choices(_CODE_ALPHABET, k=8))
        while code in codes:
            code = "".join(rng.choices(_CODE_ALPHABET, k=8))
        codes.add(code)
        inviter = customers[int(i * rng.random() ** 2)].id if i >= 5 and rng.random() < 0.18 else None
        info = CustomerInfo(
            id=customer_id,
            registered=reg,
            home=home,
            name=name,
            phone=phone,
            district=district.name,
            address=street_address(rng, district),
            latitude=round(home.latitude + rng.gauss(0, 0.012), 6),
            longitude=round(home.longitude + rng.gauss(0, 0.014), 6),
            base_points=rng.choice((0, 0, 0, 10, 50, 100, 200)),
            invited_by=inviter,
        )
        customers.append(info)
        avatar = f"{IMAGE_BASE}/avatars/{customer_id}.jpg" if rng.random() < 0.7 else None
        batch.add(
            "customers",
            (
                customer_id,
                nickname(rng, name),
                avatar,
                phone,
                phone[-4:],
                MemberLevel.NORMAL.value,
                info.base_points,
                code,
                inviter,
                dt(reg),
                None,
                None,
            ),
        )
    return customers


def member_level(spent: int) -> MemberLevel:
    """Lifetime spend in cents → level (the thresholds a chain would print on its member page)."""
    if spent >= 200_000:
        return MemberLevel.DIAMOND
    if spent >= 80_000:
        return MemberLevel.GOLD
    if spent >= 30_000:
        return MemberLevel.SILVER
    return MemberLevel.NORMAL


def customer_updates(customers: list[CustomerInfo]) -> list[Row]:
    """(id, first_paid_at, last_order_at, points, member_level) for customers who ordered."""
    return [
        (
            c.id,
            dt_opt(c.first_paid),
            dt_opt(c.last_order),
            c.base_points + c.spent // 100,
            member_level(c.spent).value,
        )
        for c in customers
        if c.last_order is not None
    ]
