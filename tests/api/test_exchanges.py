"""换货 (EXCHANGE): the goods come back, a replacement goes out, no money moves, the units stay bought."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from gql.ids import encode_id
from models.base import utcnow
from models.catalog.rows import StoreSku
from models.orders.rows import OrderEvent
from models.payments import PaymentTransaction
from services.after_sales.exchanges import auto_confirm_replacements
from services.commands import Deps
from services.sweeps import run_sweeps
from tests.api.after_sale_flow import (
    APPROVE,
    CONFIRM_REPLACEMENT,
    REFUND_LINES,
    REQUEST,
    SHIP_REPLACEMENT,
    ask,
    codes,
    done,
    exchange_in_reship,
    shipped_order,
    step_input,
)
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PAY, PLACE, SHIP, key, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

EXCHANGE_FIELDS = """query($id: ID!) { afterSale(id: $id) { status type refundAmount { cents }
  replacementCarrier replacementTrackingNo replacementShippedAt
  replacements { line { id } sku { id } }
  timeline { action toStatus actorType }
  availableActions { action allowed reason } } }"""


def _gid(sku_id: int) -> str:
    return encode_id("Sku", sku_id)


async def _stock(db: Database, store_id: int, sku_id: int) -> int:
    async with db.sessions() as s:
        stock = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == store_id, StoreSku.sku_id == sku_id)
        )
    assert stock is not None
    return int(stock)


async def test_an_exchange_from_request_to_replacement(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)  # 2 apples at 15.00
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    a = await exchange_in_reship(api, shop, order)
    assert a["type"] == "EXCHANGE"
    assert a["refundAmount"] == {"cents": 0}
    before = await _stock(db, shop.a.id, shop.apple.id)

    shipped = step_input(a, carrier="门店配送", trackingNo="EX-1")
    p = done(await staff.execute(SHIP_REPLACEMENT, input=shipped), "shipReplacement")
    assert p["afterSale"]["status"] == "RESHIPPED"
    assert await _stock(db, shop.a.id, shop.apple.id) == before - 1  # the replacement left the shelf
    p = done(await buyer.execute(CONFIRM_REPLACEMENT, input=step_input(a)), "confirmReplacementReceived")
    assert p["afterSale"]["status"] == "EXCHANGED"
    assert [t["action"] for t in p["afterSale"]["timeline"]] == [
        "REQUEST",
        "APPROVE_RETURN",
        "SUBMIT_RETURN",
        "CONFIRM_EXCHANGE_RETURN",
        "SHIP_REPLACEMENT",
        "CONFIRM_REPLACEMENT",
    ]
    # No money moved and the units stay bought: both apples may still be refunded.
    assert p["order"]["refundedAmount"] == {"cents": 0}
    assert p["order"]["lines"][0]["refundedQuantity"] == 0
    async with db.sessions() as s:
        assert (
            await s.scalar(
                select(func.count())
                .select_from(PaymentTransaction)
                .where(PaymentTransaction.after_sale_id.is_not(None))
            )
            == 0
        )
        notes = (await s.scalars(select(OrderEvent.payload).where(OrderEvent.action.is_(None)))).all()
    assert {n.get("event") for n in notes} >= {"AFTER_SALE_REQUESTED", "REPLACEMENT_SHIPPED"}
    refund = done(
        await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY", quantity=2)), "requestAfterSale"
    )
    assert refund["afterSale"]["refundAmount"] == {"cents": 3000}

    one = (await staff.execute(EXCHANGE_FIELDS, id=a["id"])).data["afterSale"]
    assert (one["replacementCarrier"], one["replacementTrackingNo"]) == ("门店配送", "EX-1")
    assert one["replacements"] == []  # the line's own SKU
    assert not any(x["allowed"] for x in one["availableActions"])


async def test_another_spec_at_the_same_price(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    _, (red, blue, big) = await seed.product("纯棉T恤", prices=(5900, 5900, 6900))
    for sku in (red, blue, big):
        await seed.listing(shop.a, sku, stock=5)
    staff = api.as_staff(shop.a.id)
    buyer = api.as_shopper(shop.customer_id)
    placed = ok(await buyer.execute(PLACE, input=shop.order_input((red, 1))), "placeOrder")
    pay = {"orderId": placed["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    paid = ok(await buyer.execute(PAY, input=pay), "payOrder")
    accepted = ok(await staff.execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    parcel = {
        "carrier": "门店配送",
        "trackingNo": "T1",
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 1}],
    }
    order = ok(await staff.execute(SHIP, input={"orderId": paid["id"], "parcels": [parcel]}), "shipOrder")
    for wrong in (big, shop.apple):  # another price; another product
        r = await buyer.execute(REQUEST, input=ask(order, "EXCHANGE", replacementSkuId=_gid(wrong.id)))
        assert codes(r, "requestAfterSale") == ["REPLACEMENT_SKU_MISMATCH"]
    a = await exchange_in_reship(api, shop, order, replacementSkuId=_gid(blue.id))
    one = (await staff.execute(EXCHANGE_FIELDS, id=a["id"])).data["afterSale"]
    assert one["replacements"] == [{"line": {"id": order["lines"][0]["id"]}, "sku": {"id": _gid(blue.id)}}]
    done(
        await staff.execute(SHIP_REPLACEMENT, input=step_input(a, carrier="门店配送", trackingNo="EX-2")),
        "shipReplacement",
    )
    assert (await _stock(db, shop.a.id, red.id), await _stock(db, shop.a.id, blue.id)) == (4, 4)


async def test_out_of_stock_replacement_changes_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    a = await exchange_in_reship(api, shop, order)
    async with db.sessions() as s, s.begin():
        await s.execute(update(StoreSku).where(StoreSku.store_id == shop.a.id).values(stock=0))
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(SHIP_REPLACEMENT, input=step_input(a, carrier="门店配送", trackingNo="EX-3"))
    assert codes(r, "shipReplacement") == ["OUT_OF_STOCK"]
    one = (await staff.execute(EXCHANGE_FIELDS, id=a["id"])).data["afterSale"]
    assert (one["status"], one["replacementTrackingNo"]) == ("AWAITING_RESHIP", None)
    assert {x["action"] for x in one["availableActions"] if x["allowed"]} == {"SHIP_REPLACEMENT"}
    offered = {x["action"] for x in one["availableActions"]}
    assert "CONFIRM_RETURN_RECEIVED" not in offered  # a return's step, not an exchange's
    assert await _stock(db, shop.a.id, shop.apple.id) == 0


async def test_bad_exchanges_are_refused(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    r = await buyer.execute(REQUEST, input=ask(order, "EXCHANGE", quantity=3))
    assert codes(r, "requestAfterSale") == ["EXCHANGE_EXCEEDS_QUANTITY"]
    r = await buyer.execute(REQUEST, input=ask(order, "EXCHANGE", amountCents=100))
    assert codes(r, "requestAfterSale") == ["BAD_USER_INPUT"]
    r = await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY", replacementSkuId=_gid(shop.pear.id)))
    assert codes(r, "requestAfterSale") == ["BAD_USER_INPUT"]
    paid = await place_and_pay(api, shop)
    unshipped = ok(await staff.execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    r = await buyer.execute(REQUEST, input=ask(unshipped, "EXCHANGE"))
    assert codes(r, "requestAfterSale") == ["BAD_USER_INPUT"]  # the goods never left the store
    r = await staff.execute(
        REFUND_LINES,
        input={
            "orderId": order["id"],
            "type": "EXCHANGE",
            "reason": "换",
            "idempotencyKey": key(),
            "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
        },
    )
    assert codes(r, "refundLines") == ["BAD_USER_INPUT"]

    a = done(await buyer.execute(REQUEST, input=ask(order, "EXCHANGE")), "requestAfterSale")["afterSale"]
    r = await staff.execute(SHIP_REPLACEMENT, input=step_input(a, carrier="门店配送", trackingNo="X"))
    assert codes(r, "shipReplacement") == ["INVALID_TRANSITION"]  # not received back yet
    foreign = api.as_staff(shop.b.id)
    r = await foreign.execute(APPROVE, input=step_input(a))
    assert codes(r, "approveAfterSale") == ["NOT_FOUND"]
    r = await buyer.execute(CONFIRM_REPLACEMENT, input=step_input(a))
    assert codes(r, "confirmReplacementReceived") == ["INVALID_TRANSITION"]
    r = await buyer.execute(REQUEST, input=ask(order, "EXCHANGE"))
    assert codes(r, "requestAfterSale") == ["LINE_HAS_OPEN_AFTER_SALE"]


async def test_the_sweeper_confirms_a_replacement_after_the_configured_days(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    a = await exchange_in_reship(api, shop, order)
    staff = api.as_staff(shop.a.id)
    done(
        await staff.execute(SHIP_REPLACEMENT, input=step_input(a, carrier="门店配送", trackingNo="EX-4")),
        "shipReplacement",
    )
    deps = Deps(db.sessions, api.gateway)  # auto-complete after 7 days
    now = utcnow()
    assert await auto_confirm_replacements(deps, now + timedelta(days=6, hours=23)) == 0
    report = await run_sweeps(deps, now + timedelta(days=7, minutes=1))
    assert report.replacements_confirmed == 1
    assert await auto_confirm_replacements(deps, now + timedelta(days=8)) == 0
    one = (await staff.execute(EXCHANGE_FIELDS, id=a["id"])).data["afterSale"]
    assert one["status"] == "EXCHANGED"
    assert one["timeline"][-1] == {
        "action": "CONFIRM_REPLACEMENT",
        "toStatus": "EXCHANGED",
        "actorType": "SYSTEM",
    }
