"""极速退款: at a store with the setting, a refund-only request for units still in the store is
refunded at once by the system; anything else waits for review as before."""

from __future__ import annotations

from sqlalchemy import select, update

from gql.ids import encode_id
from models.catalog.rows import StoreSku
from models.enums import PaymentKind
from models.payments import PaymentTransaction
from models.stores.rows import Store
from tests.api.after_sale_flow import REQUEST, ask, done, shipped_order
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

SETTING = """mutation($input: UpdateStoreInput!) { updateStore(input: $input) {
  store { instantRefund } userErrors { code field } } }"""


async def _apples_in_store(db: Database, store: Store) -> int:
    async with db.sessions() as s:
        return int(
            await s.scalar(select(StoreSku.stock).where(StoreSku.store_id == store.id).order_by(StoreSku.id))
            or 0
        )


async def test_an_unshipped_refund_only_request_is_refunded_at_once(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    r = await api.as_staff(shop.a.id).execute(
        SETTING, input={"storeId": encode_id("Store", shop.a.id), "instantRefund": True}
    )
    assert r.data["updateStore"] == {"store": {"instantRefund": True}, "userErrors": []}
    paid = await place_and_pay(api, shop)
    order = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    stock = await _apples_in_store(db, shop.a)

    buyer = api.as_shopper(shop.customer_id)
    p = done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY", 1)), "requestAfterSale")
    a = p["afterSale"]
    assert (a["status"], a["refundAmount"]) == ("REFUNDED", {"cents": 1500})
    assert [(t["action"], t["actorType"]) for t in a["timeline"]] == [
        ("REQUEST", "CUSTOMER"),
        ("APPROVE_REFUND_ONLY", "SYSTEM"),
    ]
    assert p["order"]["lines"][0]["refundedQuantity"] == 1
    assert await _apples_in_store(db, shop.a) == stock + 1
    async with db.sessions() as s:
        refunds = (
            await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == PaymentKind.REFUND))
        ).all()
    assert [r.amount for r in refunds] == [1500]

    # the last unit too: the order closes and its fees go back
    p = done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY", 1)), "requestAfterSale")
    assert (p["afterSale"]["refundAmount"], p["order"]["status"]) == ({"cents": 2100}, "CLOSED")


async def test_other_requests_wait_for_review(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(instant_refund=True))
    buyer = api.as_shopper(shop.customer_id)
    shipped = await shipped_order(api, shop)  # the goods left the store
    p = done(await buyer.execute(REQUEST, input=ask(shipped, "REFUND_ONLY", 1)), "requestAfterSale")
    assert p["afterSale"]["status"] == "PENDING_REVIEW"

    paid = await place_and_pay(api, shop)
    order = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    p = done(
        await buyer.execute(REQUEST, input=ask(order, "PRICE_DIFFERENCE", 1, amountCents=100)),
        "requestAfterSale",
    )
    assert p["afterSale"]["status"] == "PENDING_REVIEW"  # a price difference is reviewed

    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(instant_refund=False))
    other = await place_and_pay(api, shop)
    other = ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": other["id"]}), "acceptOrder")
    p = done(await buyer.execute(REQUEST, input=ask(other, "REFUND_ONLY", 1)), "requestAfterSale")
    assert p["afterSale"]["status"] == "PENDING_REVIEW"  # the setting is off
