"""The money state machine's world (a migrated, seeded SQLite file each example starts from a
copy of) and the invariants it checks after every step, from the database: refunds never exceed
what was paid (per line and per order), statuses agree with quantities, money in = money out +
money kept, the gateway returned exactly the confirmed refunds, exchanges never move money, every
pending escalation is the one of an ESCALATED after-sale, and order lines carry their order's
moments. The rules are in test_money_state_machine.py.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis.stateful import RuleBasedStateMachine, invariant
from sqlalchemy import select

from models.after_sales.escalation_rules import EscalationState
from models.after_sales.rows import AfterSale, AfterSaleEscalation
from models.after_sales.states import AfterSaleStatus, AfterSaleType
from models.catalog.rows import Sku
from models.deliveries.stages import STAGE_STATUS, DeliveryStage
from models.enums import Fulfillment, PaymentKind, PaymentStatus, Role
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order, OrderLine
from models.orders.states import FINAL_STATUSES, PAID_NON_FINAL_STATUSES, OrderStatus
from models.payments import PaymentTransaction
from models.principals import SYSTEM, SYSTEM_PRINCIPAL, Principal
from models.stores.rows import Store
from services.commands import Deps, Result, Work, run_command
from services.config import RulesConfig
from services.db import create_engine, session_factory
from services.migrations import upgrade
from services.payments import DevPaymentGateway
from tests.factories import Seed
from tests.integration.test_line_moments import mismatched_lines

EXPECTED_REFUSALS = {
    ErrorCode.INVALID_TRANSITION,
    ErrorCode.REFUND_EXCEEDS_QUANTITY,
    ErrorCode.REFUND_EXCEEDS_PAID,
    ErrorCode.LINE_HAS_OPEN_AFTER_SALE,
    ErrorCode.SHIPMENT_EXCEEDS_QUANTITY,
    ErrorCode.BAD_USER_INPUT,
    ErrorCode.FORBIDDEN,
    ErrorCode.EXCHANGE_EXCEEDS_QUANTITY,
    ErrorCode.ESCALATION_NOT_DUE,
}


@dataclass(frozen=True)
class World:
    """A migrated SQLite database with two stores, a buyer and two SKUs listed in both."""

    path: Path
    store: Store
    other: Store
    customer_id: int
    skus: list[Sku]


@functools.cache
def world() -> World:
    """Made once per process: every example starts from a copy of its file, the same database a
    fresh migration and seeding would give (the migrations cost far more than the example)."""
    directory = tempfile.mkdtemp(prefix="money-world-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = Path(directory) / "world.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)

    async def seeded() -> World:
        engine = create_engine(url)
        try:
            seed = Seed(session_factory(engine))
            store = await seed.store("SM1", supports_express=True)
            other = await seed.store("SM2", supports_express=True)
            customer = await seed.customer("13500001111")
            _, skus = await seed.product("测试商品", prices=(999, 1999))
            for shop in (store, other):
                for sku in skus:
                    await seed.listing(shop, sku, stock=10_000)
        finally:
            await engine.dispose()
        return World(path, store, other, customer.id, skus)

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(seeded())
    finally:
        loop.close()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its write-ahead log included)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class MoneyWorld(RuleBasedStateMachine):
    """A copy of the world per example, the principals acting in it, and the invariants."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.TemporaryDirectory()
        start = world()
        path = Path(self.dir.name) / "m.db"
        copy_database(start.path, path)
        self.engine = create_engine(f"sqlite+aiosqlite:///{path}")
        self.sessions = session_factory(self.engine)
        self.gateway = DevPaymentGateway()
        # A zero review SLA: the buyer may escalate any request still in review.
        self.deps = Deps(self.sessions, self.gateway, RulesConfig(after_sale_review_sla=timedelta(0)))
        self.store, self.other, self.skus = start.store, start.other, start.skus
        self.buyer = Principal(Role.SHOPPER, "buyer", customer_id=start.customer_id)
        self.staff = Principal(Role.STORE_STAFF, "staff", store_ids=frozenset({self.store.id, self.other.id}))
        self.hq = Principal(Role.HQ_ADMIN, "hq")
        self.system = SYSTEM_PRINCIPAL

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def act(self, principal: Principal, use_case: Callable[[Work], Awaitable[Result]]) -> Result | None:
        actor = SYSTEM if principal is SYSTEM_PRINCIPAL else None
        try:
            return self.run(run_command(self.deps, principal, "step", use_case, actor=actor))  # type: ignore[no-any-return]
        except DomainError as refusal:
            if refusal.code not in EXPECTED_REFUSALS:
                raise AssertionError(f"unexpected refusal {refusal!r}") from refusal
            return None

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()
        self.dir.cleanup()

    # --- helpers and invariants ----------------------------------------------------------------

    def _order(self, order_id: int) -> Order:
        async def load() -> Order:
            async with self.sessions() as s:
                found = await s.get(Order, order_id)
            assert found is not None
            return found

        return self.run(load())  # type: ignore[no-any-return]

    def _lines(self, order_id: int) -> list[OrderLine]:
        async def load() -> list[OrderLine]:
            async with self.sessions() as s:
                stmt = select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
                return list((await s.scalars(stmt)).all())

        return self.run(load())  # type: ignore[no-any-return]

    @invariant()
    def exchanges_move_no_money_and_escalations_match(self) -> None:
        async def check() -> None:
            async with self.sessions() as s:
                sales = {a.id: a for a in (await s.scalars(select(AfterSale))).all()}
                escalated = (await s.scalars(select(AfterSaleEscalation))).all()
                paid_sales = set(
                    (
                        await s.scalars(
                            select(PaymentTransaction.after_sale_id).where(
                                PaymentTransaction.after_sale_id.is_not(None)
                            )
                        )
                    ).all()
                )
            for a in sales.values():
                if a.type is AfterSaleType.EXCHANGE:
                    assert a.refund_amount == 0
                    assert a.id not in paid_sales
            for e in escalated:
                status = sales[e.after_sale_id].status
                assert (e.state is EscalationState.PENDING) == (status is AfterSaleStatus.ESCALATED)
                if e.state is EscalationState.STORE_SUPPORTED:
                    assert status is AfterSaleStatus.CLOSED
                if (
                    e.state is EscalationState.BUYER_SUPPORTED
                    and e.from_status is AfterSaleStatus.RECEIPT_REJECTED
                ):
                    # the refused goods count as received: a return is refunded, an exchange reships
                    assert status in (
                        AfterSaleStatus.REFUNDED,
                        AfterSaleStatus.AWAITING_RESHIP,
                        AfterSaleStatus.RESHIPPED,
                        AfterSaleStatus.EXCHANGED,
                    )
                    assert (status is AfterSaleStatus.REFUNDED) == (e.after_sale_id in paid_sales)
            assert len({e.after_sale_id for e in escalated}) == len(escalated)

        self.run(check())

    @invariant()
    def lines_carry_their_orders_moments(self) -> None:
        async def check() -> int:
            async with self.sessions() as s:
                return await mismatched_lines(s)

        assert self.run(check()) == 0

    @invariant()
    def money_is_conserved(self) -> None:
        async def check() -> None:
            async with self.sessions() as s:
                orders = (await s.scalars(select(Order))).all()
                lines = (await s.scalars(select(OrderLine))).all()
                txs = (await s.scalars(select(PaymentTransaction))).all()
            by_order: dict[int, list[OrderLine]] = {}
            for line in lines:
                assert 0 <= line.refunded_quantity <= line.quantity
                assert 0 <= line.refunded_amount <= line.paid_amount
                assert 0 <= line.shipped_quantity <= line.quantity
                by_order.setdefault(line.order_id, []).append(line)
            for order in orders:
                mine = by_order[order.id]
                assert 0 <= order.refunded_amount <= order.paid_amount
                assert sum(line.refunded_amount for line in mine) <= order.refunded_amount
                all_back = all(line.refunded_quantity == line.quantity for line in mine)
                if order.status is OrderStatus.CLOSED:
                    assert all_back
                if order.status in PAID_NON_FINAL_STATUSES:
                    assert not all_back, f"order {order.id} fully refunded but {order.status}"
                if order.status is OrderStatus.SHIPPED:
                    assert all(
                        line.shipped_quantity + line.refunded_quantity >= line.quantity for line in mine
                    )
                if order.delivery_stage is not None:
                    assert order.fulfillment is Fulfillment.STORE_DELIVERY
                    if order.status not in FINAL_STATUSES:
                        assert STAGE_STATUS[order.delivery_stage] is order.status
                    assert (order.delivered_at is not None) == (
                        order.delivery_stage is DeliveryStage.DELIVERED
                    )
                if order.status is OrderStatus.CANCELLED and order.paid_amount:
                    assert order.refunded_amount == order.paid_amount
                pays = sum(
                    t.amount
                    for t in txs
                    if t.order_id == order.id
                    and t.kind is PaymentKind.PAY
                    and t.status is PaymentStatus.SUCCEEDED
                )
                refunds = sum(
                    t.amount for t in txs if t.order_id == order.id and t.kind is PaymentKind.REFUND
                )
                assert pays == order.paid_amount
                assert refunds == order.refunded_amount  # money out (sent or queued) = what the order says
            money_in = sum(
                t.amount for t in txs if t.kind is PaymentKind.PAY and t.status is PaymentStatus.SUCCEEDED
            )
            money_out = sum(t.amount for t in txs if t.kind is PaymentKind.REFUND)
            kept = sum(o.paid_amount - o.refunded_amount for o in orders)
            assert money_in == money_out + kept
            confirmed = sum(
                t.amount for t in txs if t.kind is PaymentKind.REFUND and t.status is PaymentStatus.SUCCEEDED
            )
            assert self.gateway.refunded_total() == confirmed

        self.run(check())
