"""`fill_joined` fills each loader with what its own batch would load (loaders/joined.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bench.generator import generate
from loaders import Loaders
from loaders.joined import fill_joined, read_joined_page
from models.catalog.rows import Sku
from models.enums import Role
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from services.db import count_statements
from services.orders.sorting import ORDERS_NEWEST_FIRST
from services.pagination import PageRequest, paginate
from tests.conftest import Database

HQ = Principal(Role.HQ_ADMIN, "hq")
NARROW = {
    "store": frozenset({"name"}),
    "customer": None,
    "lines_by_order": frozenset({"quantity", "sku_id"}),
    "sku": frozenset({"sku_code", "product_id"}),
    "product": frozenset({"name"}),
}


def _loaders(db: Database) -> tuple[Loaders, dict[str, Any]]:
    loaders = Loaders(db.sessions, HQ)
    return loaders, {name: loaders.narrowed(name, columns) for name, columns in NARROW.items()}


async def test_each_loader_holds_what_its_own_batch_loads(db: Database) -> None:
    await generate(db.engine, orders=30, seed=3, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    async with db.sessions() as session:
        order_ids = list((await session.scalars(select(Order.id).order_by(Order.id))).all())
    lineless = None
    for order_id in order_ids:  # an order without lines: the first whose lines nothing refers to
        try:
            async with db.engine.begin() as conn:
                await conn.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
        except IntegrityError:
            continue
        lineless = order_id
        break
    assert lineless is not None
    _, joined = _loaders(db)
    _, own = _loaders(db)
    held = object()
    joined["store"].values[-1] = held  # a key held already keeps its value
    with count_statements() as counter:
        await fill_joined(
            db.sessions,
            Order.id,
            [*order_ids, 10**9],  # an id without an order fills nothing
            (joined["store"], Order.store_id),
            (joined["customer"], Order.customer_id),
            (joined["lines_by_order"], Order.id),
            (joined["sku"], OrderLine.sku_id),
            (joined["product"], Sku.product_id),
        )
    assert counter.count == 1
    assert joined["store"].values.pop(-1) is held
    assert 10**9 not in joined["lines_by_order"].values
    assert joined["lines_by_order"].values[lineless] == []
    expected = await own["lines_by_order"].fill(order_ids)
    assert joined["lines_by_order"].values == expected
    lines = [line for per_order in expected.values() for line in per_order]
    for name, keys in (
        ("store", {o.store_id for o in await _orders(db, order_ids)}),
        ("customer", {o.customer_id for o in await _orders(db, order_ids)} - {None}),
        ("sku", {line.sku_id for line in lines} - {None}),
    ):
        assert joined[name].values == await own[name].fill(keys), name
        for key, row in joined[name].values.items():
            assert type(row) is type(own[name].values[key]), name
    skus = own["sku"].values.values()
    assert joined["product"].values == await own["product"].fill({s.product_id for s in skus})


async def _orders(db: Database, ids: list[int]) -> list[Any]:
    async with db.sessions() as session:
        return list(
            (await session.execute(select(Order.store_id, Order.customer_id).where(Order.id.in_(ids)))).all()
        )


async def test_scoped_and_second_list_loaders_are_refused(db: Database) -> None:
    loaders, narrowed = _loaders(db)
    with pytest.raises(ValueError, match="unscoped"):
        await fill_joined(db.sessions, Order.id, [1], (loaders.visible_customer, Order.customer_id))
    with pytest.raises(ValueError, match="one list"):
        await fill_joined(
            db.sessions,
            Order.id,
            [1],
            (narrowed["lines_by_order"], Order.id),
            (Loaders(db.sessions, HQ).narrowed("lines_by_order", None), Order.id),
        )


@pytest.mark.parametrize("columns", [None, frozenset({"order_no"})])
@pytest.mark.parametrize("backward", [False, True])
async def test_a_joined_page_is_the_page_and_fills_what_its_rows_need(
    db: Database, columns: frozenset[str] | None, backward: bool
) -> None:
    """`read_joined_page`: the same page as a plain read (order, columns, next page), and each
    loader filled for the page's shown rows as by its own batch; the extra row fills nothing. With
    `columns` the page lacks the keys its relations hang on (they are read beside it)."""
    await generate(db.engine, orders=30, seed=5, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    async with db.sessions() as session:
        order_ids = list((await session.scalars(select(Order.id).order_by(Order.id))).all())
    for order_id in order_ids[::3]:  # orders without lines
        try:
            async with db.engine.begin() as conn:
                await conn.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
        except IntegrityError:
            continue
    request = PageRequest(last=7) if backward else PageRequest(first=7)
    _, joined = _loaders(db)
    _, own = _loaders(db)
    joins = [
        (joined["store"], Order.store_id),
        (joined["customer"], Order.customer_id),
        (joined["lines_by_order"], Order.id),
        (joined["sku"], OrderLine.sku_id),
        (joined["product"], Sku.product_id),
    ]
    base = select(Order)
    with count_statements() as counter:
        page = await paginate(
            db.sessions, base, ORDERS_NEWEST_FIRST, request, columns=columns, lasting_base=True,
            read=partial(read_joined_page, db.sessions, joins),
        )  # fmt: skip
    assert counter.count == 1
    plain = await paginate(db.sessions, base, ORDERS_NEWEST_FIRST, request, columns=columns)
    assert page.rows == plain.rows
    assert [type(r) for r in page.rows] == [type(r) for r in plain.rows]
    assert (page.has_next_page, page.has_previous_page) == (plain.has_next_page, plain.has_previous_page)
    everything = await paginate(db.sessions, base, ORDERS_NEWEST_FIRST, PageRequest(first=30))
    ids = [o.id for o in everything.rows]
    shown, extra = (ids[-7:], ids[-8]) if backward else (ids[:7], ids[7])
    assert set(joined["lines_by_order"].values) == set(shown)
    assert extra not in joined["lines_by_order"].values
    expected = await own["lines_by_order"].fill(shown)
    assert joined["lines_by_order"].values == expected
    rows = {o.id: o for o in everything.rows}
    lines = [line for per_order in expected.values() for line in per_order]
    for name, keys in (
        ("store", {rows[i].store_id for i in shown}),
        ("customer", {rows[i].customer_id for i in shown} - {None}),
        ("sku", {line.sku_id for line in lines} - {None}),
    ):
        assert joined[name].values == await own[name].fill(keys), name
    skus = own["sku"].values.values()
    assert joined["product"].values == await own["product"].fill({s.product_id for s in skus})


async def test_beside_loaders_hold_what_their_own_batches_load(db: Database) -> None:
    """`beside`: the root's own lists read in the same statement (one `UNION ALL` branch each), each
    filled for the roots met as its own batch fills it (empty lists included); a root key without a
    row fills nothing and a held key keeps its value. With joins or without any."""
    await generate(db.engine, orders=30, seed=3, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    async with db.sessions() as session:
        order_ids = list((await session.scalars(select(Order.id).order_by(Order.id))).all())
    names = ("parcels_by_order", "events_by_order", "after_sales_by_order")
    for with_joins in (True, False):
        loaders, joined = _loaders(db)
        own = Loaders(db.sessions, HQ)
        beside = [getattr(loaders, name) for name in names]
        held: list[Any] = []
        beside[1].values[order_ids[0]] = held
        joins = (
            [(joined["store"], Order.store_id), (joined["lines_by_order"], Order.id)] if with_joins else []
        )
        with count_statements() as counter:
            await fill_joined(db.sessions, Order.id, [*order_ids, 10**9], *joins, beside=beside)
        assert counter.count == 1
        assert beside[1].values.pop(order_ids[0]) is held
        for name, loader in zip(names, beside, strict=True):
            assert 10**9 not in loader.values, name
            expected = await getattr(own, name).fill(order_ids)
            if name == "events_by_order":
                del expected[order_ids[0]]
            assert loader.values == expected, name
            for key, rows in loader.values.items():
                assert [type(r) for r in rows] == [type(r) for r in expected[key]], name
        assert any(loader.values[key] == [] for loader in beside for key in order_ids)
        assert all(any(loader.values.values()) for loader in beside)
        if with_joins:
            assert joined["lines_by_order"].values == await own.narrowed(
                "lines_by_order", NARROW["lines_by_order"]
            ).fill(order_ids)
