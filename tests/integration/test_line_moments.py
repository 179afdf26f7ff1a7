"""Order lines' copies of their order's moments (`order_created_at`, `order_paid_at`, migration 0029)
equal the order's after any mix of writes, on SQLite and PostgreSQL: orders placed paid or unpaid,
paid through the payment service, paid_at set or cleared by ORM and by bulk updates, lines added
to orders and moved between them, and writes to the copies themselves (which the triggers undo).
The money state machine checks the same after every real transition (payment, cancel, refunds)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog.rows import Sku
from models.customers.rows import Customer
from models.enums import PaymentMethod, Role
from models.errors import DomainError
from models.metrics.rollups import ALL_STORES, OrderDay
from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Deps, Result, Work, run_command
from services.db import create_engine, session_factory, unit_of_work
from services.migrations import downgrade, upgrade
from services.orders import payments as order_payments
from services.payments import DevPaymentGateway
from tests.conftest import Database
from tests.factories import T0, Seed

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["orm_pay", "bulk_pay", "unpay", "add_line", "move_line", "forge", "service_pay"]),
        st.integers(0, 5),
        st.integers(0, 5),
        st.integers(1, 600),
    ),
    max_size=8,
)


async def mismatched_lines(session: AsyncSession) -> int:
    """Lines whose copies differ from their order's moments (NULL-safe)."""
    differs = or_(
        OrderLine.order_created_at.is_distinct_from(Order.created_at),
        OrderLine.order_paid_at.is_distinct_from(Order.paid_at),
        OrderLine.order_created_at.is_(None),
    )
    stmt = select(func.count()).select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
    return int(await session.scalar(stmt.where(differs)) or 0)


async def _pay(work: Work, order_id: int) -> Result:
    return await order_payments.start_payment(work, order_id, PaymentMethod.WECHAT_PAY)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
async def test_lines_carry_their_orders_moments(db: Database, steps: list[tuple[str, int, int, int]]) -> None:
    seed = Seed(db.sessions)
    async with db.sessions() as session:  # examples share one shop
        store = await session.scalar(select(Store))
        customer = await session.scalar(select(Customer))
        sku = await session.scalar(select(Sku))
        known = int(await session.scalar(select(func.count()).select_from(Order)) or 0)
    if store is None or customer is None or sku is None:
        store, customer = await seed.store(), await seed.customer()
        sku = (await seed.product(prices=(500, 900)))[1][0]
        await seed.listing(store, sku, stock=10_000)
    orders = []
    for n in range(6):
        status = OrderStatus.PENDING_PAYMENT if n % 2 else OrderStatus.PENDING_ACCEPTANCE
        placed = await seed.order(
            store,
            customer,
            [(sku, 1 + n % 3)],
            status=status,
            created_at=T0 + timedelta(hours=n),
            order_no=f"LM{known + n:08d}",
        )
        orders.append(placed.id)
    buyer = Principal(Role.SHOPPER, "buyer", customer_id=customer.id)
    deps = Deps(db.sessions, DevPaymentGateway())
    for action, a, b, minutes in steps:
        first, second = orders[a], orders[b]
        moment = T0 + timedelta(minutes=minutes)
        if action == "service_pay":
            with contextlib.suppress(DomainError):  # already paid: the refusal writes nothing
                await run_command(deps, buyer, "pay", functools.partial(_pay, order_id=first))
            continue
        async with unit_of_work(db.sessions) as session:
            if action == "orm_pay":
                order = await session.get(Order, first)
                assert order is not None
                order.paid_at = moment
            elif action == "bulk_pay":
                both = Order.id.in_({first, second})
                await session.execute(update(Order).where(both).values(paid_at=moment))
            elif action == "unpay":
                await session.execute(update(Order).where(Order.id == first).values(paid_at=None))
            elif action == "add_line":
                session.add(
                    OrderLine(
                        order_id=first,
                        sku_id=sku.id,
                        product_id=sku.product_id,
                        product_name="加购",
                        spec=sku.spec,
                        unit_price=sku.price,
                        original_price=sku.price,
                        quantity=1,
                        paid_amount=sku.price,
                    )
                )
            elif action == "move_line":
                line = await session.scalar(select(OrderLine.id).where(OrderLine.order_id == first).limit(1))
                await session.execute(update(OrderLine).where(OrderLine.id == line).values(order_id=second))
            else:  # a writer that sets the copies directly is overruled by the order's values
                await session.execute(
                    update(OrderLine)
                    .where(OrderLine.order_id == first)
                    .values(order_paid_at=moment, order_created_at=moment)
                )
        async with db.sessions() as session:
            assert await mismatched_lines(session) == 0, (action, steps)


