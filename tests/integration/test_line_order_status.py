"""Order lines carry their order's status whatever writes it (the triggers of migration 0039).

Random sequences of writes — a status set on the ORM object (what `transition_order` does), bulk
UPDATEs of several orders (with and without their moments), lines added to an order, moved to
another, or given a status of their own, orders renamed — on SQLite and PostgreSQL; after each, every
line's `order_status` is its order's status and every consignee name is in the dictionary.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, or_, select, update

from models.orders.rows import Order, OrderConsigneeName, OrderLine
from models.orders.states import OrderStatus
from services.db import unit_of_work
from tests.conftest import Database
from tests.factories import T0, Seed

KINDS = ["orm", "bulk", "bulk_paid", "add_line", "move_line", "write_line", "rename"]


async def _world(seed: Seed) -> None:
    store = await seed.store()
    _, skus = await seed.product(prices=(500, 900))
    customer = await seed.customer(phone="13900001234")
    for n in range(6):
        await seed.order(store, customer, [(skus[n % len(skus)], 1)] * (n % 3 + 1), consignee_name=f"王{n}")


async def _step(session: Any, kind: str, k: int, status: OrderStatus) -> None:
    ids = list((await session.scalars(select(Order.id).order_by(Order.id))).all())
    lines = list((await session.scalars(select(OrderLine.id).order_by(OrderLine.id))).all())
    target = ids[k % len(ids)]
    if kind == "orm":
        order = await session.get(Order, target)
        order.status = status
    elif kind in ("bulk", "bulk_paid"):
        moments = {"paid_at": T0} if kind == "bulk_paid" else {}
        await session.execute(update(Order).where(Order.id >= target).values(status=status, **moments))
    elif kind == "add_line":
        columns = [c for c in OrderLine.__table__.columns if c.key != "id"]
        row = (await session.execute(select(*columns).where(OrderLine.id == lines[k % len(lines)]))).one()
        copied = {**row._asdict(), "order_id": target, "order_status": None}
        await session.execute(insert(OrderLine).values(copied))
    elif kind == "move_line":
        await session.execute(
            update(OrderLine).where(OrderLine.id == lines[k % len(lines)]).values(order_id=target)
        )
    elif kind == "write_line":
        stale = update(OrderLine).where(OrderLine.order_id == target).values(order_status=status.value)
        await session.execute(stale)
    else:
        await session.execute(update(Order).where(Order.id == target).values(consignee_name=f"李{k}"))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 7), st.sampled_from(list(OrderStatus))),
        min_size=1,
        max_size=8,
    )
)
async def test_lines_follow_their_orders_status(
    db: Database, steps: list[tuple[str, int, OrderStatus]]
) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:  # examples share one world
            await _world(Seed(db.sessions))
    for kind, k, status in steps:
        async with unit_of_work(db.sessions) as session:
            await _step(session, kind, k, status)
        async with db.sessions() as session:
            apart = await session.scalar(
                select(func.count())
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .where(or_(OrderLine.order_status.is_(None), OrderLine.order_status != Order.status))
            )
            names = set((await session.scalars(select(Order.consignee_name))).all())
            known = set((await session.scalars(select(OrderConsigneeName.consignee_name))).all())
        assert apart == 0, (kind, k, status)
        assert names <= known, (kind, k)
