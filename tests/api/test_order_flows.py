"""Orders driven through every path of SPEC §3 by GraphQL alone, checking the database after."""

from __future__ import annotations

from sqlalchemy import select

from gql.ids import encode_id
from models.catalog.rows import StoreSku
from models.enums import Fulfillment, PaymentKind, PaymentStatus
from models.payments import PaymentTransaction
from tests.api.conftest import Api
from tests.api.order_flow import (
    ACCEPT,
    CANCEL,
    CANCEL_ALLOCATED,
    CONFIRM,
    PAY,
    PLACE,
    REALLOCATE,
    REJECT,
    SHIP,
    TIMELINE,
    TRACE,
    VERIFY,
    key,
    ok,
    open_shop,
    place_and_pay,
    refused,
)
from tests.conftest import Database
from tests.factories import Seed


async def _stock(db: Database, store_id: int, sku_id: int) -> int:
    async with db.sessions() as s:
        value = await s.scalar(
            select(StoreSku.stock).where(StoreSku.store_id == store_id, StoreSku.sku_id == sku_id)
        )
    assert value is not None
    return value


async def _payments(db: Database, kind: PaymentKind) -> list[PaymentTransaction]:
    async with db.sessions() as s:
        return list(
            (await s.scalars(select(PaymentTransaction).where(PaymentTransaction.kind == kind))).all()
        )


def _actions(order: dict[str, object]) -> set[str]:
    return {a["action"] for a in order["availableActions"] if a["allowed"]}  # type: ignore[attr-defined]


