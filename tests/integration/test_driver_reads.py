"""Reads through the driver give what SQLAlchemy's own execution gives (services/driver_reads.py).

PostgreSQL only: that is where snapshots are read through asyncpg. The generator fills the
database; then every entity's rows, statements with enum, array and expanding parameters,
counts, failures and the statement counter are compared with the SQLAlchemy path.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.pool import QueuePool

from bench.generator import generate
from models.base import Base
from models.enums import Fulfillment
from models.orders.rows import Order
from models.orders.states import OrderStatus
from services.db import count_statements
from services.driver_reads import driver_rows, one_connection
from services.row_snapshots import read_rows, read_scalar, read_snapshots, snapshot_columns
from tests.conftest import Database

pytestmark = pytest.mark.postgres_only

MAPPERS = sorted(Base.registry.mappers, key=lambda m: m.class_.__name__)


async def _generated(db: Database) -> None:
    await generate(db.engine, orders=40, seed=5, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)


async def test_every_entity_reads_the_same_through_the_driver(db: Database) -> None:
    await _generated(db)
    for mapper in MAPPERS:
        entity = mapper.class_
        stmt = select(*snapshot_columns(entity)).order_by(*mapper.primary_key).limit(60)
        through_sqlalchemy = [tuple(r) for r in await read_rows(db.sessions, stmt)]
        through_driver = [tuple(r) for r in await driver_rows(db.engine, stmt, None)]
        assert through_driver == through_sqlalchemy, entity.__name__
        for a, b in zip(through_driver, through_sqlalchemy, strict=True):
            assert [type(v) for v in a] == [type(v) for v in b], entity.__name__


async def test_parameters_are_bound_as_sqlalchemy_binds_them(db: Database) -> None:
    await _generated(db)
    statements = [
        # an enum compared with a member, an expanding IN of members, a datetime, a LIMIT
        select(*snapshot_columns(Order))
        .where(Order.status.in_([OrderStatus.COMPLETED, OrderStatus.PENDING_PICKUP]))
        .where(Order.fulfillment == Fulfillment.SELF_PICKUP)
        .where(Order.created_at < datetime(2030, 1, 1, tzinfo=UTC))
        .order_by(Order.id.desc())
        .limit(7),
        select(*snapshot_columns(Order)).where(Order.id.in_(bindparam("ids", expanding=True))),
    ]
    for stmt in statements:
        params = {"ids": [3, 1, 2]} if "ids" in str(stmt) else None
        expected = [tuple(r) for r in await read_rows(db.sessions, stmt, params)]
        assert expected, str(stmt)
        assert [tuple(r) for r in await driver_rows(db.engine, stmt, params)] == expected
    # a different IN length is a different SQL text: still right
    assert len(await driver_rows(db.engine, statements[1], {"ids": [1, 2, 3, 4, 5]})) == 5


async def test_snapshots_and_counts_read_through_the_driver_and_are_counted(db: Database) -> None:
    await _generated(db)
    with count_statements() as counter:
        orders = await read_snapshots(db.sessions, Order, select(*snapshot_columns(Order)).order_by(Order.id))
        total = await read_scalar(db.sessions, select(func.count()).select_from(Order))
    assert counter.count == 2
    assert total == len(orders) == 40
    assert orders[0].status in OrderStatus


async def test_a_failing_statement_raises_and_the_pool_serves_the_next_read(db: Database) -> None:
    broken = select(text("1 / 0"))
    with pytest.raises(Exception, match="division by zero"):
        await driver_rows(db.engine, broken, None)
    for _ in range(12):  # more than the pool holds: no connection was left mid-protocol
        assert (await driver_rows(db.engine, select(text("1")), None))[0][0] == 1
    async with db.engine.connect() as conn:  # the SQLAlchemy path shares the pool, unharmed
        assert (await conn.execute(text("select 2"))).scalar() == 2


async def test_one_connection_serves_the_blocks_reads_in_turn(db: Database) -> None:
    """Inside `one_connection` the task's reads share one checked-out connection; a task it starts
    reads on its own; a failed read drops the shared connection and the pool is whole after."""
    await _generated(db)
    checkouts: list[object] = []
    pool = db.engine.sync_engine.pool

    def count(dbapi_connection: object, record: object, proxy: object) -> None:
        checkouts.append(dbapi_connection)

    event.listen(pool, "checkout", count)
    try:
        backend = select(func.pg_backend_pid())
        async with one_connection(db.engine):
            first = await read_scalar(db.sessions, backend)
            second = await read_scalar(db.sessions, backend)
            side = await asyncio.gather(*(read_scalar(db.sessions, backend) for _ in range(3)))
            again = await read_scalar(db.sessions, select(func.count()).select_from(Order))
        assert first == second
        assert again == 40
        assert first not in side  # the gathered tasks took connections of their own
        assert len(checkouts) == 1 + 3
        with pytest.raises(Exception, match="no_such_table"):
            async with one_connection(db.engine):
                await read_scalar(db.sessions, select(text("1")).select_from(text("no_such_table")))
        assert isinstance(pool, QueuePool)
        assert pool.checkedout() == 0
        assert await read_scalar(db.sessions, select(func.count()).select_from(Order)) == 40
    finally:
        event.remove(pool, "checkout", count)
