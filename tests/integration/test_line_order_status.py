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
from sqlalchemy import delete, func, insert, or_, select, text, update

from models.orders.rows import Order, OrderConsigneeName, OrderLine
from models.orders.states import OrderStatus
from services.db import unit_of_work
from services.orders.search_copies import CopyDrift, copy_drift, repair_copies
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


async def test_copies_bypassed_are_found_and_repaired(db: Database) -> None:
    """What `mallgraph recount-orders [--repair]` does after the copies went astray."""
    await _world(Seed(db.sessions))
    assert not await copy_drift(db.sessions)
    async with unit_of_work(db.sessions) as session:  # as a restore with the triggers off would leave it
        if db.dialect == "postgresql":
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            triggers: list[str] = []
        else:  # SQLite: the lines' triggers dropped and made again in the same transaction
            found = await session.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'order_lines'"
                )
            )
            triggers = [sql for name, sql in found.all() if name.startswith("order_lines_moments")]
            for name in ("order_lines_moments", "order_lines_moments_kept"):
                await session.execute(text(f"DROP TRIGGER {name}"))
        await session.execute(update(OrderLine).where(OrderLine.order_id <= 2).values(order_status="CLOSED"))
        for sql in triggers:
            await session.execute(text(sql))
        await session.execute(delete(OrderConsigneeName).where(OrderConsigneeName.consignee_name == "王1"))
    async with db.sessions() as session:
        lines = await session.scalar(select(func.count()).where(OrderLine.order_id <= 2))
    assert await copy_drift(db.sessions) == CopyDrift(int(lines or 0), 1)
    await repair_copies(db.sessions)
    assert not await copy_drift(db.sessions)
