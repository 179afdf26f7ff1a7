"""The demo/benchmark generator: deterministic, and consistent with the schema and the state tables.

Two SQLite files are generated from the same (orders, seed, now) and compared; then one of them
is checked with SQL for the money, shipping, timeline, customer, after-sale and team invariants
that the services rely on.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generator import DatabaseNotEmptyError, GenerationReport, database_is_empty, generate
from bench.generator.coupon_orders import COUPON_ORDERS
from models.after_sales.states import (
    AfterSaleStatus,
)
from models.enums import ActorType
from models.orders.states import TRANSITIONS, OrderAction, OrderStatus
from tests.integration import generated_shop as shop


async def _digest(engine: AsyncEngine) -> str:
    digest = hashlib.sha256()
    for sql in (
        "SELECT * FROM orders ORDER BY id",
        "SELECT * FROM order_lines ORDER BY id",
        "SELECT * FROM order_events ORDER BY id",
        "SELECT * FROM after_sales ORDER BY id",
        "SELECT * FROM customers ORDER BY id",
        "SELECT * FROM visit_events ORDER BY id",
    ):
        for row in await shop.rows(engine, sql):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


async def test_same_input_same_data(generated: tuple[AsyncEngine, GenerationReport], tmp_path: Path) -> None:
    engine, report = generated
    other, other_report = await shop.generate_into(tmp_path / "b.db")
    try:
        assert other_report.rows == report.rows
        assert await _digest(other) == await _digest(engine)
    finally:
        await other.dispose()
    assert report.rows["orders"] == shop.ORDERS + len(COUPON_ORDERS)  # the demo's coupon orders come on top
    assert report.total_rows == sum(report.rows.values())


async def test_refuses_a_database_with_data(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    assert not await database_is_empty(engine)
    with pytest.raises(DatabaseNotEmptyError):
        await generate(engine, orders=10, now=shop.NOW, progress=False)


async def test_every_status_and_after_sale_status_is_present(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, _ = generated
    statuses = {r[0] for r in await shop.rows(engine, "SELECT DISTINCT status FROM orders")}
    assert statuses == {s.value for s in OrderStatus}
    after_sales = {r[0] for r in await shop.rows(engine, "SELECT DISTINCT status FROM after_sales")}
    assert after_sales == {s.value for s in AfterSaleStatus}
    paid_cancelled = await shop.rows(
        engine, "SELECT count(*) FROM orders WHERE status = 'CANCELLED' AND paid_amount > 0"
    )
    unpaid_cancelled = await shop.rows(
        engine, "SELECT count(*) FROM orders WHERE status = 'CANCELLED' AND paid_at IS NULL"
    )
    assert paid_cancelled[0][0] > 0
    assert unpaid_cancelled[0][0] > 0


async def test_money_adds_up(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    rows = await shop.rows(
        engine,
        """
        SELECT o.id, o.status, o.goods_amount, o.goods_original_amount, o.discount_amount, o.delivery_fee,
               o.packaging_fee, o.payable_amount, o.paid_amount, o.refunded_amount, o.paid_at,
               sum(l.paid_amount), sum(l.discount_share), sum(l.refunded_amount),
               sum(l.unit_price * l.quantity),
               sum(CASE WHEN l.is_gift THEN 0 ELSE l.original_price * l.quantity END)
        FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id
        """,
    )
    assert len(rows) == shop.ORDERS + len(COUPON_ORDERS)
    for (oid, status, goods, original, discount, delivery, packaging, payable, paid, refunded, paid_at,
         lines_paid, shares, lines_refunded, lines_goods, lines_original) in rows:  # fmt: skip
        assert lines_paid == goods - discount, oid
        assert (shares, lines_goods, lines_original) == (discount, goods, original), oid
        assert payable == goods - discount + delivery + packaging, oid
        assert paid == (payable if paid_at is not None else 0), oid
        # Everything back on an order that was not completed: the fees are refunded too.
        everything_back = status in ("CANCELLED", "CLOSED") and paid > 0
        fees = delivery + packaging if everything_back else 0
        assert refunded == lines_refunded + fees <= paid, oid
        if everything_back:
            assert refunded == paid, oid
    after_sales = await shop.rows(
        engine,
        """
        SELECT a.order_id, sum(a.refund_amount), sum(p.amount) FROM after_sales a
        JOIN payment_transactions p ON p.after_sale_id = a.id AND p.kind = 'REFUND'
        WHERE a.status = 'REFUNDED' GROUP BY a.order_id
        """,
    )
    refunded_orders = dict(
        await shop.rows(engine, "SELECT id, refunded_amount FROM orders WHERE refunded_amount > 0")
    )
    assert {r[0]: r[1] for r in after_sales} == refunded_orders
    assert all(r[1] == r[2] for r in after_sales)
    bad_lines = await shop.rows(
        engine,
        "SELECT id FROM order_lines WHERE paid_amount != unit_price * quantity - discount_share"
        " OR refunded_amount > paid_amount OR refunded_quantity > quantity",
    )
    assert bad_lines == []


async def test_parcels_cover_what_was_shipped(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    rows = await shop.rows(
        engine,
        """
        SELECT l.id, o.status, o.fulfillment, l.quantity, l.shipped_quantity, l.refunded_quantity,
               (SELECT coalesce(sum(pl.quantity), 0) FROM parcel_lines pl WHERE pl.order_line_id = l.id)
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        """,
    )
    for line_id, status, fulfillment, quantity, shipped, refunded, in_parcels in rows:
        assert in_parcels == shipped, line_id
        if status in ("SHIPPED", "COMPLETED") and fulfillment != "SELF_PICKUP":
            assert quantity - refunded <= shipped <= quantity, line_id
    closed = await shop.rows(
        engine,
        "SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.status = 'CLOSED'"
        " AND l.refunded_quantity < l.quantity",
    )
    assert closed == []
    traces = await shop.rows(
        engine,
        "SELECT p.id, p.latest_state, t.state, t.occurred_at FROM parcels p"
        " JOIN parcel_traces t ON t.parcel_id = p.id ORDER BY p.id, t.occurred_at, t.id",
    )
    last: dict[int, str] = {}
    for parcel_id, latest, state, _ in traces:
        last[parcel_id] = state
        assert latest is not None
    for parcel_id, latest in await shop.rows(engine, "SELECT id, latest_state FROM parcels"):
        assert latest == last.get(parcel_id), parcel_id  # no trace yet: just handed over


async def test_event_timeline_follows_the_state_table(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, _ = generated
    orders = {
        r[0]: r[1:] for r in await shop.rows(engine, "SELECT id, status, version, updated_at FROM orders")
    }
    events: dict[int, list[Any]] = defaultdict(list)
    for row in await shop.rows(
        engine,
        "SELECT order_id, action, from_status, to_status, actor_type, created_at"
        " FROM order_events ORDER BY id",
    ):
        if row[1] is None and row[2] is not None:
            continue  # a note that changes no status (a claim raised): not a step of the table
        events[row[0]].append(row[1:])
    assert set(events) == set(orders)
    for order_id, timeline in events.items():
        status, version, updated_at = orders[order_id]
        first = timeline[0]
        assert first[:3] == (None, None, OrderStatus.PENDING_PAYMENT.value), order_id
        previous, previous_at = first[2], shop.when(first[4])
        for action, from_status, to_status, actor, at in timeline[1:]:
            assert from_status == previous, order_id
            step = TRANSITIONS[(OrderStatus(from_status), OrderAction(action))]
            assert step.to.value == to_status, order_id
            assert ActorType(actor) in step.actors, order_id
            assert shop.when(at) >= previous_at, order_id
            previous, previous_at = to_status, shop.when(at)
        assert previous == status, order_id
        assert version == len(timeline), order_id
        assert previous_at <= shop.when(updated_at) <= shop.NOW, order_id


async def test_customers_first_paid_and_last_order(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    rows = await shop.rows(
        engine,
        """
        SELECT c.id, c.first_paid_at, c.last_order_at, min(o.paid_at), max(o.created_at), c.registered_at,
               min(o.created_at)
        FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id
        """,
    )
    for customer_id, first_paid, last_order, min_paid, max_created, registered, min_created in rows:
        assert first_paid == min_paid, customer_id
        assert last_order == max_created, customer_id
        assert min_created is None or min_created >= registered, customer_id
