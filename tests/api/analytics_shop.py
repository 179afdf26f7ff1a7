"""The shop the analytics tests aggregate: stores, categories, customers, orders, after-sales, visits.

Seeded once per database (tests/api/test_analytics_aggregates.py, test_analytics_scope.py) from a
fixed random seed, so every example and both dialects see the same rows.
"""

from __future__ import annotations

import random
from datetime import timedelta

from models.after_sales.rows import AfterSaleLine
from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.enums import Fulfillment, MemberLevel, OrderChannel, PageType, PaymentMethod, SourceChannel
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store
from tests.factories import T0, Seed


async def shop(seed: Seed) -> None:
    """Stores in two provinces and the HQ warehouse, two category levels, customers of every member
    level (some paid before), and orders spread over three weeks and around local midnight."""
    rng = random.Random(22)
    stores: list[Store | None] = [
        await seed.store("SH001"),
        await seed.store("SH002", district="徐汇区"),
        await seed.store("HZ001", province="浙江省", city="杭州市", district="西湖区"),
        None,
    ]
    fruit = await seed.category("水果")
    cherries = await seed.category("车厘子", parent=fruit)
    cherry, skus = await seed.product("车厘子", cherries, prices=(9900, 4900))
    apple, more = await seed.product("苹果", fruit, prices=(1290,))
    skus += more
    customers = [
        await seed.customer(member_level=level, first_paid_at=T0 + timedelta(days=i * 3) if i % 2 else None)
        for i, level in enumerate([*MemberLevel, MemberLevel.GOLD])
    ]
    statuses = [
        OrderStatus.COMPLETED,
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
        OrderStatus.SHIPPED,
    ]
    statuses += [OrderStatus.PENDING_ACCEPTANCE, OrderStatus.COMPLETED]
    for i in range(48):
        created = T0 + timedelta(days=rng.randint(-3, 20), hours=rng.choice([-2, 0, 13, 15.5, 16, 21]))
        status = rng.choice(statuses)
        paid = status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
        lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(1, 3))]
        accepted = created + timedelta(minutes=rng.randint(2, 90)) if paid else None
        order = await seed.order(
            rng.choice(stores),
            rng.choice(customers),
            lines,
            status=status,
            fulfillment=rng.choice(list(Fulfillment)),
            created_at=created,
            channel=rng.choice(list(OrderChannel)),
            payment_method=rng.choice(list(PaymentMethod)) if paid else None,
            discount_amount=rng.choice([0, 0, 500]),
            refunded_amount=rng.choice([0, 0, 0, 990]) if paid else 0,
            accepted_at=accepted,
            completed_at=accepted + timedelta(hours=rng.randint(1, 50)) if accepted and i % 2 else None,
        )
        if paid and i % 3:
            await _after_sale(seed, rng, order)
    for _ in range(40):
        await seed.visit(
            f"v{rng.randint(1, 12)}",
            T0 + timedelta(days=rng.randint(-2, 15), hours=rng.choice([-1, 3, 15.75, 16])),
            store=rng.choice(stores),
            product=rng.choice([cherry, apple, None]),
            customer=rng.choice([*customers, None]),
            page=rng.choice(list(PageType)),
            source=rng.choice(list(SourceChannel)),
            dwell_ms=rng.randint(0, 60_000),
        )


async def _after_sale(seed: Seed, rng: random.Random, order: Order) -> None:
    """An after-sale of some of the order's lines, with a reason, and maybe reviewed and refunded."""
    row = await seed.after_sale(order, rng.choice(list(AfterSaleStatus)), rng.choice(list(AfterSaleType)))
    row.reason = rng.choice(["不想要了", "质量问题", "少件/漏发"])
    row.initiator = rng.choice(list(AfterSaleInitiator))
    row.reviewed_at = row.created_at + timedelta(minutes=rng.randint(1, 600)) if rng.random() < 0.7 else None
    row.refunded_at = row.reviewed_at + timedelta(hours=rng.randint(0, 30)) if row.reviewed_at else None
    lines = await seed.lines_of(order)
    chosen = rng.sample(lines, rng.randint(1, len(lines)))
    asked = [
        AfterSaleLine(
            after_sale_id=row.id,
            order_line_id=line.id,
            quantity=1,
            amount=line.unit_price // 2,
            is_open=False,
        )
        for line in chosen
    ]
    async with seed.sessions() as session:
        await session.merge(row)
        session.add_all(asked)
        await session.commit()