async def test_self_pickup_path(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    placed = ok(
        await shopper.execute(PLACE, input=shop.order_input(fulfillment=Fulfillment.SELF_PICKUP)),
        "placeOrder",
    )
    assert placed["status"] == "PENDING_PAYMENT"
    assert placed["payableAmount"] == {"cents": 2 * 1500 + 100}  # goods + packaging, no delivery fee
    assert _actions(placed) == {"PAY", "CANCEL"}
    assert await _stock(db, shop.a.id, shop.apple.id) == 8

    paid = ok(
        await shopper.execute(
            PAY, input={"orderId": placed["id"], "paymentMethod": "ALIPAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    assert paid["status"] == "PENDING_ACCEPTANCE"
    assert paid["paidAmount"] == paid["payableAmount"]

    accepted = ok(
        await staff.execute(ACCEPT, input={"orderId": placed["id"], "expectedVersion": paid["version"]}),
        "acceptOrder",
    )
    assert accepted["status"] == "PENDING_PICKUP"
    assert _actions(accepted) == {"VERIFY_PICKUP", "REFUND_LINES"}

    r = await staff.execute(
        VERIFY,
        input={"orderId": placed["id"], "code": "000000" if placed["pickupCode"] != "000000" else "111111"},
    )
    assert refused(r, "verifyPickup") == ["PICKUP_CODE_MISMATCH"]
    done = ok(
        await staff.execute(VERIFY, input={"orderId": placed["id"], "code": placed["pickupCode"]}),
        "verifyPickup",
    )
    assert done["status"] == "COMPLETED"

    timeline = (await api.as_hq().execute(TIMELINE, id=placed["id"])).data["node"]["events"]
    assert [(e["action"], e["toStatus"], e["actorType"]) for e in timeline] == [
        (None, "PENDING_PAYMENT", "CUSTOMER"),
        ("PAY", "PENDING_ACCEPTANCE", "PAYMENT"),
        ("ACCEPT_PICKUP", "PENDING_PICKUP", "STAFF"),
        ("VERIFY_PICKUP", "COMPLETED", "STAFF"),
    ]


async def test_reject_reallocate_split_ship_traces_complete(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order = ok(
        await shopper.execute(PLACE, input=shop.order_input((shop.apple, 3), (shop.pear, 1))), "placeOrder"
    )
    ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    oid = order["id"]

    rejected = ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": oid, "reason": "缺货"}), "rejectOrder"
    )
    assert rejected["status"] == "PENDING_ALLOCATION"
    assert _actions(rejected) == set()  # staff cannot do anything with 待分配
    hq = api.as_hq()
    r = await hq.execute(REALLOCATE, input={"orderId": oid, "toStoreId": encode_id("Store", shop.a.id)})
    assert refused(r, "reallocateOrder") == ["BAD_USER_INPUT"]
    moved = ok(
        await hq.execute(
            REALLOCATE, input={"orderId": oid, "toStoreId": encode_id("Store", shop.b.id), "note": "改派"}
        ),
        "reallocateOrder",
    )
    assert moved["status"] == "PENDING_ACCEPTANCE"
    assert moved["store"] == {"code": "SHB"}
    assert await _stock(db, shop.a.id, shop.apple.id) == 10  # given back by A
    assert await _stock(db, shop.b.id, shop.apple.id) == 7  # taken at B

    b_staff = api.as_staff(shop.b.id)
    r = await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": oid})
    assert refused(r, "acceptOrder") == ["NOT_FOUND"]  # no longer A's order
    accepted = ok(await b_staff.execute(ACCEPT, input={"orderId": oid}), "acceptOrder")
    assert accepted["status"] == "PENDING_SHIPMENT"
    apple_line, pear_line = accepted["lines"]

    first = {
        "carrier": "顺丰速运",
        "trackingNo": "SF001",
        "lines": [{"lineId": apple_line["id"], "quantity": 2}],
    }
    partial = ok(await b_staff.execute(SHIP, input={"orderId": oid, "parcels": [first]}), "shipOrder")
    assert partial["status"] == "PENDING_SHIPMENT"
    too_many = {
        "carrier": "中通快递",
        "trackingNo": "ZT9",
        "lines": [{"lineId": apple_line["id"], "quantity": 2}],
    }
    assert refused(
        await b_staff.execute(SHIP, input={"orderId": oid, "parcels": [too_many]}), "shipOrder"
    ) == ["SHIPMENT_EXCEEDS_QUANTITY"]
    second = {
        "carrier": "中通快递",
        "trackingNo": "ZT002",
        "lines": [{"lineId": apple_line["id"], "quantity": 1}, {"lineId": pear_line["id"], "quantity": 1}],
    }
    shipped = ok(await b_staff.execute(SHIP, input={"orderId": oid, "parcels": [second]}), "shipOrder")
    assert shipped["status"] == "SHIPPED"
    assert [line["shippedQuantity"] for line in shipped["lines"]] == [3, 1]

    detail = (await hq.execute(TIMELINE, id=oid)).data["node"]
    assert [p["trackingNo"] for p in detail["parcels"]] == ["SF001", "ZT002"]
    parcel_id = detail["parcels"][0]["id"]
    trace = {
        "parcelId": parcel_id,
        "occurredAt": "2026-11-23T08:00:00+08:00",
        "description": "快件已揽收",
        "state": "COLLECTED",
    }
    for _ in range(2):  # the carrier re-sends: still one trace
        r = await b_staff.execute(TRACE, input=trace)
        assert r.data["addParcelTrace"]["userErrors"] == []
    later = {
        **trace,
        "occurredAt": "2026-11-23T20:00:00+08:00",
        "description": "已签收",
        "state": "DELIVERED",
    }
    parcel = (await b_staff.execute(TRACE, input=later)).data["addParcelTrace"]["parcel"]
    assert parcel["latestState"] == "DELIVERED"
    assert [t["state"] for t in parcel["traces"]] == ["COLLECTED", "DELIVERED"]

    done = ok(
        await api.as_shopper(shop.customer_id).execute(CONFIRM, input={"orderId": oid}), "confirmReceipt"
    )
    assert done["status"] == "COMPLETED"
    detail = (await hq.execute(TIMELINE, id=oid)).data["node"]
    assert [e["action"] for e in detail["events"]] == [
        None,
        "PAY",
        "REJECT",
        "REALLOCATE",
        "ACCEPT_SHIP",
        "SHIP_PARTIAL",
        "SHIP",
        "CONFIRM_RECEIPT",
    ]
    assert next((a["reason"], a["fromStore"]["code"], a["toStore"]) for a in detail["allocationRecords"]) == (
        "缺货",
        "SHA",
        None,
    )
    assert detail["allocationRecords"][1]["toStore"] == {"code": "SHB"}


async def test_cancel_unpaid_gives_stock_back_without_money(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order = ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")
    cancelled = ok(
        await shopper.execute(
            CANCEL, input={"orderId": order["id"], "reason": "不想要了", "idempotencyKey": key()}
        ),
        "cancelOrder",
    )
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["refundedAmount"] == {"cents": 0}
    assert await _stock(db, shop.a.id, shop.apple.id) == 10
    assert await _payments(db, PaymentKind.REFUND) == []


async def test_cancel_after_payment_refunds_in_full_exactly_once(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    cancel = {"orderId": paid["id"], "reason": "买错了", "idempotencyKey": key()}
    shopper = api.as_shopper(shop.customer_id)
    first = ok(await shopper.execute(CANCEL, input=cancel), "cancelOrder")
    again = ok(
        await shopper.execute(CANCEL, input=cancel), "cancelOrder"
    )  # same key: replay, no second refund
    assert first["status"] == again["status"] == "CANCELLED"
    assert first["refundedAmount"] == first["paidAmount"] == {"cents": 3000 + 100 + 500}
    assert [line["refundedQuantity"] for line in first["lines"]] == [2]
    refunds = await _payments(db, PaymentKind.REFUND)
    assert [(r.amount, r.status) for r in refunds] == [(3600, PaymentStatus.SUCCEEDED)]
    gateway = api.gateway
    assert [c for c in gateway.calls if c[0] == "refund"] == [("refund", refunds[0].transaction_no, 3600)]
    assert await _stock(db, shop.a.id, shop.apple.id) == 10


async def test_hq_cancels_an_allocated_order(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    ok(
        await api.as_staff(shop.a.id).execute(REJECT, input={"orderId": paid["id"], "reason": "门店繁忙"}),
        "rejectOrder",
    )
    r = await api.as_staff(shop.a.id).execute(
        CANCEL, input={"orderId": paid["id"], "reason": "x", "idempotencyKey": key()}
    )
    assert refused(r, "cancelOrder") == ["FORBIDDEN"]  # only HQ cancels in 待分配
    done = ok(
        await api.as_hq().execute(
            CANCEL_ALLOCATED,
            input={"orderId": paid["id"], "reason": "联系买家后取消", "idempotencyKey": key()},
        ),
        "cancelAllocatedOrder",
    )
    assert done["status"] == "CANCELLED"
    assert done["refundedAmount"] == done["paidAmount"]


async def test_illegal_transitions_change_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = ok(await api.as_shopper(shop.customer_id).execute(PLACE, input=shop.order_input()), "placeOrder")
    r = await api.as_shopper(shop.customer_id).execute(CONFIRM, input={"orderId": order["id"]})
    assert refused(r, "confirmReceipt") == ["INVALID_TRANSITION"]
    error = r.data["confirmReceipt"]["userErrors"][0]
    assert "PENDING_PAYMENT" in error["message"]
    assert "CONFIRM_RECEIPT" in error["message"]
    assert r.data["confirmReceipt"]["order"]["version"] == order["version"]  # the order as it stands
    r = await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": order["id"]})
    assert refused(r, "acceptOrder") == ["INVALID_TRANSITION"]
    r = await api.as_staff(shop.a.id).execute(
        SHIP,
        input={
            "orderId": order["id"],
            "parcels": [
                {
                    "carrier": "x",
                    "trackingNo": "y",
                    "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
                }
            ],
        },
    )
    assert refused(r, "shipOrder") == ["INVALID_TRANSITION"]


async def test_stale_expected_version_is_a_conflict(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    r = await api.as_staff(shop.a.id).execute(
        ACCEPT, input={"orderId": paid["id"], "expectedVersion": paid["version"] - 1}
    )
    assert refused(r, "acceptOrder") == ["VERSION_CONFLICT"]
    assert r.data["acceptOrder"]["userErrors"][0]["field"] == ["input", "expectedVersion"]
    assert r.data["acceptOrder"]["order"]["status"] == "PENDING_ACCEPTANCE"


async def test_idempotency_keys(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    payload = shop.order_input()
    first = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    second = ok(await shopper.execute(PLACE, input=payload), "placeOrder")
    assert first["id"] == second["id"]
    assert await _stock(db, shop.a.id, shop.apple.id) == 8  # reserved once
    changed = {**payload, "lines": [{"skuId": encode_id("Sku", shop.apple.id), "quantity": 3}]}
    r = await shopper.execute(PLACE, input=changed)
    assert refused(r, "placeOrder") == ["IDEMPOTENCY_KEY_REUSED"]
    # keys belong to their principal: another shopper's identical key is independent
    other = await seed.customer("13700001111")
    third = ok(await api.as_shopper(other.id).execute(PLACE, input=payload), "placeOrder")
    assert third["id"] != first["id"]
    # a failed attempt keeps no claim: the same key can be used again once the input is fixed
    bad = {**shop.order_input(), "consignee": {"name": "张三", "phone": "123"}}
    assert refused(await shopper.execute(PLACE, input=bad), "placeOrder") == ["BAD_USER_INPUT"]
    fixed = {**bad, "consignee": payload["consignee"]}
    assert ok(await shopper.execute(PLACE, input=fixed), "placeOrder")["status"] == "PENDING_PAYMENT"


async def test_roles_outside_the_table_are_refused(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    paid = await place_and_pay(api, shop)
    r = await api.as_shopper(shop.customer_id).execute(ACCEPT, input={"orderId": paid["id"]})
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.as_staff(shop.b.id).execute(ACCEPT, input={"orderId": paid["id"]})
    assert refused(r, "acceptOrder") == ["NOT_FOUND"]
    stranger = await seed.customer("13600001111")
    r = await api.as_shopper(stranger.id).execute(
        CANCEL, input={"orderId": paid["id"], "reason": "x", "idempotencyKey": key()}
    )
    assert refused(r, "cancelOrder") == ["NOT_FOUND"]
    r = await api.as_staff(shop.a.id).execute(
        REALLOCATE, input={"orderId": paid["id"], "toStoreId": encode_id("Store", shop.b.id)}
    )
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.execute(PLACE, input=shop.order_input())
    assert r.error_codes == ["UNAUTHENTICATED"]
