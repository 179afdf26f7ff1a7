"""A scoped loader's statement kept per scope (loaders/base.py `scope`) reads as one made anew:
each principal sees exactly what its visibility lets it, whatever was read before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bench.generator import generate
from loaders import Loaders
from models.action_log import ActionLog
from models.after_sales.rows import AfterSale
from models.customers.rows import Customer
from models.enums import Role
from models.orders.rows import Order
from models.principals import Principal
from models.reviews import Review
from models.stores.rows import StaffAccount
from services.action_log import log_visibility
from services.reviews import review_visibility
from services.scoping import after_sale_visibility, customer_visibility, order_visibility
from services.staff import staff_visibility
from tests.conftest import Database


async def test_each_principal_sees_its_own_orders_through_the_kept_statement(db: Database) -> None:
    await generate(db.engine, orders=30, seed=3, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    async with db.sessions() as session:
        orders = (await session.execute(select(Order.id, Order.store_id, Order.customer_id))).all()
    ids = [o.id for o in orders]
    stores = sorted({o.store_id for o in orders if o.store_id is not None})
    assert len(stores) >= 2
    principals = [
        Principal(Role.HQ_ADMIN, "hq"),
        Principal(Role.STORE_STAFF, "a", frozenset({stores[0]})),
        Principal(Role.STORE_STAFF, "b", frozenset({stores[1]})),
        Principal(Role.STORE_STAFF, "a", frozenset({stores[0]})),  # equal to the second: its statement
        Principal(Role.STORE_STAFF, "ab", frozenset(stores[:2])),
        Principal(Role.SHOPPER, "c", customer_id=orders[0].customer_id),
        Principal(Role.STORE_STAFF, "none"),
    ]
    seen: list[set[int]] = []
    for _ in range(2):
        for principal in principals:
            found = await Loaders(db.sessions, principal).visible_order.fill(ids)
            async with db.sessions() as session:
                visible = set(
                    (await session.scalars(select(Order.id).where(order_visibility(principal)))).all()
                )
            assert {k for k, row in found.items() if row is not None} == visible, principal
            assert all(row.id == k for k, row in found.items() if row is not None)
            seen.append(visible)
    assert seen[1]
    assert seen[2]
    assert seen[1] != seen[2]
    assert seen[1] == seen[3]


@pytest.mark.parametrize(
    ("name", "entity", "visibility"),
    [
        ("visible_customer", Customer, customer_visibility),
        ("visible_after_sale", AfterSale, after_sale_visibility),
        ("visible_staff_account", StaffAccount, staff_visibility),
        ("visible_review", Review, review_visibility),
        ("visible_action_log", ActionLog, log_visibility),
    ],
)
async def test_every_scoped_loader_reads_what_its_visibility_lets_see(
    db: Database, name: str, entity: type[Any], visibility: Callable[[Principal], Any]
) -> None:
    await generate(db.engine, orders=30, seed=3, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    async with db.sessions() as session:
        orders = (await session.execute(select(Order.store_id, Order.customer_id))).all()
        ids = list((await session.scalars(select(entity.id))).all())
    stores = sorted({o.store_id for o in orders if o.store_id is not None})
    principals = [
        Principal(Role.HQ_ADMIN, "hq"),
        Principal(Role.STORE_STAFF, "a", frozenset({stores[0]})),
        Principal(Role.STORE_STAFF, "b", frozenset({stores[1]})),
        Principal(Role.SHOPPER, "c", customer_id=orders[0].customer_id),
    ]
    for _ in range(2):
        for principal in principals:
            found = await getattr(Loaders(db.sessions, principal), name).fill(ids)
            async with db.sessions() as session:
                visible = set((await session.scalars(select(entity.id).where(visibility(principal)))).all())
            assert {k for k, row in found.items() if row is not None} == visible, principal
