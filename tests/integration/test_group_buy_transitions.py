"""The team transitions of SPEC §3 (待成团 → 待接单 / 已取消 + full refund), applied as the sweeps will.

Group-buy orders are opened and joined by the campaign mutations; until then these transitions are
exercised through the same service the team sweep calls, on both databases.
"""

from __future__ import annotations

from sqlalchemy import select, update

from models.catalog.rows import StoreSku
from models.enums import OrderType, PaymentKind, PaymentStatus
from models.orders.rows import Order, OrderEvent
from models.orders.states import OrderAction, OrderStatus
from models.payments import PaymentTransaction
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.commands import Deps, Work, run_command
from services.orders.lifecycle import apply_system_action
from services.payments import DevPaymentGateway
from tests.conftest import Database
from tests.factories import Seed


async def _awaiting_group(db: Database, stock_left: int = 8) -> tuple[Order, StoreSku]:
    seed = Seed(db.sessions)
    store, customer = await seed.store(), await seed.customer()
    _, skus = await seed.product(prices=(990,))
    listing = await seed.listing(store, skus[0], stock=stock_left)
    order = await seed.order(store, customer, [(skus[0], 2)], status=OrderStatus.AWAITING_GROUP)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Order).where(Order.id == order.id).values(type=OrderType.GROUP_BUY))
    return order, listing


async def _system(db: Database, gateway: DevPaymentGateway, order_id: int, action: OrderAction) -> bool:
    async def use_case(work: Work) -> dict[str, object]:
        return {"moved": await apply_system_action(work, order_id, action)}

    result = await run_command(Deps(db.sessions, gateway), SYSTEM_PRINCIPAL, "sweep", use_case, actor=SYSTEM)
    return bool(result["moved"])


async def test_team_success_sends_the_order_to_the_store(db: Database) -> None:
    order, _ = await _awaiting_group(db)
    gateway = DevPaymentGateway()
    assert await _system(db, gateway, order.id, OrderAction.TEAM_SUCCEEDED) is True
    assert (
        await _system(db, gateway, order.id, OrderAction.TEAM_SUCCEEDED) is False
    )  # a second sweeper: no-op
    async with db.sessions() as s:
        stored = await s.get(Order, order.id)
        events = select(OrderEvent.action).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        actions = (await s.scalars(events)).all()
    assert stored is not None
    assert stored.status is OrderStatus.PENDING_ACCEPTANCE
    assert stored.grouped_at is not None
    assert actions[-1] is OrderAction.TEAM_SUCCEEDED


async def test_team_failure_cancels_refunds_once_and_restocks(db: Database) -> None:
    order, listing = await _awaiting_group(db)
    gateway = DevPaymentGateway()
    assert await _system(db, gateway, order.id, OrderAction.TEAM_FAILED) is True
    assert await _system(db, gateway, order.id, OrderAction.TEAM_FAILED) is False
    async with db.sessions() as s:
        stored = await s.get(Order, order.id)
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
        stock = await s.scalar(select(StoreSku.stock).where(StoreSku.id == listing.id))
    assert stored is not None
    assert stored.status is OrderStatus.CANCELLED
    assert stored.refunded_amount == stored.paid_amount
    assert [(r.amount, r.status) for r in refunds] == [(stored.paid_amount, PaymentStatus.SUCCEEDED)]
    assert gateway.refunded_total() == stored.paid_amount
    assert stock == 8 + 2
