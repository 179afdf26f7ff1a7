"""Background sweeps move orders the way people would have, exactly once, and money follows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from models.base import utcnow
from models.catalog.rows import StoreSku
from models.enums import PaymentKind, PaymentStatus
from models.payments import PaymentTransaction
from models.stores.rows import Store
from services.commands import Deps
from services.orders.payments import confirm_payment
from services.sweeps import run_sweeps
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PAY, PLACE, SHIP, key, ok, open_shop, place_and_pay, refused
from tests.conftest import Database
from tests.factories import Seed

ORDER = "query($id: ID!) { node(id: $id) { ... on Order { status version events { action actorType } } } }"


def _deps(api: Api, db: Database) -> Deps:
    return Deps(db.sessions, api.gateway)


async def _status(api: Api, order_id: str) -> str:
    return str((await api.as_hq().execute(ORDER, id=order_id)).data["node"]["status"])


async def test_unpaid_orders_time_out_and_give_stock_back(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = ok(await api.as_shopper(shop.customer_id).execute(PLACE, input=shop.order_input()), "placeOrder")
    report = await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=29))
    assert report.payment_timeouts == 0
    report = await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=31))
    assert report.payment_timeouts == 1
    assert await _status(api, order["id"]) == "CANCELLED"
    async with db.sessions() as s:
        assert (
            await s.scalar(
                select(StoreSku.stock).where(StoreSku.sku_id == shop.apple.id, StoreSku.store_id == shop.a.id)
            )
            == 10
        )
    # paying after the window is refused up front
    r = await api.as_shopper(shop.customer_id).execute(
        PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    )
    assert refused(r, "payOrder") == ["INVALID_TRANSITION"]


async def test_money_arriving_for_a_cancelled_order_goes_back(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")
    api.gateway.fail_next = 1  # the buyer paid, but the gateway's notification is late
    r = await shopper.execute(
        PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    )
    assert r.data["payOrder"]["order"]["status"] == "PENDING_PAYMENT"
    await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=31))
    assert await _status(api, order["id"]) == "CANCELLED"
    async with db.sessions() as s:
        pay = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.PAY))
        ).one()
    await confirm_payment(_deps(api, db), pay.transaction_no, "late-ref")
    await confirm_payment(_deps(api, db), pay.transaction_no, "late-ref")  # notifications repeat
    async with db.sessions() as s:
        rows = (await s.scalars(select(PaymentTransaction).order_by(PaymentTransaction.id))).all()
    assert [(t.kind, t.status, t.amount) for t in rows] == [
        (PaymentKind.PAY, PaymentStatus.SUCCEEDED, 3600),
        (PaymentKind.REFUND, PaymentStatus.SUCCEEDED, 3600),
    ]
    assert await _status(api, order["id"]) == "CANCELLED"


async def test_acceptance_timeout_and_auto_accept(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    slow = await place_and_pay(api, shop)
    report = await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=16))
    assert report.acceptance_timeouts == 1
    assert await _status(api, slow["id"]) == "PENDING_ALLOCATION"
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(auto_accept=True))
    fast = await place_and_pay(api, shop)
    assert fast["status"] == "PENDING_SHIPMENT"  # accepted by the system at payment
    events = (await api.as_hq().execute(ORDER, id=fast["id"])).data["node"]["events"]
    assert events[-1] == {"action": "ACCEPT_SHIP", "actorType": "SYSTEM"}


async def test_shipped_orders_complete_after_the_configured_days(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    staff = api.as_staff(shop.a.id)
    accepted = ok(await staff.execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    parcel = {
        "carrier": "门店配送",
        "trackingNo": "D1",
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 2}],
    }
    ok(await staff.execute(SHIP, input={"orderId": paid["id"], "parcels": [parcel]}), "shipOrder")
    assert (await run_sweeps(_deps(api, db), utcnow() + timedelta(days=6))).auto_completed == 0
    assert (await run_sweeps(_deps(api, db), utcnow() + timedelta(days=7, minutes=1))).auto_completed == 1
    assert await _status(api, paid["id"]) == "COMPLETED"


async def test_two_sweepers_at_once_move_each_order_once(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=100)
    shopper = api.as_shopper(shop.customer_id)
    ids = [ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")["id"] for _ in range(6)]
    later = utcnow() + timedelta(hours=1)
    reports = await asyncio.gather(run_sweeps(_deps(api, db), later), run_sweeps(_deps(api, db), later))
    assert sum(r.payment_timeouts for r in reports) == 6
    for order_id in ids:
        events = (await api.as_hq().execute(ORDER, id=order_id)).data["node"]["events"]
        assert [e["action"] for e in events] == [None, "PAYMENT_TIMEOUT"]
    async with db.sessions() as s:
        assert (
            await s.scalar(
                select(StoreSku.stock).where(StoreSku.sku_id == shop.apple.id, StoreSku.store_id == shop.a.id)
            )
            == 100
        )


async def test_a_refund_the_gateway_fails_is_retried_with_the_same_number(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    api.gateway.fail_next = 1
    r = await api.as_shopper(shop.customer_id).execute(
        """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) {
            order { status refundedAmount { cents } } userErrors { code } } }""",
        input={"orderId": paid["id"], "reason": "不要了", "idempotencyKey": key()},
    )
    assert r.data["cancelOrder"] == {
        "order": {"status": "CANCELLED", "refundedAmount": {"cents": 3600}},
        "userErrors": [],
    }
    async with db.sessions() as s:
        refund = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).one()
    assert refund.status is PaymentStatus.PENDING
    assert refund.attempts == 1
    assert refund.last_error == "simulated gateway outage"
    assert (await run_sweeps(_deps(api, db), utcnow())).refunds_retried == 0  # not before its retry time
    assert (await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=1))).refunds_retried == 1
    assert (await run_sweeps(_deps(api, db), utcnow() + timedelta(minutes=2))).refunds_retried == 0
    refund_calls = [c for c in api.gateway.calls if c[0] == "refund"]
    assert refund_calls == [("refund", refund.transaction_no, 3600)] * 2
    assert api.gateway.refunded_total() == 3600


async def test_two_sweepers_retry_each_failed_refund_once(api: Api, seed: Seed, db: Database) -> None:
    """The retry claims its refunds under a lease: a second sweeper does not call the gateway too."""
    shop = await open_shop(seed, stock=50)
    cancel = """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { userErrors { code } } }"""
    for _ in range(4):
        paid = await place_and_pay(api, shop)
        api.gateway.fail_next = 1
        r = await api.as_shopper(shop.customer_id).execute(
            cancel, input={"orderId": paid["id"], "reason": "不要了", "idempotencyKey": key()}
        )
        assert r.data["cancelOrder"]["userErrors"] == []
    later = utcnow() + timedelta(minutes=1)
    reports = await asyncio.gather(*(run_sweeps(_deps(api, db), later) for _ in range(3)))
    assert sum(r.refunds_retried for r in reports) == 4
    refund_calls = [c[1] for c in api.gateway.calls if c[0] == "refund"]
    assert all(refund_calls.count(no) == 2 for no in refund_calls)  # the failed call + one retry
    async with db.sessions() as s:
        statuses = (
            await s.scalars(
                select(PaymentTransaction.status).where(PaymentTransaction.kind == PaymentKind.REFUND)
            )
        ).all()
    assert statuses == [PaymentStatus.SUCCEEDED] * 4
