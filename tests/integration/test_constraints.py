"""The refund invariants of SPEC §4 hold in the database itself, even if a service check is bypassed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, StatementError

from models.after_sales.rows import AfterSale, AfterSaleLine
from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.orders.rows import Order, OrderLine
from services.db import unit_of_work
from tests.conftest import Database
from tests.factories import T0, Seed


async def _line(db: Database) -> tuple[Order, OrderLine]:
    seed = Seed(db.sessions)
    store = await seed.store()
    customer = await seed.customer()
    _, skus = await seed.product(prices=(1000,))
    order = await seed.order(store, customer, [(skus[0], 2)])
    async with db.sessions() as s:
        line = (await s.scalars(select(OrderLine).where(OrderLine.order_id == order.id))).one()
    return order, line


async def _violates(db: Database, stmt: object) -> None:
    with pytest.raises(IntegrityError):
        async with unit_of_work(db.sessions) as s:
            await s.execute(stmt)  # type: ignore[call-overload]


async def test_line_refunds_cannot_exceed_quantity_or_paid(db: Database) -> None:
    _, line = await _line(db)
    await _violates(db, update(OrderLine).where(OrderLine.id == line.id).values(refunded_quantity=3))
    await _violates(db, update(OrderLine).where(OrderLine.id == line.id).values(refunded_amount=2001))
    await _violates(db, update(OrderLine).where(OrderLine.id == line.id).values(shipped_quantity=3))
    async with unit_of_work(db.sessions) as s:  # exactly at the limit is fine
        await s.execute(
            update(OrderLine).where(OrderLine.id == line.id).values(refunded_quantity=2, refunded_amount=2000)
        )


async def test_order_refund_cannot_exceed_paid(db: Database) -> None:
    order, _ = await _line(db)
    await _violates(
        db, update(Order).where(Order.id == order.id).values(refunded_amount=order.paid_amount + 1)
    )
    await _violates(
        db, update(Order).where(Order.id == order.id).values(paid_amount=order.payable_amount + 1)
    )


async def test_at_most_one_open_after_sale_per_line(db: Database) -> None:
    order, line = await _line(db)

    def after_sale(no: str, status: AfterSaleStatus) -> AfterSale:
        return AfterSale(
            after_sale_no=no,
            order_id=order.id,
            store_id=order.store_id,
            customer_id=order.customer_id,
            type=AfterSaleType.REFUND_ONLY,
            initiator=AfterSaleInitiator.BUYER,
            status=status,
            reason="不想要了",
            refund_amount=1000,
        )

    async with unit_of_work(db.sessions) as s:
        closed, first = (
            after_sale("AS1", AfterSaleStatus.REJECTED),
            after_sale("AS2", AfterSaleStatus.PENDING_REVIEW),
        )
        s.add_all([closed, first])
        await s.flush()
        s.add_all(
            [
                AfterSaleLine(
                    after_sale_id=closed.id, order_line_id=line.id, quantity=1, amount=1000, is_open=False
                ),
                AfterSaleLine(
                    after_sale_id=first.id, order_line_id=line.id, quantity=1, amount=1000, is_open=True
                ),
            ]
        )

    async def open_second() -> None:
        async with unit_of_work(db.sessions) as s:
            second = after_sale("AS3", AfterSaleStatus.PENDING_REVIEW)
            s.add(second)
            await s.flush()
            s.add(
                AfterSaleLine(
                    after_sale_id=second.id, order_line_id=line.id, quantity=1, amount=1000, is_open=True
                )
            )

    with pytest.raises(IntegrityError):
        await open_second()


async def test_enum_columns_reject_unknown_values(db: Database) -> None:
    order, _ = await _line(db)
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(
                text("UPDATE orders SET status = 'TELEPORTED' WHERE id = :id"), {"id": order.id}
            )


async def test_naive_datetimes_are_refused(db: Database) -> None:
    order, _ = await _line(db)
    with pytest.raises(StatementError, match="naive datetime"):
        async with unit_of_work(db.sessions) as s:
            await s.execute(update(Order).where(Order.id == order.id).values(paid_at=datetime(2026, 1, 1)))


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    order, _ = await _line(db)
    async with db.sessions() as s:
        loaded = await s.get(Order, order.id)
    assert loaded is not None
    assert loaded.created_at == T0
    assert loaded.created_at.utcoffset() is not None