async def test_a_payment_stamps_its_lines(db: Database) -> None:
    seed = Seed(db.sessions)
    store, customer = await seed.store(), await seed.customer()
    sku = (await seed.product(prices=(500, 900)))[1][0]
    order = await seed.order(store, customer, [(sku, 2), (sku, 1)], status=OrderStatus.PENDING_PAYMENT)
    buyer = Principal(Role.SHOPPER, "buyer", customer_id=customer.id)
    pay = functools.partial(_pay, order_id=order.id)
    await run_command(Deps(db.sessions, DevPaymentGateway()), buyer, "pay", pay)
    async with db.sessions() as session:
        paid_at = await session.scalar(select(Order.paid_at).where(Order.id == order.id))
        copies = select(OrderLine.order_paid_at).where(OrderLine.order_id == order.id)
        stamped = (await session.scalars(copies)).all()
    assert paid_at is not None
    assert stamped == [paid_at, paid_at]


SUMS = [c.name for c in OrderDay.__table__.c if c.name not in ("day_start", "store_id", "delivery_timeouts")]
"""The order rollups' sums before 0029 (hours have delivery_timeouts already, days not yet)."""


async def test_the_migration_fills_lines_and_day_timeouts(tmp_path: Path) -> None:
    """0029 copies existing orders' moments to their lines, and sums the hour rows' late deliveries
    into the day rows of the zone the rollups were built in (Asia/Shanghai: local midnight 16:00 UTC)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        seed = Seed(session_factory(engine))
        store, customer = await seed.store(), await seed.customer()
        sku = (await seed.product(prices=(500, 900)))[1][0]
        await seed.order(store, customer, [(sku, 2), (sku, 1)])
        await seed.order(store, customer, [(sku, 1)], status=OrderStatus.PENDING_PAYMENT)
        await asyncio.to_thread(downgrade, url, "0022")  # lines without their copies
        zeros = ", ".join("0" for _ in SUMS)
        hours = [("2026-11-01 15:00", 1, 2), ("2026-11-01 16:00", 1, 3), ("2026-11-01 17:00", 2, 1)]
        days = [(d, s) for d in ("2026-10-31 16:00", "2026-11-01 16:00") for s in (1, 2, ALL_STORES)]
        async with engine.begin() as conn:
            await conn.exec_driver_sql(
                "INSERT INTO metrics_rollup_state (name, zone, version, refreshed_at)"
                " VALUES ('orders', 'Asia/Shanghai', 2, '2026-11-02 00:00:00.000000')"
            )
            for at, store_id, late in hours:
                await conn.exec_driver_sql(
                    f"INSERT INTO metrics_order_hours (bucket_start, store_id, {', '.join(SUMS)},"
                    f" delivery_timeouts) VALUES ('{at}:00.000000', {store_id}, {zeros}, {late})"
                )
            for at, store_id in days:
                await conn.exec_driver_sql(
                    f"INSERT INTO metrics_order_days (day_start, store_id, {', '.join(SUMS)})"
                    f" VALUES ('{at}:00.000000', {store_id}, {zeros})"
                )
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            day = select(OrderDay.day_start, OrderDay.store_id, OrderDay.delivery_timeouts)
            got = await conn.execute(day)
            filled = {(at.strftime("%m-%d %H"), store_id): n for at, store_id, n in got}
        async with session_factory(engine)() as session:
            assert await mismatched_lines(session) == 0
            assert await session.scalar(select(func.count()).where(OrderLine.order_paid_at.is_(None))) == 1
    finally:
        await engine.dispose()
    assert filled == {
        ("10-31 16", 1): 2,
        ("10-31 16", 2): 0,
        ("10-31 16", ALL_STORES): 2,
        ("11-01 16", 1): 3,
        ("11-01 16", 2): 1,
        ("11-01 16", ALL_STORES): 4,
    }
